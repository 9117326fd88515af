//! What the parsers share: the error type, the line iterator, numbers, and the `p` header.

use crate::Limits;
use std::fmt;

/// A parse error: the 1-based line and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "line {}: {}", self.line, self.msg)
        }
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn err<T>(line: usize, msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        msg: msg.into(),
    })
}

/// Lines with their 1-based numbers, comments (`c`) and blank lines skipped; a SATLIB-style
/// `%` line ends the input.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i.saturating_add(1), l.trim()))
        .take_while(|(_, l)| !l.starts_with('%'))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('c'))
}

pub(crate) fn number<T: std::str::FromStr>(
    line: usize,
    tok: &str,
    what: &str,
) -> Result<T, ParseError> {
    tok.parse::<T>()
        .or_else(|_| err(line, format!("{what} {tok:?} is not a number in range")))
}

/// A `p <kind> <variables> <count> …` header: its line, counts, and the tokens after them.
pub(crate) struct Header {
    pub(crate) line: usize,
    pub(crate) vars: u32,
    pub(crate) count: u32,
    pub(crate) rest: Vec<String>,
}

pub(crate) fn header(
    line: usize,
    l: &str,
    kind: &str,
    limits: &Limits,
) -> Result<Header, ParseError> {
    let toks: Vec<&str> = l.split_whitespace().collect();
    if toks.len() < 4 || toks[0] != "p" || toks[1] != kind {
        return err(
            line,
            format!("expected the header \"p {kind} <variables> <count> …\", found {l:?}"),
        );
    }
    let vars: u64 = number(line, toks[2], "variable count")?;
    let count: u64 = number(line, toks[3], "clause/term count")?;
    if vars == 0 {
        return err(line, "the header declares 0 variables");
    }
    if vars > u64::from(limits.max_vars) {
        return err(
            line,
            format!("{vars} variables is above the limit of {}", limits.max_vars),
        );
    }
    if count > u64::from(limits.max_clauses) {
        return err(
            line,
            format!(
                "{count} clauses/terms is above the limit of {}",
                limits.max_clauses
            ),
        );
    }
    Ok(Header {
        line,
        vars: vars as u32,
        count: count as u32,
        rest: toks[4..].iter().map(|s| s.to_string()).collect(),
    })
}
