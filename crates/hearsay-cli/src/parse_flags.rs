//! Unit tests' way of parsing one subcommand's flags: the subcommand's
//! `Args` alone, from a line of words, as clap parses them in `main`.

use clap::{Args, Command, FromArgMatches};

/// `line` parsed as the flags of subcommand `name` (split at white space).
pub(crate) fn parse<A: Args + FromArgMatches>(
    name: &'static str,
    line: &str,
) -> Result<A, clap::Error> {
    let command = A::augment_args(Command::new(name));
    let matches =
        command.try_get_matches_from(std::iter::once(name).chain(line.split_whitespace()))?;
    A::from_arg_matches(&matches)
}
