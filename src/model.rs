//! Models in the database (docs/models.md): the training job's steps and the store of trained
//! models the compiled detector versions score with. What a model learns and how it scores is
//! the engine's (engine/src/model); this reads training data out of the catalog, runs training
//! in a thread of the job worker, and loads trained models once per backend.
//!
//! **Training.** A MODEL_TRAINING job (sql/models.sql) calls [`fraud::train_model_step`] once
//! per transaction. The first call reads the training events and starts a thread that trains
//! (pure Rust, no PostgreSQL call in it); each later call waits up to half a second and returns
//! the progress, which the job commits, so any session sees it; the call that finds the thread
//! done returns the model and its report, written by the job in one transaction. A cancelled
//! job sets the thread's stop flag ([`fraud::train_model_forget`]); a killed worker takes the
//! thread with it and the job reaper marks the version ERROR. Nothing half-trained is ever
//! written.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fraud_engine::events::parse_event_timestamp;
use fraud_engine::model::{
    self, InputVariable, Model, ModelType, TrainError, Trained, TrainingRow, TrainingSet,
};
use fraud_engine::value::{self, DataType, Value};
use pgrx::prelude::*;
use pgrx::{pg_sys, FromDatum, PgTryBuilder};
use serde_json::{json, Value as Json};

use crate::catalog::StoredExternal;
use crate::errors;
use crate::event_input::Event;
use crate::spi::query;

/// A training running in a thread of this worker.
struct Running {
    handle: Option<JoinHandle<()>>,
    /// progress in millionths
    progress: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    result: Arc<Mutex<Option<Result<Trained, TrainError>>>>,
    events: usize,
}

impl Drop for Running {
    fn drop(&mut self) {
        // a forgotten training stops at its next progress call; nobody waits for it
        self.stop.store(true, Ordering::Relaxed);
    }
}

thread_local! {
    static RUNNING: RefCell<HashMap<String, Running>> = RefCell::new(HashMap::new());
    /// trained models loaded by this backend, by (model id, type, version, created time)
    static MODELS: RefCell<HashMap<ModelKey, Arc<Model>>> = RefCell::new(HashMap::new());
}

type ModelKey = (String, String, String, String);

/// One training request as the job holds it.
struct Request {
    model_type: ModelType,
    event_type: String,
    schema: Json,
    ingested: Option<Json>,
    input_kind: String,
    input_path: String,
}

/// The model variables with their data and variable types, in the schema's order.
fn inputs(event_type: &str, schema: &Json) -> Vec<InputVariable> {
    let names: Vec<&str> = schema["modelVariables"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let rows = query(
            c"SELECT v.data_type, v.variable_type FROM fraud.variables v
              JOIN fraud.event_type_variables t ON t.variable_name = v.name
              WHERE t.event_type_name = $1 AND v.name = $2",
            &[Some(event_type), Some(name)],
        );
        let Some(row) = rows.first() else {
            errors::not_found(format!(
                "variable '{name}' is not a variable of event type '{event_type}' any more"
            ));
        };
        let data_type = row[0]
            .as_deref()
            .and_then(DataType::parse)
            .unwrap_or_else(|| {
                errors::internal(format!("variable '{name}' has an unknown data type"))
            });
        out.push(InputVariable {
            name: name.to_string(),
            data_type,
            variable_type: row[1].clone(),
        });
    }
    out
}

/// How a stored label counts: Some(true) fraud, Some(false) legit, None left out.
fn label_rule(schema: &Json, model_type: ModelType) -> impl Fn(Option<&str>) -> Option<bool> {
    let names = |k: &str| -> Vec<String> {
        schema["labelSchema"]["labelMapper"][k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (fraud, legit) = (names("FRAUD"), names("LEGIT"));
    let treatment = schema["labelSchema"]["unlabeledEventsTreatment"]
        .as_str()
        .unwrap_or("IGNORE")
        .to_string();
    // ATI learns what is usual for an account from every login, labelled or not
    let ati = model_type == ModelType::AccountTakeoverInsights;
    move |label| match label {
        Some(l) if fraud.iter().any(|f| f == l) => Some(true),
        Some(l) if legit.iter().any(|f| f == l) => Some(false),
        Some(_) => None,
        None if ati => Some(false),
        None => match treatment.as_str() {
            "FRAUD" => Some(true),
            "LEGIT" | "AUTO" => Some(false),
            _ => None,
        },
    }
}

/// Reads the training events, oldest first. Stored events: the event type's in the time
/// window; external events: the job's input, staged by the job with its creator's rights
/// (`fraud._job_stage`), whose name `input_path` then is. A row whose time does not read, or
/// whose label the label schema leaves out, is skipped; a value that does not read as its
/// variable's type is missing.
fn read_training_set(r: &Request) -> TrainingSet {
    let inputs = inputs(&r.event_type, &r.schema);
    let names: Vec<String> = inputs.iter().map(|v| v.name.clone()).collect();
    let rows = if r.input_kind == "EVENTS" {
        let window = r.ingested.as_ref().map(|i| &i["ingestedEventsTimeWindow"]);
        let start = window.and_then(|w| w["startTime"].as_str());
        let end = window.and_then(|w| w["endTime"].as_str());
        // one `->>` per variable, the names as parameters (an ARRAY[] has no argument limit): no
        // subquery per row, so that Citus can run it on a distributed fraud.events
        // (docs/scale-out.md)
        let picks: Vec<String> = (0..names.len())
            .map(|i| format!("e.event_variables->>${}", i + 4))
            .collect();
        let sql = std::ffi::CString::new(format!(
            "SELECT to_char(e.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    (e.entities->0->>'entityType') || '/' || (e.entities->0->>'entityId'), e.event_label,
                    pg_catalog.array_to_json(ARRAY[{}]::text[])::text
             FROM fraud.events e
             WHERE e.event_type_name = $1 AND e.event_timestamp >= $2::timestamptz AND e.event_timestamp < $3::timestamptz
             ORDER BY e.event_timestamp, e.event_id",
            picks.join(", ")
        ))
        .expect("no NUL in the query");
        let mut args = vec![Some(r.event_type.as_str()), start, end];
        args.extend(names.iter().map(|n| Some(n.as_str())));
        query(&sql, &args)
    } else {
        // the job staged its input (sql/models.sql); the rows in input order
        let names_arg = format!(
            "{{{}}}",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        query(
            c"SELECT * FROM fraud._model_external_rows($1::regclass, $2::text[])",
            &[Some(&r.input_path), Some(&names_arg)],
        )
    };
    let label_of = label_rule(&r.schema, r.model_type);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(label) = label_of(row[2].as_deref()) else {
            continue;
        };
        let Some(time_ms) = row[0].as_deref().and_then(parse_event_timestamp) else {
            continue;
        };
        let raw: Vec<Option<String>> = row[3]
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        // a value that does not read as its variable's type is missing, as for scoring a
        // stored event that SendEvent accepted
        let values = inputs
            .iter()
            .zip(raw.iter().chain(std::iter::repeat(&None)))
            .map(|(v, s)| match s {
                Some(s) => value::from_str(&v.name, v.data_type, s)
                    .map(Value::into_owned)
                    .unwrap_or(Value::Null),
                None => Value::Null,
            })
            .collect();
        out.push(TrainingRow {
            time_ms,
            entity: row[1].clone().filter(|e| !e.ends_with("/unknown")),
            values,
            label,
        });
    }
    out.sort_by_key(|r| r.time_ms);
    TrainingSet {
        model_type: r.model_type,
        inputs,
        rows: out,
    }
}

/// Starts training `set` in a thread.
fn start(set: TrainingSet) -> Running {
    let progress = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let result = Arc::new(Mutex::new(None));
    let events = set.rows.len();
    let (p, s, out) = (progress.clone(), stop.clone(), result.clone());
    let handle = std::thread::Builder::new()
        .name("fraud_detector training".into())
        .spawn(move || {
            let r = model::train(&set, &mut |t| {
                p.store((t.fraction.clamp(0.0, 1.0) * 1e6) as u32, Ordering::Relaxed);
                !s.load(Ordering::Relaxed)
            });
            if let Ok(mut slot) = out.lock() {
                *slot = Some(r);
            }
        })
        .unwrap_or_else(|e| errors::internal(format!("cannot start a training thread: {e}")));
    Running {
        handle: Some(handle),
        progress,
        stop,
        result,
        events,
    }
}

/// What a step reports to sql/models.sql.
fn step(job_id: &str, first: bool, request: impl FnOnce() -> Request) -> Json {
    if first {
        let r = request();
        let set = read_training_set(&r);
        let running = start(set);
        let events = running.events;
        RUNNING.with(|m| m.borrow_mut().insert(job_id.to_string(), running));
        return json!({"state": "training", "progress": 0.0, "events": events});
    }
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        let finished = RUNNING.with(|m| {
            m.borrow()
                .get(job_id)
                .map(|r| r.handle.as_ref().is_none_or(|h| h.is_finished()))
        });
        match finished {
            None => {
                return json!({"state": "invalid",
                              "reason": "the training's state was lost (the job moved to another worker); train again"})
            }
            Some(true) => break,
            Some(false) if Instant::now() >= deadline => {
                let p = RUNNING.with(|m| {
                    m.borrow()
                        .get(job_id)
                        .map_or(0, |r| r.progress.load(Ordering::Relaxed))
                });
                return json!({"state": "training", "progress": p as f64 / 1e6});
            }
            Some(false) => {
                pgrx::check_for_interrupts!();
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let mut running = RUNNING
        .with(|m| m.borrow_mut().remove(job_id))
        .expect("checked above");
    let panicked = running
        .handle
        .take()
        .map(|h| h.join().is_err())
        .unwrap_or(false);
    let result = running.result.lock().ok().and_then(|mut r| r.take());
    match result {
        Some(Ok(trained)) => json!({
            "state": "complete",
            "model": trained.model.to_json(),
            "report": trained.report,
        }),
        Some(Err(TrainError::Invalid(metrics))) => json!({
            "state": "invalid",
            "reason": validation_reason(&metrics),
            "validation": metrics,
        }),
        Some(Err(TrainError::Cancelled)) => {
            json!({"state": "invalid", "reason": "training was cancelled"})
        }
        None if panicked => {
            json!({"state": "invalid", "reason": "training failed with an internal error"})
        }
        None => json!({"state": "invalid", "reason": "training ended without a result"}),
    }
}

/// The first ERROR message of dataValidationMetrics, as a failure reason.
fn validation_reason(metrics: &Json) -> String {
    let messages = metrics["fileLevelMessages"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            metrics["fieldLevelMessages"]
                .as_array()
                .into_iter()
                .flatten(),
        );
    for m in messages {
        if m["type"].as_str() == Some("ERROR") {
            let field = m["fieldName"]
                .as_str()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            return format!(
                "data validation failed: {field}{}",
                m["content"]
                    .as_str()
                    .or(m["title"].as_str())
                    .unwrap_or("invalid data")
            );
        }
    }
    "data validation failed".to_string()
}

/// A trained model version, loaded once per backend and shared by every compiled detector
/// version that uses it (a version's model never changes once trained; the key includes its
/// creation time, so a version deleted and trained again under the same number is a new key).
///
/// Returns the model, its version's ARN and its estimated heap bytes (for the cache's budget).
pub fn load(
    model_id: &str,
    model_type: &str,
    version: &str,
) -> Option<(Arc<Model>, String, usize)> {
    let rows = query(
        c"SELECT v.created_time::text, octet_length(v.model_data)::text,
                 fraud._arn('model-version', v.model_id || '/' || v.model_type || '/' || v.model_version_number)
          FROM fraud.model_versions v
          WHERE v.model_id = $1 AND v.model_type = $2 AND v.model_version_number = $3 AND v.model_data IS NOT NULL",
        &[Some(model_id), Some(model_type), Some(version)],
    );
    let row = rows.first()?;
    let key: ModelKey = (
        model_id.to_string(),
        model_type.to_string(),
        version.to_string(),
        row[0].clone().unwrap_or_default(),
    );
    let arn = row[2].clone().unwrap_or_default();
    // the trees and vocabularies in memory take about what their JSON does
    let bytes = row[1].as_deref().and_then(|b| b.parse().ok()).unwrap_or(0);
    if let Some(m) = MODELS.with(|m| m.borrow().get(&key).cloned()) {
        return Some((m, arn, bytes));
    }
    let data = query(
        c"SELECT v.model_data FROM fraud.model_versions v
          WHERE v.model_id = $1 AND v.model_type = $2 AND v.model_version_number = $3",
        &[Some(model_id), Some(model_type), Some(version)],
    );
    let text = data.first()?.first()?.clone()?;
    let model = Arc::new(Model::from_json(&text).unwrap_or_else(|e| {
        errors::internal(format!(
            "model version {model_id}/{model_type}/{version} cannot be read: {e}"
        ))
    }));
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        // models no compiled version holds any more are dropped
        m.retain(|_, v| Arc::strong_count(v) > 1);
        m.insert(key, model.clone());
    });
    Some((model, arn, bytes))
}

/// An external model's argument for the event: its variables as a JSON object of their
/// texts (useEventVariables), or the input template with each `{{variable}}` replaced by the
/// variable's text, JSON-escaped (an absent variable gives an empty text). A template that is
/// not JSON once filled in is 22023, naming the endpoint.
pub fn external_input(c: &crate::cache::Compiled, x: &StoredExternal, ev: &Event<'_>) -> Json {
    let text_of = |name: &str| ev.raw_variable(name.as_bytes());
    if x.use_event_variables {
        let mut o = serde_json::Map::new();
        for v in &c.detector.variables {
            if let Some(t) = text_of(&v.name) {
                o.insert(v.name.clone(), Json::String(t.into_owned()));
            }
        }
        return Json::Object(o);
    }
    let template = x.template.as_deref().unwrap_or("{}");
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = after[..end].trim();
        let value = text_of(name).unwrap_or_default();
        // JSON-escaped without its quotes: the template decides whether the value is quoted
        let escaped = Json::String(value.into_owned()).to_string();
        out.push_str(&escaped[1..escaped.len() - 1]);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    serde_json::from_str(&out).unwrap_or_else(|e| {
        errors::invalid(format!(
            "external model '{}': its jsonInputTemplate filled in for this event is not JSON ({e}): {out}",
            x.endpoint
        ))
    })
}

/// Calls an external model's function with `input`, as the calling role (EXECUTE checked on
/// every call). An error it raises comes back with its SQLSTATE, naming the endpoint; a NULL
/// result is an empty object. Nothing is cached: the function decides its own volatility.
pub fn call_external(x: &StoredExternal, input: &Json) -> Json {
    // SAFETY: a syscache probe by OID. The function may have been dropped since the external
    // model was put (a regprocedure is no dependency): that is the user's error, not ours.
    let exists = unsafe {
        pg_sys::SearchSysCacheExists(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(x.function),
            pg_sys::Datum::null(),
            pg_sys::Datum::null(),
            pg_sys::Datum::null(),
        )
    };
    if !exists {
        errors::raise(
            pgrx::PgSqlErrorCode::ERRCODE_UNDEFINED_FUNCTION,
            format!(
                "external model '{}': its function was dropped after the external model was put; put it again with fraud_put_external_model",
                x.endpoint
            ),
        );
    }
    crate::security::check_execute(x.function);
    let arg = crate::datum::jsonb_datum(input);
    let endpoint = x.endpoint.clone();
    let function = x.function;
    PgTryBuilder::new(move || {
        // SAFETY: a function of one jsonb argument returning jsonb (checked when the model
        // was put; regprocedure keeps it from being dropped and recreated under the same
        // OID unnoticed); the result datum lives in the current memory context.
        unsafe {
            let mut flinfo: pg_sys::FmgrInfo = std::mem::zeroed();
            pg_sys::fmgr_info(function, &mut flinfo);
            let result = pg_sys::FunctionCall1Coll(&mut flinfo, pg_sys::InvalidOid, arg);
            pgrx::JsonB::from_polymorphic_datum(result, result.is_null(), pg_sys::JSONBOID)
                .map_or(json!({}), |j| j.0)
        }
    })
    .catch_others(move |e| {
        let (code, message) = match &e {
            pg_sys::panic::CaughtError::PostgresError(r)
            | pg_sys::panic::CaughtError::ErrorReport(r) => {
                (r.sql_error_code(), r.message().to_string())
            }
            pg_sys::panic::CaughtError::RustPanic { ereport, .. } => {
                (ereport.sql_error_code(), ereport.message().to_string())
            }
        };
        errors::raise(
            code,
            format!("external model '{endpoint}' failed: {message}"),
        )
    })
    .execute()
}

/// The external model's outputs for its variables (in its `outputs` order): the result's key
/// read as the variable's type, the variable's default when the key is absent or null. A value
/// that does not read as the type is 22P02, naming the endpoint.
pub fn external_outputs(x: &StoredExternal, result: &Json) -> Vec<Value<'static>> {
    x.outputs
        .iter()
        .map(|(key, var)| {
            let fail = |e: fraud_engine::Error| -> ! {
                errors::bad_value(&fraud_engine::Error {
                    message: format!("external model '{}': {}", x.endpoint, e.message),
                    ..e
                })
            };
            let v = match result.get(key) {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(
                    value::from_str(&var.name, var.data_type, s)
                        .map(Value::into_owned)
                        .unwrap_or_else(|e| fail(e)),
                ),
                Some(Json::Bool(b)) => Some(
                    value::from_bool(&var.name, var.data_type, *b)
                        .map(Value::into_owned)
                        .unwrap_or_else(|e| fail(e)),
                ),
                Some(Json::Number(n)) => Some(
                    value::from_str(&var.name, var.data_type, &n.to_string())
                        .map(Value::into_owned)
                        .unwrap_or_else(|e| fail(e)),
                ),
                Some(other) => fail(value::not_scalar(
                    &var.name,
                    var.data_type,
                    &other.to_string(),
                )),
            };
            match v {
                Some(v) => v.into_owned(),
                None => fraud_engine::detector::output_variable(var)
                    .map(|v| v.default)
                    .unwrap_or(Value::Null),
            }
        })
        .collect()
}

#[pgrx::pg_schema]
pub mod fraud {
    use super::*;

    /// One step of a MODEL_TRAINING job (sql/models.sql). {"state": "training", "progress"}
    /// while it runs; {"state": "complete", "model", "report"}; {"state": "invalid",
    /// "reason", "validation"}.
    #[allow(clippy::too_many_arguments)]
    #[pg_extern(volatile, name = "_train_model_step")]
    pub fn train_model_step(
        job_id: &str,
        first: bool,
        model_type: &str,
        event_type: &str,
        schema: pgrx::JsonB,
        ingested: Option<pgrx::JsonB>,
        input_kind: &str,
        input_path: &str,
    ) -> pgrx::JsonB {
        let model_type = ModelType::parse(model_type)
            .unwrap_or_else(|| errors::invalid(format!("invalid model_type: '{model_type}'")));
        pgrx::JsonB(step(job_id, first, || Request {
            model_type,
            event_type: event_type.to_string(),
            schema: schema.0,
            ingested: ingested.map(|i| i.0),
            input_kind: input_kind.to_string(),
            input_path: input_path.to_string(),
        }))
    }

    /// Stops and forgets a training this worker runs (the job ended otherwise).
    #[pg_extern(volatile, name = "_train_model_forget")]
    pub fn train_model_forget(job_id: &str) {
        RUNNING.with(|m| m.borrow_mut().remove(job_id));
    }
}
