//! Engine errors. Each kind maps to one SQLSTATE in the PostgreSQL layer.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The expression does not parse (SQLSTATE 42601, with the position).
    Syntax,
    /// Parses, but is not a valid rule: unknown variable or list, type mismatch, non-boolean
    /// rule, misuse of a list (SQLSTATE 22023).
    Invalid,
    /// An event value cannot be read as its variable's data type (SQLSTATE 22P02).
    BadValue,
    /// Valid, but past a limit of the engine: a regex whose compiled form exceeds
    /// [`REGEX_SIZE_LIMIT`](crate::compile::REGEX_SIZE_LIMIT) (SQLSTATE 54000).
    Limit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// 1-based character position in the expression, when the error has one.
    pub position: Option<usize>,
}

impl Error {
    pub fn syntax(position: usize, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Syntax,
            message: message.into(),
            position: Some(position),
        }
    }
    pub fn invalid(position: usize, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Invalid,
            message: message.into(),
            position: Some(position),
        }
    }
    pub fn limit(position: usize, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Limit,
            message: message.into(),
            position: Some(position),
        }
    }
    pub fn bad_value(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::BadValue,
            message: message.into(),
            position: None,
        }
    }

    /// What shows where the error is in `expression` (the PostgreSQL layer's DETAIL): the line
    /// the position is on and, under it, a caret at the position. A line longer than
    /// [`CARET_LINE`] characters is cut to the part around the position, marked with `...`;
    /// tabs show as spaces so the caret stays aligned. None when the error has no position.
    pub fn caret(&self, expression: &str) -> Option<String> {
        let position = self.position?;
        // the line holding the position, and the position's 0-based column in it
        let mut column = position.saturating_sub(1);
        let mut line = "";
        for l in expression.split('\n') {
            line = l;
            let width = l.chars().count();
            if column <= width {
                break;
            }
            column -= width + 1;
        }
        let chars: Vec<char> = line
            .chars()
            .map(|c| if c == '\t' || c == '\r' { ' ' } else { c })
            .collect();
        let (shown, caret_at) = if chars.len() <= CARET_LINE {
            (chars.iter().collect::<String>(), column)
        } else {
            let start = column.saturating_sub(CARET_BEFORE);
            let end = (start + CARET_BEFORE + CARET_AFTER).min(chars.len());
            let start = end.saturating_sub(CARET_BEFORE + CARET_AFTER).min(start);
            let mut shown = String::new();
            if start > 0 {
                shown.push_str("...");
            }
            shown.extend(&chars[start..end]);
            if end < chars.len() {
                shown.push_str("...");
            }
            (shown, column - start + if start > 0 { 3 } else { 0 })
        };
        Some(format!("{shown}\n{}^", " ".repeat(caret_at)))
    }
}

/// Longest expression line [`Error::caret`] shows whole, in characters.
pub const CARET_LINE: usize = 200;
/// How much of a longer line it shows before and after the position.
const CARET_BEFORE: usize = 60;
const CARET_AFTER: usize = 40;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} (at character {})", self.message, p),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn caret(expression: &str, position: usize) -> String {
        Error::syntax(position, "x").caret(expression).unwrap()
    }

    #[test]
    fn caret_under_the_position() {
        assert_eq!(caret("$a > 5 and", 11), "$a > 5 and\n          ^");
        assert_eq!(caret("$a = 1", 4), "$a = 1\n   ^");
        assert_eq!(Error::bad_value("x").caret("$a"), None);
    }

    #[test]
    fn caret_on_the_line_of_the_position() {
        // position 9 is "$b" on the second line
        assert_eq!(caret("$a > 1\nor $b", 11), "or $b\n   ^");
        assert_eq!(caret("$a > 1\nand", 8), "and\n^");
        assert_eq!(caret("$a >\t1 $b", 8), "$a > 1 $b\n       ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_position() {
        // 70 nested `not`: the 64th is refused, at character 253 of 282; near the end of the
        // line, the part shown reaches back further
        let nots = format!("{}$a", "not ".repeat(70));
        let shown = caret(&nots, 253);
        let (line, under) = shown.split_once('\n').unwrap();
        assert!(line.starts_with("...") && line.ends_with(" $a"), "{line}");
        assert_eq!(line.chars().count(), 3 + CARET_BEFORE + CARET_AFTER);
        assert_eq!(&line[under.len() - 1..under.len() + 3], "not ");
        assert!(under.trim_start() == "^");

        // a position early in a long line: nothing cut before it
        let long = format!("$a == {}", "1 + ".repeat(100));
        let shown = caret(&long, 4);
        let (line, under) = shown.split_once('\n').unwrap();
        assert!(line.starts_with("$a ==") && line.ends_with("..."), "{line}");
        assert_eq!(under, "   ^");

        // exactly CARET_LINE characters still shows whole
        let full = "x".repeat(CARET_LINE);
        assert_eq!(
            caret(&full, CARET_LINE + 1).split_once('\n').unwrap().0,
            full
        );
    }
}
