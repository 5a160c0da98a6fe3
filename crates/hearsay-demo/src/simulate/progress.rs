//! [`Progress`]: a one-line progress bar on stderr while the simulation runs.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The bar's line: 30 characters of bar, seconds done of the total, status.
const TEMPLATE: &str = "[{bar:30}] {secs}  {msg}";

/// An indicatif bar on a terminal; elsewhere (a pipe, CI) a plain line every
/// tenth of the run, so logs stay readable.
pub(super) struct Progress {
    total: Duration,
    /// The bar, when stderr is a terminal; `None` prints plain lines.
    bar: Option<ProgressBar>,
    /// The last tenth printed when not on a terminal.
    last_tenth: u64,
}

impl Progress {
    /// A bar for a run of `total`.
    pub(super) fn new(total: Duration) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(millis(total)), ProgressDrawTarget::stderr());
            bar.set_style(style());
            bar
        });
        Self {
            total,
            bar,
            last_tenth: 0,
        }
    }

    /// Shows `elapsed` of the run and a short status text.
    pub(super) fn show(&mut self, elapsed: Duration, status: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(millis(elapsed.min(self.total)));
            bar.set_message(status.to_owned());
            return;
        }
        let fraction = (elapsed.as_secs_f64() / self.total.as_secs_f64().max(1e-9)).min(1.0);
        let tenth = (fraction * 10.0).floor() as u64;
        if tenth > self.last_tenth {
            self.last_tenth = tenth;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "simulate: {:>3}%  {status}", tenth * 10);
            let _ = err.flush();
        }
    }

    /// Leaves the bar drawn at its last state and ends its line (indicatif
    /// leaves the cursor after the bar), so what follows starts below it.
    pub(super) fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish();
            eprintln!();
        }
    }
}

/// The bar's style: its position and length are milliseconds, shown as
/// seconds (`  4.2/20s`).
fn style() -> ProgressStyle {
    ProgressStyle::with_template(TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#>-")
        .with_key(
            "secs",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let secs = |ms: u64| ms as f64 / 1000.0;
                let _ = write!(
                    w,
                    "{:>5.1}/{:.0}s",
                    secs(state.pos()),
                    secs(state.len().unwrap_or(0))
                );
            },
        )
}

/// A duration as whole milliseconds, the bar's unit.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }
}
