//! The line loop: from a terminal (with editing and history), a pipe, or
//! `--exec` arguments.

use std::io::{BufRead, IsTerminal, Write};

use super::exec::Repl;

/// Where lines come from.
pub enum LineSource {
    /// The `--exec` arguments, in order.
    Args(Vec<String>),
    /// Standard input: edited when it is a terminal, read plainly otherwise.
    Stdin,
}

/// How the loop ended: whether every command succeeded.
pub async fn run_lines(repl: &mut Repl, source: LineSource, json: bool) -> anyhow::Result<bool> {
    let mut all_ok = true;
    let mut show = |shown: super::Shown| -> bool {
        all_ok &= shown.ok;
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", shown.json)
        } else if shown.ok || shown.bare {
            writeln!(out, "{}", shown.text)
        } else {
            writeln!(out, "error: {}", shown.text)
        };
        let _ = out.flush();
        shown.quit
    };
    match source {
        LineSource::Args(lines) => {
            for line in lines {
                if let Some(shown) = repl.execute(&line).await {
                    if show(shown) {
                        break;
                    }
                }
            }
        }
        LineSource::Stdin if std::io::stdin().is_terminal() => {
            let mut editor = rustyline::DefaultEditor::new()?;
            let history = std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".hearsay_history"));
            if let Some(h) = &history {
                let _ = editor.load_history(h); // absent on first run
            }
            println!("hearsay movie ratings — type help for the commands, quit to leave");
            loop {
                let prompt = format!("user {}> ", repl.user().0);
                match editor.readline(&prompt) {
                    Ok(line) => {
                        let _ = editor.add_history_entry(line.as_str());
                        if let Some(shown) = repl.execute(&line).await {
                            if show(shown) {
                                break;
                            }
                        }
                    }
                    Err(
                        rustyline::error::ReadlineError::Interrupted
                        | rustyline::error::ReadlineError::Eof,
                    ) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some(h) = &history {
                let _ = editor.save_history(h);
            }
        }
        LineSource::Stdin => {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let line = line?;
                if let Some(shown) = repl.execute(&line).await {
                    if show(shown) {
                        break;
                    }
                }
            }
        }
    }
    Ok(all_ok)
}
