//! The `lin-kv` workload as a forced machine: a key→value map whose reads,
//! writes and compare-and-sets are all ordered, so the whole map is
//! linearizable.

use std::collections::BTreeMap;

use hearsay_core::forced::Machine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codes::{ErrorCode, RequestError};
use crate::envelope::{Body, body};
use crate::forced_app::ForcedApp;
use crate::service::{unknown_type, with};

/// A map from keys to values, both any JSON (Maelstrom's lin-kv uses integers).
///
/// Keys are kept as their JSON text, so `1` and `"1"` are different keys, as
/// they are to Maelstrom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinKv {
    /// Per key (its JSON text): the value.
    cells: BTreeMap<String, Value>,
}

impl LinKv {
    /// The value of `key` (JSON text), if it was ever written.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.cells.get(key)
    }
}

/// One lin-kv operation. Keys are JSON text (see [`LinKv`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum KvOp {
    /// `read {key}`.
    Read {
        /// The key.
        key: String,
    },
    /// `write {key, value}`.
    Write {
        /// The key.
        key: String,
        /// The new value.
        value: Value,
    },
    /// `cas {key, from, to}`: set `to` if the value is `from`.
    Cas {
        /// The key.
        key: String,
        /// The value expected.
        from: Value,
        /// The value to set.
        to: Value,
        /// Maelstrom's `create_if_not_exists`: a missing key counts as a match.
        create: bool,
    },
}

/// What the order decided for a [`KvOp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum KvOutcome {
    /// A read found this value.
    Value(Value),
    /// The key was never written: a read or compare-and-set fails (error 20).
    Missing,
    /// A write, or a compare-and-set that matched: the value is set.
    Done,
    /// A compare-and-set found another value (error 22); nothing changes.
    Mismatch(Value),
}

impl Machine for LinKv {
    type Op = KvOp;
    type Outcome = KvOutcome;

    fn decide(&self, op: &KvOp) -> KvOutcome {
        match op {
            KvOp::Read { key } => self
                .cells
                .get(key)
                .map_or(KvOutcome::Missing, |v| KvOutcome::Value(v.clone())),
            KvOp::Write { .. } => KvOutcome::Done,
            KvOp::Cas {
                key, from, create, ..
            } => match self.cells.get(key) {
                None if *create => KvOutcome::Done,
                None => KvOutcome::Missing,
                Some(v) if v == from => KvOutcome::Done,
                Some(v) => KvOutcome::Mismatch(v.clone()),
            },
        }
    }

    fn apply(&mut self, op: &KvOp, outcome: &KvOutcome) {
        if *outcome != KvOutcome::Done {
            return; // reads, and refused compare-and-sets, change nothing
        }
        match op {
            KvOp::Read { .. } => {}
            KvOp::Write { key, value } => {
                self.cells.insert(key.clone(), value.clone());
            }
            KvOp::Cas { key, to, .. } => {
                self.cells.insert(key.clone(), to.clone());
            }
        }
    }
}

fn field<'a>(b: &'a Body, name: &str) -> Result<&'a Value, RequestError> {
    b.get(name)
        .ok_or_else(|| RequestError::malformed(format!("the request has no `{name}`")))
}

fn key_text(b: &Body) -> Result<String, RequestError> {
    // A JSON value always serialises.
    serde_json::to_string(field(b, "key")?).map_err(|e| RequestError::malformed(e.to_string()))
}

impl ForcedApp for LinKv {
    fn request(kind: &str, b: &Body) -> Result<KvOp, RequestError> {
        Ok(match kind {
            "read" => KvOp::Read { key: key_text(b)? },
            "write" => KvOp::Write {
                key: key_text(b)?,
                value: field(b, "value")?.clone(),
            },
            "cas" => KvOp::Cas {
                key: key_text(b)?,
                from: field(b, "from")?.clone(),
                to: field(b, "to")?.clone(),
                create: match b.get("create_if_not_exists") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(c)) => *c,
                    Some(v) => {
                        return Err(RequestError::malformed(format!(
                            "`create_if_not_exists` must be a boolean, not {v}"
                        )));
                    }
                },
            },
            other => return Err(unknown_type(other, "lin-kv")),
        })
    }

    fn answer(op: &KvOp, outcome: &KvOutcome) -> Result<Body, RequestError> {
        match (op, outcome) {
            (KvOp::Read { .. }, KvOutcome::Value(v)) => {
                Ok(with(body("read_ok"), "value", v.clone()))
            }
            (KvOp::Write { .. }, KvOutcome::Done) => Ok(body("write_ok")),
            (KvOp::Cas { .. }, KvOutcome::Done) => Ok(body("cas_ok")),
            (_, KvOutcome::Missing) => Err(RequestError::new(
                ErrorCode::KeyDoesNotExist,
                "key does not exist",
            )),
            (_, KvOutcome::Mismatch(v)) => Err(RequestError::new(
                ErrorCode::PreconditionFailed,
                format!("expected the `from` value, found {v}"),
            )),
            // The machine never decides these pairs; refusing definitely is
            // right anyway, because such an outcome changes nothing.
            (op, outcome) => Err(RequestError::unavailable(format!(
                "internal: outcome {outcome:?} for {op:?}"
            ))),
        }
    }

    fn may_change(op: &KvOp) -> bool {
        !matches!(op, KvOp::Read { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_core::forced::check_decisions;
    use serde_json::json;

    fn op(v: Value) -> KvOp {
        let Value::Object(b) = v else {
            panic!("an object")
        };
        let kind = b["type"].as_str().unwrap().to_owned();
        LinKv::request(&kind, &b).unwrap()
    }

    #[test]
    fn decisions_replay_to_the_same_state() {
        let ops: Vec<KvOp> = (0..60)
            .map(|i| match i % 4 {
                0 => op(json!({"type": "write", "key": i % 3, "value": i % 5})),
                1 => op(json!({"type": "cas", "key": i % 3, "from": i % 5, "to": (i + 1) % 5})),
                2 => op(json!({"type": "read", "key": i % 3})),
                _ => op(json!({"type": "cas", "key": 7 + i % 2, "from": 0, "to": 1, "create_if_not_exists": true})),
            })
            .collect();
        check_decisions(&LinKv::default(), &ops).unwrap();
    }

    #[test]
    fn reads_writes_and_cas_answer_with_maelstrom_codes() {
        let mut kv = LinKv::default();
        let mut run = |v: Value| {
            let o = op(v);
            let d = kv.decide(&o);
            kv.apply(&o, &d);
            LinKv::answer(&o, &d).map_err(|e| e.code.code())
        };
        assert_eq!(run(json!({"type": "read", "key": 1})), Err(20));
        assert_eq!(
            run(json!({"type": "cas", "key": 1, "from": 1, "to": 2})),
            Err(20)
        );
        assert_eq!(
            run(json!({"type": "write", "key": 1, "value": 3})),
            Ok(body("write_ok"))
        );
        assert_eq!(
            run(json!({"type": "cas", "key": 1, "from": 1, "to": 2})),
            Err(22)
        );
        assert_eq!(
            run(json!({"type": "cas", "key": 1, "from": 3, "to": 4})),
            Ok(body("cas_ok"))
        );
        assert_eq!(
            run(json!({"type": "read", "key": 1})),
            Ok(with(body("read_ok"), "value", json!(4)))
        );
        assert_eq!(
            run(json!({"type": "read", "key": "1"})),
            Err(20),
            "keys are typed"
        );
    }

    #[test]
    fn bad_requests_are_malformed() {
        for (kind, b) in [
            ("read", json!({})),
            ("write", json!({"key": 1})),
            ("cas", json!({"key": 1, "from": 1})),
            (
                "cas",
                json!({"key": 1, "from": 1, "to": 2, "create_if_not_exists": 3}),
            ),
            ("delete", json!({"key": 1})),
        ] {
            let Value::Object(b) = b else { unreachable!() };
            let e = LinKv::request(kind, &b).unwrap_err();
            assert_eq!(e.code, ErrorCode::MalformedRequest, "{kind} {b:?}");
        }
    }
}
