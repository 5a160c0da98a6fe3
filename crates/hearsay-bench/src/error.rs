//! What can stop a bench run.

/// Why a bench run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchError {
    /// A parameter is out of range.
    #[error("bad bench parameters: {0}")]
    Config(String),
    /// The local cluster could not start.
    #[error("cannot start the local cluster: {0}")]
    Start(String),
    /// The running cluster could not be attached to.
    #[error("cannot attach to the cluster: {0}")]
    Attach(String),
    /// The cluster failed while being measured.
    #[error("the run failed: {0}")]
    Run(String),
}
