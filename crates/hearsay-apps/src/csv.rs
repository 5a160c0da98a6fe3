//! A small CSV reader for MovieLens files: commas, double-quoted fields with
//! `""` escapes, LF or CRLF line ends. Quoted fields may not span lines
//! (MovieLens never does).

/// Why a CSV line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    /// A quoted field was not closed before the end of the line.
    UnclosedQuote,
    /// Something other than a comma followed a closing quote.
    TextAfterQuote,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnclosedQuote => write!(f, "a quoted field is not closed"),
            Self::TextAfterQuote => write!(f, "text follows a closing quote"),
        }
    }
}

/// Splits one CSV line into fields.
pub fn split_line(line: &str) -> Result<Vec<String>, CsvError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(CsvError::UnclosedQuote),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err(CsvError::TextAfterQuote),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quoted_and_escaped_fields() {
        assert_eq!(
            split_line("1,Toy Story (1995),Comedy").unwrap(),
            ["1", "Toy Story (1995)", "Comedy"]
        );
        assert_eq!(
            split_line("11,\"American President, The (1995)\",Comedy|Drama\r").unwrap(),
            ["11", "American President, The (1995)", "Comedy|Drama"]
        );
        assert_eq!(
            split_line("\"say \"\"hi\"\"\",").unwrap(),
            ["say \"hi\"", ""]
        );
        assert_eq!(split_line("").unwrap(), [""]);
    }

    #[test]
    fn broken_quotes_are_errors() {
        assert_eq!(split_line("1,\"open"), Err(CsvError::UnclosedQuote));
        assert_eq!(split_line("1,\"a\"b"), Err(CsvError::TextAfterQuote));
    }
}
