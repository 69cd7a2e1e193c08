//! Typed values, and how event input is read as a variable's data type.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::error::Error;

/// A variable's data type (AFD's DataType). Serialized by its AFD name (stored models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DataType {
    String,
    Integer,
    Float,
    Boolean,
    DateTime,
}

impl DataType {
    pub fn parse(s: &str) -> Option<DataType> {
        Some(match s {
            "STRING" => DataType::String,
            "INTEGER" => DataType::Integer,
            "FLOAT" => DataType::Float,
            "BOOLEAN" => DataType::Boolean,
            "DATETIME" => DataType::DateTime,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "STRING",
            DataType::Integer => "INTEGER",
            DataType::Float => "FLOAT",
            DataType::Boolean => "BOOLEAN",
            DataType::DateTime => "DATETIME",
        }
    }
}

/// One value during evaluation. Strings borrow from the event where they can (`'a`), so
/// reading an event allocates nothing; DATETIME is milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    DateTime(i64),
}

impl Value<'_> {
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::DateTime(t) => Value::DateTime(t),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Written as it would be in a rule: strings quoted, DATETIME in RFC 3339.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Value::DateTime(ms) => match DateTime::from_timestamp_millis(*ms) {
                Some(t) => write!(f, "\"{}\"", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
                None => write!(f, "{ms}"),
            },
        }
    }
}

/// Parses a DATETIME: RFC 3339 / ISO 8601 with an offset (`2024-05-01T12:00:00Z`,
/// `...+02:00`, PostgreSQL's `2024-05-01 12:00:00+00`), or without one (taken as UTC), or a
/// bare date. Returns epoch milliseconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.timestamp_millis());
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

fn bad(variable: &str, data_type: DataType, shown: &str) -> Error {
    Error::bad_value(format!(
        "invalid value for variable \"{variable}\" of type {}: {shown}",
        data_type.name()
    ))
}

/// A value as an error shows it: its first 100 characters.
fn cut(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Reads text (a JSON string, or a default value) as `data_type`. An error shows the text as
/// given, quoted.
pub fn from_str<'a>(variable: &str, data_type: DataType, s: &'a str) -> Result<Value<'a>, Error> {
    let shown = || format!("\"{}\"", cut(s));
    match data_type {
        DataType::String => Ok(Value::Str(Cow::Borrowed(s))),
        DataType::Integer => s.trim().parse::<i64>().map(Value::Int).or_else(|_| {
            // "12.0" is an integer written as a decimal; "12.5" is not, nor is anything
            // beyond 64 bits
            match s.trim().parse::<f64>() {
                Ok(f) => {
                    from_f64(variable, data_type, f).map_err(|_| bad(variable, data_type, &shown()))
                }
                Err(_) => Err(bad(variable, data_type, &shown())),
            }
        }),
        DataType::Float => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(bad(variable, data_type, &shown())),
        },
        DataType::Boolean => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad(variable, data_type, &shown())),
        },
        DataType::DateTime => parse_datetime(s)
            .map(Value::DateTime)
            .ok_or_else(|| bad(variable, data_type, &shown())),
    }
}

/// Reads a JSON number as `data_type`. (A number for a STRING variable is handled by the
/// caller, which has the number's exact text.) A FLOAT must be finite, as in [`from_str`]: a
/// JSON number beyond f64's range (`1e309`) arrives here as an infinity, a float8 or numeric
/// column can hold Infinity and NaN, and none of them may reach a rule.
pub fn from_f64(variable: &str, data_type: DataType, f: f64) -> Result<Value<'static>, Error> {
    match data_type {
        DataType::Float if f.is_finite() => Ok(Value::Float(f)),
        // exact while |f| < 2^53, which is every integer a JSON producer writes exactly
        DataType::Integer if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            Ok(Value::Int(f as i64))
        }
        DataType::String => Ok(Value::Str(Cow::Owned(f.to_string()))),
        // spelt as PostgreSQL and JSON spell them, not Rust's inf / NaN
        _ if f.is_nan() => Err(bad(variable, data_type, "NaN")),
        _ if f.is_infinite() => Err(bad(
            variable,
            data_type,
            if f > 0.0 { "Infinity" } else { "-Infinity" },
        )),
        _ => Err(bad(variable, data_type, &f.to_string())),
    }
}

/// Reads a number as `data_type`, given as the nearest f64 and its exact decimal `text` (a
/// JSON number's or a numeric column's): an error shows the number as sent, not the f64
/// (`9223372036854775808`, not `9223372036854776000`). `text` is asked for only then.
pub fn from_number(
    variable: &str,
    data_type: DataType,
    f: f64,
    text: impl FnOnce() -> String,
) -> Result<Value<'static>, Error> {
    from_f64(variable, data_type, f).map_err(|_| bad(variable, data_type, &cut(&text())))
}

/// Reads a JSON boolean as `data_type`.
pub fn from_bool(variable: &str, data_type: DataType, b: bool) -> Result<Value<'static>, Error> {
    match data_type {
        DataType::Boolean => Ok(Value::Bool(b)),
        DataType::String => Ok(Value::Str(Cow::Borrowed(if b { "true" } else { "false" }))),
        _ => Err(bad(variable, data_type, &b.to_string())),
    }
}

/// A JSON object or array where a scalar was expected.
pub fn not_scalar(variable: &str, data_type: DataType, what: &str) -> Error {
    bad(variable, data_type, what)
}

/// Why `s` is not a valid value of `variable`, a variable of `data_type`; None when it is.
/// SendEvent (through `fraud._variable_value_error`) and batch import both ask this.
pub fn value_error(variable: &str, data_type: DataType, s: &str) -> Option<String> {
    from_str(variable, data_type, s).err().map(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_in_the_formats_events_use() {
        let z = parse_datetime("2024-05-01T12:00:00Z").unwrap();
        assert_eq!(parse_datetime("2024-05-01T14:00:00+02:00"), Some(z));
        assert_eq!(parse_datetime("2024-05-01 12:00:00+00"), Some(z));
        assert_eq!(parse_datetime("2024-05-01T12:00:00"), Some(z));
        assert_eq!(parse_datetime("2024-05-01T12:00:00.000Z"), Some(z));
        assert_eq!(parse_datetime("2024-05-01"), Some(z - 12 * 3600 * 1000));
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn text_reads_as_each_type() {
        assert_eq!(from_str("v", DataType::Integer, " 42 "), Ok(Value::Int(42)));
        assert_eq!(from_str("v", DataType::Integer, "42.0"), Ok(Value::Int(42)));
        assert!(from_str("v", DataType::Integer, "42.5").is_err());
        assert_eq!(
            from_str("v", DataType::Float, "1e3"),
            Ok(Value::Float(1000.0))
        );
        assert!(from_str("v", DataType::Float, "NaN").is_err());
        assert_eq!(
            from_str("v", DataType::Boolean, "TRUE"),
            Ok(Value::Bool(true))
        );
        let e = from_str("age", DataType::Integer, "abc").unwrap_err();
        assert_eq!(
            e.message,
            "invalid value for variable \"age\" of type INTEGER: \"abc\""
        );
    }

    #[test]
    fn errors_show_the_value_as_sent() {
        // beyond 64 bits: the f64 would print as 9223372036854776000
        let e = from_str("n", DataType::Integer, "9223372036854775808").unwrap_err();
        assert_eq!(
            e.message,
            "invalid value for variable \"n\" of type INTEGER: \"9223372036854775808\""
        );
        let e = from_str("n", DataType::Integer, "12.5").unwrap_err();
        assert!(e.message.ends_with(": \"12.5\""), "{}", e.message);
        let e = from_number("n", DataType::Integer, 9.223372036854776e18, || {
            "9223372036854775808".into()
        })
        .unwrap_err();
        assert_eq!(
            e.message,
            "invalid value for variable \"n\" of type INTEGER: 9223372036854775808"
        );
        let e = from_number("n", DataType::Integer, 1e300, || {
            format!("1{}", "0".repeat(300))
        })
        .unwrap_err();
        assert!(
            e.message.ends_with(&format!(": 1{}", "0".repeat(99))),
            "{}",
            e.message
        );
        let e = from_number("b", DataType::Boolean, 2.50, || "2.50".into()).unwrap_err();
        assert!(e.message.ends_with(": 2.50"), "{}", e.message);
        assert_eq!(
            from_number("n", DataType::Integer, 42.0, || unreachable!()),
            Ok(Value::Int(42))
        );
    }

    #[test]
    fn numbers_and_booleans_read_as_each_type() {
        assert_eq!(from_f64("v", DataType::Integer, 7.0), Ok(Value::Int(7)));
        assert!(from_f64("v", DataType::Integer, 7.5).is_err());
        assert!(from_f64("v", DataType::Boolean, 1.0).is_err());
        assert_eq!(
            from_f64("v", DataType::String, 7.5),
            Ok(Value::Str("7.5".into()))
        );
        assert_eq!(
            from_bool("v", DataType::String, true),
            Ok(Value::Str("true".into()))
        );
        assert!(from_bool("v", DataType::Integer, true).is_err());
    }

    #[test]
    fn a_float_must_be_finite_whatever_its_form() {
        // the string form was refused; the number form used to become an infinity
        assert!(from_str("amount", DataType::Float, "1e309").is_err());
        let e = from_number("amount", DataType::Float, f64::INFINITY, || {
            format!("1{}", "0".repeat(309))
        })
        .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadValue);
        assert!(
            e.message
                .starts_with("invalid value for variable \"amount\" of type FLOAT: 1000"),
            "{}",
            e.message
        );
        for (f, shown) in [
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ] {
            let e = from_f64("amount", DataType::Float, f).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::BadValue);
            assert_eq!(
                e.message,
                format!("invalid value for variable \"amount\" of type FLOAT: {shown}")
            );
            assert!(from_f64("n", DataType::Integer, f).is_err());
        }
        assert_eq!(
            from_f64("amount", DataType::Float, f64::MAX),
            Ok(Value::Float(f64::MAX))
        );
    }

    #[test]
    fn display_writes_rule_literals() {
        assert_eq!(Value::Str("a\"b\\c".into()).to_string(), r#""a\"b\\c""#);
        assert_eq!(
            Value::DateTime(0).to_string(),
            "\"1970-01-01T00:00:00.000Z\""
        );
        assert_eq!(Value::Null.to_string(), "null");
    }
}
