//! The process shell: stdin lines in, Maelstrom JSON out, timers in between.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Instant;

use hearsay_core::Time;

use crate::node::Node;
use crate::tuning::Tuning;
use crate::workload::Workload;

/// Runs one node on this process's stdin, stdout and stderr until stdin closes.
pub fn run_stdio(workload: Workload, tuning: Tuning) -> io::Result<()> {
    run(
        workload,
        tuning,
        io::stdin(),
        io::stdout().lock(),
        io::stderr().lock(),
    )
}

/// Runs one node: lines from `input`, Maelstrom JSON to `out` (one message a
/// line, flushed after every input), logs to `err`. Returns when `input` ends.
///
/// A reader thread turns `input` into a channel of lines, so the loop never
/// sits in a blocking read: it waits on the channel only until the replica's
/// next timer ([`Node::poll_timeout`]), and checks that timer after every
/// line too, so a steady stream of input cannot starve anti-entropy or
/// batched pushes. Time is read from a monotonic clock ([`Instant`]) and
/// handed to the node in microseconds since start.
pub fn run<R, W, E>(
    workload: Workload,
    tuning: Tuning,
    input: R,
    mut out: W,
    mut err: E,
) -> io::Result<()>
where
    R: Read + Send + 'static,
    W: Write,
    E: Write,
{
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_lines(input, &tx))?;
    let start = Instant::now();
    let clock =
        move || Time::from_micros(u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX));
    let mut node = Node::new(workload, tuning);
    loop {
        let now = clock();
        let lines = match node.poll_timeout() {
            Some(deadline) if deadline <= now => node.handle_timeout(now),
            deadline => {
                let received = match deadline {
                    None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    Some(d) => rx.recv_timeout(d.saturating_since(now)),
                };
                match received {
                    Ok(bytes) => node.handle_line(clock(), &String::from_utf8_lossy(&bytes)),
                    Err(RecvTimeoutError::Timeout) => node.handle_timeout(clock()),
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        for line in &lines {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
        if !lines.is_empty() {
            out.flush()?;
        }
        for log in node.take_logs() {
            // Losing a log line must not stop the node.
            let _ = writeln!(err, "hearsay maelstrom: {log}");
        }
    }
    let _ = reader.join();
    Ok(())
}

/// Sends every line of `input` (bytes, newline included) until it ends.
fn read_lines<R: Read>(input: R, tx: &mpsc::Sender<Vec<u8>>) {
    let mut input = BufReader::new(input);
    loop {
        let mut buf = Vec::new();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) => {
                if tx.send(buf).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_stdin_until_it_closes() {
        let input = concat!(
            r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
            "\n",
            "garbage\n",
            r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":"hi"}}"#,
            "\n"
        );
        let mut out = Vec::new();
        let mut err = Vec::new();
        run(
            Workload::Echo,
            Tuning::default(),
            io::Cursor::new(input.as_bytes().to_vec()),
            &mut out,
            &mut err,
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0]["body"]["type"], "init_ok");
        assert_eq!(lines[1]["body"]["type"], "echo_ok");
        assert_eq!(lines[1]["body"]["echo"], "hi");
        assert_eq!(lines[1]["body"]["in_reply_to"], 2);
        assert!(String::from_utf8(err).unwrap().contains("not JSON"));
    }
}
