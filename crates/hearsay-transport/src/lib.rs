//! QUIC transport for hearsay (being built).
