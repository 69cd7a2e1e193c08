//! Trained models (docs/models.md): what each AFD model type learns from an event, training
//! on stored events, scores 0-1000 tied to false positive rates, and explanations.
//!
//! What each model type computes (GBDT inputs, see [`features`] and [`history`]):
//! * ONLINE_FRAUD_INSIGHTS: the event's own features (numbers, booleans, hour/weekday of
//!   DATETIMEs, categorical values with rare pooling, email domain/local part, IP /24 and
//!   /16, phone country code and length, user-agent family, text length);
//! * TRANSACTION_FRAUD_INSIGHTS: those plus the entity's history features (event counts in
//!   1 h / 24 h / 7 d / 30 d, time since the previous event, hour-of-day distance, 24 h sums
//!   and ratio to the mean of numeric inputs, new / distinct / share-same of every
//!   categorical value, email domain, IP /24 and user-agent family);
//! * ACCOUNT_TAKEOVER_INSIGHTS: the history features only, learnt as "this account's real
//!   logins" against "another account's login seen against this account's history"
//!   (impostors), plus labelled takeovers when there are labels.
//!
//! Training ([`train_with`]): validation, time-ordered 70/15/15 split, GBDT with early
//! stopping, calibration and metrics on the last 15 %. Scores: [`calibration`] (600 ≈ 10 %,
//! 900 ≈ 2 % of legitimate events flagged). History conventions: the caller hands the
//! entity's stored events newest first (at most [`HISTORY_MAX_EVENTS`] within
//! [`HISTORY_WINDOW_MS`] are read; events at or after the scored event's time are ignored,
//! so the event itself may be among them); an anonymous entity (None, "unknown") has an
//! empty history, in training as in scoring.

pub mod calibration;
pub mod features;
pub mod gbdt;
pub mod history;
pub mod metrics;
mod training;

pub use training::{
    default_params, train_with, ATI_MIN_ENTITIES, ATI_REQUIRED_TYPES, MIN_EVENTS, MIN_FRAUD,
    MIN_LEGIT,
};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::value::{DataType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelType {
    #[serde(rename = "ONLINE_FRAUD_INSIGHTS")]
    OnlineFraudInsights,
    #[serde(rename = "TRANSACTION_FRAUD_INSIGHTS")]
    TransactionFraudInsights,
    #[serde(rename = "ACCOUNT_TAKEOVER_INSIGHTS")]
    AccountTakeoverInsights,
}

impl ModelType {
    pub const ALL: [ModelType; 3] = [
        ModelType::OnlineFraudInsights,
        ModelType::TransactionFraudInsights,
        ModelType::AccountTakeoverInsights,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ModelType::OnlineFraudInsights => "ONLINE_FRAUD_INSIGHTS",
            ModelType::TransactionFraudInsights => "TRANSACTION_FRAUD_INSIGHTS",
            ModelType::AccountTakeoverInsights => "ACCOUNT_TAKEOVER_INSIGHTS",
        }
    }
    pub fn parse(s: &str) -> Option<ModelType> {
        ModelType::ALL.into_iter().find(|m| m.name() == s)
    }
    /// Whether it reads the history of the event's entity (TFI, ATI).
    pub fn uses_history(self) -> bool {
        !matches!(self, ModelType::OnlineFraudInsights)
    }
}

/// How far back, and how many, past events of the entity a history-reading model looks at
/// (the pgrx layer reads at most this many, newest first, at prediction time).
pub const HISTORY_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;
pub const HISTORY_MAX_EVENTS: usize = 100;

/// One model input: an event variable with its data type and AFD variable type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputVariable {
    pub name: String,
    pub data_type: DataType,
    /// AFD VariableType (EMAIL_ADDRESS, IP_ADDRESS, PHONE_NUMBER, PRICE, CATEGORICAL, ...)
    pub variable_type: Option<String>,
}

/// One labelled training event; `values` align with `TrainingSet::inputs` (Value::Null when
/// missing or unreadable as the variable's type).
#[derive(Debug, Clone)]
pub struct TrainingRow {
    pub time_ms: i64,
    /// the event's (first) entity id; None or "unknown" for anonymous events
    pub entity: Option<String>,
    pub values: Vec<Value<'static>>,
    /// true = fraud, false = legit (the pgrx layer applied labelMapper and
    /// unlabeledEventsTreatment; ATI may get all-false when there are no labels)
    pub label: bool,
}

/// Training data, rows sorted by time ascending (ties in a stable order).
#[derive(Debug, Clone)]
pub struct TrainingSet {
    pub model_type: ModelType,
    pub inputs: Vec<InputVariable>,
    pub rows: Vec<TrainingRow>,
}

/// A past event of the same entity, for TFI/ATI at prediction time; `values` align with
/// `Model::inputs()`.
#[derive(Debug, Clone)]
pub struct PastEvent<'a> {
    pub time_ms: i64,
    pub values: Vec<Value<'a>>,
}

/// AFD's dataValidationMetrics: {"fileLevelMessages": [...], "fieldLevelMessages": [...]}
/// plus whether training can go on.
#[derive(Debug, Clone)]
pub struct Validation {
    pub metrics: Json,
    /// a message of type ERROR: training refuses to start (the version goes to ERROR)
    pub fatal: bool,
}

/// Where training stands (for the job's progress).
#[derive(Debug, Clone)]
pub struct TrainProgress {
    /// 0.0 ..= 1.0
    pub fraction: f64,
    pub message: String,
}

/// A trained model and what training reports about it.
pub struct Trained {
    pub model: Model,
    /// {"trainingResult": {...}, "trainingResultV2": {...}} in AFD's shapes
    pub report: Json,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TrainError {
    /// dataValidationMetrics with an ERROR message
    Invalid(Json),
    Cancelled,
}

/// A model's per-variable explanation of one score (AFD PredictionExplanations).
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// (eventVariableName, logOddsImpact, relativeImpact)
    pub variables: Vec<(String, f64, String)>,
    /// (eventVariableNames, logOddsImpact, relativeImpact) of features derived from several
    /// variables or from history
    pub aggregated: Vec<(Vec<String>, f64, String)>,
}

/// A trained model as stored and scored.
///
/// Its inputs to the GBDT are the event features of [`features`] followed by the history
/// features of [`history`] (TFI, ATI); ATI uses history features only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub model_type: ModelType,
    pub inputs: Vec<InputVariable>,
    encoder: features::Encoder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history: Option<history::HistorySpec>,
    booster: gbdt::Booster,
    calibration: calibration::Calibration,
}

/// Checks the data against the model type's requirements (AFD's minimums, required
/// variables) without training. See [`training`](train_with) for the rules.
pub fn validate(set: &TrainingSet) -> Validation {
    training::check(set).0
}

/// Validates, then trains with [`default_params`]. `progress` is called from the calling
/// thread now and then; returning false cancels.
pub fn train(
    set: &TrainingSet,
    progress: &mut dyn FnMut(&TrainProgress) -> bool,
) -> Result<Trained, TrainError> {
    train_with(set, &default_params(), progress)
}

/// The rating of an impact relative to the largest absolute impact of the prediction:
/// `round(5 × |impact| / max |impact|)` from 0 to 5, followed by ` increased` (positive
/// impact: towards fraud) or ` decreased`; a rating of 0 is just `"0"`.
pub fn relative_impact(impact: f64, max_abs: f64) -> String {
    if max_abs.is_nan() || max_abs <= 0.0 || !impact.is_finite() {
        return "0".into();
    }
    let r = (5.0 * impact.abs() / max_abs).round().clamp(0.0, 5.0) as u32;
    match r {
        0 => "0".into(),
        r if impact > 0.0 => format!("{r} increased"),
        r => format!("{r} decreased"),
    }
}

/// Per-variable and per-group log-odds impacts.
type Impacts = (Vec<(String, f64)>, Vec<(Vec<String>, f64)>);

impl Model {
    pub fn inputs(&self) -> &[InputVariable] {
        &self.inputs
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serializes")
    }
    pub fn from_json(s: &str) -> Result<Model, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }
    /// The number of GBDT inputs (event then history features).
    pub fn n_features(&self) -> usize {
        self.encoder.len() + self.history.as_ref().map_or(0, |h| h.len())
    }
    /// The GBDT input names, in order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .encoder
            .features
            .iter()
            .map(|f| f.name.clone())
            .collect();
        if let Some(h) = &self.history {
            v.extend(h.features(&self.inputs).into_iter().map(|f| f.0));
        }
        v
    }
    /// Number of trees of the GBDT.
    pub fn n_trees(&self) -> usize {
        self.booster.n_trees()
    }
    /// The calibration (margin to score).
    pub fn calibration(&self) -> &calibration::Calibration {
        &self.calibration
    }
    /// Past events as read, as the history features read them.
    fn scoring_past<'s, 'a>(
        &'s self,
        history: &'s [PastEvent<'a>],
    ) -> history::ScoringPast<'s, 'a> {
        static NONE: history::HistorySpec = history::HistorySpec {
            numeric: Vec::new(),
            keys: Vec::new(),
        };
        history::ScoringPast {
            spec: self.history.as_ref().unwrap_or(&NONE),
            events: history,
        }
    }
    /// The GBDT's inputs for an event into `scratch` (resized to [`Model::n_features`]), the
    /// entity's past events as any [`history::PastEvents`] (newest first; not read by a model
    /// without history features).
    pub fn encode_past(
        &self,
        values: &[Value<'_>],
        past: &impl history::PastEvents,
        now_ms: i64,
        scratch: &mut Vec<f32>,
    ) {
        scratch.clear();
        scratch.resize(self.n_features(), f32::NAN);
        let ne = self.encoder.len();
        self.encoder.encode(values, &mut scratch[..ne]);
        if let Some(spec) = &self.history {
            history::compute(spec, now_ms, values, past, &mut scratch[ne..]);
        }
    }
    /// What its history features read of a past event (None: it reads no history): the
    /// spec a [`history::PastTable`] of the entity's past is built with.
    pub fn history_spec(&self) -> Option<&history::HistorySpec> {
        self.history.as_ref()
    }
    /// [`Model::score`] with the entity's past events as any [`history::PastEvents`].
    pub fn score_past(
        &self,
        values: &[Value<'_>],
        past: &impl history::PastEvents,
        now_ms: i64,
        scratch: &mut Vec<f32>,
    ) -> f64 {
        self.encode_past(values, past, now_ms, scratch);
        self.calibration.score(self.booster.margin(scratch))
    }
    /// The score 0..=1000 of one event (`values` align with `inputs()`), `history` the
    /// entity's past events newest first (empty for ONLINE_FRAUD_INSIGHTS, and for an
    /// anonymous entity), `now_ms` the event's time. Allocation-free after the first call
    /// with the same `scratch`.
    pub fn score(
        &self,
        values: &[Value<'_>],
        history: &[PastEvent<'_>],
        now_ms: i64,
        scratch: &mut Vec<f32>,
    ) -> f64 {
        self.score_past(values, &self.scoring_past(history), now_ms, scratch)
    }
    /// The score and its exact per-variable log-odds contributions: `variables` has every
    /// input with event features (the sum of its features' TreeSHAP values), `aggregated`
    /// every group of history features (by the inputs they read; `["ENTITY_ID"]` for the
    /// entity's event counts and timing). Their impacts plus the GBDT's expected value sum to
    /// the margin. Relative impacts: [`relative_impact`] against the largest |impact| of
    /// the prediction, variables and groups together.
    pub fn explain(
        &self,
        values: &[Value<'_>],
        history: &[PastEvent<'_>],
        now_ms: i64,
    ) -> (f64, Explanation) {
        self.explain_past(values, &self.scoring_past(history), now_ms)
    }

    /// [`Model::explain`] with the entity's past events as any [`history::PastEvents`].
    pub fn explain_past(
        &self,
        values: &[Value<'_>],
        past: &impl history::PastEvents,
        now_ms: i64,
    ) -> (f64, Explanation) {
        let (score, _, _, e) = self.explain_full_past(values, past, now_ms);
        (score, e)
    }

    /// [`Model::explain`] with the margin (log-odds, `Booster::margin`) and the GBDT's
    /// expected value: `margin == base + Σ variables + Σ aggregated` (up to rounding).
    pub fn explain_full(
        &self,
        values: &[Value<'_>],
        history: &[PastEvent<'_>],
        now_ms: i64,
    ) -> (f64, f64, f64, Explanation) {
        self.explain_full_past(values, &self.scoring_past(history), now_ms)
    }

    fn explain_full_past(
        &self,
        values: &[Value<'_>],
        past: &impl history::PastEvents,
        now_ms: i64,
    ) -> (f64, f64, f64, Explanation) {
        let mut row = Vec::new();
        self.encode_past(values, past, now_ms, &mut row);
        let mut contrib = vec![0f64; row.len() + 1];
        self.booster.contributions(&row, &mut contrib);
        let base = contrib[row.len()];
        let margin = self.booster.margin(&row);
        let score = self.calibration.score(margin);
        let (vars, groups) = self.impacts(&contrib);
        let max_abs = vars
            .iter()
            .map(|v| v.1.abs())
            .chain(groups.iter().map(|g| g.1.abs()))
            .fold(0f64, f64::max);
        let variables = vars
            .into_iter()
            .map(|(n, x)| (n, x, relative_impact(x, max_abs)))
            .collect();
        let aggregated = groups
            .into_iter()
            .map(|(n, x)| (n, x, relative_impact(x, max_abs)))
            .collect();
        (
            score,
            margin,
            base,
            Explanation {
                variables,
                aggregated,
            },
        )
    }

    /// Per-input and per-history-group sums of per-feature values (`contrib[..n_features]`).
    fn impacts(&self, contrib: &[f64]) -> Impacts {
        let mut per_input: Vec<Option<f64>> = vec![None; self.inputs.len()];
        for (f, c) in self.encoder.features.iter().zip(contrib) {
            *per_input[f.input].get_or_insert(0.0) += c;
        }
        let vars = per_input
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.map(|x| (self.inputs[i].name.clone(), x)))
            .collect();
        let mut groups: Vec<(Vec<usize>, f64)> = Vec::new();
        if let Some(spec) = &self.history {
            let ne = self.encoder.len();
            for ((_, ins), c) in spec.features(&self.inputs).into_iter().zip(&contrib[ne..]) {
                match groups.iter_mut().find(|g| g.0 == ins) {
                    Some(g) => g.1 += c,
                    None => groups.push((ins, *c)),
                }
            }
        }
        let groups = groups
            .into_iter()
            .map(|(ins, x)| {
                let names = if ins.is_empty() {
                    vec![history::ENTITY_GROUP.to_string()]
                } else {
                    ins.iter().map(|&i| self.inputs[i].name.clone()).collect()
                };
                (names, x)
            })
            .collect();
        (vars, groups)
    }
}
