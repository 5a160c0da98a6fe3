//! [`Availability`]: how the front end learns that a replica it stopped
//! routing to can serve again, and which routing changes reach its activity
//! log.
//!
//! Routing itself ([`hearsay_core::FrontEnd`]) learns a replica's status
//! only from the answers to client requests: a failed request marks the
//! replica offline, and an offline replica is tried last, so on its own it
//! would never be asked again while the others answer. This state machine
//! closes that loop. Every replica routing does not have online is probed
//! (asked for its status report) every `probe_every`, one probe at a time;
//! the report — the replica's own word — sets the routing status, and a probe
//! that fails keeps it offline. The tracker's peer list is a hint: when it
//! disagrees with routing, the replica is probed at once (the tracker's view
//! lags by up to a heartbeat and a poll, so it never sets the status itself).
//!
//! It also keeps the activity log readable: one `status_changed` entry per
//! change, but at most one per replica every `log_every`; changes in between
//! are summed up in the next entry, so a replica that flaps between online
//! and overloaded under load cannot crowd the log out.
//!
//! No clock is read here: time comes in as `now`, so it is tested without
//! waiting.

use std::collections::BTreeMap;
use std::time::Duration;

use hearsay_core::{ReplicaId, Status, Time};

/// Tunables of [`Availability`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AvailabilityConfig {
    /// How often a replica routing does not have online is asked for its
    /// status.
    pub(crate) probe_every: Duration,
    /// The shortest time between two `status_changed` entries of one replica.
    pub(crate) log_every: Duration,
}

/// What the front end knows of one replica beyond routing's view.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Watch {
    /// Routing's status of it, as last told (mirrors the core's view).
    routing: Status,
    /// When to probe it next; `None` while routing has it online and nothing
    /// says otherwise.
    next_probe: Option<Time>,
    /// A probe is under way; at most one per replica, so a dead replica
    /// costs one pending call, not a pile of them.
    probing: bool,
    /// What the tracker's peer list last said, so that only a change of it
    /// triggers a probe (the list is fetched every second).
    tracker: Option<Status>,
    /// The status the activity log last recorded.
    logged: Status,
    /// When that entry was written; the next may come `log_every` later.
    logged_at: Option<Time>,
    /// Changes held back by `log_every`: how many, and the latest's cause.
    held: Option<(u32, String)>,
}

impl Watch {
    fn new(status: Status) -> Self {
        Self {
            routing: status,
            next_probe: None,
            probing: false,
            tracker: None,
            logged: status,
            logged_at: None,
            held: None,
        }
    }

    /// Writes the entry for the changes held back, if any.
    fn flush(&mut self, id: &ReplicaId, now: Time) -> Option<String> {
        let (n, cause) = self.held.take()?;
        let detail = if self.routing == self.logged {
            format!(
                "{id}: {} again after {n} brief change{} (latest: {cause})",
                self.routing.as_str(),
                if n == 1 { "" } else { "s" }
            )
        } else if n == 1 {
            format!(
                "{id}: {} -> {} ({cause})",
                self.logged.as_str(),
                self.routing.as_str()
            )
        } else {
            format!(
                "{id}: {} -> {} ({cause}; {n} changes in {} ms)",
                self.logged.as_str(),
                self.routing.as_str(),
                self.logged_at
                    .map_or(0, |t| now.saturating_since(t).as_millis())
            )
        };
        self.logged = self.routing;
        self.logged_at = Some(now);
        Some(detail)
    }
}

/// Probing and logging of every replica routing knows; see the module doc.
#[derive(Debug)]
pub(crate) struct Availability {
    config: AvailabilityConfig,
    replicas: BTreeMap<ReplicaId, Watch>,
}

impl Availability {
    /// Nothing watched yet.
    pub(crate) fn new(config: AvailabilityConfig) -> Self {
        Self {
            config,
            replicas: BTreeMap::new(),
        }
    }

    /// Starts watching `id`, which routing has as `status` (kept as it is
    /// if already watched).
    pub(crate) fn add(&mut self, now: Time, id: ReplicaId, status: Status) {
        let probe_every = self.config.probe_every;
        self.replicas.entry(id).or_insert_with(|| {
            let mut w = Watch::new(status);
            if status != Status::Online {
                w.next_probe = Some(now + probe_every);
            }
            w
        });
    }

    /// Stops watching `id` (a late probe answer for it is then ignored).
    pub(crate) fn remove(&mut self, id: &ReplicaId) {
        self.replicas.remove(id);
    }

    /// Routing now has `id` as `status` because of `cause`. Schedules or
    /// stops its probes, and returns the activity entry to write now, if
    /// any (held back while the last one is younger than `log_every`).
    pub(crate) fn routed(
        &mut self,
        now: Time,
        id: &ReplicaId,
        status: Status,
        cause: &str,
    ) -> Option<String> {
        let config = self.config;
        let w = self.replicas.get_mut(id)?;
        if w.routing == status {
            return None;
        }
        w.routing = status;
        if status == Status::Online {
            w.next_probe = None;
        } else if w.next_probe.is_none() {
            w.next_probe = Some(now + config.probe_every);
        }
        let held = w.held.as_ref().map_or(0, |(n, _)| *n);
        w.held = Some((held + 1, cause.to_owned()));
        // Logged at once unless the last entry is too recent; then held
        // back, and summed up by `due_entries`.
        let may_log = w.logged_at.is_none_or(|t| now >= t + config.log_every);
        if !may_log {
            return None;
        }
        w.flush(id, now)
    }

    /// The tracker's peer list says `id` reported `status`. When that is
    /// news and routing disagrees, `id` is probed at once.
    pub(crate) fn tracker(&mut self, now: Time, id: &ReplicaId, status: Status) {
        let Some(w) = self.replicas.get_mut(id) else {
            return;
        };
        if w.tracker == Some(status) {
            return;
        }
        w.tracker = Some(status);
        if status != w.routing {
            w.next_probe = Some(w.next_probe.map_or(now, |t| t.min(now)));
        }
    }

    /// The replicas to probe now; each is marked as being probed until
    /// [`probed`](Self::probed).
    pub(crate) fn due_probes(&mut self, now: Time) -> Vec<ReplicaId> {
        let mut due = Vec::new();
        for (id, w) in &mut self.replicas {
            if !w.probing && w.next_probe.is_some_and(|t| t <= now) {
                w.probing = true;
                w.next_probe = None;
                due.push(id.clone());
            }
        }
        due
    }

    /// A probe of `id` ended (its result already given to routing and to
    /// [`routed`](Self::routed)); the next is due `probe_every` from now
    /// unless routing has it online.
    pub(crate) fn probed(&mut self, now: Time, id: &ReplicaId) {
        let probe_every = self.config.probe_every;
        if let Some(w) = self.replicas.get_mut(id) {
            w.probing = false;
            if w.routing != Status::Online {
                w.next_probe = Some(w.next_probe.unwrap_or(now + probe_every));
            }
        }
    }

    /// Entries held back whose time has come, with their replica.
    pub(crate) fn due_entries(&mut self, now: Time) -> Vec<(ReplicaId, String)> {
        let log_every = self.config.log_every;
        let mut out = Vec::new();
        for (id, w) in &mut self.replicas {
            let due = w.held.is_some() && w.logged_at.is_none_or(|t| now >= t + log_every);
            if due && let Some(detail) = w.flush(id, now) {
                out.push((id.clone(), detail));
            }
        }
        out
    }

    /// The next time [`due_probes`](Self::due_probes) or
    /// [`due_entries`](Self::due_entries) has work.
    pub(crate) fn poll_timeout(&self) -> Option<Time> {
        let log_every = self.config.log_every;
        self.replicas
            .values()
            .flat_map(|w| {
                let probe = w.next_probe.filter(|_| !w.probing);
                let entry = match (&w.held, w.logged_at) {
                    (Some(_), Some(t)) => Some(t + log_every),
                    _ => None,
                };
                [probe, entry]
            })
            .flatten()
            .min()
    }
}

#[cfg(test)]
#[path = "availability_test.rs"]
mod tests;
