//! Scores 0-1000 tied to false positive rates, as AFD's model scores are.
//!
//! The meaning of a score: training keeps the margins (log-odds) of the held-out test part's
//! legitimate events. For a new event's margin `m`, `FPR(m)` is the share of those held-out
//! legitimate events whose margin is `>= m` (between knots, interpolated linearly in
//! log(FPR); above the highest legitimate margin it keeps falling by a factor e per unit of
//! margin, below the lowest it is 1). The score is a fixed, strictly decreasing function of
//! that FPR, piecewise linear in log(FPR) through the anchors
//!
//! | FPR | 1 | 0.10 | 0.02 | 0.001 |
//! |---|---|---|---|---|
//! | score | 0 | 600 | 900 | 1000 |
//!
//! and 1000 below FPR 0.001; rounded to a whole number. So a threshold of 600 flags about
//! 10 % of legitimate events, 900 about 2 %, 1000 about 0.1 % or fewer.

use serde::{Deserialize, Serialize};

/// (FPR, score) anchors of the score function, FPR decreasing.
pub const ANCHORS: [(f64, f64); 4] = [(1.0, 0.0), (0.10, 600.0), (0.02, 900.0), (0.001, 1000.0)];

/// Knots at most.
const MAX_KNOTS: usize = 1000;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Calibration {
    /// ascending held-out legitimate margins (f32: exact through JSON)
    margins: Vec<f32>,
    /// the share of held-out legitimate margins >= margins[k] (decreasing)
    fprs: Vec<f32>,
}

/// The score of a false positive rate (the table above), not rounded.
pub fn score_of_fpr(fpr: f64) -> f64 {
    if fpr >= 1.0 {
        return 0.0;
    }
    if fpr.is_nan() || fpr <= ANCHORS[3].0 {
        return 1000.0;
    }
    for w in ANCHORS.windows(2) {
        let ((f0, s0), (f1, s1)) = (w[0], w[1]);
        if fpr >= f1 {
            let t = (fpr.ln() - f0.ln()) / (f1.ln() - f0.ln());
            return s0 + t * (s1 - s0);
        }
    }
    1000.0
}

impl Calibration {
    /// From the held-out legitimate events' margins.
    pub fn fit(legit_margins: &[f64]) -> Calibration {
        let mut m: Vec<f32> = legit_margins.iter().map(|&x| x as f32).collect();
        m.sort_by(|a, b| a.total_cmp(b));
        let n = m.len();
        if n == 0 {
            return Calibration::default();
        }
        // share >= m[k] is (n - first index of m[k]) / n; knots at every distinct margin,
        // thinned to about MAX_KNOTS spaced evenly in log(FPR)
        let mut knots: Vec<(f32, f32)> = Vec::new();
        let mut k = 0;
        while k < n {
            let v = m[k];
            let fpr = (n - k) as f32 / n as f32;
            knots.push((v, fpr));
            while k < n && m[k] == v {
                k += 1;
            }
        }
        if knots.len() > MAX_KNOTS {
            let step = ((1.0 / n as f64).ln().abs()) / MAX_KNOTS as f64;
            let mut thin = vec![knots[0]];
            let mut last = knots[0].1 as f64;
            for (i, &(v, f)) in knots.iter().enumerate().skip(1) {
                let keep = i + 1 == knots.len() || (last.ln() - (f as f64).ln()) >= step;
                if keep {
                    thin.push((v, f));
                    last = f as f64;
                }
            }
            knots = thin;
        }
        Calibration {
            margins: knots.iter().map(|k| k.0).collect(),
            fprs: knots.iter().map(|k| k.1).collect(),
        }
    }

    /// FPR(margin) (see the module documentation).
    pub fn fpr(&self, margin: f64) -> f64 {
        let m = margin as f32;
        let n = self.margins.len();
        if n == 0 || m.is_nan() {
            return 1.0;
        }
        if m <= self.margins[0] {
            return 1.0;
        }
        if m > self.margins[n - 1] {
            let last = self.fprs[n - 1] as f64;
            return last * (-(m as f64 - self.margins[n - 1] as f64)).exp();
        }
        // first knot > m: j >= 1; m in (margins[j-1], margins[j]]
        let j = self.margins.partition_point(|&x| x < m);
        if self.margins[j] == m {
            return self.fprs[j] as f64;
        }
        let (m0, m1) = (self.margins[j - 1] as f64, self.margins[j] as f64);
        let (f0, f1) = ((self.fprs[j - 1] as f64).ln(), (self.fprs[j] as f64).ln());
        let t = (m as f64 - m0) / (m1 - m0);
        (f0 + t * (f1 - f0)).exp()
    }

    /// The score 0..=1000 (whole) of a margin.
    pub fn score(&self, margin: f64) -> f64 {
        score_of_fpr(self.fpr(margin)).round().clamp(0.0, 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors() {
        assert_eq!(score_of_fpr(1.0), 0.0);
        assert!((score_of_fpr(0.1) - 600.0).abs() < 1e-9);
        assert!((score_of_fpr(0.02) - 900.0).abs() < 1e-9);
        assert_eq!(score_of_fpr(0.0005), 1000.0);
        let mut last = -1.0;
        for i in 0..1000 {
            let f = 1.0 - i as f64 / 1000.0;
            let s = score_of_fpr(f);
            assert!(s >= last);
            last = s;
        }
    }

    #[test]
    fn monotone_and_banded() {
        let mut x = 1u64;
        let ms: Vec<f64> = (0..20000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0
            })
            .collect();
        let c = Calibration::fit(&ms);
        let s600 = ms.iter().filter(|&&m| c.score(m) >= 600.0).count() as f64 / ms.len() as f64;
        let s900 = ms.iter().filter(|&&m| c.score(m) >= 900.0).count() as f64 / ms.len() as f64;
        assert!((0.09..=0.11).contains(&s600), "{s600}");
        assert!((0.017..=0.023).contains(&s900), "{s900}");
        let mut last = -1.0;
        for i in 0..2000 {
            let s = c.score(-6.0 + i as f64 * 0.006);
            assert!(s >= last);
            last = s;
        }
        assert_eq!(c.score(100.0), 1000.0);
        assert_eq!(c.score(-100.0), 0.0);
    }
}
