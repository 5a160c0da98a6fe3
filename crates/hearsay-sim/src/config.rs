//! What one simulated run looks like: the cluster, the workload, the timers
//! and the faults.

use std::time::Duration;

use hearsay_core::forced::ForcedBugs;
use hearsay_core::{ForcedConfig, FrontEndConfig, ReplicaConfig, ReplicaId};

/// The shape of one simulated run; the seed is given separately.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Replica managers (at least 1).
    pub replicas: usize,
    /// Front ends (at least 1); client `i` talks through front end `i % frontends`.
    pub frontends: usize,
    /// Client sessions, each issuing one request at a time.
    pub clients: usize,
    /// Requests each client issues during the fault phase.
    pub ops_per_client: usize,
    /// Timers of the replicas, front ends and clients.
    pub timing: Timing,
    /// What goes wrong during the fault phase.
    pub faults: Faults,
    /// Deliberate replica bugs, to show the checkers catch them (only with
    /// the `inject-bugs` feature; see [`SimConfig::inject_bug`]).
    #[cfg(feature = "inject-bugs")]
    pub bugs: hearsay_core::InjectedBugs,
    /// Voters of the forced order: the first this many replicas (the others
    /// are learners). Capped at the replicas that start as members (a late
    /// joiner is never a voter). 0: the cluster has no forced order, and the
    /// workload should issue no forced operations
    /// ([`crate::KvWorkload::causal_only`]).
    pub voters: usize,
    /// Deliberate bugs of the forced order, to show the checkers catch them
    /// (set through [`SimConfig::inject_bug`]).
    pub forced_bugs: ForcedBugs,
    /// Draw the replicas' gossip settings from the seed: eager or batched
    /// pushes, a relay ring instead of a full mesh, anti-entropy fanout, and
    /// tiny gossip messages. Off, every seed uses [`ReplicaConfig`]'s defaults
    /// with this config's timers.
    pub vary_gossip: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            replicas: 5,
            frontends: 2,
            clients: 8,
            ops_per_client: 30,
            timing: Timing::default(),
            faults: Faults::default(),
            #[cfg(feature = "inject-bugs")]
            bugs: hearsay_core::InjectedBugs::default(),
            voters: 3,
            forced_bugs: ForcedBugs::default(),
            vary_gossip: true,
        }
    }
}

/// Timers, in virtual time. Shorter than a real deployment's (the spec's 2 s
/// hold, 100 ms anti-entropy) so that a run covers many timeouts in little
/// virtual time; their ratios are what matter and are kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Replica anti-entropy interval.
    pub anti_entropy: Duration,
    /// How long a replica holds a query before "not yet".
    pub hold_timeout: Duration,
    /// How long a front end waits for one replica before trying the next.
    pub attempt_timeout: Duration,
    /// How long a front end tries in all before answering "busy".
    pub request_budget: Duration,
    /// How long replicas remember applied update ids at least. Must exceed
    /// the last moment a second copy of an update can reach a replica: the
    /// request budget (the last retry), plus the longest delay (it arrives),
    /// plus the hold timeout (it waits for its causal past and is then
    /// accepted), plus the longest delay again (its record is gossiped).
    /// Shorter, and a late copy is applied as new.
    pub dedup_retention: Duration,
    /// The forced order's primary heartbeat when idle.
    pub forced_heartbeat: Duration,
    /// Primary silence after which a voter starts a view change.
    pub view_change_timeout: Duration,
    /// How long a replica tries to get a forced request committed before
    /// "unavailable: no quorum"; below `request_budget`, so that clients
    /// hear the reason.
    pub forced_budget: Duration,
    /// Longest pause of a client between two requests (uniform from zero).
    pub think_max: Duration,
    /// Longest the fault phase may last, even if clients are not done.
    pub max_fault_phase: Duration,
    /// Longest the heal phase may take to quiesce before it counts as a
    /// convergence failure.
    pub max_heal_phase: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            anti_entropy: Duration::from_millis(50),
            hold_timeout: Duration::from_millis(200),
            attempt_timeout: Duration::from_millis(250),
            request_budget: Duration::from_millis(800),
            dedup_retention: Duration::from_millis(1500),
            forced_heartbeat: Duration::from_millis(50),
            view_change_timeout: Duration::from_millis(250),
            forced_budget: Duration::from_millis(600),
            think_max: Duration::from_millis(40),
            max_fault_phase: Duration::from_secs(60),
            max_heal_phase: Duration::from_secs(20),
        }
    }
}

/// Seeded faults of the fault phase. Everything here stops in the heal phase.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Shortest one-way message delay.
    pub delay_min: Duration,
    /// Longest ordinary one-way delay; delays are uniform in between, which
    /// reorders messages.
    pub delay_max: Duration,
    /// Chance that a message is slow: delayed up to `slow_max` instead, which
    /// reorders it far behind later traffic.
    pub slow: f64,
    /// Longest delay of a slow message.
    pub slow_max: Duration,
    /// Chance that any message is lost.
    pub loss: f64,
    /// Extra chance that a replica's reply to a front end is lost, so that the
    /// front end retries an update the replica already accepted.
    pub reply_loss: f64,
    /// Chance that a message is delivered twice.
    pub duplicate: f64,
    /// Whether the network partitions now and then.
    pub partitions: bool,
    /// Mean time between two partitions (exponential).
    pub partition_every: Duration,
    /// Longest a partition lasts (uniform from a tenth of it).
    pub partition_max: Duration,
    /// Whether replicas go offline (or overloaded) and come back.
    pub offline: bool,
    /// Mean time between two status changes (exponential).
    pub offline_every: Duration,
    /// Longest a replica stays offline or overloaded. Outages longer than
    /// `Timing::dedup_retention` matter: they strand records in logs while
    /// update ids retire (the sweep found a double application that way).
    pub offline_max: Duration,
    /// Whether replicas crash (losing everything in memory) and restart from
    /// what a durable shell wrote: the core's journal, committed before any
    /// output left.
    pub crashes: bool,
    /// Mean time between two crashes (exponential).
    pub crash_every: Duration,
    /// Longest a crashed replica stays down.
    pub crash_max: Duration,
    /// Whether the last replica joins late: it starts outside the membership,
    /// so the others discard records without it, and it must catch up by
    /// state transfer once added (needs at least two replicas).
    pub late_join: bool,
    /// Latest time of the join (uniform from zero); the heal phase joins it
    /// if the fault phase ended first.
    pub join_by: Duration,
    /// Chance that a client session has a forged or orphaned causal
    /// context: every update it sends names records that will never exist,
    /// either of a replica that is no member (forged) or far beyond what a
    /// member will ever write (orphaned, as when the replica that served the
    /// session died for good, disk included). Replicas must refuse those
    /// updates or let them time out, and every other session's updates must
    /// keep applying and every log drain (issue #16, item 1).
    pub forged_sessions: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            delay_min: Duration::from_millis(1),
            delay_max: Duration::from_millis(20),
            slow: 0.02,
            slow_max: Duration::from_millis(200),
            loss: 0.05,
            reply_loss: 0.05,
            duplicate: 0.03,
            partitions: true,
            partition_every: Duration::from_millis(700),
            partition_max: Duration::from_millis(1000),
            offline: true,
            offline_every: Duration::from_millis(500),
            offline_max: Duration::from_millis(2000),
            crashes: true,
            crash_every: Duration::from_millis(1000),
            crash_max: Duration::from_millis(1000),
            late_join: true,
            join_by: Duration::from_millis(2000),
            forged_sessions: 0.15,
        }
    }
}

impl Faults {
    /// No faults at all: a reliable network with a fixed 1–20 ms delay.
    pub fn none() -> Self {
        Self {
            slow: 0.0,
            loss: 0.0,
            reply_loss: 0.0,
            duplicate: 0.0,
            partitions: false,
            offline: false,
            crashes: false,
            late_join: false,
            forged_sessions: 0.0,
            ..Self::default()
        }
    }
}

/// Why a [`SimConfig`] cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl SimConfig {
    /// Largest cluster the simulator accepts (replica and front-end counts).
    pub const MAX_NODES: usize = 64;

    /// Checks that the configuration makes sense, with a message naming the
    /// first thing that does not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError(m));
        if !(1..=Self::MAX_NODES).contains(&self.replicas) {
            return err(format!(
                "replicas must be between 1 and {}, not {}",
                Self::MAX_NODES,
                self.replicas
            ));
        }
        if !(1..=Self::MAX_NODES).contains(&self.frontends) {
            return err(format!(
                "front ends must be between 1 and {}, not {}",
                Self::MAX_NODES,
                self.frontends
            ));
        }
        if self.clients > 10_000 {
            return err(format!(
                "clients must be at most 10000, not {}",
                self.clients
            ));
        }
        let f = &self.faults;
        for (name, p) in [
            ("loss", f.loss),
            ("reply loss", f.reply_loss),
            ("duplication", f.duplicate),
            ("slow-message chance", f.slow),
            ("forged-session chance", f.forged_sessions),
        ] {
            if !(0.0..1.0).contains(&p) {
                return err(format!("{name} must be at least 0 and below 1, not {p}"));
            }
        }
        if f.delay_min > f.delay_max {
            return err(format!(
                "the shortest delay ({:?}) is longer than the longest ({:?})",
                f.delay_min, f.delay_max
            ));
        }
        if f.partitions && (f.partition_every.is_zero() || f.partition_max.is_zero()) {
            return err("partition interval and length must be above zero".into());
        }
        if f.offline && (f.offline_every.is_zero() || f.offline_max.is_zero()) {
            return err("offline interval and length must be above zero".into());
        }
        if f.crashes && (f.crash_every.is_zero() || f.crash_max.is_zero()) {
            return err("crash interval and downtime must be above zero".into());
        }
        let t = &self.timing;
        if t.anti_entropy.is_zero() || t.attempt_timeout.is_zero() {
            return err("the anti-entropy interval and attempt timeout must be above zero".into());
        }
        if self.voters > Self::MAX_NODES {
            return err(format!(
                "voters must be at most {}, not {}",
                Self::MAX_NODES,
                self.voters
            ));
        }
        if self.voters > 0
            && (t.forced_heartbeat.is_zero()
                || t.view_change_timeout <= t.forced_heartbeat
                || t.forced_budget.is_zero())
        {
            return err(format!(
                "the forced order needs a heartbeat above zero ({:?}), a view-change timeout above it ({:?}) and a budget above zero ({:?})",
                t.forced_heartbeat, t.view_change_timeout, t.forced_budget
            ));
        }
        if self.forced_bugs != ForcedBugs::default() && self.voters == 0 {
            return err(
                "a forced-order bug needs a forced order: voters must be at least 1".into(),
            );
        }
        let longest_delay = f.delay_max.max(f.slow_max);
        let last_copy = t.request_budget + t.hold_timeout + 2 * longest_delay;
        if t.dedup_retention <= last_copy {
            return err(format!(
                "dedup retention ({:?}) must exceed the request budget plus the hold timeout plus twice the longest delay ({last_copy:?}): a retry held for its causal past is accepted that late",
                t.dedup_retention,
            ));
        }
        Ok(())
    }

    /// The voters of a run: the first [`SimConfig::voters`] replicas, at
    /// most the `members` that start in the cluster.
    pub fn voter_names(&self, members: &[ReplicaId]) -> Vec<ReplicaId> {
        members.iter().take(self.voters).cloned().collect()
    }

    /// The configuration every simulated replica gets; `voters` from
    /// [`SimConfig::voter_names`] (none: no forced order), `seed` for the
    /// voters' only randomness.
    pub fn replica_config(&self, voters: Vec<ReplicaId>, seed: u64) -> ReplicaConfig {
        let forced = (!voters.is_empty()).then(|| ForcedConfig {
            heartbeat: self.timing.forced_heartbeat,
            view_change_timeout: self.timing.view_change_timeout,
            request_budget: self.timing.forced_budget,
            forward_retry: self.timing.attempt_timeout / 2,
            seed,
            bugs: self.forced_bugs,
            ..ForcedConfig::new(voters)
        });
        ReplicaConfig {
            hold_timeout: self.timing.hold_timeout,
            anti_entropy_interval: self.timing.anti_entropy,
            dedup_retention: self.timing.dedup_retention,
            emit_applied: true,
            journal: true,
            #[cfg(feature = "inject-bugs")]
            bugs: self.bugs,
            forced,
            ..ReplicaConfig::default()
        }
    }

    /// The configuration every simulated front end gets.
    pub fn frontend_config(&self) -> FrontEndConfig {
        FrontEndConfig {
            attempt_timeout: self.timing.attempt_timeout,
            request_budget: self.timing.request_budget,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = SimConfig {
            replicas: 0,
            ..SimConfig::default()
        };
        assert!(c.validate().unwrap_err().0.contains("replicas"));
        c.replicas = 3;
        c.faults.loss = 1.0;
        assert!(c.validate().unwrap_err().0.contains("loss"));
        c.faults.loss = 0.1;
        c.timing.dedup_retention = c.timing.request_budget;
        assert!(c.validate().unwrap_err().0.contains("dedup retention"));
    }
}
