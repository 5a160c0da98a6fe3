//! The demo above the library: what the `hearsay` binary runs once it has
//! parsed its flags.
//!
//! The library crates name no application (STYLE 21); this crate is where
//! the movie-ratings and claims demo lives, over the demo's
//! [`ClusterApp`](cluster::ClusterApp):
//!
//! - [`cluster`]: the movies and the payloads side by side, what a
//!   `hearsay up` cluster replicates (the claims run on it: [`hearsay_claims::ClaimsApp`]).
//! - [`repl`]: the interactive movie-ratings client (`hearsay client`, `hearsay up`).
//! - [`simulate`]: `hearsay simulate`'s traffic, progress and summary.
//! - [`up`], [`replica`], [`frontend`], [`tracker`]: the cluster commands'
//!   runs (a whole local cluster, or one node of it).
//! - [`bench_attach`]: which front end and replicas `hearsay bench --attach` drives.
//! - [`certs`]: `hearsay certs init` and `issue`, what they write and say.
//! - [`chat`]: `hearsay chat`, the chat room of seed 004 on the peer network.
//! - [`node`]: starting replicas and front ends, with claims beside each replica.
//! - [`faults`]: the demo's overload roll and the tests' partition switch,
//!   as admission policies of the replicas it starts.
//! - [`discover`]: joining a node to the tracker and following its membership.
//! - [`payload_sink`] and [`replica_admin`]: the tracker's QUIC plug-ins.
//!
//! Each run takes an `Options` struct that the binary (`hearsay-cli`) fills
//! from its clap flags; this crate does not parse command lines. Like the
//! binary it reports errors with `anyhow`: it is the application, not a
//! library layer anyone embeds.

pub mod bench_attach;
pub mod certs;
pub mod chat;
pub mod cluster;
pub mod discover;
pub mod faults;
pub mod frontend;
pub mod node;
pub mod payload_sink;
pub mod repl;
pub mod replica;
pub mod replica_admin;
pub mod simulate;
pub mod tracker;
pub mod up;
