//! Trained models (docs/models.md): what each AFD model type learns from an event, training
//! on stored events, scores 0-1000 tied to false positive rates, and explanations.
//!
//! INTERFACE SKELETON (owned by the model helper; the pgrx layer codes against it: keep
//! these names and signatures, add what you need).

pub mod gbdt;

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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub model_type: ModelType,
    pub inputs: Vec<InputVariable>,
    // encoders, booster, calibration: chosen by the model helper
}

/// Checks the data against the model type's requirements (AFD's minimums, required
/// variables) without training.
pub fn validate(set: &TrainingSet) -> Validation {
    let _ = set;
    todo!()
}

/// Validates, then trains. `progress` is called from the calling thread now and then;
/// returning false cancels.
pub fn train(
    set: &TrainingSet,
    progress: &mut dyn FnMut(&TrainProgress) -> bool,
) -> Result<Trained, TrainError> {
    let _ = (set, progress);
    todo!()
}

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
    /// The score 0..=1000 of one event (`values` align with `inputs()`), `history` the
    /// entity's past events newest first (empty for ONLINE_FRAUD_INSIGHTS), `now_ms` the
    /// event's time. Allocation-free after the first call with the same `scratch`.
    pub fn score(
        &self,
        values: &[Value<'_>],
        history: &[PastEvent<'_>],
        now_ms: i64,
        scratch: &mut Vec<f32>,
    ) -> f64 {
        let _ = (values, history, now_ms, scratch);
        todo!()
    }
    /// The score and its exact per-variable log-odds contributions.
    pub fn explain(
        &self,
        values: &[Value<'_>],
        history: &[PastEvent<'_>],
        now_ms: i64,
    ) -> (f64, Explanation) {
        let _ = (values, history, now_ms);
        todo!()
    }
}
