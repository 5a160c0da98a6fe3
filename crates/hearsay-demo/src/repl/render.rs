//! How replies look, as text and as JSON.

use hearsay_apps::movies::{Movie, MovieReply, UserId};
use hearsay_core::VectorTimestamp;
use hearsay_wire::ReplicaEntry;
use serde_json::{Value, json};

use super::exec::Shown;

/// A movie as JSON.
pub(super) fn movie_json(m: &Movie) -> Value {
    json!({"id": m.id.0, "title": m.title, "year": m.year, "genres": m.genres})
}

fn shown(ok: bool, text: String, json: Value) -> Shown {
    Shown {
        ok,
        text,
        json,
        quit: false,
        bare: false,
    }
}

/// Renders an answer of the movies app to `command`.
pub(super) fn movie_reply(command: &str, user: UserId, reply: &MovieReply) -> Shown {
    match reply {
        MovieReply::NotFound { title, suggestions } => {
            let mut text = format!("{title:?} is not in the catalog");
            if !suggestions.is_empty() {
                text.push_str(&format!("; did you mean: {}?", suggestions.join(", ")));
            }
            shown(
                false,
                text,
                json!({"command": command, "ok": false, "error": "not in the catalog", "title": title, "suggestions": suggestions}),
            )
        }
        MovieReply::Movie(m) => {
            let genres = if m.genres.is_empty() {
                "no genres listed".to_owned()
            } else {
                m.genres.join(", ")
            };
            shown(
                true,
                format!("{m}: {genres}"),
                json!({"command": command, "ok": true, "movie": movie_json(m)}),
            )
        }
        MovieReply::UserRating { movie, rating } => {
            let text = match rating {
                Some(r) => format!("user {}'s rating of {movie}: {r}", user.0),
                None => format!("user {} has not rated {movie}", user.0),
            };
            shown(
                true,
                text,
                json!({"command": command, "ok": true, "user": user.0, "movie": movie_json(movie), "rating": rating.map(|r| r.stars())}),
            )
        }
        MovieReply::Average {
            movie,
            sum_halves,
            count,
        } => {
            let average = MovieReply::average_stars(*sum_halves, *count);
            let text = match average {
                Some(avg) => format!(
                    "{movie}: {avg:.2} average from {count} rating{}",
                    if *count == 1 { "" } else { "s" }
                ),
                None => format!("{movie}: no ratings yet"),
            };
            shown(
                true,
                text,
                json!({"command": command, "ok": true, "movie": movie_json(movie), "average": average, "count": count}),
            )
        }
        MovieReply::Matches(ms) => {
            let text = if ms.is_empty() {
                "no titles match".to_owned()
            } else {
                ms.iter()
                    .enumerate()
                    .map(|(i, m)| format!("{:>2}. {m}", i + 1))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let list: Vec<Value> = ms.iter().map(movie_json).collect();
            shown(
                true,
                text,
                json!({"command": command, "ok": true, "matches": list}),
            )
        }
    }
}

/// The replicas as a table: status, value timestamp, log length, held
/// queries, and whether each has everything any replica has received.
pub(super) fn status(list: &[ReplicaEntry]) -> Shown {
    let newest = list
        .iter()
        .filter_map(|e| e.report.as_ref())
        .fold(VectorTimestamp::new(), |acc, r| acc.merged(&r.rep_ts));
    let mut rows = vec![format!(
        "{:<8} {:<11} {:<28} {:>5} {:>5} {:>12}  {:<9}  {}",
        "replica", "status", "value timestamp", "log", "held", "oldest held", "caught up", "forced"
    )];
    let mut json_rows = Vec::new();
    for e in list {
        match &e.report {
            Some(r) => {
                let caught_up = newest.le(&r.value_ts);
                let oldest = r
                    .oldest_held_ms
                    .map_or("-".to_owned(), |ms| format!("{ms} ms"));
                rows.push(format!(
                    "{:<8} {:<11} {:<28} {:>5} {:>5} {:>12}  {:<9}  {}",
                    r.name.to_string(),
                    r.status.to_string(),
                    r.value_ts.to_string(),
                    r.log_len,
                    r.held_queries,
                    oldest,
                    if caught_up { "yes" } else { "no" },
                    forced_cell(r.forced.as_ref())
                ));
                json_rows.push(json!({
                    "replica": r.name.to_string(), "status": r.status.as_str(),
                    "value_ts": r.value_ts.iter().map(|(k, v)| (k.to_string(), v)).collect::<std::collections::BTreeMap<_, _>>(),
                    "rep_ts": r.rep_ts.iter().map(|(k, v)| (k.to_string(), v)).collect::<std::collections::BTreeMap<_, _>>(),
                    "log_len": r.log_len, "held_queries": r.held_queries,
                    "oldest_held_ms": r.oldest_held_ms, "caught_up": caught_up,
                    "forced": r.forced.as_ref().map(|f| json!({
                        "role": f.role, "voter_status": f.voter_status, "primary": f.is_primary,
                        "believes_primary": f.primary.as_ref().map(|p| p.to_string()),
                        "epoch": f.epoch, "view": f.view, "commit": f.commit, "applied": f.applied,
                    })),
                }));
            }
            None => {
                rows.push(format!(
                    "{:<8} {:<11} {:<28} {:>5} {:>5} {:>12}  {:<9}  {}",
                    e.name.to_string(),
                    "unreachable",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    "-"
                ));
                json_rows.push(json!({"replica": e.name.to_string(), "status": "unreachable"}));
            }
        }
    }
    shown(
        true,
        rows.join("\n"),
        json!({"command": "status", "ok": true, "replicas": json_rows}),
    )
}

/// The `forced` cell of a status row: the replica's part in the forced
/// order, e.g. `primary (view 2)`, `backup (view 2)`, `learner`.
fn forced_cell(f: Option<&hearsay_wire::ForcedReport>) -> String {
    let Some(f) = f else {
        return "-".to_owned();
    };
    if f.role != "voter" {
        return f.role.clone();
    }
    match f.voter_status.as_deref() {
        Some("normal") if f.is_primary => format!("primary (view {})", f.view),
        Some("normal") => format!("backup (view {})", f.view),
        Some(other) => format!("voter, {other} (view {})", f.view),
        None => "voter".to_owned(),
    }
}
