//! A rating from 0 to 5 stars, in half stars.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A rating of 0 to 5 stars in steps of a half, kept as half stars so states
/// compare exactly.
///
/// Decoding checks the range too, so a bad byte from the network never
/// becomes a rating.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl TryFrom<u8> for Rating {
    type Error = RatingError;
    fn try_from(halves: u8) -> Result<Self, Self::Error> {
        Self::from_halves(halves)
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.0
    }
}

/// Why text is not a rating.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    /// Not a number at all.
    #[error("{0:?} is not a rating: use a number from 0 to 5, such as 4 or 3.5")]
    NotANumber(String),
    /// Below 0 or above 5.
    #[error("{0} is out of range: a rating is from 0 to 5")]
    OutOfRange(String),
    /// Not a whole or half star, like 3.7.
    #[error("{0} is not a whole or half star: use steps of 0.5, such as 3.5")]
    NotAHalf(String),
}

impl Rating {
    /// The highest rating, 5 stars.
    pub const MAX_HALVES: u8 = 10;

    /// A rating of `halves` half stars (0 to 10).
    pub fn from_halves(halves: u8) -> Result<Self, RatingError> {
        if halves > Self::MAX_HALVES {
            return Err(RatingError::OutOfRange(format!(
                "{}",
                f64::from(halves) / 2.0
            )));
        }
        Ok(Self(halves))
    }

    /// Half stars, 0 to 10.
    pub fn halves(self) -> u8 {
        self.0
    }

    /// Stars, 0.0 to 5.0.
    pub fn stars(self) -> f64 {
        f64::from(self.0) / 2.0
    }
}

impl std::str::FromStr for Rating {
    type Err = RatingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let value: f64 = text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| RatingError::NotANumber(text.to_owned()))?;
        if !(0.0..=5.0).contains(&value) {
            return Err(RatingError::OutOfRange(text.to_owned()));
        }
        let halves = value * 2.0;
        if (halves - halves.round()).abs() > 1e-9 {
            return Err(RatingError::NotAHalf(text.to_owned()));
        }
        // In range 0..=10 and whole, checked above.
        Self::from_halves(halves.round() as u8)
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 2 == 0 {
            write!(f, "{}", self.0 / 2)
        } else {
            write!(f, "{}.5", self.0 / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whole_and_half_stars_only() {
        assert_eq!("4.5".parse::<Rating>().unwrap().halves(), 9);
        assert_eq!(" 0 ".parse::<Rating>().unwrap().halves(), 0);
        assert_eq!("5.0".parse::<Rating>().unwrap().to_string(), "5");
        assert!(matches!(
            "6".parse::<Rating>(),
            Err(RatingError::OutOfRange(_))
        ));
        assert!(matches!(
            "-1".parse::<Rating>(),
            Err(RatingError::OutOfRange(_))
        ));
        assert!(matches!(
            "3.7".parse::<Rating>(),
            Err(RatingError::NotAHalf(_))
        ));
        assert!(matches!(
            "five".parse::<Rating>(),
            Err(RatingError::NotANumber(_))
        ));
        assert!(matches!(
            "NaN".parse::<Rating>(),
            Err(RatingError::NotANumber(_))
        ));
        assert!(Rating::from_halves(11).is_err());
    }
}
