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
    pub fn bad_value(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::BadValue,
            message: message.into(),
            position: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} (at character {})", self.message, p),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}
