//! The fault schedule: partitions that split replicas and front ends for a
//! while, and replicas going offline (or overloaded) and coming back.
//!
//! The forced order's primary is a favoured target: half the crashes hit
//! the primary of the moment, and a third of the partitions cut it off
//! alone. A voter crashes only while every other voter is up and not
//! recovering: the order's log lives in memory (issue #13's core keeps it
//! there), so, as Viewstamped Replication assumes, fewer than a majority of
//! voters may lose their state at once.

use std::time::Duration;

use hearsay_core::forced::VoterStatus;
use hearsay_core::{Status, Time};
use rand::Rng;
use rand::rngs::StdRng;

use super::Sim;
use crate::config::Faults;
use crate::workload::Workload;

/// A scheduled fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FaultEvent {
    /// Split the network.
    Partition,
    /// Join it again.
    Heal,
    /// Take a replica offline or overloaded.
    StatusChange,
    /// Bring replica `i` back online.
    BackOnline(usize),
    /// Add the late replica to the cluster.
    Join,
    /// Crash a replica.
    Crash,
    /// Restart crashed replica `i` from its durable store.
    Restart(usize),
}

/// When each kind of fault happens next. One partition at a time; replicas go
/// down one at a time, at most half of them (at least one) at once.
#[derive(Debug)]
pub(super) struct FaultPlan {
    partition_every: Duration,
    partition_max: Duration,
    offline_every: Duration,
    offline_max: Duration,
    crash_every: Duration,
    crash_max: Duration,
    next_partition: Option<Time>,
    heal_at: Option<Time>,
    next_status: Option<Time>,
    /// Per replica: when it comes back online, if it is down.
    back_at: Vec<Option<Time>>,
    /// When the late replica joins, until it has.
    pub(super) join_at: Option<Time>,
    next_crash: Option<Time>,
    /// Per replica: when it restarts, if it is crashed.
    restart_at: Vec<Option<Time>>,
}

impl FaultPlan {
    pub(super) fn new(faults: &Faults, replicas: usize, rng: &mut StdRng) -> Self {
        let next_partition = faults
            .partitions
            .then(|| Time::ZERO + exponential(rng, faults.partition_every));
        let next_status = faults
            .offline
            .then(|| Time::ZERO + exponential(rng, faults.offline_every));
        let next_crash = faults
            .crashes
            .then(|| Time::ZERO + exponential(rng, faults.crash_every));
        Self {
            crash_every: faults.crash_every,
            crash_max: faults.crash_max,
            next_crash,
            restart_at: vec![None; replicas],
            partition_every: faults.partition_every,
            partition_max: faults.partition_max,
            offline_every: faults.offline_every,
            offline_max: faults.offline_max,
            next_partition,
            heal_at: None,
            next_status,
            back_at: vec![None; replicas],
            join_at: (faults.late_join && replicas >= 2)
                .then(|| Time::ZERO + length(rng, faults.join_by)),
        }
    }

    /// The earliest scheduled fault (ties: partitions, heals, status changes,
    /// then replicas coming back in index order).
    pub(super) fn next(&self) -> Option<(Time, FaultEvent)> {
        let singles = [
            (self.next_partition, FaultEvent::Partition),
            (self.heal_at, FaultEvent::Heal),
            (self.next_status, FaultEvent::StatusChange),
            (self.join_at, FaultEvent::Join),
            (self.next_crash, FaultEvent::Crash),
        ];
        let backs = self
            .back_at
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, FaultEvent::BackOnline(i)));
        let restarts = self
            .restart_at
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, FaultEvent::Restart(i)));
        singles
            .into_iter()
            .chain(backs)
            .chain(restarts)
            .filter_map(|(t, e)| t.map(|t| (t, e)))
            .fold(
                None,
                |best: Option<(Time, FaultEvent)>, (t, e)| match best {
                    Some((bt, _)) if bt <= t => best,
                    _ => Some((t, e)),
                },
            )
    }

    /// The heal phase: nothing more is scheduled (the caller joins the late
    /// replica first if it is still out).
    pub(super) fn stop(&mut self) {
        self.next_partition = None;
        self.heal_at = None;
        self.next_status = None;
        self.back_at.iter_mut().for_each(|t| *t = None);
        self.join_at = None;
        self.next_crash = None;
        self.restart_at.iter_mut().for_each(|t| *t = None);
    }

    /// Replicas that may go down now (offline, overloaded or crashed): joined
    /// ones that are up, if fewer than half (at least one) are down already.
    fn may_go_down(&self) -> Vec<usize> {
        let n = self.back_at.len();
        let is_down = |i: usize| self.back_at[i].is_some() || self.restart_at[i].is_some();
        let down = (0..n).filter(|i| is_down(*i)).count();
        if down >= (n / 2).max(1) {
            return Vec::new();
        }
        let joined = n - usize::from(self.join_at.is_some());
        (0..joined).filter(|i| !is_down(*i)).collect()
    }
}

/// A draw from the exponential distribution with this mean.
fn exponential(rng: &mut StdRng, mean: Duration) -> Duration {
    let u: f64 = rng.random();
    mean.mul_f64(-(1.0 - u).ln()).min(mean * 20)
}

/// Chance that a crash hits the primary of the moment, when it may go down.
const PRIMARY_CRASH: f64 = 0.5;
/// Chance that a partition cuts the primary of the moment off alone.
const PRIMARY_ISOLATION: f64 = 0.35;

/// A length uniform between a tenth of `max` and `max`.
fn length(rng: &mut StdRng, max: Duration) -> Duration {
    let hi = u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(10);
    Duration::from_micros(rng.random_range(hi / 10..=hi))
}

impl<W: Workload> Sim<W> {
    pub(super) fn fault(&mut self, event: FaultEvent) {
        let now = self.now;
        match event {
            FaultEvent::Partition => {
                self.plan.next_partition = None;
                let nodes = self.replicas.len() + self.frontends.len();
                let sides_n = if self.fault_rng.random_bool(0.3) {
                    3
                } else {
                    2
                };
                let primary = self.primary();
                let mut sides: Vec<u8> = match primary {
                    Some(p) if self.fault_rng.random_bool(PRIMARY_ISOLATION) => {
                        // The primary alone; front ends on either side.
                        let r = self.replicas.len();
                        (0..nodes)
                            .map(|n| match n {
                                n if n == p => 0,
                                n if n < r => 1,
                                _ => self.fault_rng.random_range(0..2),
                            })
                            .collect()
                    }
                    _ => (0..nodes)
                        .map(|_| self.fault_rng.random_range(0..sides_n))
                        .collect(),
                };
                if sides.iter().all(|s| *s == sides[0]) {
                    sides[0] = (sides[0] + 1) % sides_n;
                }
                if let Some(p) = primary {
                    let with_primary = self.voters.iter().filter(|v| sides[**v] == sides[p]);
                    if with_primary.count() * 2 <= self.voters.len() {
                        self.primary_isolations += 1;
                    }
                }
                self.trace.event(now.as_micros(), &("partition", &sides));
                self.net.partition(sides);
                self.plan.heal_at =
                    Some(now + length(&mut self.fault_rng, self.plan.partition_max));
            }
            FaultEvent::Heal => {
                self.trace.event(now.as_micros(), &"partition healed");
                self.net.heal();
                self.plan.heal_at = None;
                let gap = exponential(&mut self.fault_rng, self.plan.partition_every);
                self.plan.next_partition = Some(now + gap);
            }
            FaultEvent::StatusChange => {
                let up = self.plan.may_go_down();
                if !up.is_empty() {
                    let i = up[self.fault_rng.random_range(0..up.len())];
                    let status = if self.fault_rng.random_bool(0.7) {
                        Status::Offline
                    } else {
                        Status::Overloaded
                    };
                    let tell = self.fault_rng.random_bool(0.5);
                    self.set_status(i, status, tell);
                    self.plan.back_at[i] =
                        Some(now + length(&mut self.fault_rng, self.plan.offline_max));
                }
                let gap = exponential(&mut self.fault_rng, self.plan.offline_every);
                self.plan.next_status = Some(now + gap);
            }
            FaultEvent::Join => self.join_late_replica(),
            FaultEvent::Crash => {
                let up = self.crashable(self.plan.may_go_down());
                if !up.is_empty() {
                    let primary = self.primary().filter(|p| up.contains(p));
                    let i = match primary {
                        Some(p) if self.fault_rng.random_bool(PRIMARY_CRASH) => p,
                        _ => up[self.fault_rng.random_range(0..up.len())],
                    };
                    if primary == Some(i) {
                        self.primary_crashes += 1;
                    }
                    self.crash(i);
                    let downtime = length(&mut self.fault_rng, self.plan.crash_max);
                    self.plan.restart_at[i] = Some(now + downtime);
                }
                let gap = exponential(&mut self.fault_rng, self.plan.crash_every);
                self.plan.next_crash = Some(now + gap);
            }
            FaultEvent::Restart(i) => {
                self.plan.restart_at[i] = None;
                self.restart(i);
            }
            FaultEvent::BackOnline(i) => {
                self.plan.back_at[i] = None;
                let tell = self.fault_rng.random_bool(0.5);
                self.set_status(i, Status::Online, tell);
            }
        }
        debug_assert!(!self.net.is_partitioned() || self.plan.heal_at.is_some());
    }

    /// The replica hosting the forced order's primary now, as the voters in
    /// normal operation see it (the highest view wins).
    pub(super) fn primary(&self) -> Option<usize> {
        self.voters
            .iter()
            .filter(|v| self.replicas[**v].down.is_none())
            .filter_map(|v| {
                let s = self.replicas[*v].replica.forced_status()?;
                let normal = s.voter_status == Some(VoterStatus::Normal);
                (s.is_primary && normal).then_some((s.view, *v))
            })
            .max()
            .map(|(_, v)| v)
    }

    /// Of the replicas in `up`, those that may crash: a voter only if every
    /// other voter is up and has its state (not recovering).
    fn crashable(&self, up: Vec<usize>) -> Vec<usize> {
        let voter_out = |v: usize| {
            let r = &self.replicas[v];
            r.down.is_some()
                || r.replica.forced_status().is_some_and(|s| {
                    matches!(
                        s.voter_status,
                        Some(VoterStatus::Recovering | VoterStatus::Joining)
                    )
                })
        };
        up.into_iter()
            .filter(|i| {
                !self.voters.contains(i) || self.voters.iter().all(|v| v == i || !voter_out(*v))
            })
            .collect()
    }

    /// The last replica, so far offline and outside everyone's membership,
    /// joins: every replica and front end learns of it, and it comes online.
    pub(super) fn join_late_replica(&mut self) {
        if self.plan.join_at.take().is_none() {
            return;
        }
        let Some(late) = self.replicas.len().checked_sub(1) else {
            return;
        };
        self.trace.event(self.now.as_micros(), &("join", late));
        let name = self.names[late].clone();
        for r in &mut self.replicas[..late] {
            r.replica.add_member(name.clone());
        }
        for f in &mut self.frontends {
            f.frontend.add_replica(name.clone());
        }
        self.plan.back_at[late] = None;
        self.set_status(late, Status::Online, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn nothing_is_scheduled_without_faults_or_after_stop() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(FaultPlan::new(&Faults::none(), 3, &mut rng).next(), None);
        let mut plan = FaultPlan::new(&Faults::default(), 3, &mut rng);
        assert!(plan.next().is_some());
        plan.stop();
        assert_eq!(plan.next(), None);
    }

    #[test]
    fn the_earliest_fault_comes_first() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut plan = FaultPlan::new(&Faults::none(), 3, &mut rng);
        plan.back_at[2] = Some(Time::from_micros(5));
        plan.heal_at = Some(Time::from_micros(5));
        plan.back_at[1] = Some(Time::from_micros(9));
        assert_eq!(plan.next(), Some((Time::from_micros(5), FaultEvent::Heal)));
    }

    #[test]
    fn draws_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(3);
        let max = Duration::from_millis(100);
        for _ in 0..1000 {
            let l = length(&mut rng, max);
            assert!(l >= max / 10 && l <= max);
            assert!(exponential(&mut rng, max) <= max * 20);
        }
    }
}
