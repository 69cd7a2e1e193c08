//! Scoring: fraud_predict (AFD's GetEventPrediction response), fraud_outcomes (text[]),
//! fraud_explain (GetEventPredictionMetadata). STABLE and PARALLEL SAFE: they read the catalog
//! only through the per-backend cache, read-only.

use std::cell::RefCell;

use pgrx::pg_sys;
use pgrx::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{json, Value as Json};
use smallvec::SmallVec;

use fraud_engine::detector::{expression_with_values, Mode};
use fraud_engine::eval::Context;
use fraud_engine::value::Value;

use crate::cache::{self, Compiled};
use crate::datum::{self, Jsonb, TextArray};
use crate::errors;
use crate::event_input::{Event, EventBuffers, Source};

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
    let ev = Event::open(unsafe { datum::jsonb_body(event.0) }, &mut buffers);
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
    let ev = Event::open(unsafe { datum::jsonb_body(event.0) }, &mut buffers);
    read_slots(&compiled, &ev).err().map(|e| e.message)
}

/// The rendered prediction (jsonb) for a set of matched rules.
pub fn prediction_datum(c: &Compiled, matched: &[usize]) -> pg_sys::Datum {
    c.rendered
        .prediction(matched, || datum::jsonb_datum(&prediction_json(c, matched)))
}

/// The rendered outcomes (text[]) for a set of matched rules.
pub fn outcomes_datum(c: &Compiled, matched: &[usize]) -> pg_sys::Datum {
    c.rendered
        .outcomes(matched, || datum::text_array_datum(outcomes_of(c, matched)))
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

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud_predict(text, jsonb, text) IS 'Scores event (an object of variables, or AFD''s request shape) with the detector''s ACTIVE version or the named one, as AFD GetEventPrediction but recording nothing; returns {"modelScores", "ruleResults", "externalModelOutputs"}, NULL for a NULL event. Errors: 42704; 22023; 22P02 unreadable value.';"#,
    name = "comment_fraud_predict",
    requires = [fraud_predict]
);

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

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud_outcomes(text, jsonb, text) IS 'The outcomes fraud_predict would give, alone: text[] in rule order without repeats, {} when no rule matched; the cheap form for bulk queries. Errors as fraud_predict: 42704 unknown detector, version or no ACTIVE version; 22023 bad arguments; 22P02 unreadable value.';"#,
    name = "comment_fraud_outcomes",
    requires = [fraud_outcomes]
);

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
    let ev = Event::open(unsafe { datum::jsonb_body(event.0) }, &mut buffers);
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

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud_explain(text, jsonb, text) IS 'AFD GetEventPredictionMetadata for an event, recording nothing: every rule with expressionWithValues, evaluated and matched, every variable with its value and source (EVENT or DEFAULT), the outcomes, as jsonb. Errors as fraud_predict: 42704; 22023; 22P02 unreadable value.';"#,
    name = "comment_fraud_explain",
    requires = [fraud_explain]
);
