//! Voice ID in the database: the SQL functions the Voice ID catalog and EvaluateSession use
//! for voiceprints (normalising, scoring, nearest fraudster, result ids, decisions). The maths
//! and the decisions are the engine's (`fraud_engine::voice`); this module adds a per-backend
//! index of each domain's fraudsters, keyed by the domain's `fraudsters_stamp`, which changes
//! (transactionally, from a sequence, so a value is never reused) whenever the domain's
//! fraudsters or watchlist memberships change. A search therefore reads one catalog row and
//! then scans an in-memory matrix; a changed domain is reloaded once. The index also keeps the
//! distribution of cosines between the domain's unrelated voices (its [`Cohort`]), estimated
//! once per load, which normalises the fraud and duplicate checks for the watchlist's size.
//!
//! A backend keeps at most [`MAX_DOMAIN_INDEXES`] indexes, dropping the least recently used;
//! whenever it loads one it first drops every index whose domain is gone or has a new stamp, and
//! a search of a domain that no longer exists drops its index. So a deleted domain's voiceprints
//! do not stay in a backend's memory for its whole life.

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

/// The most domain indexes one backend keeps (each can be large: 100,000 voices of 192
/// dimensions are 77 MB). A backend searching more domains than this in turn reloads them.
pub const MAX_DOMAIN_INDEXES: usize = 8;

thread_local! {
    /// (domain id, index), the least recently used first.
    static INDEXES: RefCell<Vec<(String, Rc<DomainIndex>)>> = const { RefCell::new(Vec::new()) };
}

fn spi_error(e: pgrx::spi::SpiError) -> ! {
    errors::internal(format!("fraud_detector voice index query failed: {e}"))
}

/// The domain's dimension and current stamp; None if there is no such domain.
fn domain_state(domain_id: &str) -> Option<(usize, i64)> {
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
        Some((Some(dim), Some(stamp))) => Some((dim as usize, stamp)),
        _ => None,
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
            // a row with a NULL element is not a voiceprint (the catalog's CHECK refuses it)
            let Some(v) = r
                .get::<Vec<Option<f32>>>(2)?
                .and_then(|v| v.into_iter().collect::<Option<Vec<f32>>>())
            else {
                continue;
            };
            // Index::push refuses what the catalog should never hold (another dimension, NaN,
            // an infinity, the zero vector), written by hand: one such row would decide every
            // search
            let Some(row) = index.push(id, &v) else {
                continue;
            };
            for w in r.get::<Vec<String>>(3)?.unwrap_or_default() {
                members.entry(w).or_default().push(row as u32);
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

/// Drops the cached indexes whose domain no longer exists or has a new stamp: what a load
/// does first, so memory goes to current indexes only.
fn drop_stale_indexes() {
    let cached: Vec<String> = INDEXES.with(|m| m.borrow().iter().map(|(d, _)| d.clone()).collect());
    if cached.is_empty() {
        return;
    }
    let current: Vec<(String, i64)> = Spi::connect(|c| {
        let mut current = Vec::new();
        for r in c.select(
            "SELECT domain_id, fraudsters_stamp FROM fraud.voice_domains WHERE domain_id = ANY($1)",
            None,
            &[cached.into()],
        )? {
            if let (Some(d), Some(stamp)) = (r.get::<String>(1)?, r.get::<i64>(2)?) {
                current.push((d, stamp));
            }
        }
        Ok::<_, pgrx::spi::SpiError>(current)
    })
    .unwrap_or_else(|e| spi_error(e));
    INDEXES.with(|m| {
        m.borrow_mut().retain(|(d, ix)| {
            current
                .iter()
                .any(|(c, stamp)| c == d && *stamp == ix.stamp)
        })
    });
}

fn domain_index(domain_id: &str) -> Rc<DomainIndex> {
    let Some((dimension, stamp)) = domain_state(domain_id) else {
        INDEXES.with(|m| m.borrow_mut().retain(|(d, _)| d != domain_id));
        errors::not_found(format!("domain '{domain_id}' does not exist"));
    };
    let hit = INDEXES.with(|m| {
        let mut m = m.borrow_mut();
        let at = m.iter().position(|(d, _)| d == domain_id)?;
        // the most recently used goes last
        let entry = m.remove(at);
        let ix = entry.1.clone();
        m.push(entry);
        Some(ix)
    });
    if let Some(ix) = hit {
        if ix.stamp == stamp && ix.index.dimension == dimension {
            return ix;
        }
    }
    drop_stale_indexes();
    let ix = Rc::new(load(domain_id, dimension, stamp));
    INDEXES.with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|(d, _)| d != domain_id);
        if m.len() >= MAX_DOMAIN_INDEXES {
            let excess = m.len() + 1 - MAX_DOMAIN_INDEXES;
            m.drain(..excess);
        }
        m.push((domain_id.to_string(), ix.clone()));
    });
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

    /// The 0-100 score of two unit voiceprints under a domain's calibration. NULL when the
    /// lengths differ or the cosine is not a number: a voiceprint with a NaN or an infinity
    /// (which the catalog's CHECKs refuse) must not score 0 or 100.
    #[pg_extern(immutable, parallel_safe, strict, name = "_voice_score")]
    pub fn voice_score(a: Vec<f32>, b: Vec<f32>, cos_at_50: f32, cos_at_90: f32) -> Option<i32> {
        if a.len() != b.len() {
            return None;
        }
        let cosine = voice::dot(&a, &b);
        cosine.is_finite().then(|| {
            Calibration {
                cos_at_50,
                cos_at_90,
            }
            .score(cosine)
        })
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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use super::{INDEXES, MAX_DOMAIN_INDEXES};

    /// The domains whose index this backend holds, least recently used first.
    fn cached() -> Vec<String> {
        INDEXES.with(|m| m.borrow().iter().map(|(d, _)| d.clone()).collect())
    }

    fn new_domain(name: &str) -> String {
        Spi::get_one::<String>(&format!(
            "SELECT domain_id FROM fraud_voice_create_domain('{name}', 4)"
        ))
        .expect("domain")
        .expect("domain id")
    }

    fn search(domain_id: &str) {
        Spi::run(&format!(
            "SELECT * FROM fraud._voice_nearest('{domain_id}', '{{1,0,0,0}}', NULL)"
        ))
        .expect("search");
    }

    fn delete(domain_id: &str) {
        Spi::run(&format!("SELECT fraud_voice_delete_domain('{domain_id}')")).expect("delete");
    }

    #[pg_test]
    fn indexes_of_deleted_domains_are_dropped() {
        INDEXES.with(|m| m.borrow_mut().clear());
        let ids: Vec<String> = (0..3).map(|i| new_domain(&format!("kept{i}"))).collect();
        ids.iter().for_each(|d| search(d));
        assert_eq!(cached(), ids);

        // the next load drops the index of a deleted domain
        delete(&ids[1]);
        let other = new_domain("other");
        search(&other);
        assert_eq!(cached(), [ids[0].clone(), ids[2].clone(), other.clone()]);

        // and so does a search of the deleted domain itself (42704)
        delete(&ids[2]);
        let refused = PgTryBuilder::new(|| {
            search(&ids[2]);
            false
        })
        .catch_when(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, |_| true)
        .execute();
        assert!(refused);
        assert_eq!(cached(), [ids[0].clone(), other]);
    }

    #[pg_test]
    fn at_most_max_domain_indexes_the_least_recently_used_go() {
        INDEXES.with(|m| m.borrow_mut().clear());
        let ids: Vec<String> = (0..MAX_DOMAIN_INDEXES + 2)
            .map(|i| new_domain(&format!("lru{i}")))
            .collect();
        ids.iter().for_each(|d| search(d));
        assert_eq!(cached(), ids[2..]);
        // a hit makes a domain the most recently used: the next load drops another one
        search(&ids[2]);
        search(&ids[0]);
        let mut want = ids[4..].to_vec();
        want.push(ids[2].clone());
        want.push(ids[0].clone());
        assert_eq!(cached(), want);
    }
}
