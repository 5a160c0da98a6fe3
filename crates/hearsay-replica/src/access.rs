//! Who may ask a replica what, by the role in their certificate.
//!
//! | from | connect | gossip (one-way) | `Client` | `SetStatus` | `GetStatus` |
//! | --- | --- | --- | --- | --- | --- |
//! | replica | yes | yes | yes (claims) | no | yes |
//! | frontend | yes | no | yes | yes | yes |
//! | tracker | yes | no | no | yes | yes |
//! | client | no | no | no | no | no |
//!
//! Clients reach replicas only through a front end (the REPL's `change` is a
//! front-end request the front end turns into `SetStatus`).

use hearsay_core::App;
use hearsay_transport::{Access, Role};
use hearsay_wire::ReplicaRequest;

/// The roles a replica's server lets connect, and gossip.
pub fn replica_access() -> Access {
    Access {
        server: "a replica",
        connect: vec![Role::Replica, Role::Frontend, Role::Tracker],
        oneway: vec![Role::Replica],
    }
}

/// `Ok` if a peer in `role` may send `request` to a replica, else why not
/// (the answer it gets).
pub fn check_request<A: App>(role: Role, request: &ReplicaRequest<A>) -> Result<(), String> {
    let (what, allowed): (&str, &[Role]) = match request {
        ReplicaRequest::Client { .. } => ("client requests", &[Role::Frontend, Role::Replica]),
        ReplicaRequest::SetStatus(_) => ("status changes", &[Role::Frontend, Role::Tracker]),
        ReplicaRequest::GetStatus => (
            "status requests",
            &[Role::Frontend, Role::Tracker, Role::Replica],
        ),
    };
    if allowed.contains(&role) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    Err(format!(
        "forbidden: a {role} certificate cannot send {what} to a replica (only {})",
        names.join(" or ")
    ))
}

#[cfg(test)]
mod tests {
    use hearsay_core::Status;
    use hearsay_core::testing::KvApp;

    use super::*;

    #[test]
    fn each_role_may_send_what_the_table_says() {
        let set = ReplicaRequest::<KvApp>::SetStatus(Status::Offline);
        let get = ReplicaRequest::<KvApp>::GetStatus;
        assert!(check_request(Role::Frontend, &set).is_ok());
        assert!(check_request(Role::Tracker, &set).is_ok());
        assert_eq!(
            check_request(Role::Replica, &set),
            Err(
                "forbidden: a replica certificate cannot send status changes to a replica \
                 (only frontend or tracker)"
                    .to_owned()
            )
        );
        assert!(check_request(Role::Client, &set).is_err());
        for role in [Role::Frontend, Role::Tracker, Role::Replica] {
            assert!(check_request(role, &get).is_ok(), "{role}");
        }
        assert!(check_request(Role::Client, &get).is_err());
        let access = replica_access();
        assert!(access.check_connect(Some(Role::Client)).is_err());
        assert!(access.allows_oneway(Role::Replica));
        assert!(!access.allows_oneway(Role::Frontend) && !access.allows_oneway(Role::Tracker));
    }
}
