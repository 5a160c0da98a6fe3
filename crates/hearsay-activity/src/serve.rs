//! The one place a node serves HTTP: binds, then runs an axum router until
//! told to stop. Replicas, front ends and the binary all go through
//! [`serve_http`], so hardening the server (limits, timeouts) is one change.

use std::future::Future;
use std::net::SocketAddr;

/// Binds `at` (port 0: the system picks) and serves `app` on it until
/// `shutdown` completes, in a task of its own, with the connection cap and
/// timeouts of [`hearsay_http::serve`]; returns the bound address.
///
/// Must be called inside a tokio runtime. Fails only on binding.
pub fn serve_http(
    at: SocketAddr,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let std_listener = std::net::TcpListener::bind(at)?;
    std_listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    let bound = listener.local_addr()?;
    tokio::spawn(hearsay_http::serve(
        listener,
        app,
        hearsay_http::ServeConfig::default(),
        shutdown,
    ));
    Ok(bound)
}
