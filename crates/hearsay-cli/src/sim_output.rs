//! What `hearsay sim` prints: the summary line, failing seeds with their
//! reproducing commands, the JSON result, and the progress on stderr.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hearsay_sim::{SeedReport, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Failing seeds printed in full; the rest are only counted.
const SHOW_FAILING: usize = 10;

/// The one-line summary of a run.
pub(crate) fn summary_line(s: &Summary, elapsed: Duration) -> String {
    let failing = match s.failing_seeds.len() {
        0 => String::new(),
        n => format!(" in {n} seed(s)"),
    };
    format!(
        "sim: {} seeds, {} operations ({} forced: {} answered, {} refused by the app, {} unavailable), {} messages, {} violations{failing}, {:.1}s",
        s.seeds,
        s.operations,
        s.forced_operations,
        s.forced_acked,
        s.forced_refused,
        s.forced_unavailable,
        s.messages,
        s.violations,
        elapsed.as_secs_f64()
    )
}

/// Each failing seed's violations and the command reproducing it (the first
/// [`SHOW_FAILING`]; the rest are counted).
pub(crate) fn print_failures(reproduce: &dyn Fn(u64) -> String, reports: &[SeedReport]) {
    let failing: Vec<&SeedReport> = reports.iter().filter(|r| !r.is_clean()).collect();
    for r in failing.iter().take(SHOW_FAILING) {
        println!("seed {}: {} violation(s)", r.seed, r.violation_count);
        for v in &r.violations {
            println!("  {v}");
        }
        println!("  reproduce: {}", reproduce(r.seed));
    }
    if failing.len() > SHOW_FAILING {
        println!(
            "... and {} more failing seeds",
            failing.len() - SHOW_FAILING
        );
    }
}

/// The result as JSON (written by hand: the binary carries no JSON crate yet).
pub(crate) fn json(
    first_seed: u64,
    reproduce: &dyn Fn(u64) -> String,
    s: &Summary,
    reports: &[SeedReport],
    elapsed: Duration,
) -> String {
    let mut out = format!(
        "{{\"seeds\":{},\"first_seed\":{},\"operations\":{},\"messages\":{},\"violations\":{},\"elapsed_ms\":{},",
        s.seeds,
        first_seed,
        s.operations,
        s.messages,
        s.violations,
        elapsed.as_millis()
    );
    let _ = write!(
        out,
        "\"forced_operations\":{},\"forced_acked\":{},\"forced_refused\":{},\"forced_unavailable\":{},\"primary_crashes\":{},\"primary_isolations\":{},\"unchecked_histories\":{},\"failing\":[",
        s.forced_operations,
        s.forced_acked,
        s.forced_refused,
        s.forced_unavailable,
        s.primary_crashes,
        s.primary_isolations,
        s.unchecked_histories
    );
    let failing = reports.iter().filter(|r| !r.is_clean());
    for (i, r) in failing.enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(
            out,
            "{sep}{{\"seed\":{},\"trace_hash\":\"{:016x}\",\"violation_count\":{},\"reproduce\":{},\"violations\":[",
            r.seed,
            r.trace_hash,
            r.violation_count,
            quote(&reproduce(r.seed))
        );
        for (j, v) in r.violations.iter().enumerate() {
            let sep = if j == 0 { "" } else { "," };
            let _ = write!(
                out,
                "{sep}{{\"property\":{},\"at_us\":{},\"description\":{}}}",
                quote(v.property.name()),
                v.at.as_micros(),
                quote(&v.description)
            );
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The progress bar's line on a terminal.
const BAR_TEMPLATE: &str = "[{bar:30}] {pos}/{len} seeds, {msg}, {elapsed}";

/// Progress on stderr: an indicatif bar on a terminal, a line every few
/// seconds otherwise.
pub(crate) struct Progress {
    total: u64,
    /// The bar, when stderr is a terminal; `None` prints plain lines.
    bar: Option<ProgressBar>,
    started: Instant,
    /// Seeds done, violations so far, and when progress was last shown;
    /// behind a lock because every worker thread reports here.
    state: Mutex<(u64, u64, Instant)>,
}

impl Progress {
    pub(crate) fn new(total: u64) -> Self {
        let now = Instant::now();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(BAR_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("#>-"),
            );
            bar.set_message("0 violations");
            bar
        });
        Self {
            total,
            bar,
            started: now,
            state: Mutex::new((0, 0, now)),
        }
    }

    pub(crate) fn tick(&self, report: &SeedReport) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.0 += 1;
        st.1 += report.violation_count;
        if let Some(bar) = &self.bar {
            // indicatif redraws at most 20 times a second on its own.
            bar.set_position(st.0);
            bar.set_message(format!("{} violations", st.1));
            return;
        }
        if st.2.elapsed() >= Duration::from_secs(5) || st.0 == self.total {
            st.2 = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "sim: {}/{} seeds, {} violations, {secs:.1}s",
                st.0, self.total, st.1
            );
            let _ = err.flush();
        }
    }

    /// Leaves the bar drawn at its last state and ends its line (indicatif
    /// leaves the cursor after the bar), so the summary starts below it.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(quote("a \"b\"\\\n"), "\"a \\\"b\\\"\\\\\\n\"");
    }
}
