//! [`Hub`]: what the monitor last saw of every node, and the browsers
//! watching it. Each node's new reading is compared with the last one and
//! only the difference goes out, to every browser's bounded queue.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_http::LongLived;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// One event for the browsers, serialized once and shared by every queue.
pub(crate) type Event = Arc<str>;

/// A node's data as the monitor last read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data {
    /// Entries in the node's whole state.
    pub(crate) total: u64,
    /// The entries read (the first page of them).
    pub(crate) entries: BTreeMap<String, String>,
}

/// What the monitor knows of one node.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    /// Name, role, status, timestamps... (the `info` object of the events).
    info: Value,
    /// Its data, when its app shows one.
    data: Option<Data>,
}

/// One browser's stream.
struct Client {
    /// Its queue; when full the browser is too slow and is dropped (it
    /// reconnects and starts again from a snapshot).
    tx: mpsc::Sender<Event>,
    /// Ends its connection even when the connection is stuck writing.
    long: LongLived,
    /// Streams are closed after a while so none lives forever; the browser
    /// reconnects at once.
    opened: Instant,
}

/// Nodes seen and browsers watching.
#[derive(Default)]
pub(crate) struct Hub {
    nodes: BTreeMap<String, Node>,
    clients: BTreeMap<u64, Client>,
    next_client: u64,
}

/// Why a browser could not subscribe.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooMany(pub(crate) usize);

impl Hub {
    /// Adds a browser with a queue of `queue` events, the first of them a
    /// snapshot of every node; refused past `max_clients` browsers.
    pub(crate) fn subscribe(
        &mut self,
        queue: usize,
        max_clients: usize,
        long: LongLived,
    ) -> Result<(u64, mpsc::Receiver<Event>), TooMany> {
        if self.clients.len() >= max_clients {
            return Err(TooMany(max_clients));
        }
        let (tx, rx) = mpsc::channel(queue.max(1));
        // The queue is new and empty: the snapshot fits.
        let _ = tx.try_send(self.snapshot());
        let id = self.next_client;
        self.next_client += 1;
        self.clients.insert(
            id,
            Client {
                tx,
                long,
                opened: Instant::now(),
            },
        );
        Ok((id, rx))
    }

    /// Forgets a browser whose stream ended.
    pub(crate) fn unsubscribe(&mut self, id: u64) {
        self.clients.remove(&id);
    }

    /// Whether any browser is watching.
    pub(crate) fn watched(&self) -> bool {
        !self.clients.is_empty()
    }

    /// Browsers watching.
    #[cfg(test)]
    pub(crate) fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Ends the streams opened more than `lifetime` ago.
    pub(crate) fn sweep(&mut self, lifetime: Duration) {
        let now = Instant::now();
        self.clients.retain(|_, c| {
            let keep = now.duration_since(c.opened) < lifetime;
            if !keep {
                c.long.end();
            }
            keep
        });
    }

    /// Ends every stream (shutdown) and forgets every node.
    pub(crate) fn close(&mut self) {
        for c in std::mem::take(&mut self.clients).into_values() {
            c.long.end();
        }
        self.nodes.clear();
    }

    /// Forgets every node (nobody watches; the next browser starts afresh).
    pub(crate) fn forget_nodes(&mut self) {
        self.nodes.clear();
    }

    /// A node's new reading: what changed goes to every browser.
    pub(crate) fn update(&mut self, name: &str, info: Value, data: Option<Data>) {
        let old = self.nodes.get(name);
        let mut events = Vec::new();
        if old.is_none_or(|o| o.info != info) {
            events.push(json!({"type": "info", "name": name, "info": info}));
        }
        let old_data = old.and_then(|o| o.data.as_ref());
        if let Some(ev) = data_event(name, old_data, data.as_ref()) {
            events.push(ev);
        }
        self.nodes.insert(name.to_owned(), Node { info, data });
        for ev in events {
            self.broadcast(ev.to_string().into());
        }
    }

    /// Forgets the nodes not in `live`, telling the browsers.
    pub(crate) fn retain(&mut self, live: &[String]) {
        let gone: Vec<String> = self
            .nodes
            .keys()
            .filter(|n| !live.contains(n))
            .cloned()
            .collect();
        for name in gone {
            self.nodes.remove(&name);
            self.broadcast(json!({"type": "gone", "name": name}).to_string().into());
        }
    }

    fn snapshot(&self) -> Event {
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|(name, n)| {
                json!({
                    "name": name,
                    "info": n.info,
                    "data": n.data.as_ref().map(|d| json!({
                        "total": d.total,
                        "set": d.entries.iter().collect::<Vec<_>>(),
                    })),
                })
            })
            .collect();
        json!({"type": "snapshot", "nodes": nodes})
            .to_string()
            .into()
    }

    fn broadcast(&mut self, event: Event) {
        self.clients
            .retain(|id, c| match c.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::debug!(
                        client = id,
                        "a monitor browser fell behind; its stream ends"
                    );
                    c.long.end();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
    }
}

/// The change from `old` to `new` data: keys set (new or changed) and keys
/// removed, or `None` when nothing changed.
fn data_event(name: &str, old: Option<&Data>, new: Option<&Data>) -> Option<Value> {
    let empty = Data::default();
    let (old_d, new_d) = match (old, new) {
        (None, None) => return None,
        (o, n) => (o.unwrap_or(&empty), n.unwrap_or(&empty)),
    };
    if old.is_some() && old == new {
        return None;
    }
    let set: Vec<(&String, &String)> = new_d
        .entries
        .iter()
        .filter(|(k, v)| old_d.entries.get(*k) != Some(*v))
        .collect();
    let del: Vec<&String> = old_d
        .entries
        .keys()
        .filter(|k| !new_d.entries.contains_key(*k))
        .collect();
    Some(json!({
        "type": "data",
        "name": name,
        "shown": new.is_some(),
        "total": new_d.total,
        "set": set,
        "del": del,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)], total: u64) -> Data {
        Data {
            total,
            entries: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn next(rx: &mut mpsc::Receiver<Event>) -> Value {
        let ev = rx.try_recv().expect("an event");
        serde_json::from_str(&ev).expect("JSON")
    }

    #[test]
    fn browsers_get_a_snapshot_then_only_differences() {
        let mut hub = Hub::default();
        hub.update(
            "r1",
            json!({"status": "online"}),
            Some(data(&[("a", "1")], 1)),
        );
        let (_, mut rx) = hub.subscribe(16, 4, LongLived::new()).unwrap();
        let snap = next(&mut rx);
        assert_eq!(snap["type"], "snapshot");
        assert_eq!(snap["nodes"][0]["name"], "r1");
        assert_eq!(snap["nodes"][0]["data"]["set"], json!([["a", "1"]]));

        // The same reading again: nothing goes out.
        hub.update(
            "r1",
            json!({"status": "online"}),
            Some(data(&[("a", "1")], 1)),
        );
        assert!(rx.try_recv().is_err());

        // A new key, a changed value, a removed key: one data event.
        hub.update(
            "r1",
            json!({"status": "online"}),
            Some(data(&[("a", "2"), ("b", "1")], 2)),
        );
        let ev = next(&mut rx);
        assert_eq!(ev["type"], "data");
        assert_eq!(ev["set"], json!([["a", "2"], ["b", "1"]]));
        assert_eq!(ev["del"], json!([]));
        assert_eq!(ev["total"], 2);
        hub.update(
            "r1",
            json!({"status": "offline"}),
            Some(data(&[("b", "1")], 1)),
        );
        let info = next(&mut rx);
        assert_eq!(info["type"], "info");
        assert_eq!(info["info"]["status"], "offline");
        let ev = next(&mut rx);
        assert_eq!(ev["set"], json!([]));
        assert_eq!(ev["del"], json!(["a"]));

        hub.retain(&[]);
        assert_eq!(next(&mut rx)["type"], "gone");
    }

    #[test]
    fn a_slow_browser_is_dropped_and_the_cap_holds() {
        let mut hub = Hub::default();
        let long = LongLived::new();
        let (_, _rx) = hub.subscribe(2, 2, long).unwrap();
        let (_, _rx2) = hub.subscribe(100, 2, LongLived::new()).unwrap();
        assert_eq!(
            hub.subscribe(1, 2, LongLived::new()).err(),
            Some(TooMany(2))
        );
        for i in 0..3 {
            hub.update("r1", json!({"n": i}), None);
        }
        // The first queue (2: snapshot + one event) overflowed.
        assert_eq!(hub.clients(), 1);
        hub.close();
        assert!(!hub.watched());
    }
}
