//! Writes the seed corpus of the `decode` target: one valid frame of every
//! message variant for each app, as `<dir>/<app>-<kind>-<variant>`.
//!
//! `cargo run --example seed_corpus [DIR]` from `fuzz/`; DIR defaults to
//! `corpus/decode` (ignored by git, like every corpus).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "corpus/decode".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;
    let seeds = hearsay_fuzz::seeds();
    for (name, bytes) in &seeds {
        std::fs::write(dir.join(name), bytes)?;
    }
    println!("wrote {} seeds to {}", seeds.len(), dir.display());
    Ok(())
}
