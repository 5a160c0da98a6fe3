//! Memory and CPU time of this process, from `/proc/self` (Linux): what
//! `/v1/metrics` reports of the node's process, and what `hearsay bench`
//! reads of its own.

/// Resident set size now and at its peak, in bytes; `None` where
/// `/proc/self/status` is not there to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rss {
    /// Resident now.
    pub now: u64,
    /// The most resident so far (`VmHWM`).
    pub peak: u64,
}

/// Reads this process's memory.
pub fn read() -> Option<Rss> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse(&status)
}

/// CPU time this process has used (user and system), in seconds; `None`
/// where `/proc/self/stat` is not there to read.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu(&stat)
}

/// Clock ticks per second of `/proc/self/stat` (USER_HZ: 100 on every
/// Linux architecture Rust supports).
const TICKS_PER_SECOND: f64 = 100.0;

fn parse_cpu(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces: fields after its closing
    // parenthesis are plain. utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

fn parse(status: &str) -> Option<Rss> {
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some(Rss {
        now: field("VmRSS:")?,
        peak: field("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_resident_set_and_its_peak() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(
            parse(status),
            Some(Rss {
                now: 1024 * 1024,
                peak: 2048 * 1024
            })
        );
        assert_eq!(parse("Name:\tx\n"), None);
    }

    #[test]
    fn reads_cpu_time_past_a_command_name_with_spaces() {
        let stat = "42 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(parse_cpu(stat), Some(3.0));
        assert_eq!(parse_cpu("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory() {
        let rss = read().unwrap();
        assert!(rss.now > 0 && rss.peak >= rss.now);
    }
}
