//! The checks a batch import runs on every input row, in order: the first that fails is the
//! row's reason in `fraud.batch_import_errors` (docs/sql-reference.md, "Batch import"). The
//! timestamp and variable value rules are those of SendEvent ([`parse_event_timestamp`],
//! [`value_error`]), which the SQL helpers `fraud._event_timestamp_ms` and
//! `fraud._variable_value_error` call too.

use crate::events::parse_event_timestamp;
use crate::value::{value_error, DataType};

/// What a column of the input holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    EventId,
    EventTimestamp,
    EntityId,
    EntityType,
    EventLabel,
    LabelTimestamp,
    /// a variable of the event type: its (lowercase) name and data type
    Variable(String, DataType),
}

impl Role {
    /// The role named by `fraud._import_columns` (an AFD column in upper case or VARIABLE).
    pub fn parse(role: &str, variable: &str, data_type: Option<&str>) -> Option<Role> {
        Some(match role {
            "EVENT_ID" => Role::EventId,
            "EVENT_TIMESTAMP" => Role::EventTimestamp,
            "ENTITY_ID" => Role::EntityId,
            "ENTITY_TYPE" => Role::EntityType,
            "EVENT_LABEL" => Role::EventLabel,
            "LABEL_TIMESTAMP" => Role::LabelTimestamp,
            "VARIABLE" => Role::Variable(variable.to_lowercase(), DataType::parse(data_type?)?),
            _ => return None,
        })
    }
}

/// The input's columns and what the event type allows.
#[derive(Debug, Clone)]
pub struct Layout {
    pub event_type: String,
    /// one per input column, in order
    pub roles: Vec<Role>,
    pub entity_types: Vec<String>,
    pub labels: Vec<String>,
}

/// A row that passed every check, as fraud.events stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: String,
    pub timestamp_ms: i64,
    pub entity_type: String,
    pub entity_id: String,
    pub label: Option<String>,
    pub label_timestamp_ms: Option<i64>,
    /// (variable, value) in column order, empty values left out
    pub variables: Vec<(String, String)>,
}

/// PostgreSQL's `quote_literal`: single quotes doubled; with a backslash, doubled
/// backslashes and an `E` prefix.
pub fn quote_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 3);
    if s.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// At most the first `n` characters (SQL's `left`).
pub fn left(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn shown(s: &str) -> String {
    quote_literal(left(s, 100))
}

/// A value as the import reads it: spaces around it dropped (SQL's `btrim`), empty is absent.
pub fn cell(raw: Option<&str>) -> Option<&str> {
    raw.map(|s| s.trim_matches(' ')).filter(|s| !s.is_empty())
}

pub fn is_event_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

pub fn is_entity_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.@+-".contains(&b))
}

impl Layout {
    /// The row's EVENT_ID as the error table keeps it (at most 100 characters), if any.
    pub fn event_id<'a>(&self, row: &[Option<&'a str>]) -> Option<&'a str> {
        self.roles
            .iter()
            .position(|r| *r == Role::EventId)
            .and_then(|i| cell(row.get(i).copied().flatten()))
            .map(|s| left(s, 100))
    }

    /// Checks one row (a value per column, None for SQL NULL); the error is the first failing
    /// check, worded as fraud_get_batch_import_job_errors shows it.
    pub fn check(&self, row: &[Option<&str>]) -> Result<Event, String> {
        let mut event_id = None;
        let mut ts = None;
        let mut entity_id = None;
        let mut entity_type = None;
        let mut label = None;
        let mut lts = None;
        for (role, raw) in self.roles.iter().zip(row) {
            let v = cell(*raw);
            match role {
                Role::EventId => event_id = v,
                Role::EventTimestamp => ts = v,
                Role::EntityId => entity_id = v,
                Role::EntityType => entity_type = v,
                Role::EventLabel => label = v,
                Role::LabelTimestamp => lts = v,
                Role::Variable(..) => {}
            }
        }
        let et = quote_literal(&self.event_type);
        let event_id = event_id.ok_or("EVENT_ID is empty")?;
        if !is_event_id(event_id) {
            return Err(format!(
                "EVENT_ID {} must match ^[0-9a-z_-]+$ (1 to 64 characters)",
                shown(event_id)
            ));
        }
        let ts = ts.ok_or("EVENT_TIMESTAMP is empty")?;
        let timestamp_ms = parse_event_timestamp(ts)
            .ok_or_else(|| format!("EVENT_TIMESTAMP {} is not a supported timestamp", shown(ts)))?;
        let entity_type = entity_type.ok_or("ENTITY_TYPE is empty")?;
        if !self.entity_types.iter().any(|t| t == entity_type) {
            return Err(format!(
                "ENTITY_TYPE {} is not an entity type of event type {et}",
                shown(entity_type)
            ));
        }
        let entity_id = entity_id.ok_or("ENTITY_ID is empty")?;
        if !is_entity_id(entity_id) {
            return Err(format!(
                "ENTITY_ID {} must match ^[0-9A-Za-z_.@+-]+$ (1 to 256 characters)",
                shown(entity_id)
            ));
        }
        if let Some(l) = label {
            if !self.labels.iter().any(|x| x == l) {
                return Err(format!(
                    "EVENT_LABEL {} is not a label of event type {et}",
                    shown(l)
                ));
            }
        }
        let label_timestamp_ms = match (label, lts) {
            (Some(_), None) => return Err("LABEL_TIMESTAMP is empty but EVENT_LABEL is set".into()),
            (None, Some(_)) => return Err("LABEL_TIMESTAMP is set but EVENT_LABEL is empty".into()),
            (None, None) => None,
            (Some(_), Some(t)) => Some(parse_event_timestamp(t).ok_or_else(|| {
                format!("LABEL_TIMESTAMP {} is not a supported timestamp", shown(t))
            })?),
        };
        let mut variables = Vec::new();
        for (role, raw) in self.roles.iter().zip(row) {
            if let (Role::Variable(name, t), Some(v)) = (role, cell(*raw)) {
                if let Some(e) = value_error(name, *t, v) {
                    return Err(e);
                }
                variables.push((name.clone(), v.to_string()));
            }
        }
        Ok(Event {
            event_id: event_id.to_string(),
            timestamp_ms,
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
            label: label.map(str::to_string),
            label_timestamp_ms,
            variables,
        })
    }
}

/// The reason of a valid row whose EVENT_ID an earlier valid row of the same batch has.
pub fn repeated_in_input(event_id: &str) -> String {
    format!(
        "EVENT_ID {} appears more than once in the input",
        quote_literal(event_id)
    )
}

/// The reason of a valid row whose EVENT_ID is already stored for the event type.
pub fn already_stored(event_id: &str, event_type: &str) -> String {
    format!(
        "EVENT_ID {} is already stored for event type {}",
        quote_literal(event_id),
        quote_literal(event_type)
    )
}

/// The reason of a CSV record that could not be read as a row.
pub fn broken_record(line: u64, why: &str) -> String {
    format!("line {line}: {why}")
}

/// The reason of a CSV record with the wrong number of fields.
pub fn wrong_field_count(line: u64, expected: usize, found: usize) -> String {
    format!("line {line}: expected {expected} fields, found {found}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            event_type: "registration".into(),
            roles: vec![
                Role::EventId,
                Role::EventTimestamp,
                Role::EntityId,
                Role::EntityType,
                Role::EventLabel,
                Role::LabelTimestamp,
                Role::Variable("order_price".into(), DataType::Float),
                Role::Variable("email".into(), DataType::String),
            ],
            entity_types: vec!["customer".into()],
            labels: vec!["fraud".into()],
        }
    }

    fn check(row: &[&str]) -> Result<Event, String> {
        let row: Vec<Option<&str>> = row.iter().map(|s| Some(*s)).collect();
        layout().check(&row)
    }

    const T: &str = "2024-05-01T12:00:00Z";

    #[test]
    fn a_good_row() {
        let e = check(&["ev1 ", T, "c1", "customer", "fraud", T, " 1.5", ""]).unwrap();
        assert_eq!(e.event_id, "ev1");
        assert_eq!(e.timestamp_ms, 1_714_564_800_000);
        assert_eq!(e.label_timestamp_ms, Some(1_714_564_800_000));
        assert_eq!(
            e.variables,
            vec![("order_price".to_string(), "1.5".to_string())]
        );
    }

    #[test]
    fn the_first_failing_check_is_the_reason() {
        assert_eq!(
            check(&["  ", "x", "", "", "", "", "", ""]).unwrap_err(),
            "EVENT_ID is empty"
        );
        assert_eq!(
            check(&["Bad Id", "", "", "", "", "", "", ""]).unwrap_err(),
            "EVENT_ID 'Bad Id' must match ^[0-9a-z_-]+$ (1 to 64 characters)"
        );
        assert_eq!(
            check(&["e", "not a time", "", "", "", "", "", ""]).unwrap_err(),
            "EVENT_TIMESTAMP 'not a time' is not a supported timestamp"
        );
        assert_eq!(
            check(&["e", T, "c", "merchant", "", "", "", ""]).unwrap_err(),
            "ENTITY_TYPE 'merchant' is not an entity type of event type 'registration'"
        );
        assert_eq!(
            check(&["e", T, "a b", "customer", "", "", "", ""]).unwrap_err(),
            "ENTITY_ID 'a b' must match ^[0-9A-Za-z_.@+-]+$ (1 to 256 characters)"
        );
        assert_eq!(
            check(&["e", T, "c", "customer", "legit", T, "", ""]).unwrap_err(),
            "EVENT_LABEL 'legit' is not a label of event type 'registration'"
        );
        assert_eq!(
            check(&["e", T, "c", "customer", "fraud", "", "", ""]).unwrap_err(),
            "LABEL_TIMESTAMP is empty but EVENT_LABEL is set"
        );
        assert_eq!(
            check(&["e", T, "c", "customer", "", T, "", ""]).unwrap_err(),
            "LABEL_TIMESTAMP is set but EVENT_LABEL is empty"
        );
        assert!(check(&["e", T, "c", "customer", "", "", "twelve", ""])
            .unwrap_err()
            .contains("order_price"));
    }

    #[test]
    fn quoting_like_postgresql() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(left("héllo", 2), "hé");
        assert_eq!(left("ab", 100), "ab");
    }
}
