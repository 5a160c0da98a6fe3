//! [`SessionClient`]: a typed session of one app through a front end.

use std::marker::PhantomData;
use std::time::Duration;

use hearsay_core::{
    App, ClientId, ClientReply, ClientRequest, ReplicaId, Session, VectorTimestamp,
};
use hearsay_wire::{FrontendRequest, FrontendResponse, SessionRequest};

use crate::client::Client;
use crate::error::SessionError;

/// Retries of one request after the front end could not be reached, by
/// default.
const DEFAULT_RETRIES: u32 = 2;

/// The pause before the first retry; doubled before each next one.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// One client session of app `A`: its causal context, its update counter and
/// the front end it talks through.
///
/// Every answer's timestamp is merged into the session's `prev`, and every
/// request carries it, so the session reads its own writes and reads
/// monotonically whichever replica answers. An update is retried under the
/// same update id, so a retry after a lost answer is not applied twice.
/// One request at a time: the methods take `&mut self`.
///
/// ```no_run
/// # async fn run(client: hearsay_client::Client) -> Result<(), hearsay_client::SessionError> {
/// use hearsay_client::SessionClient;
/// use hearsay_core::ClientId;
/// use hearsay_core::testing::{KvApp, KvQuery, KvReply, KvUpdate};
///
/// let mut session = SessionClient::<KvApp>::new(client, ClientId(7));
/// session.update(KvUpdate::Add { key: "visits".into(), delta: 1 }).await?;
/// let count = session.query(KvQuery::Count { key: "visits".into() }).await?;
/// assert_eq!(count, KvReply::Count(1));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SessionClient<A: App> {
    client: Client,
    session: Session,
    /// A replica the front end should use whenever it is available.
    prefer: Option<ReplicaId>,
    /// Retries after the front end could not be reached.
    retries: u32,
    _app: PhantomData<fn() -> A>,
}

impl<A: App> SessionClient<A> {
    /// A new session `id` (unique among the cluster's sessions: its update
    /// ids are `id` and a counter) through `client`.
    pub fn new(client: Client, id: ClientId) -> Self {
        Self::resume(client, Session::new(id))
    }

    /// Continues `session` (its id, counter and context) through `client`.
    pub fn resume(client: Client, session: Session) -> Self {
        Self {
            client,
            session,
            prefer: None,
            retries: DEFAULT_RETRIES,
            _app: PhantomData,
        }
    }

    /// Retries each request up to `n` times when the front end cannot be
    /// reached (default 2; 0: fail at once).
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// Asks the front end to use `replica` whenever it is available.
    pub fn set_prefer(&mut self, replica: Option<ReplicaId>) {
        self.prefer = replica;
    }

    /// Goes on through another front end, keeping the session's context.
    pub fn reconnect(&mut self, client: Client) {
        self.client = client;
    }

    /// The front end's client (for admin requests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The session: its id and its context.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Everything this session has seen or written.
    pub fn prev(&self) -> &VectorTimestamp {
        self.session.prev()
    }

    /// Applies `op` everywhere (eventually); returns the update's timestamp
    /// once a replica has accepted it.
    ///
    /// A forced update (one [`App::class`] calls
    /// [`UpdateClass::Forced`](hearsay_core::UpdateClass::Forced)) returns
    /// once it is committed in the forced order: `Ok` when the app's
    /// decision granted it, [`SessionError::Denied`] when it refused it,
    /// [`SessionError::Unavailable`] ("unavailable: no quorum") when the
    /// order could not commit it in time.
    pub async fn update(&mut self, op: A::Update) -> Result<VectorTimestamp, SessionError> {
        let request = self.update_request(op);
        match self.send(request).await? {
            ClientReply::Accepted { ts } => Ok(ts),
            ClientReply::Forced {
                outcome: Ok(()),
                ts,
            } => Ok(ts),
            ClientReply::Forced {
                outcome: Err(reason),
                ..
            } => Err(SessionError::Denied(reason)),
            other => Err(SessionError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Answers `query` at its place in the forced order (linearizable): the
    /// answer reflects every forced update acknowledged to any client before
    /// this call, and everything this session has seen or written.
    /// [`SessionError::Unavailable`] when no majority of voters is reachable.
    pub async fn forced_query(&mut self, query: A::Query) -> Result<A::Reply, SessionError> {
        let request = self.session.forced_query::<A>(query);
        match self.send(request).await? {
            ClientReply::Answer { reply, .. } => Ok(reply),
            other => Err(SessionError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Answers `query` from a state that includes everything this session
    /// has seen or written.
    pub async fn query(&mut self, query: A::Query) -> Result<A::Reply, SessionError> {
        let request = self.session.query::<A>(query);
        match self.send(request).await? {
            ClientReply::Answer { reply, .. } => Ok(reply),
            other => Err(SessionError::Unexpected(format!("{other:?}"))),
        }
    }

    /// A new update request of this session (a fresh update id), for callers
    /// that want to see it before [`send`](Self::send)ing it.
    pub fn update_request(&mut self, op: A::Update) -> ClientRequest<A> {
        self.session.update::<A>(op)
    }

    /// A query request of this session.
    pub fn query_request(&self, query: A::Query) -> ClientRequest<A> {
        self.session.query::<A>(query)
    }

    /// Sends a request of this session, retrying it unchanged (same update
    /// id) while the front end cannot be reached, and merges the reply's
    /// timestamp into the context. `Ok` is `Accepted`, `Answer` or `Forced`
    /// (whatever its outcome); `ForcedUnavailable` is
    /// [`SessionError::Unavailable`].
    pub async fn send(
        &mut self,
        request: ClientRequest<A>,
    ) -> Result<ClientReply<A>, SessionError> {
        let frame = FrontendRequest::Session(SessionRequest {
            client: self.session.client(),
            request,
            prefer: self.prefer.clone(),
        });
        let mut pause = FIRST_PAUSE;
        let mut left = self.retries;
        let response = loop {
            match self.client.call(&frame).await {
                Ok(r) => break r,
                Err(e) if e.is_retryable() && left > 0 => {
                    tracing::debug!(error = %e, "front end unreachable; retrying the same request");
                    left -= 1;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(e.into()),
            }
        };
        match response {
            FrontendResponse::Reply(ClientReply::Rejected { reason }) => {
                Err(SessionError::Rejected(reason))
            }
            FrontendResponse::Reply(
                reply @ (ClientReply::Accepted { .. }
                | ClientReply::Answer { .. }
                | ClientReply::Forced { .. }),
            ) => {
                self.session.observe(&reply);
                Ok(reply)
            }
            FrontendResponse::Reply(ClientReply::ForcedUnavailable { reason }) => {
                Err(SessionError::Unavailable(reason))
            }
            FrontendResponse::Busy { message } => Err(SessionError::Busy(message)),
            FrontendResponse::Error { reason } => Err(SessionError::Refused(reason)),
            other => Err(SessionError::Unexpected(format!("{other:?}"))),
        }
    }
}
