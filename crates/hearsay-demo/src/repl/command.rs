//! The REPL's commands and their parser: one clear line for every bad input.

use hearsay_apps::movies::Rating;
use hearsay_apps::text::edit_distance;
use hearsay_core::Status;

/// One REPL command.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `find <movie>`: year and genres.
    Find(String),
    /// `view <movie>`: the current user's rating.
    View(String),
    /// `average <movie>`: the average rating and how many rated it.
    Average(String),
    /// `rate <movie> <0-5>`: add or change the current user's rating.
    Rate(String, Rating),
    /// `delete <movie>`: remove the current user's rating.
    Delete(String),
    /// `search <text>`: titles containing the text.
    Search(String),
    /// `cas <movie> <expected|none> <0-5>`: a forced compare-and-set of the
    /// current user's rating.
    Cas(String, Option<Rating>, Rating),
    /// `fview <movie>`: the current user's rating, read through the forced
    /// order (linearizable).
    ForcedView(String),
    /// `change <replica> [status]`: set a replica's status, or toggle
    /// online/offline when no status is given.
    Change(String, Option<Status>),
    /// `status`: every replica's status, timestamp and log length.
    Status,
    /// `user <id>`: act as another user.
    User(u32),
    /// `help`.
    Help,
    /// `quit`.
    Quit,
}

/// Every command with its arguments, as `help` prints them.
pub const HELP: &str = "\
commands (titles need no quotes and ignore case):
  find <movie>                           year and genres of a movie
  view <movie>                           your rating of a movie
  average <movie>                        the average rating of a movie
  rate <movie> <0-5>                     rate a movie (halves allowed: 3.5)
  delete <movie>                         delete your rating of a movie
  search <text>                          movies whose titles contain the text
  cas <movie> <expected|none> <0-5>      forced compare-and-set: rate the movie only if your
                                         rating is <expected> now (none: not rated); totally
                                         ordered by the voters, so of two racing cas from one
                                         value exactly one wins; needs a majority of voters
  fview <movie>                          your rating, read through the forced order: it sees
                                         every cas acknowledged to anyone before it
  change <replica> [online|offline|overloaded]
                                         set a replica's status (no status: toggle online/offline)
  status                                 every replica: status, value timestamp, log length
  user <id>                              act as another user
  help                                   this list
  quit                                   leave";

const NAMES: [&str; 14] = [
    "find", "view", "average", "rate", "delete", "search", "cas", "fview", "change", "status",
    "user", "help", "quit", "exit",
];

/// Parses one line. `Ok(None)` for a blank line or a `#` comment.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    let word = word.to_lowercase();
    let need = |what: &str, usage: &str| -> Result<String, String> {
        if rest.is_empty() {
            Err(format!("{word} needs {what}: {usage}"))
        } else {
            Ok(rest.to_owned())
        }
    };
    let no_args = |cmd: Command| -> Result<Option<Command>, String> {
        if rest.is_empty() {
            Ok(Some(cmd))
        } else {
            Err(format!("{word} takes no arguments"))
        }
    };
    let cmd = match word.as_str() {
        "find" => Command::Find(need("a movie title", "find <movie>")?),
        "view" => Command::View(need("a movie title", "view <movie>")?),
        "average" | "avg" => Command::Average(need("a movie title", "average <movie>")?),
        "delete" => Command::Delete(need("a movie title", "delete <movie>")?),
        "search" => Command::Search(need("some text", "search <text>")?),
        "rate" => {
            let args = need("a movie and a rating", "rate <movie> <0-5>")?;
            let Some((title, rating)) = args.rsplit_once(char::is_whitespace) else {
                return Err(if args.parse::<f64>().is_ok() {
                    "rate needs a movie before the rating: rate <movie> <0-5>".into()
                } else {
                    "rate needs a rating after the movie: rate <movie> <0-5>".into()
                });
            };
            let rating: Rating = rating.parse().map_err(|e| format!("{e}"))?;
            Command::Rate(title.trim().to_owned(), rating)
        }
        "fview" => Command::ForcedView(need("a movie title", "fview <movie>")?),
        "cas" => {
            const USAGE: &str = "cas <movie> <expected|none> <0-5>";
            let args = need("a movie, the expected rating and the new one", USAGE)?;
            let (rest, new) = args.rsplit_once(char::is_whitespace).ok_or_else(|| {
                format!("cas needs a movie, the expected rating and the new one: {USAGE}")
            })?;
            let (title, expected) =
                rest.trim()
                    .rsplit_once(char::is_whitespace)
                    .ok_or_else(|| {
                        format!("cas needs a movie, the expected rating and the new one: {USAGE}")
                    })?;
            let expected = match expected.to_lowercase().as_str() {
                "none" | "-" => None,
                e => Some(
                    e.parse::<Rating>()
                        .map_err(|e| format!("expected rating: {e}"))?,
                ),
            };
            let new: Rating = new.parse().map_err(|e| format!("new rating: {e}"))?;
            Command::Cas(title.trim().to_owned(), expected, new)
        }
        "change" => {
            let args = need(
                "a replica name",
                "change <replica> [online|offline|overloaded]",
            )?;
            let mut parts = args.split_whitespace();
            let replica = parts.next().unwrap_or_default().to_owned();
            let status = match parts.next() {
                None => None,
                Some(s) => Some(s.parse::<Status>()?),
            };
            if parts.next().is_some() {
                return Err("change takes a replica and at most one status: change <replica> [online|offline|overloaded]".into());
            }
            Command::Change(replica, status)
        }
        "user" => {
            let id = need("a user id", "user <id>")?;
            let id = id
                .parse::<u32>()
                .map_err(|_| format!("{id:?} is not a user id: use a whole number such as 1"))?;
            Command::User(id)
        }
        "status" => return no_args(Command::Status),
        "help" | "?" => return no_args(Command::Help),
        "quit" | "exit" => return no_args(Command::Quit),
        other => {
            let hint = NAMES
                .iter()
                .map(|n| (edit_distance(other, n), *n))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| format!(" (did you mean {n}?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown command {other:?}{hint}: type help for the list"
            ));
        }
    };
    Ok(Some(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line).unwrap().unwrap()
    }

    fn err(line: &str) -> String {
        parse(line).unwrap_err()
    }

    #[test]
    fn titles_with_spaces_need_no_quotes() {
        assert_eq!(ok("view Toy Story"), Command::View("Toy Story".into()));
        assert_eq!(
            ok("  FIND   the matrix "),
            Command::Find("the matrix".into())
        );
        assert_eq!(
            ok("rate Toy Story 4.5"),
            Command::Rate("Toy Story".into(), "4.5".parse().unwrap())
        );
        assert_eq!(ok("search toy"), Command::Search("toy".into()));
    }

    #[test]
    fn change_sets_or_toggles() {
        assert_eq!(
            ok("change r1 offline"),
            Command::Change("r1".into(), Some(Status::Offline))
        );
        assert_eq!(ok("change r2"), Command::Change("r2".into(), None));
        assert!(err("change r1 sleepy").contains("online, offline or overloaded"));
        assert!(err("change r1 online now").contains("at most one status"));
    }

    #[test]
    fn every_bad_line_gets_one_clear_reason() {
        assert_eq!(
            err("rate Toy Story 7"),
            "7 is out of range: a rating is from 0 to 5"
        );
        assert!(err("rate Toy Story great").contains("not a rating"));
        assert!(err("rate 4").contains("needs a movie before the rating"));
        assert!(err("rate Toy").contains("needs a rating after the movie"));
        assert_eq!(
            err("rate"),
            "rate needs a movie and a rating: rate <movie> <0-5>"
        );
        assert_eq!(err("view"), "view needs a movie title: view <movie>");
        assert!(err("user bob").contains("not a user id"));
        assert_eq!(err("status now"), "status takes no arguments");
        assert_eq!(
            err("vew Toy Story"),
            "unknown command \"vew\" (did you mean view?): type help for the list"
        );
        assert_eq!(
            err("xyzzy"),
            "unknown command \"xyzzy\": type help for the list"
        );
    }

    #[test]
    fn cas_and_fview_parse_with_one_reason_per_bad_line() {
        assert_eq!(
            ok("cas Toy Story none 4"),
            Command::Cas("Toy Story".into(), None, "4".parse().unwrap())
        );
        assert_eq!(
            ok("cas Toy Story 3.5 4"),
            Command::Cas(
                "Toy Story".into(),
                Some("3.5".parse().unwrap()),
                "4".parse().unwrap()
            )
        );
        assert_eq!(
            ok("fview toy story"),
            Command::ForcedView("toy story".into())
        );
        assert!(err("cas Toy 4").contains("needs a movie, the expected rating and the new one"));
        assert!(err("cas Toy Story none 9").starts_with("new rating: "));
        assert!(err("cas Toy Story x 4").starts_with("expected rating: "));
        assert_eq!(err("fview"), "fview needs a movie title: fview <movie>");
    }

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        assert_eq!(parse("   ").unwrap(), None);
        assert_eq!(parse("# a comment").unwrap(), None);
        assert_eq!(ok("quit"), Command::Quit);
        assert_eq!(ok("exit"), Command::Quit);
        assert_eq!(ok("user 7"), Command::User(7));
    }
}
