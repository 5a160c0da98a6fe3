//! `serve`: the periodic sweep logs expiry with nobody asking, and the
//! shutdown future stops the server.

mod common;

use std::time::Duration;

use axum::http::Method;
use common::Api;

#[tokio::test(start_paused = true)]
async fn the_sweeper_expires_peers_and_shutdown_stops_serving() {
    let api = Api::with(|c| c.expiry = Duration::from_secs(5));
    api.register("r1", "replica", "127.0.0.1:7501").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hearsay_tracker::serve(
        api.tracker.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    eprintln!("-- phase 1: 6 s pass (paused clock) and nobody calls the API");
    tokio::time::sleep(Duration::from_secs(6)).await;
    // Read the log straight from the tracker: a request would sweep by itself,
    // `Tracker::activity` does not.
    let entries = api
        .tracker
        .activity(&hearsay_wire::tracker::ActivityQuery::default())
        .unwrap();
    assert_eq!(
        entries[0].kind,
        hearsay_wire::tracker::ActivityKind::PeerExpired
    );
    assert_eq!(entries[0].peer.as_deref(), Some("r1"));

    eprintln!("-- phase 2: the shutdown future completes; serve returns");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("serve stopped")
        .unwrap()
        .unwrap();
    let a = api.admin(Method::GET, "/healthz", None).await;
    assert!(a.status.is_success());
}
