//! What can stop a bench run.

use std::fmt;

/// Why a bench run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchError {
    /// A parameter is out of range.
    Config(String),
    /// The local cluster could not start.
    Start(String),
    /// The running cluster could not be attached to.
    Attach(String),
    /// The cluster failed while being measured.
    Run(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(why) => write!(f, "bad bench parameters: {why}"),
            Self::Start(why) => write!(f, "cannot start the local cluster: {why}"),
            Self::Attach(why) => write!(f, "cannot attach to the cluster: {why}"),
            Self::Run(why) => write!(f, "the run failed: {why}"),
        }
    }
}

impl std::error::Error for BenchError {}
