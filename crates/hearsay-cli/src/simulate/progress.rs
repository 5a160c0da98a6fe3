//! [`Progress`]: a one-line progress bar on stderr while the simulation runs.

use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Width of the bar, in characters.
const WIDTH: usize = 30;

/// Redraws one line on a terminal; elsewhere (a pipe, CI) prints a plain
/// line every tenth of the run, so logs stay readable.
pub(super) struct Progress {
    total: Duration,
    terminal: bool,
    /// The last tenth printed when not on a terminal.
    last_tenth: u64,
}

impl Progress {
    /// A bar for a run of `total`.
    pub(super) fn new(total: Duration) -> Self {
        Self {
            total,
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
        }
    }

    /// Shows `elapsed` of the run and a short status text.
    pub(super) fn show(&mut self, elapsed: Duration, status: &str) {
        let fraction = (elapsed.as_secs_f64() / self.total.as_secs_f64().max(1e-9)).min(1.0);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let done = (fraction * WIDTH as f64).round() as usize;
            let _ = write!(
                err,
                "\r[{}{}] {:>5.1}/{:.0}s  {status}\x1b[K",
                "#".repeat(done),
                "-".repeat(WIDTH - done),
                elapsed.as_secs_f64().min(self.total.as_secs_f64()),
                self.total.as_secs_f64()
            );
        } else {
            let tenth = (fraction * 10.0).floor() as u64;
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(err, "simulate: {:>3}%  {status}", tenth * 10);
            }
        }
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub(super) fn finish(&mut self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
