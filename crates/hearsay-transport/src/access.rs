//! Which peers a server lets in, by the role in their certificate.

use crate::certs::Role;

/// What [`crate::serve`] lets each role do. Roles come from the peers'
/// certificates ([`crate::peer_role`]), which the cluster CA signed, so a
/// node cannot claim a role its certificate does not carry. Finer checks (which
/// request a role may send) are the handler's, from
/// [`crate::RequestContext::role`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// What the server is, for refusals ("a replica", "a front end").
    pub server: &'static str,
    /// The roles that may connect at all. Any other peer's connection is
    /// closed at once, with a reason naming its role.
    pub connect: Vec<Role>,
    /// The roles that may open one-way streams (gossip). Another peer's
    /// one-way stream is stopped unread; its requests are still answered.
    pub oneway: Vec<Role>,
}

impl Default for Access {
    /// Every role may connect and send anything.
    fn default() -> Self {
        Self {
            server: "this node",
            connect: Role::ALL.to_vec(),
            oneway: Role::ALL.to_vec(),
        }
    }
}

impl Access {
    /// `Ok` if `role` may connect, else why not (sent to the peer).
    pub fn check_connect(&self, role: Option<Role>) -> Result<Role, String> {
        let Some(role) = role else {
            return Err(format!(
                "{} accepts only certificates that carry a hearsay role \
                 (urn:hearsay:role:...); make one with `hearsay certs issue`",
                self.server
            ));
        };
        if self.connect.contains(&role) {
            return Ok(role);
        }
        Err(format!(
            "{} does not accept {role} certificates (only {})",
            self.server,
            list(&self.connect)
        ))
    }

    /// Whether `role` may open one-way streams.
    pub fn allows_oneway(&self, role: Role) -> bool {
        self.oneway.contains(&role)
    }
}

/// `replica, frontend and tracker`.
pub(crate) fn list(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    match names.split_last() {
        None => "none".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_role_and_what_is_accepted() {
        let access = Access {
            server: "a replica",
            connect: vec![Role::Replica, Role::Frontend, Role::Tracker],
            oneway: vec![Role::Replica],
        };
        assert_eq!(access.check_connect(Some(Role::Tracker)), Ok(Role::Tracker));
        let why = access.check_connect(Some(Role::Client)).unwrap_err();
        assert_eq!(
            why,
            "a replica does not accept client certificates (only replica, frontend and tracker)"
        );
        assert!(
            access
                .check_connect(None)
                .unwrap_err()
                .contains("hearsay role")
        );
        assert!(access.allows_oneway(Role::Replica));
        assert!(!access.allows_oneway(Role::Frontend));
        assert_eq!(
            Access::default().check_connect(Some(Role::Client)),
            Ok(Role::Client)
        );
    }
}
