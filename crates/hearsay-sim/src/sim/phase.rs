//! The two phases of a run: faults, then healing until gossip quiets.

use std::time::Duration;

use hearsay_core::{Status, Time};

use super::{Client, Sim};
use crate::workload::Workload;

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Clients run and faults happen, until clients are done or `until`.
    Faults { until: Time },
    /// Faults stopped; checking for quiescence every anti-entropy interval.
    Heal {
        started: Time,
        next_check: Time,
        deadline: Time,
    },
    /// Finished; `quiet_after` is how long the heal phase took to quiesce,
    /// `None` if it did not in time.
    Done { quiet_after: Option<Duration> },
}

impl<W: Workload> Sim<W> {
    /// Ends the fault phase, or checks the heal phase for quiescence.
    pub(super) fn phase_step(&mut self) {
        match self.phase {
            Phase::Faults { .. } => self.begin_heal(),
            Phase::Heal {
                started,
                next_check,
                deadline,
            } => {
                if self.is_quiet() {
                    let quiet_after = Some(self.now.saturating_since(started));
                    self.phase = Phase::Done { quiet_after };
                } else if self.now >= deadline {
                    self.phase = Phase::Done { quiet_after: None };
                } else {
                    self.phase = Phase::Heal {
                        started,
                        next_check: next_check + self.cfg.timing.anti_entropy,
                        deadline,
                    };
                }
            }
            Phase::Done { .. } => {}
        }
    }

    /// Ends the fault phase: faults stop, partitions heal, every replica comes
    /// back online, clients issue nothing new.
    pub(super) fn begin_heal(&mut self) {
        if !matches!(self.phase, Phase::Faults { .. }) {
            return;
        }
        self.trace.event(self.now.as_micros(), &"heal");
        self.join_late_replica();
        for i in 0..self.replicas.len() {
            self.restart(i);
        }
        self.plan.stop();
        self.net.calm();
        for i in 0..self.replicas.len() {
            self.set_status(i, Status::Online, true);
        }
        for c in &mut self.clients {
            c.stop();
        }
        self.phase = Phase::Heal {
            started: self.now,
            next_check: self.now,
            deadline: self.now + self.cfg.timing.max_heal_phase,
        };
    }

    /// Whether gossip has quiesced: no request pending anywhere (forced ones
    /// included), and every replica has applied everything it received, the
    /// same as every other, with an empty log.
    fn is_quiet(&self) -> bool {
        let Some(first) = self.replicas.first() else {
            return true;
        };
        let ts = first.replica.value_ts();
        self.clients.iter().all(Client::is_done)
            && self.frontends.iter().all(|f| f.frontend.pending_len() == 0)
            && self.replicas.iter().all(|r| {
                let r = &r.replica;
                r.value_ts() == ts
                    && r.rep_ts() == ts
                    && r.log_len() == 0
                    && r.held_len() == 0
                    && r.held_updates_len() == 0
                    && r.forced_status().is_none_or(|s| s.pending == 0)
            })
    }
}
