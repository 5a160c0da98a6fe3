//! Answers the front end's requests from a running replica.

use hearsay_core::forced::VoterStatus;
use hearsay_core::{App, ForcedStatus};
use hearsay_wire::{ForcedReport, ReplicaRequest, ReplicaResponse, StatusReport};

use crate::handle::{ReplicaHandle, ReplicaSnapshot};

/// The status report of a snapshot, as the wire carries it.
pub fn report(s: &ReplicaSnapshot) -> StatusReport {
    StatusReport {
        name: s.name.clone(),
        status: s.status,
        value_ts: s.value_ts.clone(),
        rep_ts: s.rep_ts.clone(),
        log_len: s.log_len as u64,
        held_queries: s.held as u64,
        oldest_held_ms: s
            .oldest_held
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        executed_len: s.executed_len as u64,
        forced: s.forced.as_ref().map(forced_report),
    }
}

/// The forced order's part of a status report.
fn forced_report(f: &ForcedStatus) -> ForcedReport {
    ForcedReport {
        role: f.role.as_str().to_owned(),
        voter_status: f.voter_status.map(|v| {
            match v {
                VoterStatus::Normal => "normal",
                VoterStatus::ViewChange => "view-change",
                VoterStatus::Recovering => "recovering",
                VoterStatus::Joining => "joining",
                VoterStatus::Retired => "retired",
            }
            .to_owned()
        }),
        is_primary: f.is_primary,
        primary: f.primary.clone(),
        voters: f.voters.clone(),
        epoch: f.epoch,
        view: f.view,
        commit: f.commit,
        applied: f.applied,
    }
}

/// Handles one request from a node in this process (tests, in-process
/// links): [`serve_from`] with the requester named `local`.
pub async fn serve<A>(handle: &ReplicaHandle<A>, request: ReplicaRequest<A>) -> ReplicaResponse<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    serve_from(handle, "local", request).await
}

/// Handles one request from the node named `from` (a front end, or a
/// replica presenting a claim): shows it to the handle's observer, counts it
/// as a client request unless the observer took it, and answers.
pub async fn serve_from<A>(
    handle: &ReplicaHandle<A>,
    from: &str,
    request: ReplicaRequest<A>,
) -> ReplicaResponse<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    match request {
        ReplicaRequest::Client { attempt, request } => {
            let hook = handle.observer().and_then(|o| o.observe(from, &request));
            if hook.is_none() {
                handle.activity().client_request(from);
            }
            let reply = handle.request(request).await;
            if let Some(hook) = hook {
                hook(&reply);
            }
            ReplicaResponse::Client { attempt, reply }
        }
        ReplicaRequest::SetStatus(status) => {
            handle.change_status(status, Some(from)).await;
            status_of(handle).await
        }
        ReplicaRequest::GetStatus => status_of(handle).await,
    }
}

async fn status_of<A>(handle: &ReplicaHandle<A>) -> ReplicaResponse<A>
where
    A: App + Send + 'static,
    A::Update: Send,
    A::Query: Send,
    A::Reply: Send,
{
    match handle.snapshot().await {
        Some(s) => ReplicaResponse::Status(report(&s)),
        None => ReplicaResponse::Error {
            reason: format!("replica {} has stopped", handle.name()),
        },
    }
}
