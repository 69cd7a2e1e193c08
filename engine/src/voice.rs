//! Voice ID: voiceprints (speaker embeddings), their similarity score, nearest-neighbour search
//! over a domain's fraudsters, and the authentication / fraud-detection decisions.
//!
//! Embeddings come from any speaker-embedding model outside the database. They are stored
//! L2-normalised, so cosine similarity is a dot product. A domain's calibration maps cosine to
//! Voice ID's 0-100 score linearly through two anchors, `cos_at_50` and `cos_at_90`, clamped.

/// Why an embedding was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingError(pub String);

/// Checks an embedding against the domain's dimension and scales it to unit length.
pub fn normalize(v: &[f32], dimension: usize) -> Result<Vec<f32>, EmbeddingError> {
    if v.len() != dimension {
        return Err(EmbeddingError(format!(
            "has {} dimensions, the domain's embeddings have {dimension}",
            v.len()
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(EmbeddingError(format!(
            "element {} is {} (must be a finite number)",
            i + 1,
            v[i]
        )));
    }
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err(EmbeddingError(
            "is the zero vector (it has no direction)".into(),
        ));
    }
    Ok(v.iter().map(|&x| (f64::from(x) / norm) as f32).collect())
}

/// Cosine similarity of two unit vectors.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // eight independent accumulators let the compiler vectorise the loop
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for i in chunks * 8..a.len() {
        sum += a[i] * b[i];
    }
    sum
}

/// Default cosine that scores 50 (Voice ID's default fraud risk threshold); docs/voice-id.md
/// says why. The SQL column and function defaults (sql/catalog.sql, sql/voice.sql) repeat it;
/// a `#[pg_test]` (src/tests.rs) keeps them in step.
pub const DEFAULT_COS_AT_50: f32 = 0.35;
/// Default cosine that scores 90 (Voice ID's default authentication threshold); as above.
pub const DEFAULT_COS_AT_90: f32 = 0.60;

/// The cosine-to-score map of a domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub cos_at_50: f32,
    pub cos_at_90: f32,
}

impl Default for Calibration {
    /// [`DEFAULT_COS_AT_50`] scores 50 and [`DEFAULT_COS_AT_90`] scores 90.
    fn default() -> Self {
        Calibration {
            cos_at_50: DEFAULT_COS_AT_50,
            cos_at_90: DEFAULT_COS_AT_90,
        }
    }
}

impl Calibration {
    /// The 0-100 score of a cosine similarity.
    pub fn score(&self, cos: f32) -> i32 {
        let s = 50.0 + 40.0 * (cos - self.cos_at_50) / (self.cos_at_90 - self.cos_at_50);
        s.round().clamp(0.0, 100.0) as i32
    }
}

/// A domain's voiceprints as one contiguous matrix (row i = voiceprint i).
#[derive(Debug, Default, Clone)]
pub struct Index {
    pub dimension: usize,
    pub ids: Vec<String>,
    data: Vec<f32>,
}

impl Index {
    pub fn new(dimension: usize) -> Self {
        Index {
            dimension,
            ids: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Adds a (normalised) voiceprint; returns its row.
    pub fn push(&mut self, id: String, unit: &[f32]) -> usize {
        debug_assert_eq!(unit.len(), self.dimension);
        self.ids.push(id);
        self.data.extend_from_slice(unit);
        self.ids.len() - 1
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dimension..(i + 1) * self.dimension]
    }

    /// The most similar voiceprint among `rows` (every row when `None`): (row, cosine).
    /// Ties go to the earlier row, so results are deterministic.
    pub fn nearest(&self, query: &[f32], rows: Option<&[u32]>) -> Option<(usize, f32)> {
        let mut best: Option<(usize, f32)> = None;
        let mut consider = |i: usize| {
            let c = dot(query, self.row(i));
            if best.is_none_or(|(_, b)| c > b) {
                best = Some((i, c));
            }
        };
        match rows {
            Some(rows) => rows.iter().for_each(|&i| consider(i as usize)),
            None => (0..self.len()).for_each(consider),
        }
        best
    }
}

/// AuthenticationResult.Decision.
pub fn authentication_decision(
    speaker_given: bool,
    speaker_status: Option<&str>,
    enough_speech: bool,
    score: Option<i32>,
    threshold: i32,
) -> &'static str {
    if !speaker_given {
        return "SPEAKER_ID_NOT_PROVIDED";
    }
    match speaker_status {
        None | Some("PENDING") => "SPEAKER_NOT_ENROLLED",
        Some("OPTED_OUT") => "SPEAKER_OPTED_OUT",
        Some("EXPIRED") => "SPEAKER_EXPIRED",
        _ if !enough_speech => "NOT_ENOUGH_SPEECH",
        _ => match score {
            Some(s) if s >= threshold => "ACCEPT",
            _ => "REJECT",
        },
    }
}

/// FraudDetectionResult.Decision and Reasons: HIGH_RISK when the closest fraudster's score or
/// the caller's voice-spoofing risk reaches the threshold.
pub fn fraud_decision(
    enough_speech: bool,
    known_fraudster_score: i32,
    voice_spoofing_score: i32,
    threshold: i32,
) -> (&'static str, Vec<&'static str>) {
    if !enough_speech {
        return ("NOT_ENOUGH_SPEECH", Vec::new());
    }
    let mut reasons = Vec::new();
    if known_fraudster_score >= threshold {
        reasons.push("KNOWN_FRAUDSTER");
    }
    if voice_spoofing_score >= threshold {
        reasons.push("VOICE_SPOOFING");
    }
    (
        if reasons.is_empty() {
            "LOW_RISK"
        } else {
            "HIGH_RISK"
        },
        reasons,
    )
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A 22-character Voice ID identifier derived from `parts`: the same parts always give the
/// same id (EvaluateSession's cached results), different parts practically never do (128 bits
/// of two FNV-1a hashes).
pub fn derived_id(parts: &[&[u8]]) -> String {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x6c62_272e_07bb_0142;
    for p in parts {
        for &b in p.iter().chain(&[0xff_u8]) {
            h1 = (h1 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            h2 = (h2 ^ u64::from(b))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    }
    let mut n = (u128::from(h1) << 64) | u128::from(h2);
    let mut out = [b'0'; 22];
    for c in out.iter_mut().rev() {
        *c = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_checks_and_scales() {
        assert_eq!(normalize(&[3.0, 4.0], 2).unwrap(), vec![0.6, 0.8]);
        assert!(normalize(&[1.0], 2)
            .unwrap_err()
            .0
            .contains("has 1 dimensions"));
        assert!(normalize(&[1.0, f32::NAN], 2)
            .unwrap_err()
            .0
            .contains("element 2"));
        assert!(normalize(&[0.0, 0.0], 2)
            .unwrap_err()
            .0
            .contains("zero vector"));
    }

    #[test]
    fn calibration_anchors_and_clamps() {
        let c = Calibration::default();
        assert_eq!(c.score(0.35), 50);
        assert_eq!(c.score(0.60), 90);
        assert_eq!(c.score(1.0), 100);
        assert_eq!(c.score(-1.0), 0);
        assert_eq!(c.score(0.0), 0);
    }

    #[test]
    fn nearest_over_all_or_some_rows() {
        let mut ix = Index::new(2);
        ix.push("a".into(), &[1.0, 0.0]);
        ix.push("b".into(), &[0.0, 1.0]);
        ix.push("c".into(), &normalize(&[1.0, 1.0], 2).unwrap());
        let q = normalize(&[0.1, 1.0], 2).unwrap();
        assert_eq!(ix.nearest(&q, None).map(|(i, _)| i), Some(1));
        assert_eq!(ix.nearest(&q, Some(&[0, 2])).map(|(i, _)| i), Some(2));
        assert_eq!(ix.nearest(&q, Some(&[])), None);
        // dot agrees with a plain sum on lengths that are not a multiple of 8
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.1).collect();
        let plain: f32 = a.iter().map(|x| x * x).sum();
        assert!((dot(&a, &a) - plain).abs() < 1e-4);
    }

    #[test]
    fn decisions() {
        assert_eq!(
            authentication_decision(false, None, true, None, 90),
            "SPEAKER_ID_NOT_PROVIDED"
        );
        assert_eq!(
            authentication_decision(true, None, true, None, 90),
            "SPEAKER_NOT_ENROLLED"
        );
        assert_eq!(
            authentication_decision(true, Some("OPTED_OUT"), true, None, 90),
            "SPEAKER_OPTED_OUT"
        );
        assert_eq!(
            authentication_decision(true, Some("EXPIRED"), true, None, 90),
            "SPEAKER_EXPIRED"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), false, Some(99), 90),
            "NOT_ENOUGH_SPEECH"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), true, Some(90), 90),
            "ACCEPT"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), true, Some(89), 90),
            "REJECT"
        );
        assert_eq!(
            fraud_decision(false, 99, 99, 50),
            ("NOT_ENOUGH_SPEECH", vec![])
        );
        assert_eq!(
            fraud_decision(true, 50, 0, 50),
            ("HIGH_RISK", vec!["KNOWN_FRAUDSTER"])
        );
        assert_eq!(
            fraud_decision(true, 10, 70, 50),
            ("HIGH_RISK", vec!["VOICE_SPOOFING"])
        );
        assert_eq!(fraud_decision(true, 49, 49, 50), ("LOW_RISK", vec![]));
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id(&[b"domain", b"session", b"1"]);
        assert_eq!(a.len(), 22);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a, derived_id(&[b"domain", b"session", b"1"]));
        assert_ne!(a, derived_id(&[b"domain", b"session", b"2"]));
        assert_ne!(derived_id(&[b"ab", b"c"]), derived_id(&[b"a", b"bc"]));
    }
}
