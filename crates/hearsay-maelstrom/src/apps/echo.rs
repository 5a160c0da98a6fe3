//! The `echo` workload: no state, nothing to replicate.

use hearsay_core::{App, ApplyContext};
use serde::{Deserialize, Serialize};

use crate::codes::RequestError;
use crate::envelope::{Body, body};
use crate::service::{MaelstromApp, Step, unknown_type, with};

/// The echo workload's "state": there is none, every request is answered at
/// once with its own `echo` field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echo;

impl App for Echo {
    type Update = ();
    type Query = ();
    type Reply = ();

    fn apply(&mut self, _update: &(), _ctx: &ApplyContext<'_>) {}

    fn query(&self, _query: &()) {}
}

impl MaelstromApp for Echo {
    type Then = ();

    fn request(kind: &str, b: &Body) -> Result<Step<Self>, RequestError> {
        match kind {
            "echo" => {
                let echo = b
                    .get("echo")
                    .cloned()
                    .ok_or_else(|| RequestError::malformed("the request has no `echo`"))?;
                Ok(Step::Reply(with(body("echo_ok"), "echo", echo)))
            }
            other => Err(unknown_type(other, "echo")),
        }
    }

    fn answered(_then: (), _reply: ()) -> Step<Self> {
        Step::Reply(body("echo_ok"))
    }
}
