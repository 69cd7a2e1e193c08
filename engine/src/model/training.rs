//! Validation and training orchestration.
//!
//! Validation (AFD's data requirements, as its user guide gives them for each model type:
//! OFI and TFI need at least 10,000 events of which at least 400 are fraud; ATI needs login
//! events of at least 1,500 accounts with at least two logins each, with an IP address and
//! a user agent; labels are optional for ATI). ERROR messages (training refuses):
//! * fewer than [`MIN_EVENTS`] events;
//! * OFI/TFI: fewer than [`MIN_FRAUD`] fraud or fewer than [`MIN_LEGIT`] legitimate events;
//! * TFI/ATI: no event with a known entity (not None, not "unknown");
//! * ATI: no usable variable of a type in [`ATI_REQUIRED_TYPES`] (IP_ADDRESS, USERAGENT),
//!   or fewer than [`ATI_MIN_ENTITIES`] entities with two events or more;
//! * no usable variable (every input missing everywhere or with a single value).
//!
//! WARNING messages (field level, training goes on): a variable missing in more than 90 % of
//! the events (`MOSTLY_MISSING`), a variable always missing (`ALL_MISSING`, not used), a
//! variable with a single value (`SINGLE_VALUE`, not used); TFI: more than half of the events
//! without a known entity (file level).
//!
//! Training: rows are in time order; the first 70 % train, the next 15 % validate (early
//! stopping), the last 15 % test (metrics, calibration, importance). ATI learns to tell each
//! account's real logins from impostor logins: for a real login with history, the login
//! values of another account's login (picked pseudo-randomly, deterministically) evaluated
//! against this account's history, at that other login's hour of day within the 24 hours
//! before the real login (so history stays strictly earlier); labelled fraud logins count as
//! positives too. Logins without history get no impostor.

use std::time::Instant;

use serde_json::{json, Value as Json};

use super::calibration::Calibration;
use super::features::Encoder;
use super::gbdt::{self, Dataset, Params};
use super::history::{self, HistorySpec, PastTable, TrainPast};
use super::metrics::{self, round6};
use super::{Model, ModelType, TrainError, TrainProgress, Trained, TrainingSet, Validation};
use crate::value::Value;

pub const MIN_EVENTS: usize = 10_000;
pub const MIN_FRAUD: usize = 400;
pub const MIN_LEGIT: usize = 400;
pub const ATI_MIN_ENTITIES: usize = 1_500;
pub const ATI_REQUIRED_TYPES: [&str; 2] = ["IP_ADDRESS", "USERAGENT"];
/// A variable missing in more than this share of events gets a warning.
const MOSTLY_MISSING: f64 = 0.9;
/// Rows of the test part importance is averaged over, at most.
const IMPORTANCE_ROWS: usize = 2_000;

/// The GBDT parameters `train` uses.
pub fn default_params() -> Params {
    Params {
        max_trees: 500,
        early_stopping_rounds: 30,
        ..Params::default()
    }
}

fn file_msg(kind: &str, title: &str, content: String) -> Json {
    json!({"title": title, "content": content, "type": kind})
}

fn field_msg(kind: &str, field: &str, id: &str, title: &str, content: String) -> Json {
    json!({"fieldName": field, "identifier": id, "title": title, "content": content, "type": kind})
}

/// The validation, and which inputs are usable (present and not constant).
pub(crate) fn check(set: &TrainingSet) -> (Validation, Vec<bool>) {
    let n = set.rows.len();
    let mut file = Vec::new();
    let mut field = Vec::new();
    let mut usable = vec![false; set.inputs.len()];
    for (i, input) in set.inputs.iter().enumerate() {
        let mut present = 0usize;
        let mut first: Option<&Value> = None;
        let mut varied = false;
        for r in &set.rows {
            let v = r.values.get(i).unwrap_or(&Value::Null);
            if v.is_null() {
                continue;
            }
            present += 1;
            match first {
                None => first = Some(v),
                Some(f) if !varied && f != v => varied = true,
                _ => {}
            }
        }
        usable[i] = varied;
        let name = &input.name;
        if present == 0 {
            field.push(field_msg(
                "WARNING",
                name,
                "ALL_MISSING",
                "Missing values",
                format!("variable {name} has no value in any event; it is not used"),
            ));
        } else if !varied {
            field.push(field_msg(
                "WARNING",
                name,
                "SINGLE_VALUE",
                "Single value",
                format!("variable {name} has the same value in every event; it is not used"),
            ));
        } else if (n - present) as f64 > MOSTLY_MISSING * n as f64 {
            field.push(field_msg(
                "WARNING",
                name,
                "MOSTLY_MISSING",
                "Missing values",
                format!(
                    "variable {name} is missing in {:.1}% of the events",
                    100.0 * (n - present) as f64 / n as f64
                ),
            ));
        }
    }
    if n < MIN_EVENTS {
        file.push(file_msg(
            "ERROR",
            "Insufficient data",
            format!("{n} events; the model needs at least {MIN_EVENTS}"),
        ));
    }
    let fraud = set.rows.iter().filter(|r| r.label).count();
    let legit = n - fraud;
    let mt = set.model_type;
    if mt != ModelType::AccountTakeoverInsights {
        if fraud < MIN_FRAUD {
            file.push(file_msg(
                "ERROR",
                "Insufficient fraud labels",
                format!("{fraud} events labelled fraud; the model needs at least {MIN_FRAUD}"),
            ));
        }
        if legit < MIN_LEGIT {
            file.push(file_msg(
                "ERROR",
                "Insufficient legitimate labels",
                format!("{legit} events labelled legitimate; the model needs at least {MIN_LEGIT}"),
            ));
        }
    }
    if mt.uses_history() {
        let known = set
            .rows
            .iter()
            .filter(|r| r.entity.as_deref().is_some_and(|e| !history::is_unknown(e)))
            .count();
        if known == 0 {
            file.push(file_msg(
                "ERROR",
                "No entities",
                format!(
                    "no event has a known entity id; {} reads each entity's history",
                    mt.name()
                ),
            ));
        } else if known * 2 < n {
            file.push(file_msg(
                "WARNING",
                "Anonymous events",
                format!(
                    "{:.1}% of the events have no known entity id and no history",
                    100.0 * (n - known) as f64 / n as f64
                ),
            ));
        }
    }
    if mt == ModelType::AccountTakeoverInsights {
        for t in ATI_REQUIRED_TYPES {
            let has = set
                .inputs
                .iter()
                .enumerate()
                .any(|(i, v)| usable[i] && v.variable_type.as_deref() == Some(t));
            if !has {
                file.push(file_msg(
                    "ERROR",
                    "Missing required variable",
                    format!("{} needs a usable variable of type {t}", mt.name()),
                ));
            }
        }
        let mut counts: rustc_hash::FxHashMap<&str, usize> = Default::default();
        for r in &set.rows {
            if let Some(e) = r.entity.as_deref().filter(|e| !history::is_unknown(e)) {
                *counts.entry(e).or_default() += 1;
            }
        }
        let repeat = counts.values().filter(|&&c| c >= 2).count();
        if repeat < ATI_MIN_ENTITIES {
            file.push(file_msg(
                "ERROR",
                "Insufficient entities",
                format!(
                    "{repeat} entities with two events or more; the model needs at least {ATI_MIN_ENTITIES}"
                ),
            ));
        }
    }
    if !usable.iter().any(|&u| u) {
        file.push(file_msg(
            "ERROR",
            "No usable variable",
            "every variable is missing everywhere or has a single value".into(),
        ));
    }
    let fatal = file.iter().chain(&field).any(|m| m["type"] == "ERROR");
    (
        Validation {
            metrics: json!({"fileLevelMessages": file, "fieldLevelMessages": field}),
            fatal,
        },
        usable,
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Rows of one part, column-major, with what each row is.
struct Part {
    data: Dataset,
    labels: Vec<bool>,
    /// ATI: an impostor row
    impostor: Vec<bool>,
}

impl Part {
    fn new(n_features: usize, categorical: Vec<bool>) -> Part {
        Part {
            data: Dataset {
                n_rows: 0,
                columns: vec![Vec::new(); n_features],
                categorical,
            },
            labels: vec![],
            impostor: vec![],
        }
    }
    fn push(&mut self, row: &[f32], label: bool, impostor: bool) {
        for (c, &x) in self.data.columns.iter_mut().zip(row) {
            c.push(x);
        }
        self.data.n_rows += 1;
        self.labels.push(label);
        self.impostor.push(impostor);
    }
    fn row(&self, r: usize, out: &mut [f32]) {
        for (o, c) in out.iter_mut().zip(&self.data.columns) {
            *o = c[r];
        }
    }
}

/// Validates, then trains with `params` (see [`default_params`]).
pub fn train_with(
    set: &TrainingSet,
    params: &Params,
    progress: &mut dyn FnMut(&TrainProgress) -> bool,
) -> Result<Trained, TrainError> {
    let started = Instant::now();
    let (validation, usable) = check(set);
    if validation.fatal {
        return Err(TrainError::Invalid(validation.metrics));
    }
    let mt = set.model_type;
    let n = set.rows.len();
    let n_train = n * 70 / 100;
    let n_valid = n * 15 / 100;
    let part_of = |r: usize| {
        if r < n_train {
            0
        } else if r < n_train + n_valid {
            1
        } else {
            2
        }
    };
    let ati = mt == ModelType::AccountTakeoverInsights;
    let encoder = if ati {
        Encoder::default()
    } else {
        Encoder::fit(
            &set.inputs,
            &usable,
            set.rows[..n_train].iter().map(|r| &r.values[..]),
            n_train,
        )
    };
    let spec = mt
        .uses_history()
        .then(|| HistorySpec::new(&set.inputs, &usable));
    let ne = encoder.len();
    let nf = ne + spec.as_ref().map_or(0, |s| s.len());
    let mut categorical = encoder.categorical();
    categorical.resize(nf, false);
    let mut parts: Vec<Part> = (0..3).map(|_| Part::new(nf, categorical.clone())).collect();
    let mut row = vec![f32::NAN; nf];
    let mut report = |r: usize| -> bool {
        progress(&TrainProgress {
            fraction: 0.1 * r as f64 / n.max(1) as f64,
            message: format!("building features: {r} of {n} events"),
        })
    };
    if !report(0) {
        return Err(TrainError::Cancelled);
    }
    match &spec {
        None => {
            for (r, tr) in set.rows.iter().enumerate() {
                if r % 10_000 == 0 && r > 0 && !report(r) {
                    return Err(TrainError::Cancelled);
                }
                encoder.encode(&tr.values, &mut row[..ne]);
                parts[part_of(r)].push(&row, tr.label, false);
            }
        }
        Some(spec) => {
            let table = PastTable::new(spec, set.rows.iter().map(|r| (r.time_ms, &r.values[..])));
            let entities: Vec<Option<&str>> =
                set.rows.iter().map(|r| r.entity.as_deref()).collect();
            let mut cancelled = false;
            history::for_each_history(&table.times, &entities, |r, past| {
                if r % 10_000 == 0 && r > 0 && !report(r) {
                    cancelled = true;
                    return false;
                }
                let tr = &set.rows[r];
                let view = TrainPast {
                    table: &table,
                    idx: past,
                };
                encoder.encode(&tr.values, &mut row[..ne]);
                history::compute(spec, tr.time_ms, &tr.values, &view, &mut row[ne..]);
                parts[part_of(r)].push(&row, tr.label, false);
                if ati && !past.is_empty() {
                    // another account's login, checked against this account's history
                    let me = entities[r];
                    let mut pick = None;
                    for attempt in 0..8u64 {
                        let j = (splitmix((r as u64) << 3 | attempt) % n as u64) as usize;
                        let ej = entities[j];
                        if ej != me && ej.is_some_and(|e| !history::is_unknown(e)) {
                            pick = Some(j);
                            break;
                        }
                    }
                    if let Some(j) = pick {
                        // at the other login's hour of day, within the day before this one
                        let day = 86_400_000;
                        let now = tr.time_ms - (tr.time_ms - set.rows[j].time_ms).rem_euclid(day);
                        let other = &set.rows[j].values;
                        encoder.encode(other, &mut row[..ne]);
                        history::compute(spec, now, other, &view, &mut row[ne..]);
                        parts[part_of(r)].push(&row, true, true);
                    }
                }
                true
            });
            if cancelled {
                return Err(TrainError::Cancelled);
            }
        }
    }
    let [train, valid, test]: [Part; 3] = parts.try_into().ok().expect("three parts");
    let max_trees = params.max_trees.max(1);
    let mut tree_progress = |p: &gbdt::Progress| {
        progress(&TrainProgress {
            fraction: 0.1 + 0.8 * p.trees as f64 / max_trees as f64,
            message: format!(
                "training: {} of at most {} trees, validation log loss {:.5}",
                p.trees, p.max_trees, p.best_valid_loss
            ),
        })
    };
    let valid_arg = (valid.data.n_rows > 0).then_some((&valid.data, &valid.labels[..]));
    let booster = gbdt::train(
        &train.data,
        &train.labels,
        valid_arg,
        params,
        &mut tree_progress,
    )
    .map_err(|_| TrainError::Cancelled)?;
    if !progress(&TrainProgress {
        fraction: 0.9,
        message: "evaluating on the test part".into(),
    }) {
        return Err(TrainError::Cancelled);
    }

    // margins of the test part; calibration on its legitimate (ATI: real, unlabelled) events
    let mut margins = Vec::with_capacity(test.data.n_rows);
    for r in 0..test.data.n_rows {
        test.row(r, &mut row);
        margins.push(booster.margin(&row));
    }
    let is_legit = |r: usize| !test.labels[r] && !test.impostor[r];
    let mut legit_m: Vec<f64> = (0..margins.len())
        .filter(|&r| is_legit(r))
        .map(|r| margins[r])
        .collect();
    if legit_m.is_empty() {
        // no legitimate test event: the validation part's instead
        for r in 0..valid.data.n_rows {
            if !valid.labels[r] && !valid.impostor[r] {
                valid.row(r, &mut row);
                legit_m.push(booster.margin(&row));
            }
        }
    }
    let calibration = Calibration::fit(&legit_m);
    let scores: Vec<f64> = margins.iter().map(|&m| calibration.score(m)).collect();
    let pick = |f: &dyn Fn(usize) -> bool, v: &[f64]| -> Vec<f64> {
        (0..v.len()).filter(|&r| f(r)).map(|r| v[r]).collect()
    };
    let fraud_real = |r: usize| test.labels[r] && !test.impostor[r];
    let (metrics_v2, metrics_v1) = if ati {
        let real_m = pick(&|r| !test.impostor[r], &margins);
        let imp_m = pick(&|r| test.impostor[r], &margins);
        let asi = metrics::auc(&imp_m, &real_m);
        let real_s = pick(&|r| !test.impostor[r], &scores);
        let imp_s = pick(&|r| test.impostor[r], &scores);
        let ato_s = pick(&fraud_real, &scores);
        let points = metrics::ati_data_points(&real_s, &imp_s, &ato_s);
        (
            json!({"ati": {"metricDataPoints": points, "modelPerformance": {"asi": round6(asi)}}}),
            json!({"auc": round6(asi), "metricDataPoints": metrics::data_points(&imp_s, &real_s)}),
        )
    } else {
        let fraud_m = pick(&fraud_real, &margins);
        let legit_mm = pick(&is_legit, &margins);
        let auc = metrics::auc(&fraud_m, &legit_mm);
        let (lo, hi) = metrics::auc_range(auc, fraud_m.len(), legit_mm.len());
        let points = metrics::data_points(&pick(&fraud_real, &scores), &pick(&is_legit, &scores));
        let key = if mt == ModelType::OnlineFraudInsights {
            "ofi"
        } else {
            "tfi"
        };
        (
            json!({key: {"metricDataPoints": points, "modelPerformance": {
                "auc": round6(auc),
                "uncertaintyRange": {"lowerBoundValue": round6(lo), "upperBoundValue": round6(hi)}}}}),
            json!({"auc": round6(auc), "metricDataPoints": points}),
        )
    };

    let model = Model {
        model_type: mt,
        inputs: set.inputs.clone(),
        encoder,
        history: spec,
        booster,
        calibration,
    };

    // importance: mean |contribution| over (at most IMPORTANCE_ROWS) test rows
    let step = test.data.n_rows.div_ceil(IMPORTANCE_ROWS).max(1);
    let mut sum = vec![0f64; nf + 1];
    let mut contrib = vec![0f64; nf + 1];
    let mut counted = 0usize;
    let (mut var_sum, mut group_sum): super::Impacts = (vec![], vec![]);
    for r in (0..test.data.n_rows).step_by(step) {
        test.row(r, &mut row);
        model.booster.contributions(&row, &mut contrib);
        let (vars, groups) = model.impacts(&contrib);
        if var_sum.is_empty() && group_sum.is_empty() {
            var_sum = vars.iter().map(|v| (v.0.clone(), 0.0)).collect();
            group_sum = groups.iter().map(|g| (g.0.clone(), 0.0)).collect();
        }
        for (s, v) in var_sum.iter_mut().zip(&vars) {
            s.1 += v.1.abs();
        }
        for (s, g) in group_sum.iter_mut().zip(&groups) {
            s.1 += g.1.abs();
        }
        for (s, c) in sum.iter_mut().zip(&contrib) {
            *s += c.abs();
        }
        counted += 1;
    }
    let denom = counted.max(1) as f64;
    let mut var_metrics: Vec<(String, f64)> =
        var_sum.into_iter().map(|(n, s)| (n, s / denom)).collect();
    var_metrics.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let var_type = |name: &str| {
        set.inputs
            .iter()
            .find(|i| i.name == name)
            .map(|i| {
                i.variable_type
                    .clone()
                    .unwrap_or_else(|| i.data_type.name().to_string())
            })
            .unwrap_or_default()
    };
    let log_odds: Vec<Json> = var_metrics
        .iter()
        .map(|(n, x)| json!({"variableName": n, "variableType": var_type(n), "variableImportance": round6(*x)}))
        .collect();
    let mut group_metrics: Vec<(Vec<String>, f64)> =
        group_sum.into_iter().map(|(n, s)| (n, s / denom)).collect();
    group_metrics.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let aggregated: Vec<Json> = group_metrics
        .iter()
        .map(|(n, x)| json!({"variableNames": n, "aggregatedVariablesImportance": round6(*x)}))
        .collect();
    let feature_importance: Vec<Json> = model
        .feature_names()
        .into_iter()
        .zip(&sum)
        .map(|(n, s)| json!({"feature": n, "importance": round6(s / denom)}))
        .collect();

    let fraud = set.rows.iter().filter(|r| r.label).count();
    let mut result_v2 = json!({
        "dataValidationMetrics": validation.metrics.clone(),
        "trainingMetricsV2": metrics_v2,
        "variableImportanceMetrics": {"logOddsMetrics": log_odds.clone()},
    });
    if model.history.is_some() {
        result_v2["aggregatedVariablesImportanceMetrics"] = json!({"logOddsMetrics": aggregated});
    }
    let report = json!({
        "trainingResult": {
            "dataValidationMetrics": validation.metrics,
            "trainingMetrics": metrics_v1,
            "variableImportanceMetrics": {"logOddsMetrics": log_odds},
        },
        "trainingResultV2": result_v2,
        "trainingSummary": {
            "modelType": mt.name(),
            "events": n,
            "fraudEvents": fraud,
            "legitEvents": n - fraud,
            "trainRows": train.data.n_rows,
            "validationRows": valid.data.n_rows,
            "testRows": test.data.n_rows,
            "impostorRows": train.impostor.iter().chain(&valid.impostor).chain(&test.impostor).filter(|&&b| b).count(),
            "features": nf,
            "historyFeatures": nf - ne,
            "trees": model.booster.n_trees(),
            "maxTrees": params.max_trees,
            "trainingSeconds": round6(started.elapsed().as_secs_f64()),
            "featureImportance": feature_importance,
        },
    });
    progress(&TrainProgress {
        fraction: 1.0,
        message: "done".into(),
    });
    Ok(Trained { model, report })
}
