//! Scoring: fraud_predict (AFD's GetEventPrediction response), fraud_outcomes (text[]),
//! fraud_explain (GetEventPredictionMetadata). STABLE and PARALLEL SAFE: they read the catalog
//! only through the per-backend cache, read-only.

use std::cell::RefCell;

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::nullable::Nullable;
use pgrx::prelude::*;
use pgrx::{pg_sys, FromDatum, IntoDatum};
use rustc_hash::FxHashMap;
use serde_json::{json, Value as Json};
use smallvec::SmallVec;

use fraud_engine::detector::{expression_with_values, Mode};
use fraud_engine::eval::Context;
use fraud_engine::value::Value;

use crate::cache::{self, Compiled};
use crate::errors;
use crate::event::{Event, EventBuffers, Source};

/// A jsonb datum passed through untouched (pgrx's `JsonB` goes through text both ways).
pub struct Jsonb(pub pg_sys::Datum);

impl FromDatum for Jsonb {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(Jsonb(datum))
    }
}

impl IntoDatum for Jsonb {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

pgrx::impl_sql_translatable!(Jsonb, "jsonb");

// SAFETY (both impls): the datum is handed to and from PostgreSQL untouched.
unsafe impl<'fcx> ArgAbi<'fcx> for Jsonb {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        arg.unbox_arg_using_from_datum()
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        arg.unbox_arg_using_from_datum().into()
    }
}

unsafe impl BoxRet for Jsonb {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        fcinfo.return_raw_datum(self.0)
    }
}

/// A `text[]` datum rendered once and copied out.
pub struct TextArray(pub pg_sys::Datum);

impl IntoDatum for TextArray {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::TEXTARRAYOID
    }
}

pgrx::impl_sql_translatable!(TextArray, "text[]");

unsafe impl BoxRet for TextArray {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        fcinfo.return_raw_datum(self.0)
    }
}

/// The most distinct answers kept per detector version (ALL_MATCHED over many rules can have
/// many); past it, answers are rendered on each call.
const MAX_RENDERED: usize = 4096;

/// Rendered varlena bytes of each distinct answer, keyed by the matched rule indices.
#[derive(Default)]
pub struct Rendered {
    predictions: RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
    outcomes: RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
}

/// Copies a varlena datum's bytes into Rust memory.
unsafe fn varlena_bytes(d: pg_sys::Datum) -> Box<[u8]> {
    let p = d.cast_mut_ptr::<pg_sys::varlena>();
    let len = pgrx::varsize_any(p);
    std::slice::from_raw_parts(p as *const u8, len).into()
}

/// A palloc'd copy of rendered bytes, as a datum of the current memory context.
unsafe fn datum_of(bytes: &[u8]) -> pg_sys::Datum {
    let p = pg_sys::palloc(bytes.len()) as *mut u8;
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
    pg_sys::Datum::from(p)
}

fn rendered(
    map: &RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
    matched: &[usize],
    render: impl FnOnce() -> pg_sys::Datum,
) -> pg_sys::Datum {
    if let Some(bytes) = map.borrow().get(matched) {
        // SAFETY: bytes are a complete varlena rendered by `render` earlier.
        return unsafe { datum_of(bytes) };
    }
    let d = render();
    let mut map = map.borrow_mut();
    if map.len() < MAX_RENDERED {
        // SAFETY: `render` returns a varlena datum.
        map.insert(matched.to_vec(), unsafe { varlena_bytes(d) });
    }
    d
}

fn jsonb_datum(value: &Json) -> pg_sys::Datum {
    let text = std::ffi::CString::new(value.to_string()).unwrap_or_default();
    // SAFETY: jsonb_in on a valid C string.
    unsafe {
        pgrx::direct_function_call_as_datum(
            pg_sys::jsonb_in,
            &[Some(pg_sys::Datum::from(text.as_ptr()))],
        )
        .unwrap_or(pg_sys::Datum::from(0usize))
    }
}

fn prediction_json(c: &Compiled, matched: &[usize]) -> Json {
    let rule_results: Vec<Json> = matched
        .iter()
        .map(|&i| {
            let r = &c.detector.rules[i];
            json!({"ruleId": r.rule_id, "outcomes": r.outcomes})
        })
        .collect();
    json!({"modelScores": [], "ruleResults": rule_results, "externalModelOutputs": []})
}

pub fn outcomes_of(c: &Compiled, matched: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &i in matched {
        for o in &c.detector.rules[i].outcomes {
            if !out.contains(o) {
                out.push(o.clone());
            }
        }
    }
    out
}

/// The evaluation context of the current statement (call after `cache::get`).
pub fn context() -> Context {
    Context {
        now_millis: cache::now_millis(),
    }
}

thread_local! {
    static MATCHED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn required<'a>(name: &str, v: Option<&'a str>) -> &'a str {
    v.unwrap_or_else(|| errors::invalid(format!("invalid {name}: NULL ({name} is required)")))
}

/// Reads the slots the compiled rules need from `event`; the first value that cannot be read
/// as its variable's type is the error.
fn read_slots<'v>(
    compiled: &'v Compiled,
    ev: &Event<'v>,
) -> Result<SmallVec<[Value<'v>; 16]>, fraud_engine::Error> {
    let mut slots: SmallVec<[Value; 16]> = SmallVec::with_capacity(compiled.detector.slots.len());
    for ((var, key), hint) in compiled
        .detector
        .slots
        .iter()
        .zip(&compiled.slot_keys)
        .zip(&compiled.slot_hints)
    {
        slots.push(ev.read(key, var, hint)?.0);
    }
    Ok(slots)
}

/// Scores `event` and hands the matched rule indices to `finish`.
fn score<R>(
    detector_id: Option<&str>,
    event: Jsonb,
    version: Option<&str>,
    finish: impl FnOnce(&Compiled, &[usize]) -> R,
) -> R {
    let detector_id = required("detector_id", detector_id);
    let compiled = cache::get(detector_id, version);
    let mut buffers = EventBuffers::default();
    // SAFETY: a non-NULL jsonb argument, alive for this call.
    let ev = unsafe { Event::open(event.0, &mut buffers) };
    let slots = read_slots(&compiled, &ev).unwrap_or_else(|e| errors::bad_value(&e));
    MATCHED.with(|m| {
        let mut matched = m.borrow_mut();
        compiled.detector.evaluate(&slots, &context(), &mut matched);
        finish(&compiled, &matched)
    })
}

/// Why fraud_predict would refuse `event` (a value that cannot be read as its variable's
/// type), or NULL. Batch prediction uses it to give such rows an ERROR status instead of
/// failing their batch.
#[pg_extern(stable, parallel_safe, name = "_event_error", schema = "fraud")]
pub fn event_error(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: Option<&str>,
) -> Option<String> {
    let event = event?;
    let compiled = cache::get(required("detector_id", detector_id), detector_version_id);
    let mut buffers = EventBuffers::default();
    // SAFETY: a non-NULL jsonb argument, alive for this call.
    let ev = unsafe { Event::open(event.0, &mut buffers) };
    read_slots(&compiled, &ev).err().map(|e| e.message)
}

/// The rendered prediction for a set of matched rules.
pub fn prediction_datum(c: &Compiled, matched: &[usize]) -> pg_sys::Datum {
    rendered(&c.rendered.predictions, matched, || {
        jsonb_datum(&prediction_json(c, matched))
    })
}

/// The rendered outcomes (text[]) for a set of matched rules.
pub fn outcomes_datum(c: &Compiled, matched: &[usize]) -> pg_sys::Datum {
    rendered(&c.rendered.outcomes, matched, || {
        outcomes_of(c, matched)
            .into_datum()
            .unwrap_or(pg_sys::Datum::from(0usize))
    })
}

/// AFD GetEventPrediction: {"modelScores", "ruleResults", "externalModelOutputs"}.
#[pg_extern(stable, parallel_safe)]
pub fn fraud_predict(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: default!(Option<&str>, "NULL"),
) -> Option<Jsonb> {
    let event = event?;
    Some(Jsonb(score(
        detector_id,
        event,
        detector_version_id,
        prediction_datum,
    )))
}

/// The outcomes alone, in rule order without repeats: the cheap form for bulk queries.
#[pg_extern(stable, parallel_safe)]
pub fn fraud_outcomes(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: default!(Option<&str>, "NULL"),
) -> Option<TextArray> {
    let event = event?;
    Some(TextArray(score(
        detector_id,
        event,
        detector_version_id,
        outcomes_datum,
    )))
}

/// AFD GetEventPredictionMetadata: every rule with evaluated / matched / expressionWithValues,
/// every variable with its value and source.
#[pg_extern(stable, parallel_safe)]
pub fn fraud_explain(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: default!(Option<&str>, "NULL"),
) -> Option<pgrx::JsonB> {
    let event = event?;
    let detector_id = required("detector_id", detector_id);
    let c = cache::get(detector_id, detector_version_id);
    let mut buffers = EventBuffers::default();
    // SAFETY: as in score().
    let ev = unsafe { Event::open(event.0, &mut buffers) };
    let mut values: FxHashMap<&str, (Value, Source)> = FxHashMap::default();
    let mut summaries = Vec::new();
    for (var, key) in c.detector.variables.iter().zip(&c.variable_keys) {
        let (v, source) = ev
            .read(key, var, &std::cell::Cell::new(0))
            .unwrap_or_else(|e| errors::bad_value(&e));
        let shown = match &v {
            Value::Str(s) => s.to_string(),
            other => other.to_string().trim_matches('"').to_string(),
        };
        summaries.push(json!({"name": var.name, "value": shown, "source": source.name()}));
        values.insert(var.name.as_str(), (v, source));
    }
    let slots: Vec<Value> = c
        .detector
        .slots
        .iter()
        .map(|v| {
            values
                .get(v.name.as_str())
                .map(|x| x.0.clone())
                .unwrap_or(Value::Null)
        })
        .collect();
    let ctx = context();
    let mut rules = Vec::new();
    let mut matched_any = Vec::new();
    let mut done = false;
    for (i, rule) in c.detector.rules.iter().enumerate() {
        let evaluated = !done;
        let matched = evaluated && fraud_engine::eval::truth(&rule.node, &slots, &ctx);
        if matched {
            matched_any.push(i);
            done = c.detector.mode == Mode::FirstMatched;
        }
        rules.push(json!({
            "ruleId": rule.rule_id,
            "ruleVersion": rule.rule_version,
            "expression": rule.expression,
            "expressionWithValues": expression_with_values(rule, |n| values.get(n).map(|(v, _)| v.to_string())),
            "outcomes": rule.outcomes,
            "evaluated": evaluated,
            "matched": matched,
        }));
    }
    let mut out = json!({
        "detectorId": c.detector_id,
        "detectorVersionId": c.version_id,
        "detectorVersionStatus": c.status,
        "eventTypeName": c.event_type,
        "ruleExecutionMode": if c.detector.mode == Mode::FirstMatched { "FIRST_MATCHED" } else { "ALL_MATCHED" },
        "rules": rules,
        "outcomes": outcomes_of(&c, &matched_any),
        "eventVariables": summaries,
        "evaluatedModelVersions": [],
        "evaluatedExternalModels": [],
    });
    for key in ["eventId", "eventTimestamp"] {
        if let Some(v) = ev.envelope(key) {
            out[key] = Json::String(v);
        }
    }
    Some(pgrx::JsonB(out))
}
