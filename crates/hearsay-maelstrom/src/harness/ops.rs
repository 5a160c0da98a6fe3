//! What the simulated clients ask, per workload, and what they got back.

use hearsay_core::Time;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use crate::workload::Workload;

/// How an operation ended, in Jepsen's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Still waiting.
    Pending,
    /// A successful reply.
    Ok,
    /// An `error` reply: definitely did not happen.
    Fail,
    /// No reply in time: may or may not have happened.
    Info,
}

/// One client operation: the request, and how it ended.
#[derive(Clone, Debug)]
pub(crate) struct OpRecord {
    /// The node it went to.
    pub(crate) node: String,
    /// The client that sent it.
    pub(crate) client: String,
    /// Its `msg_id`.
    pub(crate) msg_id: u64,
    /// Its request body.
    pub(crate) request: Map<String, Value>,
    /// When it was sent.
    pub(crate) invoke: Time,
    /// When its reply arrived.
    pub(crate) complete: Option<Time>,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// The reply body, when there was one.
    pub(crate) reply: Value,
    /// One of the reads after the run, one per node.
    pub(crate) is_final: bool,
}

impl OpRecord {
    /// The request's `type`.
    pub(crate) fn kind(&self) -> &str {
        self.request
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The error code of an `error` reply.
    pub(crate) fn error_code(&self) -> Option<u64> {
        if self.reply.get("type").and_then(Value::as_str) != Some("error") {
            return None;
        }
        self.reply.get("code").and_then(Value::as_u64)
    }
}

/// A number in `0..n` (0 when `n` is 0).
pub(crate) fn below(rng: &mut StdRng, n: usize) -> usize {
    if n == 0 { 0 } else { rng.random_range(0..n) }
}

/// Makes requests the way Maelstrom's generators do: broadcast/read and
/// add/read half and half, unique broadcast values, transactions of up to
/// four micro-operations over a rotating pool of keys, each value written at
/// most once per key, and lin-kv's reads, writes and compare-and-sets of
/// values 0 to 4 over a rotating pool of keys, a bounded number per key (so
/// each key's history stays small enough for the linearizability search).
#[derive(Debug)]
pub(crate) struct OpGen {
    workload: Workload,
    next_value: i64,
    /// Keys in play and how many writes each has had.
    keys: Vec<(i64, i64)>,
    next_key: i64,
    /// Every key ever used, for the final reads.
    all_keys: Vec<i64>,
}

/// Keys in play at once.
const KEY_POOL: usize = 8;
/// Writes per key before it is retired (Maelstrom's `--max-writes-per-key`).
const WRITES_PER_KEY: i64 = 16;
/// lin-kv: operations per key before it is retired.
const LIN_OPS_PER_KEY: i64 = 24;

impl OpGen {
    pub(crate) fn new(workload: Workload) -> Self {
        let keys: Vec<(i64, i64)> = (0..KEY_POOL as i64).map(|k| (k, 0)).collect();
        Self {
            workload,
            next_value: 0,
            all_keys: keys.iter().map(|(k, _)| *k).collect(),
            next_key: KEY_POOL as i64,
            keys,
        }
    }

    /// The next request body.
    pub(crate) fn next(&mut self, rng: &mut StdRng) -> Map<String, Value> {
        let read = below(rng, 2) == 0;
        let v = match self.workload {
            Workload::Echo => {
                self.next_value += 1;
                json!({"type": "echo", "echo": format!("hello {}", self.next_value)})
            }
            Workload::Broadcast if read => json!({"type": "read"}),
            Workload::Broadcast => {
                self.next_value += 1;
                json!({"type": "broadcast", "message": self.next_value})
            }
            Workload::GCounter if read => json!({"type": "read"}),
            Workload::GCounter => json!({"type": "add", "delta": below(rng, 5) as i64}),
            Workload::TxnRwRegister | Workload::TxnSerializable => {
                json!({"type": "txn", "txn": self.txn(rng)})
            }
            Workload::LinKv => self.lin_kv(rng),
        };
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn lin_kv(&mut self, rng: &mut StdRng) -> Value {
        let slot = below(rng, self.keys.len());
        let (key, used) = self.keys[slot];
        self.keys[slot].1 += 1;
        if used + 1 >= LIN_OPS_PER_KEY {
            self.keys[slot] = (self.next_key, 0);
            self.all_keys.push(self.next_key);
            self.next_key += 1;
        }
        let kind = below(rng, 3);
        let mut value = || below(rng, 5) as i64;
        match kind {
            0 => json!({"type": "read", "key": key}),
            1 => json!({"type": "write", "key": key, "value": value()}),
            _ => json!({"type": "cas", "key": key, "from": value(), "to": value()}),
        }
    }

    fn txn(&mut self, rng: &mut StdRng) -> Value {
        let len = 1 + below(rng, 4);
        let mut ops = Vec::with_capacity(len);
        for _ in 0..len {
            let slot = below(rng, self.keys.len());
            let (key, writes) = self.keys[slot];
            if below(rng, 2) == 0 {
                ops.push(json!(["r", key, null]));
            } else {
                ops.push(json!(["w", key, writes + 1]));
                self.keys[slot].1 += 1;
                if writes + 1 >= WRITES_PER_KEY {
                    self.keys[slot] = (self.next_key, 0);
                    self.all_keys.push(self.next_key);
                    self.next_key += 1;
                }
            }
        }
        Value::Array(ops)
    }

    /// The request each node gets once the run is over, if the workload
    /// has one.
    pub(crate) fn final_read(&self) -> Option<Map<String, Value>> {
        let v = match self.workload {
            // Maelstrom's lin-kv has no final reads: every read is checked.
            Workload::Echo | Workload::LinKv => return None,
            Workload::Broadcast | Workload::GCounter => json!({"type": "read"}),
            Workload::TxnRwRegister | Workload::TxnSerializable => {
                let reads: Vec<Value> = self
                    .all_keys
                    .iter()
                    .map(|k| json!(["r", k, null]))
                    .collect();
                json!({"type": "txn", "txn": reads})
            }
        };
        match v {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}
