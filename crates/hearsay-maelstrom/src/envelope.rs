//! Maelstrom messages on the wire: one JSON object per line, `{src, dest, body}`.

use serde_json::{Map, Value};

/// A JSON object: the body of a Maelstrom message.
pub(crate) type Body = Map<String, Value>;

/// One inbound line, sorted into what the node should do with it.
#[derive(Debug, PartialEq)]
pub(crate) enum Inbound {
    /// A request: a body with a `type` and (maybe) a `msg_id`.
    Request(Request),
    /// Not something to answer: unparseable, no sender, or a reply to someone.
    /// The string says why, for the log.
    Ignore(String),
    /// A request we cannot read but can answer: error 12 (malformed request) to `src`.
    Malformed {
        /// The sender.
        src: String,
        /// The request's id, to put in `in_reply_to`.
        msg_id: u64,
        /// What was wrong.
        text: String,
    },
}

/// A well-formed inbound request.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    /// The sender: a client (`c12`) or a node (`n3`).
    pub(crate) src: String,
    /// The addressee; `None` when the line left it out.
    pub(crate) dest: Option<String>,
    /// The body's `type`.
    pub(crate) kind: String,
    /// The body's `msg_id`, when it has one (requests that lack one get no reply).
    pub(crate) msg_id: Option<u64>,
    /// The whole body.
    pub(crate) body: Body,
}

/// Sorts one line. Never panics, whatever the line holds.
pub(crate) fn parse_line(line: &str) -> Inbound {
    let line = line.trim();
    if line.is_empty() {
        return Inbound::Ignore("empty line".into());
    }
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Inbound::Ignore(format!("not JSON ({e})")),
    };
    let Value::Object(mut envelope) = value else {
        return Inbound::Ignore("not a JSON object".into());
    };
    let Some(Value::String(src)) = envelope.remove("src") else {
        return Inbound::Ignore("no string `src` to answer to".into());
    };
    let dest = match envelope.remove("dest") {
        Some(Value::String(d)) => Some(d),
        _ => None,
    };
    let Some(Value::Object(body)) = envelope.remove("body") else {
        return Inbound::Ignore(format!("message from {src} has no object `body`"));
    };
    if body.contains_key("in_reply_to") {
        // We send no requests, so a reply is addressed to nobody here; never
        // answering replies also rules out error ping-pong between nodes.
        return Inbound::Ignore(format!("unexpected reply from {src}"));
    }
    let msg_id = body.get("msg_id").and_then(Value::as_u64);
    let kind = match body.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ => {
            let text = "the body has no string `type`".to_string();
            return match msg_id {
                Some(msg_id) => Inbound::Malformed { src, msg_id, text },
                None => Inbound::Ignore(format!("from {src}: {text}")),
            };
        }
    };
    if dest.is_none() {
        let text = "the message has no string `dest`".to_string();
        return match msg_id {
            Some(msg_id) => Inbound::Malformed { src, msg_id, text },
            None => Inbound::Ignore(format!("from {src}: {text}")),
        };
    }
    Inbound::Request(Request {
        src,
        dest,
        kind,
        msg_id,
        body,
    })
}

/// A body of type `kind` with no other fields yet.
pub(crate) fn body(kind: &str) -> Body {
    let mut b = Body::new();
    b.insert("type".into(), Value::String(kind.into()));
    b
}

/// One outbound line: `{"src":..,"dest":..,"body":..}`.
pub(crate) fn line(src: &str, dest: &str, body: Body) -> String {
    let mut envelope = Map::new();
    envelope.insert("src".into(), Value::String(src.into()));
    envelope.insert("dest".into(), Value::String(dest.into()));
    envelope.insert("body".into(), Value::Object(body));
    // A map of strings and JSON values always serialises; the fallback keeps
    // the shell from ever printing a partial line.
    serde_json::to_string(&Value::Object(envelope)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_lines() {
        assert!(matches!(parse_line("{"), Inbound::Ignore(_)));
        assert!(matches!(parse_line("[1]"), Inbound::Ignore(_)));
        assert!(matches!(
            parse_line(r#"{"dest":"n1","body":{"type":"x","msg_id":1}}"#),
            Inbound::Ignore(_)
        ));
        assert!(matches!(
            parse_line(r#"{"src":"c1","dest":"n1","body":{"type":"x","in_reply_to":1}}"#),
            Inbound::Ignore(_)
        ));
        assert_eq!(
            parse_line(r#"{"src":"c1","dest":"n1","body":{"msg_id":4}}"#),
            Inbound::Malformed {
                src: "c1".into(),
                msg_id: 4,
                text: "the body has no string `type`".into()
            }
        );
        let Inbound::Request(r) =
            parse_line(r#"{"src":"c1","dest":"n1","body":{"type":"read","msg_id":2}}"#)
        else {
            panic!("a request")
        };
        assert_eq!(
            (r.src.as_str(), r.kind.as_str(), r.msg_id),
            ("c1", "read", Some(2))
        );
    }

    #[test]
    fn writes_lines() {
        let mut b = body("echo_ok");
        b.insert("in_reply_to".into(), Value::from(3));
        let written: Value = serde_json::from_str(&line("n1", "c1", b)).unwrap();
        let expected: Value = serde_json::from_str(
            r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","in_reply_to":3}}"#,
        )
        .unwrap();
        assert_eq!(written, expected);
    }
}
