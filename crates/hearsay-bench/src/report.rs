//! What a bench run measured, as one JSON object or a table.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use hearsay_replica::WireStats;
use serde::Serialize;

/// Every figure of one run, with the parameters that produced it.
///
/// Field names are the JSON keys of `hearsay bench --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// `"local"` (a cluster the bench started in its own process) or
    /// `"attached"` (a running cluster, through `--frontend`/`--tracker`).
    pub mode: String,
    /// Replicas measured.
    pub replicas: usize,
    /// Local runs: whether the replicas wrote to disk before acknowledging
    /// (`--durable`); `null` attached, where the cluster decides.
    pub durable: Option<bool>,
    /// Clients of the closed loop.
    pub clients: usize,
    /// Length of each measured phase, seconds.
    pub duration_s: f64,
    /// Warm-up before each phase, seconds.
    pub warmup_s: f64,
    /// Payload bytes per update (`null` attached: the updates are ratings).
    pub payload_bytes: Option<usize>,
    /// Offered rate of the open loop, requests per second.
    pub rate: f64,
    /// `"given"` (`--rate`) or `"half of peak"` (half the closed loop's rate).
    pub rate_source: String,
    /// Updates acknowledged per second by the closed loop: the peak.
    pub updates_per_s: f64,
    /// Front-end latency in the open loop, microseconds.
    pub latency_us: Latency,
    /// Front-end latency of updates in the closed loop (at peak), microseconds.
    pub latency_us_at_peak: Percentiles,
    /// Offered rate of the light-load phase, requests per second (half
    /// updates, half queries): low enough that no queue forms, so latency
    /// is the request path's own cost. The phase runs first, on a quiet
    /// cluster, for `warmup_s` then `duration_s`.
    pub light_load_rate: f64,
    /// Front-end latency at light load, microseconds.
    pub latency_us_light_load: Latency,
    /// The floor: a bare QUIC request/response over the same two hops
    /// (client, a relay standing in for the front end, an echo server
    /// standing in for the replica), with the run's certificates, on the
    /// same runtime, at the same rate and request size, measured in the same
    /// phase as `latency_us_light_load` (alternating with it), microseconds.
    /// `null` when not measured (see `bare_quic_skipped`).
    pub bare_quic_latency_us: Option<Percentiles>,
    /// Bytes of each bare request: the encoded size of a client update of
    /// the run (the echo answers with as many).
    pub bare_quic_request_bytes: Option<usize>,
    /// Why the floor was not measured (`null` when it was).
    pub bare_quic_skipped: Option<String>,
    /// hearsay's light-load latency, updates and queries together, over the
    /// floor's, percentile by percentile (`null` without a floor). 1.5 means
    /// hearsay adds half of the transport's own cost.
    pub latency_ratio_to_bare_quic: Option<Ratio>,
    /// Light-load requests (hearsay and bare) that failed, answered busy,
    /// or were shed.
    pub light_load_errors: u64,
    /// From acknowledgement to application at every replica in the open
    /// loop, milliseconds.
    pub convergence_ms: Convergence,
    /// The same in the closed loop, at peak load.
    pub convergence_ms_at_peak: Convergence,
    /// From the first replica's application of an update (the origin's, as
    /// it accepts it) to the last one's, open loop, milliseconds: the
    /// replication lag alone. Replicas often apply an update everywhere
    /// before its acknowledgement reaches the client, which `convergence_ms`
    /// counts as zero.
    pub replication_lag_ms: Convergence,
    /// The same in the closed loop, at peak load.
    pub replication_lag_ms_at_peak: Convergence,
    /// Attached only: the gap between two polls of a replica, milliseconds.
    /// Convergence is seen through those polls, so its figures are late by
    /// up to this much (`null` locally, where every application is seen
    /// as it happens).
    pub convergence_poll_ms: Option<f64>,
    /// Mean encoded size of one update record (postcard, as logged and gossiped).
    pub encoded_update_bytes: f64,
    /// Peer frame bytes delivered per update accepted, per replica, over the
    /// whole run (warm-up and drain included): `bytes / updates / replicas`.
    pub bytes_per_update_per_replica: f64,
    /// Peer frames sent per update per replica, likewise.
    pub messages_per_update_per_replica: f64,
    /// Eager pushes of new records, from the replicas' own counters.
    pub gossip: Traffic,
    /// Anti-entropy (digests, the gossip answering them, snapshots), from the
    /// replicas' own counters.
    pub anti_entropy: Traffic,
    /// What the gossip senders put on the wire, summed over the replicas
    /// (`null` attached: the replicas report only the totals above).
    pub wire: Option<WireStats>,
    /// Updates accepted over the whole run, all replicas.
    pub updates_total: u64,
    /// Updates the replicas answered as a retry of one they had already
    /// accepted, not as a new one. The front end retries when a replica
    /// fails over; otherwise this is 0 (sessions that reused an earlier
    /// run's ids would show here).
    pub retried_updates: u64,
    /// Requests answered busy or failed, closed and open loop.
    pub errors: u64,
    /// Open-loop requests shed because too many were outstanding.
    pub shed: u64,
    /// Followed updates not applied everywhere within 2 s of the end of
    /// their phase.
    pub not_converged: u64,
    /// Records held out of order, and dropped for a full reorder buffer.
    pub records_reordered: u64,
    /// Records dropped because the reorder buffer was full.
    pub reorder_dropped: u64,
    /// Log records left at the end, all replicas (0 once drained).
    pub log_len_end: u64,
    /// How long the logs took to drain after the load stopped, milliseconds.
    pub drain_ms: u64,
    /// Peak resident memory per replica. Local: the process's peak minus
    /// its resident memory before the cluster started, over the replica
    /// count; the front end and the load generator share the process, so it
    /// is an upper bound. Attached: from the replicas' `/v1/metrics`, a
    /// process's peak over the replicas it runs, the largest such figure.
    /// `null` where memory cannot be read (not Linux).
    pub peak_rss_bytes_per_replica: Option<u64>,
    /// Peak resident memory of the process (local) or of the replicas'
    /// processes together (attached).
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory after the first warm-up and at the end (flat memory
    /// shows as these two close together), measured as `peak_rss_bytes`.
    pub rss_after_warmup_bytes: Option<u64>,
    /// Resident memory at the end, after the drain.
    pub rss_end_bytes: Option<u64>,
    /// CPU time the whole process used during the closed loop's window,
    /// per update acknowledged, microseconds: a cost figure that holds when
    /// other work shares the machine (throughput and latency do not).
    /// `null` attached: the cluster's CPU is not the bench's to read.
    pub cpu_us_per_update_at_peak: Option<f64>,
    /// CPU time the process used in the closed loop's window, over the
    /// window: how many cores the run got (`null` attached).
    pub cores_used_at_peak: Option<f64>,
}

/// Front-end latency by request kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Queries.
    pub query: Percentiles,
    /// Updates.
    pub update: Percentiles,
}

/// Percentiles of a latency, microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Requests measured.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
}

impl Percentiles {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        Self {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// One latency over another, at two percentiles.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ratio {
    /// Of the medians.
    pub p50: f64,
    /// Of the 99th percentiles.
    pub p99: f64,
}

impl Ratio {
    /// `of` over `base`; `None` when `base` measured nothing.
    pub(crate) fn of(of: &Percentiles, base: &Percentiles) -> Option<Self> {
        if base.count == 0 || base.p50 == 0 || base.p99 == 0 || of.count == 0 {
            return None;
        }
        Some(Self {
            p50: of.p50 as f64 / base.p50 as f64,
            p99: of.p99 as f64 / base.p99 as f64,
        })
    }
}

/// Convergence percentiles, milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Convergence {
    /// Updates measured.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Convergence {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        }
    }
}

/// Traffic of one kind, per update accepted, per replica.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Traffic {
    /// Encoded message bytes.
    pub bytes_per_update_per_replica: f64,
    /// Messages.
    pub messages_per_update_per_replica: f64,
}

impl BenchReport {
    /// The report as a table for people.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let mut what = match self.payload_bytes {
            Some(b) => format!("{b} B payload"),
            None => "movie ratings".to_owned(),
        };
        match self.durable {
            Some(true) => what.push_str(", durable replicas"),
            Some(false) => what.push_str(", in-memory replicas"),
            None => {}
        }
        let _ = writeln!(
            s,
            "hearsay bench ({}): {} replicas, {} clients, {:.0} s per phase (+{:.0} s warm-up), {what}",
            self.mode, self.replicas, self.clients, self.duration_s, self.warmup_s
        );
        let _ = writeln!(s);
        let cpu = match (self.cpu_us_per_update_at_peak, self.cores_used_at_peak) {
            (Some(us), Some(cores)) => format!(" ({us:.0} us of CPU each, {cores:.2} cores used)"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "closed loop   {:>10.0} updates/s acknowledged{cpu}",
            self.updates_per_s
        );
        let _ = writeln!(
            s,
            "open loop     {:>10.0} requests/s offered ({}), half updates, half queries",
            self.rate, self.rate_source
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "latency (us)             {:>8} {:>8} {:>8} {:>8} {:>8}",
            "p50", "p90", "p99", "p99.9", "max"
        );
        let none = Percentiles::default();
        for (name, p) in [
            ("query (open loop)", &self.latency_us.query),
            ("update (open loop)", &self.latency_us.update),
            ("update (at peak)", &self.latency_us_at_peak),
            ("query (light load)", &self.latency_us_light_load.query),
            ("update (light load)", &self.latency_us_light_load.update),
            (
                "bare QUIC (light load)",
                self.bare_quic_latency_us.as_ref().unwrap_or(&none),
            ),
        ] {
            let _ = writeln!(
                s,
                "  {name:<22} {:>8} {:>8} {:>8} {:>8} {:>8}",
                p.p50, p.p90, p.p99, p.p999, p.max
            );
        }
        let _ = match (&self.latency_ratio_to_bare_quic, &self.bare_quic_skipped) {
            (Some(r), _) => writeln!(
                s,
                "  ratio to bare QUIC at light load ({:.0}/s, updates and queries): p50 {:.2}, p99 {:.2}",
                self.light_load_rate, r.p50, r.p99
            ),
            (None, Some(why)) => writeln!(s, "  no bare QUIC floor: {why}"),
            (None, None) => writeln!(s, "  no bare QUIC floor: nothing measured"),
        };
        let poll = self
            .convergence_poll_ms
            .map(|ms| format!("  (seen by polling every {ms:.0} ms)"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "convergence (ms)         {:>8} {:>8} {:>8}{poll}",
            "p50", "p99", "max"
        );
        for (name, c) in [
            ("from ack, open loop", &self.convergence_ms),
            ("from ack, at peak", &self.convergence_ms_at_peak),
            ("lag, open loop", &self.replication_lag_ms),
            ("lag, at peak", &self.replication_lag_ms_at_peak),
        ] {
            let _ = writeln!(
                s,
                "  {name:<22} {:>8.2} {:>8.2} {:>8.2}",
                c.p50, c.p99, c.max
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "per update per replica   {:>10} {:>10}",
            "bytes", "messages"
        );
        let _ = writeln!(
            s,
            "  on the wire            {:>10.1} {:>10.3}",
            self.bytes_per_update_per_replica, self.messages_per_update_per_replica
        );
        let _ = writeln!(
            s,
            "  gossip (eager push)    {:>10.1} {:>10.3}",
            self.gossip.bytes_per_update_per_replica, self.gossip.messages_per_update_per_replica
        );
        let _ = writeln!(
            s,
            "  anti-entropy           {:>10.1} {:>10.3}",
            self.anti_entropy.bytes_per_update_per_replica,
            self.anti_entropy.messages_per_update_per_replica
        );
        let _ = writeln!(
            s,
            "  encoded update         {:>10.1}",
            self.encoded_update_bytes
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "updates {}  retried {}  errors {}  shed {}  not converged {}  reordered {}",
            self.updates_total,
            self.retried_updates,
            self.errors,
            self.shed,
            self.not_converged,
            self.records_reordered
        );
        let _ = writeln!(
            s,
            "log at the end {} (drained in {} ms)",
            self.log_len_end, self.drain_ms
        );
        let mib = |b: Option<u64>| match b {
            Some(b) => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
            None => "unknown".to_owned(),
        };
        let _ = writeln!(
            s,
            "memory: peak {} per replica (peak {} in all); {} after warm-up, {} at the end",
            mib(self.peak_rss_bytes_per_replica),
            mib(self.peak_rss_bytes),
            mib(self.rss_after_warmup_bytes),
            mib(self.rss_end_bytes)
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(count: u64, p50: u64, p99: u64) -> Percentiles {
        Percentiles {
            count,
            p50,
            p99,
            ..Percentiles::default()
        }
    }

    #[test]
    fn a_ratio_needs_a_measured_floor() {
        let r = Ratio::of(&p(10, 300, 900), &p(10, 200, 300)).unwrap();
        assert_eq!((r.p50, r.p99), (1.5, 3.0));
        assert_eq!(Ratio::of(&p(10, 300, 900), &p(0, 0, 0)), None);
        assert_eq!(Ratio::of(&p(0, 0, 0), &p(10, 200, 300)), None);
    }
}
