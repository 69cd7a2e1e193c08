//! Reading an event's fields straight from the jsonb binary: only the keys the rules need, no
//! text round trip, strings borrowed from the datum (see jsonb.rs for the format; the bytes come
//! from `datum::jsonb_body`).

use std::borrow::Cow;
use std::cell::Cell;

use fraud_engine::detector::Variable;
use fraud_engine::value::{self, DataType, Value};
use fraud_engine::Error;

use crate::datum::{numeric_text, text_of};
use crate::errors;
use crate::jsonb::{numeric_f64, Container, Item, ObjectIndex, Offsets};

/// An event: a flat object of variables (what `to_jsonb(row)` gives) or the AFD request shape
/// with `eventVariables`. `'a` is the life of the detoasted datum.
pub struct Event<'a> {
    root: ObjectIndex<'a>,
    /// the `eventVariables` object of the AFD request shape, when there is one
    inner: Option<ObjectIndex<'a>>,
}

/// Where a variable's value came from (AFD's EventVariableSummary source).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Event,
    Default,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Event => "EVENT",
            Source::Default => "DEFAULT",
        }
    }
}

/// Stack room for an event's object indexes (the top level and `eventVariables`).
#[derive(Default)]
pub struct EventBuffers(Offsets, Offsets);

impl<'a> Event<'a> {
    /// `bytes` is the jsonb body (`datum::jsonb_body`); `buffers` holds the object indexes'
    /// offsets (see [`EventBuffers`]).
    pub fn open(bytes: &'a [u8], buffers: &'a mut EventBuffers) -> Event<'a> {
        let EventBuffers(root_offsets, inner_offsets) = buffers;
        let Some(root) = ObjectIndex::new(Container::new(bytes), root_offsets) else {
            errors::invalid("invalid event: must be a JSON object".to_string());
        };
        let inner = match root.find(b"eventVariables", &mut 0) {
            None | Some(Item::Null) => None,
            Some(Item::Container(c)) => match ObjectIndex::new(c, inner_offsets) {
                Some(index) => Some(index),
                None => errors::invalid(
                    "invalid event: eventVariables must be a JSON object".to_string(),
                ),
            },
            Some(_) => {
                errors::invalid("invalid event: eventVariables must be a JSON object".to_string())
            }
        };
        Event { root, inner }
    }

    fn variables(&self) -> &ObjectIndex<'a> {
        self.inner.as_ref().unwrap_or(&self.root)
    }

    /// The variable's value and where it came from: the event, or the variable's default
    /// when the key is absent. JSON null is NULL.
    /// `hint` is where the key was in the previous event (see `ObjectIndex::find`).
    pub fn read<'v>(
        &self,
        key: &[u8],
        var: &'v Variable,
        hint: &Cell<usize>,
    ) -> Result<(Value<'v>, Source), Error>
    where
        'a: 'v,
    {
        let mut at = hint.get();
        let found = self.variables().find(key, &mut at);
        hint.set(at);
        let Some(item) = found else {
            let d = match &var.default {
                Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
                other => other.clone(),
            };
            return Ok((d, Source::Default));
        };
        let (name, t) = (var.name.as_str(), var.data_type);
        let value = match item {
            Item::Null => Value::Null,
            Item::Str(b) => match text_of(b) {
                Cow::Borrowed(s) => value::from_str(name, t, s)?,
                Cow::Owned(s) => value::from_str(name, t, &s)?.into_owned(),
            },
            Item::Bool(b) => value::from_bool(name, t, b)?,
            // SAFETY (numeric_text): a numeric of the jsonb datum this event was opened on
            Item::Numeric(n) if t == DataType::String => {
                Value::Str(Cow::Owned(unsafe { numeric_text(n) }))
            }
            // errors show the number as sent (its exact text), not the nearest f64
            Item::Numeric(n) => match numeric_f64(n) {
                Some(f) => value::from_number(name, t, f, || unsafe { numeric_text(n) })?,
                None => value::from_str(name, t, &unsafe { numeric_text(n) })?.into_owned(),
            },
            Item::Container(_) => return Err(value::not_scalar(name, t, "a JSON object or array")),
        };
        Ok((value, Source::Event))
    }

    /// The `entities` array ([{"entityType", "entityId"}]) of the AFD request shape, or of a
    /// flat event that has one.
    pub fn entities(&self) -> Option<Container<'a>> {
        match self.root.find(b"entities", &mut 0)? {
            Item::Container(c) => Some(c),
            _ => None,
        }
    }

    /// The text of variable `key` as the event gives it (a number as its exact text, a
    /// boolean as true/false), without reading it as a type: what a stored event's variable
    /// holds and aggregates group by. None when absent or JSON null.
    pub fn raw_variable(&self, key: &[u8]) -> Option<Cow<'a, str>> {
        Some(match self.variables().find(key, &mut 0)? {
            Item::Str(b) => text_of(b),
            // SAFETY: a numeric of the jsonb datum this event was opened on
            Item::Numeric(n) => Cow::Owned(unsafe { numeric_text(n) }),
            Item::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Item::Null | Item::Container(_) => return None,
        })
    }

    /// A top-level string member of the AFD request shape (eventId, eventTimestamp, ...).
    pub fn envelope(&self, key: &str) -> Option<String> {
        match self.root.find(key.as_bytes(), &mut 0)? {
            Item::Str(b) => Some(text_of(b).into_owned()),
            _ => None,
        }
    }
}
