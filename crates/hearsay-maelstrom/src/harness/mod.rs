//! In-process harness (being built).
