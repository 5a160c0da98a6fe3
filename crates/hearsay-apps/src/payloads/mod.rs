//! Payloads and claims (seeds 000 and 001): content-addressed payloads,
//! replicated, and the check a replica runs when a peer presents a claim.
//!
//! A payload's id is the SHA-256 of its bytes, so a put is idempotent and two
//! concurrent puts commute: the state is a grow-only set.

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext};
use serde::{Deserialize, Serialize};

mod id;

pub use id::{PayloadId, PayloadIdError};

/// The longest payload accepted, in bytes (the tracker's limit too).
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// The replicated payloads, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payloads {
    by_id: BTreeMap<PayloadId, String>,
}

/// A change to the payloads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadUpdate {
    /// Store a payload under the SHA-256 of its bytes.
    Put {
        /// The content.
        payload: String,
    },
}

/// A question about the payloads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadQuery {
    /// One payload.
    Get {
        /// Its id.
        id: PayloadId,
    },
    /// A claim: is `content` the payload stored under `id`?
    Verify {
        /// The claimed id.
        id: PayloadId,
        /// The claimed content.
        content: String,
    },
    /// How many payloads are held.
    Count,
}

/// An answer about the payloads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayloadReply {
    /// The payload asked for (`None`: no such id).
    Payload(Option<String>),
    /// The verdict on a claim: `true` only if the id exists and the content
    /// hashes to it.
    Verdict(bool),
    /// How many payloads are held.
    Count(u64),
}

impl Payloads {
    /// No payloads.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many payloads are held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The payload stored under `id`.
    pub fn get(&self, id: &PayloadId) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    /// The `n`-th payload in id order (`n` taken modulo the count), for
    /// picking one at random without iterating from outside.
    pub fn nth(&self, n: usize) -> Option<(&PayloadId, &str)> {
        if self.by_id.is_empty() {
            return None;
        }
        self.by_id
            .iter()
            .nth(n % self.by_id.len())
            .map(|(id, p)| (id, p.as_str()))
    }

    /// Every payload as (`"payload <id, first 12 hex digits>"`, its
    /// content), in id order: a replica's data view.
    pub fn view(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.by_id.iter().map(|(id, p)| {
            let hex = id.to_string();
            (format!("payload {}", &hex[..hex.len().min(12)]), p.clone())
        })
    }

    /// The verdict on a claim: the id exists and `content` hashes to it.
    pub fn verify(&self, id: &PayloadId, content: &str) -> bool {
        self.by_id.contains_key(id) && PayloadId::of(content.as_bytes()) == *id
    }
}

impl App for Payloads {
    type Update = PayloadUpdate;
    type Query = PayloadQuery;
    type Reply = PayloadReply;

    fn apply(&mut self, update: &PayloadUpdate, _ctx: &ApplyContext<'_>) {
        match update {
            PayloadUpdate::Put { payload } => {
                self.by_id
                    .entry(PayloadId::of(payload.as_bytes()))
                    .or_insert_with(|| payload.clone());
            }
        }
    }

    fn query(&self, query: &PayloadQuery) -> PayloadReply {
        match query {
            PayloadQuery::Get { id } => PayloadReply::Payload(self.get(id).map(str::to_owned)),
            PayloadQuery::Verify { id, content } => PayloadReply::Verdict(self.verify(id, content)),
            PayloadQuery::Count => PayloadReply::Count(self.by_id.len() as u64),
        }
    }

    fn validate(update: &PayloadUpdate) -> Result<(), String> {
        match update {
            PayloadUpdate::Put { payload } if payload.is_empty() => {
                Err("a payload must not be empty".to_owned())
            }
            PayloadUpdate::Put { payload } if payload.len() > MAX_PAYLOAD_BYTES => Err(format!(
                "a payload is at most {MAX_PAYLOAD_BYTES} bytes; this one is {}",
                payload.len()
            )),
            PayloadUpdate::Put { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
