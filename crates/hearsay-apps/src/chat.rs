//! The chat room of seed 004 as an [`App`]: every line anyone typed, in one
//! order that extends causality, the same at every replica.
//!
//! A line is a causal update. The state keeps lines sorted by their
//! [`Arbitration`] (the depth of the writer's causal context, then the
//! update id), which every replica computes alike and which puts a reply
//! after what it answers; so the state is the same whatever order
//! concurrent lines arrived in. A peer prints the lines it has not printed
//! yet, in state order: each line once, and after everything in its causal
//! past (which precedes it in the state, and is applied before it).
//!
//! The history is bounded: the [`MAX_LINES`] greatest lines by arbitration
//! are kept (keeping the greatest *k* of a set is order-independent, so
//! replicas still agree); late joiners catch up with those.

use std::collections::BTreeMap;

use hearsay_core::{App, ApplyContext, Arbitration, UpdateId};
use serde::{Deserialize, Serialize};

/// Lines kept for late joiners, at most.
pub const MAX_LINES: usize = 10_000;

/// The longest line, in bytes (UTF-8).
pub const MAX_LINE_BYTES: usize = 4096;

/// The chat room's state: its lines, in causal-respecting arbitration order.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct ChatApp {
    /// Every kept line, keyed by where it stands among the others.
    lines: BTreeMap<Arbitration, String>,
}

/// One line said in the room.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Say {
    /// The text, one line (no newline), at most [`MAX_LINE_BYTES`] bytes.
    pub text: String,
}

/// What can be asked of the room.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum ChatQuery {
    /// How many lines it holds.
    Count,
}

/// The answer to a [`ChatQuery`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum ChatReply {
    /// The number of lines.
    Count(u64),
}

impl Say {
    /// A line to say, checked as [`ChatApp::validate`] would.
    pub fn new(text: impl Into<String>) -> Result<Self, String> {
        let say = Self { text: text.into() };
        ChatApp::validate(&say)?;
        Ok(say)
    }
}

impl ChatApp {
    /// The lines in order, each with the id of the update that said it.
    pub fn lines(&self) -> impl Iterator<Item = (UpdateId, &str)> {
        self.lines.iter().map(|(a, text)| (a.id, text.as_str()))
    }

    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nobody said anything yet.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl App for ChatApp {
    type Update = Say;
    type Query = ChatQuery;
    type Reply = ChatReply;

    fn apply(&mut self, update: &Say, ctx: &ApplyContext<'_>) {
        self.lines.insert(ctx.order, update.text.clone());
        while self.lines.len() > MAX_LINES {
            self.lines.pop_first();
        }
    }

    fn query(&self, query: &ChatQuery) -> ChatReply {
        match query {
            ChatQuery::Count => ChatReply::Count(self.lines.len() as u64),
        }
    }

    fn validate(update: &Say) -> Result<(), String> {
        if update.text.is_empty() {
            return Err("an empty line says nothing".into());
        }
        if update.text.len() > MAX_LINE_BYTES {
            return Err(format!(
                "a line is at most {MAX_LINE_BYTES} bytes (this one has {})",
                update.text.len()
            ));
        }
        if update.text.contains(['\n', '\r']) {
            return Err("a line cannot contain a line break".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use hearsay_core::conformance::check_convergence;

    use super::*;

    #[test]
    fn concurrent_lines_converge_whatever_the_delivery_order() {
        let updates: Vec<Say> = ["hello", "hi", "how are you", "fine", "bye"]
            .iter()
            .map(|t| Say::new(*t).expect("valid"))
            .collect();
        check_convergence(&ChatApp::default(), &updates, 50, 7).expect("converges");
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        assert!(Say::new("").unwrap_err().contains("empty"));
        assert!(Say::new("a\nb").unwrap_err().contains("line break"));
        let long = "x".repeat(MAX_LINE_BYTES + 1);
        assert!(Say::new(long).unwrap_err().contains("at most 4096 bytes"));
        assert!(Say::new("x".repeat(MAX_LINE_BYTES)).is_ok());
    }
}
