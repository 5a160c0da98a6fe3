//! [`Counter`]: one field of the wire's [`Counters`], by name, so that code
//! can count, sum and print them without spelling out every field each time.

use hearsay_wire::node::Counters;

/// One counter of [`Counters`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Counter {
    /// [`Counters::tracker_calls`].
    TrackerCalls,
    /// [`Counters::tracker_failures`].
    TrackerFailures,
    /// [`Counters::gossip_messages`].
    GossipMessages,
    /// [`Counters::gossip_bytes`].
    GossipBytes,
    /// [`Counters::updates_applied`].
    UpdatesApplied,
    /// [`Counters::client_requests`].
    ClientRequests,
    /// [`Counters::status_changes`].
    StatusChanges,
}

impl Counter {
    /// Every counter, in the order of [`Counters`]' fields.
    pub const ALL: [Counter; 7] = [
        Self::TrackerCalls,
        Self::TrackerFailures,
        Self::GossipMessages,
        Self::GossipBytes,
        Self::UpdatesApplied,
        Self::ClientRequests,
        Self::StatusChanges,
    ];

    /// The field's name in JSON (and, with `hearsay_` and `_total`, in
    /// Prometheus).
    pub fn name(self) -> &'static str {
        match self {
            Self::TrackerCalls => "tracker_calls",
            Self::TrackerFailures => "tracker_failures",
            Self::GossipMessages => "gossip_messages",
            Self::GossipBytes => "gossip_bytes",
            Self::UpdatesApplied => "updates_applied",
            Self::ClientRequests => "client_requests",
            Self::StatusChanges => "status_changes",
        }
    }

    /// One line for people (Prometheus `# HELP`).
    pub fn help(self) -> &'static str {
        match self {
            Self::TrackerCalls => "Calls this node made to the tracker",
            Self::TrackerFailures => "Calls to the tracker that failed",
            Self::GossipMessages => "Gossip messages delivered to peers",
            Self::GossipBytes => "Bytes of gossip delivered to peers",
            Self::UpdatesApplied => "Updates applied to the state",
            Self::ClientRequests => "Client requests handled",
            Self::StatusChanges => "Status changes",
        }
    }

    /// The field in `c`.
    pub fn field(self, c: &mut Counters) -> &mut u64 {
        match self {
            Self::TrackerCalls => &mut c.tracker_calls,
            Self::TrackerFailures => &mut c.tracker_failures,
            Self::GossipMessages => &mut c.gossip_messages,
            Self::GossipBytes => &mut c.gossip_bytes,
            Self::UpdatesApplied => &mut c.updates_applied,
            Self::ClientRequests => &mut c.client_requests,
            Self::StatusChanges => &mut c.status_changes,
        }
    }

    /// The field's value in `c`.
    pub fn get(self, c: &Counters) -> u64 {
        let mut copy = *c;
        *self.field(&mut copy)
    }

    /// Adds `n` to the field in `c` (saturating).
    pub fn add(self, c: &mut Counters, n: u64) {
        let f = self.field(c);
        *f = f.saturating_add(n);
    }
}

/// Adds every counter of `from` into `into`.
pub fn add_all(into: &mut Counters, from: &Counters) {
    for c in Counter::ALL {
        c.add(into, c.get(from));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_names_its_own_json_field() {
        // Setting each counter to a distinct value must show up under its name.
        let mut c = Counters::default();
        for (i, k) in Counter::ALL.iter().enumerate() {
            k.add(&mut c, i as u64 + 1);
        }
        let json = serde_json::to_value(c).unwrap();
        let fields = json.as_object().unwrap();
        assert_eq!(
            fields.len(),
            Counter::ALL.len(),
            "a Counters field has no Counter"
        );
        for (i, k) in Counter::ALL.iter().enumerate() {
            assert_eq!(json[k.name()], i as u64 + 1, "{}", k.name());
        }
    }

    #[test]
    fn add_all_sums_fieldwise() {
        let mut a = Counters::default();
        let mut b = Counters::default();
        Counter::TrackerCalls.add(&mut a, 2);
        Counter::TrackerCalls.add(&mut b, 3);
        Counter::GossipBytes.add(&mut b, 7);
        add_all(&mut a, &b);
        assert_eq!(a.tracker_calls, 5);
        assert_eq!(a.gossip_bytes, 7);
    }
}
