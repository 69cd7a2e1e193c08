//! Scoring: fraud_predict (AFD's GetEventPrediction response), fraud_outcomes (text[]),
//! fraud_explain (GetEventPredictionMetadata), and fraud._score for the SQL that needs several
//! of those at once (batch prediction, GetEventPrediction). Each of them, and the score
//! trigger, reads the event's slots and runs the rules once ([`score`]); the answers are
//! rendered from that run's [`Trace`]. STABLE and PARALLEL SAFE: they read the catalog only
//! through the per-backend cache, read-only.

use std::cell::{Cell, RefCell};

use pgrx::callconv::{BoxRet, FcInfo};
use pgrx::pg_sys;
use pgrx::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{json, Value as Json};
use smallvec::SmallVec;

use fraud_engine::detector::{expression_with_values, Trace};
use fraud_engine::eval::Context;
use fraud_engine::model::history::NewestFirst;
use fraud_engine::value::Value;

use crate::aggregate::{self, At};
use crate::cache::{self, Compiled};
use crate::datum::{self, CompositeRow, Jsonb, TextArray};
use crate::errors;
use crate::event_input::{Event, EventBuffers};
use crate::jsonb::Container;

/// The evaluation context of the current statement (call after `cache::get`).
pub fn context() -> Context {
    Context {
        now_millis: cache::now_millis(),
    }
}

thread_local! {
    /// One trace reused by every call of this backend: scoring allocates nothing per event.
    static TRACE: RefCell<Trace> = RefCell::new(Trace::default());
}

fn required<'a>(name: &str, v: Option<&'a str>) -> &'a str {
    v.unwrap_or_else(|| errors::invalid(format!("invalid {name}: NULL ({name} is required)")))
}

/// Reads the slots the compiled rules need from `event` (an aggregate's slot gets its value
/// over no events, for [`aggregate::fill`] to replace); the first value that cannot be read as
/// its variable's type is the error.
fn read_slots<'v>(
    compiled: &'v Compiled,
    ev: &Event<'v>,
    slots: &mut Slots<'v>,
) -> Result<(), fraud_engine::Error> {
    let d = &compiled.detector;
    for ((((var, key), hint), aggregate), output) in d
        .slots
        .iter()
        .zip(&compiled.slot_keys)
        .zip(&compiled.slot_hints)
        .zip(&d.slot_aggregates)
        .zip(&d.slot_outputs)
    {
        slots.push(match (aggregate, output) {
            (None, None) => ev.read(key, var, hint)?.0,
            _ => var.default.clone(),
        });
    }
    Ok(())
}

/// Where a scored event stands in time, for its aggregate variables.
#[derive(Clone, Copy)]
pub enum When<'a> {
    /// a live prediction: at the event's eventTimestamp, or now ([`At::live`])
    Live,
    /// replayed at its own eventTimestamp, seeing only events stored before it (batch
    /// prediction)
    Historical,
    /// a stored event replayed (backtesting): its time and entities are columns of its own
    Stored {
        us: pg_sys::TimestampTz,
        entities: Container<'a>,
    },
}

/// Reads the event's slots, aggregates included.
fn read_all_slots<'v>(
    compiled: &'v Compiled,
    ev: &Event<'v>,
    when: When<'_>,
    slots: &mut Slots<'v>,
) {
    read_slots(compiled, ev, slots).unwrap_or_else(|e| errors::bad_value(&e));
    if compiled.detector.key_groups.is_empty() {
        return;
    }
    let entities = when_entities(when);
    aggregate::fill(
        &compiled.detector,
        slots,
        |g| aggregate::jsonb_key(ev, entities, g),
        when_at(ev, when),
        &context(),
    );
}

/// An event's slot values, on the stack, filled in place (returned by value, the buffer
/// would be copied on every call).
type Slots<'v> = SmallVec<[Value<'v>; 16]>;

/// The model scores of one event, in the version's model order.
pub type Scores = SmallVec<[f64; 4]>;

thread_local! {
    /// the encoder's scratch for one model and one event: reused by every call
    static MODEL_SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A model's inputs read from the event (missing or JSON null as NULL).
fn model_inputs<'v>(
    m: &'v crate::cache::CompiledModel,
    ev: &Event<'v>,
) -> SmallVec<[Value<'v>; 16]> {
    m.inputs
        .iter()
        .zip(&m.input_keys)
        .zip(&m.input_hints)
        .map(|((var, key), hint)| {
            ev.read(key, var, hint)
                .map(|(v, _)| v)
                .unwrap_or_else(|e| errors::bad_value(&e))
        })
        .collect()
}

/// The event's time in milliseconds, as its models see it: `at`'s.
fn at_millis(at: &At) -> i64 {
    datum::timestamp_millis(at.us)
}

/// Which of the version's models a scoring runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Models {
    /// every one: the answer shows their scores and outputs (AFD runs them all)
    All,
    /// only those whose output a rule uses: the answer is the outcomes alone
    UsedByRules,
}

/// Runs the version's models on the event: each trained model's score and each external
/// model's call (its argument and result kept in `calls`), and puts every output the rules
/// use into its slot. History-reading models (TRANSACTION_FRAUD_INSIGHTS,
/// ACCOUNT_TAKEOVER_INSIGHTS) get the entity's past events (src/model.rs).
fn run_models<'v>(
    compiled: &'v Compiled,
    ev: &Event<'v>,
    when: When<'_>,
    models: Models,
    slots: &mut Slots<'v>,
    calls: &mut Vec<(Json, Json)>,
) -> Scores {
    let mut scores = Scores::new();
    if compiled.models.is_empty() && compiled.externals.is_empty() {
        return scores;
    }
    let skip = |first: usize, n: usize| {
        models == Models::UsedByRules && !compiled.output_used[first..first + n].contains(&true)
    };
    // only history-reading models need the event's time (parsing it costs)
    let history = compiled
        .models
        .iter()
        .any(|m| m.model.model_type.uses_history());
    let at = if history {
        when_at(ev, when)
    } else {
        At::now()
    };
    let now_ms = at_millis(&at);
    for (i, m) in compiled.models.iter().enumerate() {
        if skip(i, 1) {
            scores.push(f64::NAN);
            continue;
        }
        let values = model_inputs(m, ev);
        let score = crate::history::with_event(m, ev, when_entities(when), &at, |past| {
            score_model(m, &values, past, now_ms)
        });
        scores.push(score);
    }
    let mut outputs: SmallVec<[Value<'static>; 8]> =
        scores.iter().map(|s| Value::Float(*s)).collect();
    for x in &compiled.externals {
        if skip(outputs.len(), x.outputs.len()) {
            outputs.extend(x.outputs.iter().map(|_| Value::Null));
            calls.push((Json::Null, Json::Null));
            continue;
        }
        let input = crate::model::external_input(compiled, x, ev);
        let result = crate::model::call_external(x, &input);
        outputs.extend(crate::model::external_outputs(x, &result));
        calls.push((input, result));
    }
    fill_outputs(compiled, &outputs, slots);
    scores
}

/// Puts each model output the rules use (`Detector::slot_outputs`) into its slot.
pub fn fill_outputs(compiled: &Compiled, outputs: &[Value<'static>], slots: &mut [Value<'_>]) {
    for (slot, output) in compiled.detector.slot_outputs.iter().enumerate() {
        if let Some(i) = output {
            if let Some(v) = outputs.get(*i) {
                slots[slot] = v.clone();
            }
        }
    }
}

/// Scores one model's already-read inputs (the score trigger reads them from a row).
pub fn score_model(
    m: &crate::cache::CompiledModel,
    values: &[Value<'_>],
    past: &NewestFirst<'_>,
    now_ms: i64,
) -> f64 {
    MODEL_SCRATCH.with(|s| {
        m.model
            .score_past(values, past, now_ms, &mut s.borrow_mut())
    })
}

/// Where a scoring stands in time (see [`When`]): for its aggregates and history models.
fn when_at(ev: &Event<'_>, when: When<'_>) -> At {
    match when {
        When::Live => At::live(ev),
        When::Historical => At {
            historical: true,
            ..At::live(ev)
        },
        When::Stored { us, .. } => At {
            us,
            historical: true,
        },
    }
}

/// The entities of a replayed stored event (its own column), if any.
fn when_entities<'a>(when: When<'a>) -> Option<Container<'a>> {
    match when {
        When::Stored { entities, .. } => Some(entities),
        _ => None,
    }
}

/// Runs the rules over already-read slots (model scores filled in) and hands the trace to
/// `finish` (the score trigger reads its slots from a row instead of jsonb and comes in here).
pub fn run<R>(
    compiled: &Compiled,
    slots: &[Value<'_>],
    scores: &[f64],
    external_calls: Vec<(Json, Json)>,
    finish: impl FnOnce(&Trace) -> R,
) -> R {
    TRACE.with(|t| {
        let mut trace = t.borrow_mut();
        compiled.detector.run(slots, &context(), &mut trace);
        trace.model_scores.clear();
        trace.model_scores.extend_from_slice(scores);
        trace.external_calls = external_calls;
        finish(&trace)
    })
}

/// The detector's ACTIVE version (or `version`) and `event` opened for reading, handed to `f`.
fn open<R>(
    detector_id: Option<&str>,
    event: Jsonb,
    version: Option<&str>,
    f: impl FnOnce(&Compiled, &Event<'_>) -> R,
) -> R {
    let compiled = cache::get(required("detector_id", detector_id), version);
    let mut buffers = EventBuffers::default();
    // SAFETY: a non-NULL jsonb argument, alive for this call.
    let ev = Event::open(unsafe { datum::jsonb_body(event.0) }, &mut buffers);
    f(&compiled, &ev)
}

/// Scores `event`: reads the slots, runs the rules once, and hands the compiled version, the
/// event, its slot values and the trace to `finish`.
fn score<R>(
    detector_id: Option<&str>,
    event: Jsonb,
    version: Option<&str>,
    when: When<'_>,
    models: Models,
    finish: impl FnOnce(&Compiled, &Event<'_>, &[Value<'_>], &Trace) -> R,
) -> R {
    open(detector_id, event, version, |compiled, ev| {
        let mut slots = Slots::new();
        read_all_slots(compiled, ev, when, &mut slots);
        let mut calls = Vec::new();
        let scores = run_models(compiled, ev, when, models, &mut slots, &mut calls);
        run(compiled, &slots, &scores, calls, |trace| {
            finish(compiled, ev, &slots, trace)
        })
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
    open(detector_id, event?, detector_version_id, |compiled, ev| {
        read_slots(compiled, ev, &mut Slots::new())
            .err()
            .map(|e| e.message)
    })
}

/// AFD's modelScores: [{"modelVersion": {modelId, modelType, modelVersionNumber, arn},
/// "scores": {"<model_id>_insightscore": score}}].
fn model_scores_json(c: &Compiled, trace: &Trace) -> Json {
    Json::Array(
        c.models
            .iter()
            .zip(&trace.model_scores)
            .map(|(m, s)| {
                json!({
                    "modelVersion": {"modelId": m.model_id, "modelType": m.model_type,
                                     "modelVersionNumber": m.version, "arn": m.arn},
                    "scores": {m.score_name.as_str(): s},
                })
            })
            .collect(),
    )
}

/// AFD's externalModelOutputs: [{"externalModel": {modelEndpoint, ...}, "inputs", "outputs"}]
/// (inputs as the function's argument, outputs as its result).
fn external_outputs_json(c: &Compiled, trace: &Trace) -> Json {
    Json::Array(
        c.externals
            .iter()
            .zip(&trace.external_calls)
            .map(|(x, (input, output))| {
                json!({
                    "externalModel": {"modelEndpoint": x.endpoint, "modelSource": "SAGEMAKER",
                                      "modelEndpointStatus": "ASSOCIATED"},
                    "inputs": input,
                    "outputs": output,
                })
            })
            .collect(),
    )
}

/// The rendered prediction (jsonb): {"modelScores", "ruleResults", "externalModelOutputs"}.
/// With models, every event's differs (its scores), so it is built each time; without, it
/// depends only on the matched rules and is rendered once per set of them.
pub fn prediction_datum(c: &Compiled, trace: &Trace) -> pg_sys::Datum {
    let rule_results = || -> Vec<Json> {
        trace
            .matched
            .iter()
            .map(|&i| {
                let r = &c.detector.rules[i];
                json!({"ruleId": r.rule_id, "outcomes": r.outcomes})
            })
            .collect()
    };
    if !c.models.is_empty() || !c.externals.is_empty() {
        return datum::jsonb_datum(&json!({
            "modelScores": model_scores_json(c, trace), "ruleResults": rule_results(),
            "externalModelOutputs": external_outputs_json(c, trace)
        }));
    }
    c.rendered.prediction(&trace.matched, || {
        let rule_results: Vec<Json> = trace
            .matched
            .iter()
            .map(|&i| {
                let r = &c.detector.rules[i];
                json!({"ruleId": r.rule_id, "outcomes": r.outcomes})
            })
            .collect();
        datum::jsonb_datum(&json!({
            "modelScores": [], "ruleResults": rule_results, "externalModelOutputs": []
        }))
    })
}

/// The rendered outcomes (text[]), in rule order without repeats.
pub fn outcomes_datum(c: &Compiled, trace: &Trace) -> pg_sys::Datum {
    c.rendered.outcomes(&trace.matched, || {
        datum::text_array_datum(
            c.detector
                .outcomes(trace)
                .into_iter()
                .map(str::to_string)
                .collect(),
        )
    })
}

/// A value as an explanation shows it: strings and datetimes unquoted.
fn shown(v: &Value<'_>) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => other.to_string().trim_matches('"').to_string(),
    }
}

/// AFD's evaluatedExternalModels: each endpoint with its input and output variables.
fn evaluated_externals(c: &Compiled, trace: &Trace) -> Json {
    Json::Array(
        c.externals
            .iter()
            .zip(&trace.external_calls)
            .map(|(x, (input, output))| {
                let flat = |j: &Json| -> serde_json::Map<String, Json> {
                    match j {
                        Json::Object(o) => o
                            .iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    Json::String(s) => s.clone(),
                                    other => other.to_string(),
                                };
                                (k.clone(), Json::String(v))
                            })
                            .collect(),
                        _ => serde_json::Map::new(),
                    }
                };
                json!({
                    "modelEndpoint": x.endpoint,
                    "useEventVariables": x.use_event_variables,
                    "inputVariables": flat(input),
                    "outputVariables": flat(output),
                })
            })
            .collect(),
    )
}

/// AFD's evaluatedModelVersions: each model's score with the exact contribution of each
/// variable to its log-odds (the trees' per-prediction contributions, engine/src/model).
fn evaluated_models(c: &Compiled, ev: &Event<'_>) -> Json {
    let at = At::live(ev);
    Json::Array(
        c.models
            .iter()
            .map(|m| {
                let values = model_inputs(m, ev);
                let (score, ex) = crate::history::with_event(m, ev, None, &at, |past| {
                    m.model.explain_past(&values, past, at_millis(&at))
                });
                let variables: Vec<Json> = ex
                    .variables
                    .iter()
                    .map(|(name, impact, relative)| {
                        json!({"eventVariableName": name, "relativeImpact": relative, "logOddsImpact": impact})
                    })
                    .collect();
                let aggregated: Vec<Json> = ex
                    .aggregated
                    .iter()
                    .map(|(names, impact, relative)| {
                        json!({"eventVariableNames": names, "relativeImpact": relative, "logOddsImpact": impact})
                    })
                    .collect();
                json!({
                    "modelId": m.model_id,
                    "modelVersion": m.version,
                    "modelType": m.model_type,
                    "evaluations": [{
                        "outputVariableName": m.score_name,
                        "evaluationScore": score.to_string(),
                        "predictionExplanations": {
                            "variableImpactExplanations": variables,
                            "aggregatedVariablesImpactExplanations": aggregated,
                        },
                    }],
                })
            })
            .collect(),
    )
}

/// AFD GetEventPredictionMetadata: every rule with evaluated / matched / expressionWithValues
/// as the trace says, every variable of the event type with its value and source.
fn explanation(c: &Compiled, ev: &Event<'_>, slots: &[Value<'_>], trace: &Trace) -> Json {
    let mut values: FxHashMap<&str, Value> = FxHashMap::default();
    let mut summaries = Vec::with_capacity(c.detector.variables.len());
    for (var, key) in c.detector.variables.iter().zip(&c.variable_keys) {
        let (v, source) = ev
            .read(key, var, &Cell::new(0))
            .unwrap_or_else(|e| errors::bad_value(&e));
        summaries.push(json!({"name": var.name, "value": shown(&v), "source": source.name()}));
        values.insert(var.name.as_str(), v);
    }
    // the aggregates and model scores the rules use, with the values they had
    // (docs/velocity-and-backtesting.md, docs/models.md)
    for (((var, v), aggregate), output) in c
        .detector
        .slots
        .iter()
        .zip(slots)
        .zip(&c.detector.slot_aggregates)
        .zip(&c.detector.slot_outputs)
    {
        let source = match (aggregate, output) {
            (Some(_), _) => "AGGREGATE",
            (None, Some(i)) if *i < c.models.len() => "MODEL_SCORE",
            (None, Some(_)) => "EXTERNAL_MODEL_SCORE",
            (None, None) => continue,
        };
        summaries.push(json!({"name": var.name, "value": shown(v), "source": source}));
        values.insert(var.name.as_str(), v.clone());
    }
    let rules: Vec<Json> = c
        .detector
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            json!({
                "ruleId": rule.rule_id,
                "ruleVersion": rule.rule_version,
                "expression": rule.expression,
                "expressionWithValues": expression_with_values(rule, |n| values.get(n).map(Value::to_string)),
                "outcomes": rule.outcomes,
                "evaluated": trace.was_evaluated(i),
                "matched": trace.was_matched(i),
            })
        })
        .collect();
    let mut out = json!({
        "detectorId": c.detector_id,
        "detectorVersionId": c.version_id,
        "detectorVersionStatus": c.status,
        "eventTypeName": c.event_type,
        "ruleExecutionMode": c.detector.mode.name(),
        "rules": rules,
        "outcomes": c.detector.outcomes(trace),
        "eventVariables": summaries,
        "evaluatedModelVersions": evaluated_models(c, ev),
        "evaluatedExternalModels": evaluated_externals(c, trace),
    });
    for key in ["eventId", "eventTimestamp"] {
        if let Some(v) = ev.envelope(key) {
            out[key] = Json::String(v);
        }
    }
    out
}

/// AFD GetEventPrediction: {"modelScores", "ruleResults", "externalModelOutputs"}.
#[pg_extern(stable, parallel_safe)]
pub fn fraud_predict(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: default!(Option<&str>, "NULL"),
) -> Option<Jsonb> {
    let _entry = errors::UserEntry::enter();
    let event = event?;
    Some(Jsonb(score(
        detector_id,
        event,
        detector_version_id,
        When::Live,
        Models::All,
        |c, _, _, trace| prediction_datum(c, trace),
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
    let _entry = errors::UserEntry::enter();
    let event = event?;
    Some(TextArray(score(
        detector_id,
        event,
        detector_version_id,
        When::Live,
        Models::UsedByRules,
        |c, _, _, trace| outcomes_datum(c, trace),
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
    let _entry = errors::UserEntry::enter();
    let event = event?;
    Some(pgrx::JsonB(score(
        detector_id,
        event,
        detector_version_id,
        When::Live,
        Models::All,
        explanation,
    )))
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud_explain(text, jsonb, text) IS 'AFD GetEventPredictionMetadata for an event, recording nothing: every rule with expressionWithValues, evaluated and matched, every variable with its value and source (EVENT or DEFAULT) and every aggregate variable the rules use (AGGREGATE), the outcomes, as jsonb. Errors as fraud_predict: 42704; 22023; 22P02 unreadable value.';"#,
    name = "comment_fraud_explain",
    requires = [fraud_explain]
);

/// `fraud.scored`: the answers SQL may need together about one event.
pub struct Scored(CompositeRow<3>);

pgrx::impl_sql_translatable!(Scored, "fraud.scored");

// SAFETY: as CompositeRow's.
unsafe impl BoxRet for Scored {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        self.0.box_into(fcinfo)
    }
}

pgrx::extension_sql!(
    r#"CREATE TYPE fraud.scored AS (prediction jsonb, outcomes text[], metadata jsonb);
COMMENT ON TYPE fraud.scored IS 'One scoring of an event (fraud._score): fraud_predict''s jsonb, fraud_outcomes'' text[], and fraud_explain''s jsonb when asked for.';"#,
    name = "scored_type",
    requires = ["catalog"]
);

/// One scoring, every answer the caller needs: the prediction and the outcomes, and the
/// explanation when `explain` (GetEventPrediction records it; batch prediction does not need
/// it). The rules run once, where calling fraud_predict and fraud_outcomes would run them
/// twice.
#[pg_extern(
    stable,
    parallel_safe,
    name = "_score",
    schema = "fraud",
    requires = ["scored_type"]
)]
pub fn score_all(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: Option<&str>,
    explain: bool,
) -> Option<Scored> {
    let event = event?;
    if explain {
        // the explanation shows rule expressions: fraud_get_event_prediction (running as the
        // owner) asks for it; a job's owner, who may call fraud._score to score, may not
        crate::security::require_owner_privileges("fraud._score with explain");
    }
    Some(score(
        detector_id,
        event,
        detector_version_id,
        When::Live,
        Models::All,
        |c, ev, slots, trace| {
            Scored(CompositeRow([
                Some(prediction_datum(c, trace)),
                Some(outcomes_datum(c, trace)),
                explain.then(|| datum::jsonb_datum(&explanation(c, ev, slots, trace))),
            ]))
        },
    ))
}

/// fraud._score without the explanation, for an event replayed at its own eventTimestamp:
/// its aggregate variables see only the events stored before it (batch prediction).
#[pg_extern(
    stable,
    parallel_safe,
    name = "_score_historical",
    schema = "fraud",
    requires = ["scored_type"]
)]
pub fn score_historical(
    detector_id: Option<&str>,
    event: Option<Jsonb>,
    detector_version_id: Option<&str>,
) -> Option<Scored> {
    Some(score(
        detector_id,
        event?,
        detector_version_id,
        When::Historical,
        Models::All,
        |c, _, _, trace| {
            Scored(CompositeRow([
                Some(prediction_datum(c, trace)),
                Some(outcomes_datum(c, trace)),
                None,
            ]))
        },
    ))
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._score_historical(text, jsonb, text) IS 'Internal: fraud._score (without the explanation) of an event replayed at its eventTimestamp, its aggregate variables seeing only events stored before it (batch prediction jobs).';"#,
    name = "comment_fraud_score_historical",
    requires = [score_historical]
);

/// `fraud.replayed`: what a detector version did with one stored event (backtesting).
pub struct Replayed(CompositeRow<3>);

pgrx::impl_sql_translatable!(Replayed, "fraud.replayed");

// SAFETY: as CompositeRow's.
unsafe impl BoxRet for Replayed {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        self.0.box_into(fcinfo)
    }
}

pgrx::extension_sql!(
    r#"CREATE TYPE fraud.replayed AS (evaluated int, matched_rules text[], outcomes text[]);
COMMENT ON TYPE fraud.replayed IS 'One stored event replayed through a detector version (fraud._replay): how many rules were evaluated (the first ones, in order), the ids of those that matched, and the outcomes.';"#,
    name = "replayed_type",
    requires = ["catalog"]
);

/// Scores a stored event (`fraud.events` columns) as the version would have at the event's
/// own time: aggregates see only the events stored before it. The backtest's unit of work.
#[pg_extern(
    stable,
    parallel_safe,
    name = "_replay",
    schema = "fraud",
    requires = ["replayed_type"]
)]
pub fn replay(
    detector_id: Option<&str>,
    detector_version_id: Option<&str>,
    event_variables: Option<Jsonb>,
    entities: Option<Jsonb>,
    event_timestamp: Option<pgrx::datum::TimestampWithTimeZone>,
) -> Option<Replayed> {
    let (event, entities, ts) = (event_variables?, entities?, event_timestamp?);
    // SAFETY: a non-NULL jsonb argument, alive for this call.
    let entities = Container::new(unsafe { datum::jsonb_body(entities.0) });
    let when = When::Stored {
        us: pg_sys::TimestampTz::from(ts),
        entities,
    };
    Some(score(
        detector_id,
        event,
        detector_version_id,
        when,
        Models::UsedByRules,
        |c, _, _, trace| {
            let matched: Vec<String> = trace
                .matched
                .iter()
                .map(|&i| c.detector.rules[i].rule_id.clone())
                .collect();
            Replayed(CompositeRow([
                Some(pg_sys::Datum::from(trace.evaluated as i32)),
                Some(datum::text_array_datum(matched)),
                Some(outcomes_datum(c, trace)),
            ]))
        },
    ))
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._replay(text, text, jsonb, jsonb, timestamptz) IS 'Internal: a stored event (its variables, entities and time) scored as the detector version would have at the event''s time, aggregates seeing only events stored before it (fraud_backtest).';"#,
    name = "comment_fraud_replay",
    requires = [replay]
);

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._score(text, jsonb, text, boolean) IS 'Internal: one scoring of an event, returning fraud_predict''s, fraud_outcomes'' and (explain) fraud_explain''s answers together.';"#,
    name = "comment_fraud_score",
    requires = [score_all]
);
