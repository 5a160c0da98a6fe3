//! What each REPL command does against the service.

use crate::cluster::{ClusterApp, ClusterQuery, ClusterReply, ClusterUpdate};
use hearsay_apps::movies::{Movie, MovieQuery, MovieReply, MovieUpdate, Rating, UserId};
use hearsay_client::{SessionClient, SessionError};
use hearsay_core::{BUSY_MESSAGE, ReplicaId, Status};
use hearsay_wire::{FrontendRequest, FrontendResponse, ReplicaEntry};
use serde_json::{Value, json};

use super::command::{Command, HELP, parse};
use super::render;

/// What one line produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// Whether the command did what was asked.
    pub ok: bool,
    /// The text for people.
    pub text: String,
    /// The same as one JSON object (for `--json`).
    pub json: Value,
    /// The user asked to leave.
    pub quit: bool,
    /// Print the text as it is even though `ok` is false (the busy line is an
    /// answer, printed exactly, not an input error).
    pub bare: bool,
}

impl Shown {
    fn ok(text: String, json: Value) -> Self {
        Self {
            ok: true,
            text,
            json,
            quit: false,
            bare: false,
        }
    }

    fn failed(command: &str, text: String) -> Self {
        let json = json!({"command": command, "ok": false, "error": text});
        Self {
            ok: false,
            text,
            json,
            quit: false,
            bare: false,
        }
    }
}

/// Why a request produced no answer.
enum Failure {
    Busy(String),
    Other(String),
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Busy(message) => Self::Busy(message),
            other => Self::Other(other.to_string()),
        }
    }
}

/// A client session with the REPL's settings.
pub struct Repl {
    /// The session through the front end; its preferred replica is the
    /// REPL's `--prefer`.
    session: SessionClient<ClusterApp>,
    user: UserId,
    /// The tracker whose view `status` adds (`--tracker`), if any.
    tracker: Option<hearsay_discovery::TrackerClient>,
}

impl Repl {
    /// A REPL for `user` over `session`.
    pub fn new(session: SessionClient<ClusterApp>, user: UserId) -> Self {
        Self {
            session,
            user,
            tracker: None,
        }
    }

    /// The same REPL, showing `tracker`'s view in `status` too.
    pub fn with_tracker(mut self, tracker: Option<hearsay_discovery::TrackerClient>) -> Self {
        self.tracker = tracker;
        self
    }

    /// The current user.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Runs one line; `None` for a blank line or a comment.
    pub async fn execute(&mut self, line: &str) -> Option<Shown> {
        let cmd = match parse(line) {
            Ok(None) => return None,
            Ok(Some(cmd)) => cmd,
            Err(e) => return Some(Shown::failed("parse", e)),
        };
        Some(self.run(cmd).await)
    }

    async fn run(&mut self, cmd: Command) -> Shown {
        match cmd {
            Command::Help => Shown::ok(
                HELP.to_owned(),
                json!({"command": "help", "ok": true, "help": HELP}),
            ),
            Command::Quit => Shown {
                quit: true,
                ..Shown::ok("bye".into(), json!({"command": "quit", "ok": true}))
            },
            Command::User(id) => {
                self.user = UserId(id);
                Shown::ok(
                    format!("now acting as user {id}"),
                    json!({"command": "user", "ok": true, "user": id}),
                )
            }
            Command::Find(title) => self.lookup("find", MovieQuery::Find { title }).await,
            Command::View(title) => {
                let user = self.user;
                self.lookup("view", MovieQuery::View { title, user }).await
            }
            Command::Average(title) => self.lookup("average", MovieQuery::Average { title }).await,
            Command::Search(text) => {
                self.lookup("search", MovieQuery::Search { text, limit: 10 })
                    .await
            }
            Command::Rate(title, rating) => self.rate(title, rating).await,
            Command::Cas(title, expected, rating) => self.cas(title, expected, rating).await,
            Command::ForcedView(title) => self.forced_view(title).await,
            Command::Delete(title) => self.delete(title).await,
            Command::Change(replica, status) => self.change(replica, status).await,
            Command::Status => self.status().await,
        }
    }

    async fn query(&mut self, query: MovieQuery) -> Result<MovieReply, Failure> {
        match self.session.query(ClusterQuery::Movie(query)).await {
            Ok(ClusterReply::Movie(reply)) => Ok(reply),
            Ok(other) => Err(Failure::Other(format!("unexpected reply {other:?}"))),
            Err(e) => Err(e.into()),
        }
    }

    async fn update(&mut self, op: MovieUpdate) -> Result<(), Failure> {
        self.session.update(ClusterUpdate::Movie(op)).await?;
        Ok(())
    }

    /// Sends an admin request to the session's front end.
    async fn admin(
        &self,
        request: FrontendRequest<ClusterApp>,
    ) -> Result<FrontendResponse<ClusterApp>, String> {
        self.session
            .client()
            .call(&request)
            .await
            .map_err(|e| e.to_string())
    }

    fn failure(command: &str, f: Failure) -> Shown {
        match f {
            Failure::Busy(message) => {
                let mut s = Shown::failed(command, message);
                s.json =
                    json!({"command": command, "ok": false, "busy": true, "error": BUSY_MESSAGE});
                s.bare = true;
                s
            }
            Failure::Other(e) => Shown::failed(command, e),
        }
    }

    async fn lookup(&mut self, command: &str, query: MovieQuery) -> Shown {
        match self.query(query).await {
            Ok(reply) => render::movie_reply(command, self.user, &reply),
            Err(f) => Self::failure(command, f),
        }
    }

    /// Resolves a title to a movie, or the "not in the catalog" line.
    async fn resolve(&mut self, command: &str, title: String) -> Result<Movie, Shown> {
        match self.query(MovieQuery::Find { title }).await {
            Ok(MovieReply::Movie(m)) => Ok(m),
            Ok(other) => Err(render::movie_reply(command, self.user, &other)),
            Err(f) => Err(Self::failure(command, f)),
        }
    }

    async fn rate(&mut self, title: String, rating: Rating) -> Shown {
        let movie = match self.resolve("rate", title).await {
            Ok(m) => m,
            Err(shown) => return shown,
        };
        let user = self.user;
        match self
            .update(MovieUpdate::Rate {
                movie: movie.id,
                user,
                rating,
            })
            .await
        {
            Ok(()) => Shown::ok(
                format!("user {} rated {movie} {rating}", user.0),
                json!({"command": "rate", "ok": true, "user": user.0, "movie": render::movie_json(&movie), "rating": rating.stars()}),
            ),
            Err(f) => Self::failure("rate", f),
        }
    }

    /// A forced compare-and-set of the user's rating.
    async fn cas(&mut self, title: String, expected: Option<Rating>, rating: Rating) -> Shown {
        let movie = match self.resolve("cas", title).await {
            Ok(m) => m,
            Err(shown) => return shown,
        };
        let user = self.user;
        let op = MovieUpdate::CompareAndRate {
            movie: movie.id,
            user,
            expected,
            rating,
        };
        let from = expected.map_or_else(|| "not rated".to_owned(), |r| r.to_string());
        let expected_json = expected.map(Rating::stars);
        match self.session.update(ClusterUpdate::Movie(op)).await {
            Ok(_) => Shown::ok(
                format!("user {} rated {movie} {rating} (was {from})", user.0),
                json!({"command": "cas", "ok": true, "forced": true, "user": user.0, "movie": render::movie_json(&movie), "expected": expected_json, "rating": rating.stars()}),
            ),
            Err(SessionError::Denied(reason)) => {
                let text = format!("cas refused: {reason}");
                let mut s = Shown::failed("cas", text);
                s.json["refused"] = json!(true);
                s
            }
            Err(SessionError::Unavailable(reason)) => {
                let mut s = Shown::failed("cas", reason);
                s.json["unavailable"] = json!(true);
                s
            }
            Err(e) => Self::failure("cas", e.into()),
        }
    }

    /// The user's rating, read through the forced order.
    async fn forced_view(&mut self, title: String) -> Shown {
        let user = self.user;
        let query = ClusterQuery::Movie(MovieQuery::View { title, user });
        match self.session.forced_query(query).await {
            Ok(ClusterReply::Movie(reply)) => {
                let mut shown = render::movie_reply("fview", user, &reply);
                shown.json["forced"] = json!(true);
                shown
            }
            Ok(other) => Shown::failed("fview", format!("unexpected reply {other:?}")),
            Err(SessionError::Unavailable(reason)) => {
                let mut s = Shown::failed("fview", reason);
                s.json["unavailable"] = json!(true);
                s
            }
            Err(e) => Self::failure("fview", e.into()),
        }
    }

    async fn delete(&mut self, title: String) -> Shown {
        let user = self.user;
        let movie = match self.query(MovieQuery::View { title, user }).await {
            Ok(MovieReply::UserRating {
                movie,
                rating: Some(_),
            }) => movie,
            Ok(MovieReply::UserRating {
                movie,
                rating: None,
            }) => {
                return Shown::failed(
                    "delete",
                    format!("user {} has not rated {movie}: nothing to delete", user.0),
                );
            }
            Ok(other) => return render::movie_reply("delete", user, &other),
            Err(f) => return Self::failure("delete", f),
        };
        match self
            .update(MovieUpdate::Delete {
                movie: movie.id,
                user,
            })
            .await
        {
            Ok(()) => Shown::ok(
                format!("deleted user {}'s rating of {movie}", user.0),
                json!({"command": "delete", "ok": true, "user": user.0, "movie": render::movie_json(&movie)}),
            ),
            Err(f) => Self::failure("delete", f),
        }
    }

    async fn replicas(&mut self) -> Result<Vec<ReplicaEntry>, Failure> {
        match self
            .admin(FrontendRequest::ListReplicas)
            .await
            .map_err(Failure::Other)?
        {
            FrontendResponse::Replicas(list) => Ok(list),
            FrontendResponse::Error { reason } => Err(Failure::Other(reason)),
            other => Err(Failure::Other(format!("unexpected response {other:?}"))),
        }
    }

    async fn change(&mut self, replica: String, status: Option<Status>) -> Shown {
        let name = match ReplicaId::new(replica.clone()) {
            Ok(n) => n,
            Err(e) => {
                return Shown::failed("change", format!("{replica:?} is not a replica name: {e}"));
            }
        };
        let status = match status {
            Some(s) => s,
            None => {
                // No status given: toggle online/offline, as the original did.
                let list = match self.replicas().await {
                    Ok(l) => l,
                    Err(f) => return Self::failure("change", f),
                };
                let current = list
                    .iter()
                    .find(|e| e.name == name)
                    .map(|e| e.report.as_ref().map_or(e.status, |r| r.status));
                match current {
                    Some(Status::Online) => Status::Offline,
                    Some(_) => Status::Online,
                    None => {
                        let names: Vec<String> = list.iter().map(|e| e.name.to_string()).collect();
                        return Shown::failed(
                            "change",
                            format!(
                                "no replica named {name}: the replicas are {}",
                                names.join(", ")
                            ),
                        );
                    }
                }
            }
        };
        let response = self
            .admin(FrontendRequest::ChangeStatus {
                replica: name.clone(),
                status,
            })
            .await;
        match response {
            Ok(FrontendResponse::Status(report)) => Shown::ok(
                format!("{} is now {}", report.name, report.status),
                json!({"command": "change", "ok": true, "replica": report.name.to_string(), "status": report.status.as_str()}),
            ),
            Ok(FrontendResponse::Error { reason }) => Shown::failed("change", reason),
            Ok(other) => Shown::failed("change", format!("unexpected response {other:?}")),
            Err(e) => Shown::failed("change", e),
        }
    }

    async fn status(&mut self) -> Shown {
        let mut shown = match self.replicas().await {
            Ok(list) => render::status(&list),
            Err(f) => Self::failure("status", f),
        };
        if let Some(t) = &self.tracker {
            let peers = super::tracker_view::fetch(t).await;
            let url = t.url().to_string();
            let (text, json) =
                super::tracker_view::render(&url, &peers, super::tracker_view::now_ms());
            shown.text = format!("{}\n\n{text}", shown.text);
            shown.json["tracker"] = json;
        }
        shown
    }
}
