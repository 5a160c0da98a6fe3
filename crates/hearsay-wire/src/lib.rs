//! hearsay wire format (being built).
