//! A Maelstrom node backed by the hearsay core (being built).
