//! Held-out metrics in AFD's shapes: AUC with a 95 % range, metric data points by score
//! threshold.

use serde_json::{json, Value as Json};

/// The area under the ROC curve: the probability that a positive scores above a negative,
/// ties counting half. NaN without positives or negatives.
pub fn auc(pos: &[f64], neg: &[f64]) -> f64 {
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut all: Vec<(f64, bool)> = pos
        .iter()
        .map(|&x| (x, true))
        .chain(neg.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // sum of positive midranks (1-based)
    let mut rank_sum = 0f64;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (np, nn) = (pos.len() as f64, neg.len() as f64);
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

/// Hanley & McNeil (1982)'s 95 % range of an AUC: auc ± 1.96 SE, clipped to [0, 1].
pub fn auc_range(a: f64, n_pos: usize, n_neg: usize) -> (f64, f64) {
    if a.is_nan() || n_pos == 0 || n_neg == 0 {
        return (0.0, 1.0);
    }
    let (n1, n2) = (n_pos as f64, n_neg as f64);
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    let var = (a * (1.0 - a) + (n1 - 1.0) * (q1 - a * a) + (n2 - 1.0) * (q2 - a * a)) / (n1 * n2);
    let se = var.max(0.0).sqrt();
    ((a - 1.96 * se).max(0.0), (a + 1.96 * se).min(1.0))
}

/// The score thresholds metric data points are given at: 0, 10, ..., 1000.
pub fn thresholds() -> impl Iterator<Item = f64> {
    (0..=100).map(|i| i as f64 * 10.0)
}

fn share_at_least(sorted: &[f64], t: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|&x| x < t);
    (sorted.len() - below) as f64 / sorted.len() as f64
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// OFI/TFI metric data points from held-out scores: at each threshold, fpr (share of
/// legitimate events scoring >= it), tpr (share of fraud events), precision (fraud share of
/// the events flagged; 1 when none is flagged).
pub fn data_points(fraud_scores: &[f64], legit_scores: &[f64]) -> Vec<Json> {
    let (f, l) = (sorted(fraud_scores), sorted(legit_scores));
    thresholds()
        .map(|t| {
            let tpr = share_at_least(&f, t);
            let fpr = share_at_least(&l, t);
            let tp = tpr * f.len() as f64;
            let fp = fpr * l.len() as f64;
            let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
            json!({"fpr": round6(fpr), "precision": round6(precision), "tpr": round6(tpr), "threshold": t})
        })
        .collect()
}

/// ATI metric data points: cr (share of real logins challenged), adr (share of anomalous,
/// impostor logins caught), atodr (share of labelled account-takeover logins caught; only
/// when there are such labels).
pub fn ati_data_points(real: &[f64], impostor: &[f64], takeover: &[f64]) -> Vec<Json> {
    let (r, i, a) = (sorted(real), sorted(impostor), sorted(takeover));
    thresholds()
        .map(|t| {
            let mut p = json!({
                "cr": round6(share_at_least(&r, t)),
                "adr": round6(share_at_least(&i, t)),
                "threshold": t,
            });
            if !a.is_empty() {
                p["atodr"] = json!(round6(share_at_least(&a, t)));
            }
            p
        })
        .collect()
}

/// Rounded to 6 decimals (reports stay readable and stable).
pub fn round6(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_with_ties() {
        assert_eq!(auc(&[1.0, 2.0], &[0.0, 0.5]), 1.0);
        assert_eq!(auc(&[0.0], &[1.0]), 0.0);
        assert_eq!(auc(&[1.0], &[1.0]), 0.5);
        assert_eq!(auc(&[1.0, 3.0], &[2.0, 0.0]), 0.75);
        let (lo, hi) = auc_range(0.9, 100, 1000);
        assert!(lo < 0.9 && hi > 0.9 && lo > 0.8 && hi <= 1.0);
    }

    #[test]
    fn points() {
        let p = data_points(&[900.0, 950.0], &[100.0, 650.0, 0.0, 0.0]);
        assert_eq!(p.len(), 101);
        assert_eq!(p[0]["fpr"], 1.0);
        assert_eq!(p[60]["fpr"], 0.25);
        assert_eq!(p[60]["tpr"], 1.0);
        assert_eq!(p[100]["tpr"], 0.0);
        assert_eq!(p[100]["precision"], 1.0);
    }
}
