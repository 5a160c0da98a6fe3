//! [`RequestObserver`]: a hook that sees client requests and their replies,
//! so that an app's own activity (claims, say) can be counted and logged
//! without the replica knowing anything about that app.

use hearsay_core::{App, ClientReply, ClientRequest};

/// Called with the reply to a request an observer took an interest in.
pub type ReplyHook<A> = Box<dyn FnOnce(&ClientReply<A>) + Send>;

/// Sees every client request that reaches the replica over the network
/// ([`crate::serve_from`]) before it is handled.
///
/// Keep it cheap: it runs on the request path. It sees a reference only, so
/// requests are not copied for it.
pub trait RequestObserver<A: App>: Send + Sync + 'static {
    /// Looks at a request from `from` (the node name in the sender's
    /// certificate, so it cannot be forged by the sender). Returns a hook to
    /// call with the reply when the request is this observer's business;
    /// such requests are the observer's to count, and are not counted as
    /// ordinary client requests.
    fn observe(&self, from: &str, request: &ClientRequest<A>) -> Option<ReplyHook<A>>;
}
