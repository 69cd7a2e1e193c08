//! Reading an event's fields straight from the jsonb binary (`getKeyJsonValueFromContainer`):
//! only the keys the rules need, no text round trip, strings borrowed from the datum.

use std::borrow::Cow;
use std::ffi::CStr;
use std::marker::PhantomData;

use pgrx::pg_sys;

use fraud_engine::detector::Variable;
use fraud_engine::value::{self, Value};
use fraud_engine::Error;

use crate::errors;

/// An event: a flat object of variables (what `to_jsonb(row)` gives) or the AFD request shape
/// with `eventVariables`. `'a` is the life of the detoasted datum.
pub struct Event<'a> {
    root: *mut pg_sys::JsonbContainer,
    variables: *mut pg_sys::JsonbContainer,
    _datum: PhantomData<&'a ()>,
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

unsafe fn is_object(c: *const pg_sys::JsonbContainer) -> bool {
    ((*c).header & pg_sys::JB_FOBJECT) != 0
}

unsafe fn lookup(c: *mut pg_sys::JsonbContainer, key: &[u8]) -> Option<pg_sys::JsonbValue> {
    let mut v: pg_sys::JsonbValue = std::mem::zeroed();
    let found =
        pg_sys::getKeyJsonValueFromContainer(c, key.as_ptr().cast(), key.len() as i32, &mut v);
    (!found.is_null()).then_some(v)
}

unsafe fn str_of<'a>(v: &pg_sys::JsonbValue) -> &'a str {
    let s = v.val.string;
    let bytes = std::slice::from_raw_parts(s.val as *const u8, s.len as usize);
    // jsonb strings are valid in the database encoding; in UTF-8 databases that is UTF-8
    std::str::from_utf8(bytes).unwrap_or("")
}

/// A numeric datum as f64 (PostgreSQL's own conversion, without overflow errors).
pub unsafe fn numeric_f64(d: pg_sys::Datum) -> f64 {
    pgrx::direct_function_call::<f64>(pg_sys::numeric_float8_no_overflow, &[Some(d)])
        .unwrap_or(f64::NAN)
}

impl<'a> Event<'a> {
    /// # Safety
    /// `datum` must be a non-NULL jsonb datum that outlives `'a`.
    pub unsafe fn open(datum: pg_sys::Datum) -> Event<'a> {
        let jb = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as *mut pg_sys::Jsonb;
        let root = std::ptr::addr_of_mut!((*jb).root);
        if !is_object(root) {
            errors::invalid("invalid event: must be a JSON object".to_string());
        }
        let mut variables = root;
        if let Some(v) = lookup(root, b"eventVariables") {
            if v.type_ == pg_sys::jbvType::jbvBinary && is_object(v.val.binary.data) {
                variables = v.val.binary.data;
            } else if v.type_ != pg_sys::jbvType::jbvNull {
                errors::invalid("invalid event: eventVariables must be a JSON object".to_string());
            }
        }
        Event {
            root,
            variables,
            _datum: PhantomData,
        }
    }

    /// The variable's value and where it came from: the event, or the variable's default
    /// when the key is absent. JSON null is NULL.
    pub fn read(&self, key: &[u8], var: &'a Variable) -> Result<(Value<'a>, Source), Error> {
        // SAFETY: the container belongs to the detoasted datum, alive for 'a.
        let Some(v) = (unsafe { lookup(self.variables, key) }) else {
            let d = match &var.default {
                Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
                other => other.clone(),
            };
            return Ok((d, Source::Default));
        };
        let name = &var.name;
        let t = var.data_type;
        // SAFETY: each arm reads the union member its type tag names.
        let value = unsafe {
            match v.type_ {
                pg_sys::jbvType::jbvNull => Value::Null,
                pg_sys::jbvType::jbvString => value::from_str(name, t, str_of(&v))?,
                pg_sys::jbvType::jbvBool => value::from_bool(name, t, v.val.boolean)?,
                pg_sys::jbvType::jbvNumeric => {
                    if t == value::DataType::String {
                        // keep the number exactly as written
                        let text = pgrx::direct_function_call::<&CStr>(
                            pg_sys::numeric_out,
                            &[Some(pg_sys::Datum::from(v.val.numeric))],
                        );
                        Value::Str(Cow::Owned(
                            text.map(|c| c.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        ))
                    } else {
                        value::from_f64(name, t, numeric_f64(pg_sys::Datum::from(v.val.numeric)))?
                    }
                }
                _ => return Err(value::not_scalar(name, t, "a JSON object or array")),
            }
        };
        Ok((value, Source::Event))
    }

    /// A top-level string member of the AFD request shape (eventId, eventTimestamp, ...).
    pub fn envelope(&self, key: &str) -> Option<String> {
        // SAFETY: as in read().
        unsafe {
            let v = lookup(self.root, key.as_bytes())?;
            (v.type_ == pg_sys::jbvType::jbvString).then(|| str_of(&v).to_string())
        }
    }
}
