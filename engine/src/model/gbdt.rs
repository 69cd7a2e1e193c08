//! Gradient-boosted decision trees: histogram-based, logistic loss, leaf-wise growth, early
//! stopping on a validation set. Deterministic: the same data and parameters give the same
//! trees, bit for bit, on every run and thread count.
//!
//! INTERFACE SKELETON (owned by the gbdt helper; signatures agreed with model/mod.rs).

use serde::{Deserialize, Serialize};

/// Column-major training data. Every value is an f32; NaN is a missing value. A categorical
/// column holds category ids 0, 1, 2, ... as f32 (exact below 2^24).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub n_rows: usize,
    pub columns: Vec<Vec<f32>>,
    pub categorical: Vec<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub learning_rate: f64,
    pub num_leaves: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub lambda_l2: f64,
    pub max_bins: usize,
    pub max_trees: usize,
    pub early_stopping_rounds: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            learning_rate: 0.1,
            num_leaves: 31,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 0.0,
            max_bins: 255,
            max_trees: 1000,
            early_stopping_rounds: 50,
        }
    }
}

/// Where training stands, handed to the progress callback after every tree.
#[derive(Debug, Clone)]
pub struct Progress {
    pub trees: usize,
    pub max_trees: usize,
    /// the validation log loss of the best iteration so far (NaN without a validation set)
    pub best_valid_loss: f64,
}

/// The progress callback returned false: training stopped, nothing is returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Cancelled;

/// A trained ensemble. Serialized with serde (stored as JSON in the catalog).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Booster {
    pub n_features: usize,
    pub base_margin: f64,
    // trees: private representation chosen by the gbdt helper
}

/// Trains on `train` (labels: true = fraud), early stopping on `valid` when given (the
/// returned booster keeps the best iteration's trees). `progress` is called after each tree
/// from the calling thread; returning false cancels.
pub fn train(
    train: &Dataset,
    labels: &[bool],
    valid: Option<(&Dataset, &[bool])>,
    params: &Params,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Booster, Cancelled> {
    let _ = (train, labels, valid, params, progress);
    todo!()
}

impl Booster {
    /// The log-odds of fraud for one row (`row.len() == n_features`, NaN missing).
    pub fn margin(&self, row: &[f32]) -> f64 {
        let _ = row;
        todo!()
    }

    /// Exact per-feature contributions to `margin(row)` (TreeSHAP): `out.len() ==
    /// n_features + 1`, the last is the expected value; they sum to the margin.
    pub fn contributions(&self, row: &[f32], out: &mut [f64]) {
        let _ = (row, out);
        todo!()
    }

    /// Number of trees kept.
    pub fn n_trees(&self) -> usize {
        todo!()
    }
}
