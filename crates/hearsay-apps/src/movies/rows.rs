//! The rows of MovieLens CSV files (`movies.csv`, `ratings.csv`), read with
//! the `csv` crate: commas, double-quoted fields with `""` escapes, LF or
//! CRLF line ends.

use super::LoadError;

/// One row of a file.
pub(super) struct Row {
    /// Its 1-based line number, for errors.
    pub(super) line: usize,
    /// Its fields, unquoted and not trimmed.
    pub(super) fields: Vec<String>,
}

/// The rows of `text` (the file `file`), skipping blank lines and a first
/// line that starts with `header` (the header is optional in MovieLens
/// files). A quoted field may not span lines (MovieLens never does): an
/// unclosed quote would otherwise swallow the rest of the file into one
/// field, so it is reported on the line it opens.
pub(super) fn rows<'a>(
    text: &'a str,
    file: &'static str,
    header: &'static str,
) -> impl Iterator<Item = Result<Row, LoadError>> + 'a {
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // Rows are checked one by one, with an error naming the line.
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    reader
        .into_records()
        .enumerate()
        .filter_map(move |(n, record)| {
            let bad = |line: usize, reason: String| LoadError::Line { file, line, reason };
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(n + 1, |p| lines.at(p.byte()));
                    return Some(Err(bad(line, e.to_string())));
                }
            };
            // Records read from text always carry a position; the count of
            // records is a fallback that is exact for files without blank lines.
            let line = record.position().map_or(n + 1, |p| lines.at(p.byte()));
            let fields: Vec<String> = record.iter().map(str::to_owned).collect();
            let blank = fields.len() == 1 && fields[0].trim().is_empty();
            let is_header = line == 1 && fields.first().is_some_and(|f| f.starts_with(header));
            if blank || is_header {
                return None;
            }
            if fields.iter().any(|f| f.contains(['\n', '\r'])) {
                return Some(Err(bad(line, "a quoted field is not closed".into())));
            }
            Some(Ok(Row { line, fields }))
        })
}

/// Line numbers from byte offsets, counted as the reader moves forward.
///
/// `csv` positions carry a line too, but after a CRLF line end the next
/// record's position still points at its `\n`, one line early.
struct Lines<'a> {
    text: &'a [u8],
    /// How far newlines have been counted.
    offset: usize,
    /// The line `offset` is on.
    line: usize,
}

impl Lines<'_> {
    /// The line of the record starting at byte `at` (skipping the line end
    /// the reader may not have consumed yet).
    fn at(&mut self, at: u64) -> usize {
        let mut at = usize::try_from(at)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        if at > self.offset {
            self.line += self.text[self.offset..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = at;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
        rows(text, "movies.csv", "movieId")
            .map(|r| {
                r.map(|row| (row.line, row.fields))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn plain_quoted_and_escaped_fields_with_their_lines() {
        let text = "movieId,title,genres\n1,Toy Story (1995),Comedy\n\n   \n\
                    11,\"American President, The (1995)\",Comedy|Drama\r\n\
                    \"say \"\"hi\"\"\",\n";
        assert_eq!(
            read(text).unwrap(),
            [
                (
                    2,
                    vec!["1".into(), "Toy Story (1995)".into(), "Comedy".into()]
                ),
                (
                    5,
                    vec![
                        "11".into(),
                        "American President, The (1995)".into(),
                        "Comedy|Drama".into()
                    ]
                ),
                (6, vec!["say \"hi\"".into(), String::new()]),
            ]
        );
    }

    #[test]
    fn a_header_is_skipped_only_on_the_first_line() {
        assert_eq!(read("1,A,B\nmovieId,title,genres\n").unwrap().len(), 2);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        assert_eq!(
            read("1,A,B\n2,\"open,C\n3,D,E\n"),
            Err("movies.csv line 2: a quoted field is not closed".into())
        );
    }
}
