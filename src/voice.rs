//! Voice ID in the database: the SQL functions the Voice ID catalog and EvaluateSession use
//! for voiceprints (normalising, scoring, nearest fraudster, result ids, decisions). The maths
//! and the decisions are the engine's (`fraud_engine::voice`); this module adds a per-backend
//! index of each domain's fraudsters, keyed by the domain's `fraudsters_stamp`, which changes
//! (transactionally, from a sequence, so a value is never reused) whenever the domain's
//! fraudsters or watchlist memberships change. A search therefore reads one catalog row and
//! then scans an in-memory matrix; a changed domain is reloaded once. The index also keeps the
//! distribution of cosines between the domain's unrelated voices (its [`Cohort`]), estimated
//! once per load, which normalises the fraud and duplicate checks for the watchlist's size.

use std::cell::RefCell;
use std::rc::Rc;

use pgrx::prelude::*;
use rustc_hash::FxHashMap;

use fraud_engine::voice::{Calibration, Cohort, Index};

use crate::errors;

/// A domain's fraudsters: their voiceprints and, per watchlist, the rows of its members.
struct DomainIndex {
    stamp: i64,
    index: Index,
    members: FxHashMap<String, Vec<u32>>,
    /// Cosines between unrelated voices, from pairs of the domain's own fraudsters.
    cohort: Option<Cohort>,
}

thread_local! {
    static INDEXES: RefCell<FxHashMap<String, Rc<DomainIndex>>> = RefCell::new(FxHashMap::default());
}

fn spi_error(e: pgrx::spi::SpiError) -> ! {
    errors::internal(format!("fraud_detector voice index query failed: {e}"))
}

/// The domain's dimension and current stamp; 42704 if there is no such domain.
fn domain_state(domain_id: &str) -> (usize, i64) {
    let row = Spi::connect(|c| {
        let t = c.select(
            "SELECT embedding_dimension, fraudsters_stamp FROM fraud.voice_domains WHERE domain_id = $1",
            Some(1),
            &[domain_id.into()],
        )?;
        if t.is_empty() {
            return Ok(None);
        }
        let r = t.first();
        Ok::<_, pgrx::spi::SpiError>(Some((r.get::<i32>(1)?, r.get::<i64>(2)?)))
    })
    .unwrap_or_else(|e| spi_error(e));
    match row {
        Some((Some(dim), Some(stamp))) => (dim as usize, stamp),
        _ => errors::not_found(format!("domain '{domain_id}' does not exist")),
    }
}

fn load(domain_id: &str, dimension: usize, stamp: i64) -> DomainIndex {
    let mut index = Index::new(dimension);
    let mut members: FxHashMap<String, Vec<u32>> = FxHashMap::default();
    Spi::connect(|c| {
        let rows = c.select(
            "SELECT f.fraudster_id, f.embedding,
                    array(SELECT m.watchlist_id FROM fraud.voice_fraudster_watchlists m
                          WHERE m.fraudster_id = f.fraudster_id)
             FROM fraud.voice_fraudsters f WHERE f.domain_id = $1
             ORDER BY f.created_at, f.fraudster_id",
            None,
            &[domain_id.into()],
        )?;
        for r in rows {
            let id = r.get::<String>(1)?.unwrap_or_default();
            let v = r.get::<Vec<f32>>(2)?.unwrap_or_default();
            if v.len() != dimension {
                continue; // the catalog stores only checked voiceprints; never index a stray one
            }
            let row = index.push(id, &v) as u32;
            for w in r.get::<Vec<String>>(3)?.unwrap_or_default() {
                members.entry(w).or_default().push(row);
            }
        }
        Ok::<_, pgrx::spi::SpiError>(())
    })
    .unwrap_or_else(|e| spi_error(e));
    let cohort = index.cohort();
    DomainIndex {
        stamp,
        index,
        members,
        cohort,
    }
}

fn domain_index(domain_id: &str) -> Rc<DomainIndex> {
    let (dimension, stamp) = domain_state(domain_id);
    if let Some(ix) = INDEXES.with(|m| m.borrow().get(domain_id).cloned()) {
        if ix.stamp == stamp && ix.index.dimension == dimension {
            return ix;
        }
    }
    let ix = Rc::new(load(domain_id, dimension, stamp));
    INDEXES.with(|m| m.borrow_mut().insert(domain_id.to_string(), ix.clone()));
    ix
}

/// The stored voices a search of `watchlist_id` covers (None: the whole domain; a watchlist
/// without members covers none) and how many they are.
fn searched<'a>(ix: &'a DomainIndex, watchlist_id: Option<&str>) -> (Option<&'a [u32]>, usize) {
    match watchlist_id {
        None => (None, ix.index.len()),
        Some(w) => {
            let rows = ix.members.get(w).map_or(&[][..], Vec::as_slice);
            (Some(rows), rows.len())
        }
    }
}

/// The closest candidate to `embedding`: (fraudster id, cosine, number of voices searched),
/// among the members of `watchlist_id` (every fraudster when `None`) and the unstored `extra`
/// voiceprints (`extra_ids`, concatenated).
fn nearest(
    ix: &DomainIndex,
    embedding: &[f32],
    watchlist_id: Option<&str>,
    extra_ids: Option<Vec<String>>,
    extra: Option<Vec<f32>>,
) -> Option<(String, f32, usize)> {
    if embedding.len() != ix.index.dimension {
        return None;
    }
    let (rows, mut searched) = searched(ix, watchlist_id);
    let stored = ix.index.nearest(embedding, rows);
    let mut best = stored.map(|(i, c)| (ix.index.ids[i].clone(), c));
    let extra = extra.unwrap_or_default();
    let d = ix.index.dimension;
    for (k, id) in extra_ids.unwrap_or_default().into_iter().enumerate() {
        if let Some(v) = extra.get(k * d..(k + 1) * d) {
            searched += 1;
            let c = fraud_engine::voice::dot(embedding, v);
            if best.as_ref().is_none_or(|(_, b)| c > *b) {
                best = Some((id, c));
            }
        }
    }
    best.map(|(id, c)| (id, c, searched))
}

#[pgrx::pg_schema]
pub mod fraud {
    use super::*;
    use fraud_engine::voice;

    /// The embedding checked against the dimension and scaled to unit length; 22023 otherwise.
    #[pg_extern(immutable, parallel_safe, name = "_voice_normalize")]
    pub fn voice_normalize(
        field: &str,
        embedding: Option<Vec<Option<f32>>>,
        dimension: i32,
    ) -> Vec<f32> {
        let Some(embedding) = embedding else {
            errors::invalid(format!("invalid {field}: NULL ({field} is required)"));
        };
        let Some(values) = embedding.into_iter().collect::<Option<Vec<f32>>>() else {
            errors::invalid(format!("invalid {field}: an element is NULL"));
        };
        voice::normalize(&values, dimension.max(0) as usize)
            .unwrap_or_else(|e| errors::invalid(format!("invalid {field}: the embedding {}", e.0)))
    }

    /// The 0-100 score of two unit voiceprints under a domain's calibration.
    #[pg_extern(immutable, parallel_safe, strict, name = "_voice_score")]
    pub fn voice_score(a: Vec<f32>, b: Vec<f32>, cos_at_50: f32, cos_at_90: f32) -> Option<i32> {
        if a.len() != b.len() {
            return None;
        }
        Some(
            Calibration {
                cos_at_50,
                cos_at_90,
            }
            .score(voice::dot(&a, &b)),
        )
    }

    /// The 0-100 score of a cosine similarity under a domain's calibration.
    #[pg_extern(immutable, parallel_safe, strict, name = "_voice_calibrate")]
    pub fn voice_calibrate(cosine: f32, cos_at_50: f32, cos_at_90: f32) -> i32 {
        Calibration {
            cos_at_50,
            cos_at_90,
        }
        .score(cosine)
    }

    /// The domain's fraudster closest to `embedding` (unit length), among the members of
    /// `watchlist_id` (all fraudsters when NULL), and among `extra_ids` / `extra` (voiceprints
    /// not yet stored, concatenated: how a registration job compares a request with the ones
    /// registered earlier in the same batch). No row when there is no candidate.
    #[pg_extern(stable, name = "_voice_nearest")]
    pub fn voice_nearest(
        domain_id: &str,
        embedding: Vec<f32>,
        watchlist_id: Option<&str>,
        extra_ids: default!(Option<Vec<String>>, "NULL"),
        extra: default!(Option<Vec<f32>>, "NULL"),
    ) -> TableIterator<'static, (name!(fraudster_id, String), name!(cosine, f32))> {
        let ix = domain_index(domain_id);
        let best =
            nearest(&ix, &embedding, watchlist_id, extra_ids, extra).map(|(id, c, _)| (id, c));
        TableIterator::new(best)
    }

    /// As `_voice_nearest`, with the cosine the domain's calibration scores for the fraud and
    /// duplicate checks: the cosine less the shift for the number of voices searched
    /// (`Cohort::shift`, 0 up to 500 voices; docs/voice-id.md, "Large watchlists").
    #[pg_extern(stable, name = "_voice_nearest_normalized")]
    pub fn voice_nearest_normalized(
        domain_id: &str,
        embedding: Vec<f32>,
        watchlist_id: Option<&str>,
        cos_at_50: f32,
        extra_ids: default!(Option<Vec<String>>, "NULL"),
        extra: default!(Option<Vec<f32>>, "NULL"),
    ) -> TableIterator<
        'static,
        (
            name!(fraudster_id, String),
            name!(cosine, f32),
            name!(normalized_cosine, f32),
        ),
    > {
        let ix = domain_index(domain_id);
        let best = nearest(&ix, &embedding, watchlist_id, extra_ids, extra).map(|(id, c, n)| {
            let shift = ix.cohort.map_or(0.0, |k| k.shift(cos_at_50, n));
            (id, c, c - shift)
        });
        TableIterator::new(best)
    }

    /// The cosine shift the fraud check applies to a watchlist of the domain (the whole domain
    /// when NULL), for diagnostics and docs/voice-id.md.
    #[pg_extern(stable, name = "_voice_score_shift")]
    pub fn voice_score_shift(domain_id: &str, watchlist_id: Option<&str>, cos_at_50: f32) -> f32 {
        let ix = domain_index(domain_id);
        let n = searched(&ix, watchlist_id).1;
        ix.cohort.map_or(0.0, |k| k.shift(cos_at_50, n))
    }

    /// A 22-character id derived from `parts` (EvaluateSession's cached result ids).
    #[pg_extern(immutable, parallel_safe, strict, name = "_voice_derived_id")]
    pub fn voice_derived_id(parts: Vec<Option<String>>) -> String {
        let owned: Vec<Vec<u8>> = parts
            .into_iter()
            .map(|p| p.map(String::into_bytes).unwrap_or_else(|| vec![0]))
            .collect();
        let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        voice::derived_id(&refs)
    }

    /// AuthenticationResult.Decision (see fraud_engine::voice::authentication_decision).
    #[pg_extern(immutable, parallel_safe, name = "_voice_authentication_decision")]
    pub fn voice_authentication_decision(
        speaker_given: bool,
        speaker_status: Option<&str>,
        enough_speech: bool,
        score: Option<i32>,
        threshold: i32,
    ) -> &'static str {
        voice::authentication_decision(
            speaker_given,
            speaker_status,
            enough_speech,
            score,
            threshold,
        )
    }

    /// FraudDetectionResult's Decision and Reasons as {"Decision": ..., "Reasons": [...]}.
    #[pg_extern(immutable, parallel_safe, name = "_voice_fraud_decision")]
    pub fn voice_fraud_decision(
        enough_speech: bool,
        known_fraudster_score: i32,
        voice_spoofing_score: i32,
        threshold: i32,
    ) -> pgrx::JsonB {
        let (decision, reasons) = voice::fraud_decision(
            enough_speech,
            known_fraudster_score,
            voice_spoofing_score,
            threshold,
        );
        pgrx::JsonB(serde_json::json!({"Decision": decision, "Reasons": reasons}))
    }
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._voice_nearest_normalized(text, real[], text, real, text[], real[]) IS 'The domain''s fraudster closest to a unit embedding among a watchlist''s members (every fraudster when NULL) and unstored extra voiceprints: its id, cosine, and the cosine less the watchlist-size shift (0 up to 500 voices searched) that the fraud and duplicate checks score (docs/voice-id.md, Large watchlists). No row without a candidate. Errors: 42704 unknown domain.';
COMMENT ON FUNCTION fraud._voice_score_shift(text, text, real) IS 'The cosine shift the fraud check applies to a watchlist of the domain (the whole domain when NULL) under a score-50 anchor of cos_at_50: 0 up to 500 voices, else from the cosines between the domain''s unrelated voices (docs/voice-id.md, Large watchlists). Errors: 42704 unknown domain.';"#,
    name = "comment_voice_nearest_normalized",
    requires = [fraud::voice_nearest_normalized, fraud::voice_score_shift]
);
