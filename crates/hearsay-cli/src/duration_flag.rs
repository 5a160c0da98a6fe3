//! [`DurationFlag`]: the one syntax of every duration flag of the binary.
//!
//! A value is a [humantime] duration (`20s`, `500ms`, `2m`, `1.5s`,
//! `1m 30s`) or a plain number in the flag's historical unit: seconds for
//! `--duration`, `--warmup`, `--expiry`, `--time-limit`, ...; milliseconds
//! for the flags named so (`--max-delay-ms`, `--latency`). Scripts written
//! before the units existed keep their meaning. Each flag has its own range;
//! anything else is refused with one line saying what is accepted.

use std::time::Duration;

/// What a plain number counts, per flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// `--duration 20` is 20 s.
    Seconds,
    /// `--max-delay-ms 20` is 20 ms.
    Millis,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Self::Seconds => "seconds",
            Self::Millis => "milliseconds",
        }
    }
}

/// How one flag reads a duration: the unit of a plain number, and the range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DurationFlag {
    unit: Unit,
    /// The shortest duration accepted (but see `zero_is_off`).
    min: Duration,
    /// The longest duration accepted.
    max: Duration,
    /// Whether 0 is accepted below `min`, meaning "off" (`--claim-interval 0`).
    zero_is_off: bool,
}

impl DurationFlag {
    /// A flag whose plain numbers are seconds, from `min` to `max`.
    pub(crate) const fn seconds(min: Duration, max: Duration) -> Self {
        Self {
            unit: Unit::Seconds,
            min,
            max,
            zero_is_off: false,
        }
    }

    /// A flag whose plain numbers are milliseconds, from `min` to `max`. Its
    /// value is whole milliseconds (`1.5ms` is refused), as it always was.
    pub(crate) const fn millis(min: Duration, max: Duration) -> Self {
        Self {
            unit: Unit::Millis,
            min,
            max,
            zero_is_off: false,
        }
    }

    /// Also accepts 0 (in any unit), meaning "off".
    pub(crate) const fn or_off(self) -> Self {
        Self {
            zero_is_off: true,
            ..self
        }
    }

    /// clap's value parser for this flag.
    pub(crate) fn parser(
        self,
    ) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
        move |s: &str| self.parse(s)
    }

    /// Reads `text`, or says in one line why it is not a duration this flag
    /// takes.
    pub(crate) fn parse(&self, text: &str) -> Result<Duration, String> {
        let s = text.trim();
        let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
        let d = if plain {
            let n: f64 = s.parse().map_err(|_| self.syntax(text, "not a number"))?;
            let secs = match self.unit {
                Unit::Seconds => n,
                Unit::Millis => n / 1000.0,
            };
            Duration::try_from_secs_f64(secs).map_err(|_| self.range(text))?
        } else {
            humantime::parse_duration(s).map_err(|e| self.syntax(text, &reason(&e)))?
        };
        if d.is_zero() && self.zero_is_off {
            return Ok(d);
        }
        if d < self.min || d > self.max {
            return Err(self.range(text));
        }
        if self.unit == Unit::Millis && d.subsec_nanos() % 1_000_000 != 0 {
            return Err(format!("{text:?} is not a whole number of milliseconds"));
        }
        Ok(d)
    }

    fn syntax(&self, text: &str, why: &str) -> String {
        format!(
            "{text:?} is not a duration ({why}): write e.g. 500ms, 20s, 2m or 1m 30s, or a plain number of {}",
            self.unit.name()
        )
    }

    fn range(&self, text: &str) -> String {
        let off = if self.zero_is_off { "0 (off), or " } else { "" };
        format!(
            "{text:?} is out of range: {off}{} to {}",
            humantime::format_duration(self.min),
            humantime::format_duration(self.max)
        )
    }
}

/// humantime's reason, shortened where it lists every unit it knows (the
/// message goes on to give examples).
fn reason(e: &humantime::DurationError) -> String {
    match e {
        humantime::DurationError::UnknownUnit { unit, .. } if !unit.is_empty() => {
            format!("unknown unit {unit:?}")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECONDS: DurationFlag =
        DurationFlag::seconds(Duration::from_millis(1), Duration::from_secs(3600));
    const MILLIS: DurationFlag = DurationFlag::millis(Duration::ZERO, Duration::from_secs(60));

    #[test]
    fn humantime_and_plain_numbers_in_the_flags_unit() {
        let s = |t| SECONDS.parse(t);
        assert_eq!(s("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(s("20"), Ok(Duration::from_secs(20)));
        assert_eq!(s("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(s("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(s("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(s("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(s("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(s(" 1h "), Ok(Duration::from_secs(3600)));
        let ms = |t| MILLIS.parse(t);
        assert_eq!(ms("20"), Ok(Duration::from_millis(20)));
        assert_eq!(ms("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(ms("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(ms("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_text_and_out_of_range_values_say_what_is_accepted() {
        for bad in [
            "", "s", "ms", "-1s", "-1", "1e3", "20x", "inf", "NaN", "1..2",
        ] {
            let err = SECONDS.parse(bad).unwrap_err();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
            assert!(err.contains("plain number of seconds"), "{bad}: {err}");
        }
        for bad in ["0", "0s", "0.1ms", "2h", "3601", "99999999999999999999999"] {
            let err = SECONDS.parse(bad).unwrap_err();
            assert_eq!(
                err,
                format!("{bad:?} is out of range: 1ms to 1h"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            MILLIS.parse("1.5"),
            Err("\"1.5\" is not a whole number of milliseconds".into())
        );
        assert!(
            MILLIS
                .parse("x")
                .unwrap_err()
                .contains("plain number of milliseconds")
        );
        assert_eq!(
            SECONDS.parse("20x"),
            Err("\"20x\" is not a duration (unknown unit \"x\"): write e.g. 500ms, 20s, 2m or 1m 30s, or a plain number of seconds".into())
        );
    }

    #[test]
    fn zero_means_off_only_where_allowed() {
        let flag = SECONDS.or_off();
        for zero in ["0", "0s", "0ms", "0m"] {
            assert_eq!(flag.parse(zero), Ok(Duration::ZERO), "{zero}");
        }
        assert_eq!(
            flag.parse("2h"),
            Err("\"2h\" is out of range: 0 (off), or 1ms to 1h".into())
        );
        assert!(SECONDS.parse("0").is_err());
    }
}
