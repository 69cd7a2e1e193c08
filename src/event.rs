//! Reading an event's fields straight from the jsonb binary: only the keys the rules need, no
//! text round trip, strings borrowed from the datum (see jsonb.rs for the format).

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::CStr;

use pgrx::pg_sys;

use fraud_engine::detector::Variable;
use fraud_engine::value::{self, DataType, Value};
use fraud_engine::Error;

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

thread_local! {
    /// 1 = the database encoding is UTF-8 (jsonb strings need no re-validation), 2 = not, 0 = unknown.
    static UTF8_DB: Cell<u8> = const { Cell::new(0) };
}

fn utf8_database() -> bool {
    UTF8_DB.with(|c| {
        if c.get() == 0 {
            // SAFETY: reads backend state.
            let utf8 = unsafe { pg_sys::GetDatabaseEncoding() } == pg_sys::pg_enc::PG_UTF8 as i32;
            c.set(if utf8 { 1 } else { 2 });
        }
        c.get() == 1
    })
}

/// Text of a jsonb string. In a UTF-8 database PostgreSQL guarantees valid UTF-8.
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    if utf8_database() {
        // SAFETY: jsonb strings are valid in the database encoding, here UTF-8.
        Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8_lossy(bytes)
    }
}

/// A numeric's exact text, through PostgreSQL's numeric_out.
fn numeric_text(numeric: &[u8]) -> String {
    // SAFETY: `numeric` is a numeric varlena inside a live jsonb datum.
    unsafe {
        pgrx::direct_function_call::<&CStr>(
            pg_sys::numeric_out,
            &[Some(pg_sys::Datum::from(numeric.as_ptr()))],
        )
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
    }
}

/// Stack room for an event's object indexes (the top level and `eventVariables`).
#[derive(Default)]
pub struct EventBuffers(Offsets, Offsets);

impl<'a> Event<'a> {
    /// `buffers` holds the object indexes' offsets (see [`EventBuffers`]).
    ///
    /// # Safety
    /// `datum` must be a non-NULL jsonb datum that outlives `'a`.
    pub unsafe fn open(datum: pg_sys::Datum, buffers: &'a mut EventBuffers) -> Event<'a> {
        let raw = datum.cast_mut_ptr::<pg_sys::varlena>();
        // a plain 4-byte-header varlena (the usual case for a column value) needs no detoasting
        let jb = if *(raw as *const u8) & 0x03 == 0 {
            raw
        } else {
            pg_sys::pg_detoast_datum(raw)
        };
        let size = pgrx::varsize_any(jb);
        let bytes: &'a [u8] = std::slice::from_raw_parts(
            (jb as *const u8).add(pg_sys::VARHDRSZ),
            size - pg_sys::VARHDRSZ,
        );
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
            Item::Numeric(n) if t == DataType::String => Value::Str(Cow::Owned(numeric_text(n))),
            Item::Numeric(n) => match numeric_f64(n) {
                Some(f) => value::from_f64(name, t, f)?,
                None => value::from_str(name, t, &numeric_text(n))?.into_owned(),
            },
            Item::Container(_) => return Err(value::not_scalar(name, t, "a JSON object or array")),
        };
        Ok((value, Source::Event))
    }

    /// A top-level string member of the AFD request shape (eventId, eventTimestamp, ...).
    pub fn envelope(&self, key: &str) -> Option<String> {
        match self.root.find(key.as_bytes(), &mut 0)? {
            Item::Str(b) => Some(text_of(b).into_owned()),
            _ => None,
        }
    }
}

/// A numeric datum as f64 (for column values in triggers).
///
/// # Safety
/// `d` must be a numeric datum.
pub unsafe fn numeric_datum_f64(d: pg_sys::Datum) -> f64 {
    let p = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
    let len = pgrx::varsize_any(p);
    let bytes = std::slice::from_raw_parts(p as *const u8, len);
    numeric_f64(bytes).unwrap_or(f64::NAN)
}
