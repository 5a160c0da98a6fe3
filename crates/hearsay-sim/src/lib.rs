//! Deterministic fault simulation of the hearsay core (being built).
