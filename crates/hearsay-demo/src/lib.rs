//! The demo above the library: what the `hearsay` binary runs besides
//! parsing its flags.
//!
//! The library crates name no application (STYLE 21); this crate is where
//! the movie-ratings and claims demo lives:
//!
//! - [`repl`]: the interactive movie-ratings client (`hearsay client`, `hearsay up`).
//! - [`simulate`]: `hearsay simulate`'s traffic, progress and summary.
//! - [`node`]: starting replicas and front ends of the demo's
//!   [`ClusterApp`](hearsay_apps::cluster::ClusterApp), with claims beside each replica.
//! - [`discover`]: joining a node to the tracker and following its membership.
//! - [`payload_sink`] and [`replica_admin`]: the tracker's QUIC plug-ins for
//!   the demo cluster.
//!
//! The binary (`hearsay-cli`) only parses arguments and calls in here.

pub mod certs;
pub mod discover;
pub mod node;
pub mod payload_sink;
pub mod repl;
pub mod replica_admin;
pub mod simulate;
pub mod tracker;
pub mod up;
