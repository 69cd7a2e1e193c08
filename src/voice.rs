//! Voice ID in the database: the SQL functions the Voice ID catalog and EvaluateSession use
//! for voiceprints (normalising, scoring, nearest fraudster, result ids, decisions). The maths
//! and the decisions are the engine's (`fraud_engine::voice`); this module adds each backend's
//! cache of the domains' fraudster indexes, keyed by the domain's `fraudsters_stamp`, which changes
//! (transactionally, from a sequence, so a value is never reused) whenever the domain's
//! fraudsters or watchlist memberships change. A search therefore reads one catalog row and
//! then scans an in-memory matrix. The index also keeps the distribution of cosines between
//! the domain's unrelated voices (its [`Cohort`]), which normalises the fraud and duplicate
//! checks for the watchlist's size.
//!
//! A changed domain is not reloaded when the change can be followed: every stamp change
//! records the stamp it replaced and the fraudsters it touched (`fraud.voice_fraudster_changes`,
//! sql/voice.sql), and [`bring_forward`] follows that chain back to the index's own stamp and
//! re-reads only those fraudsters, giving the index a full load would build (same rows, same
//! order, same cohort; docs/voice-id.md, "Keeping the index current").
//!
//! An index at a committed stamp is shared: written once to a file that every backend maps
//! (`crate::voice_files`), so the server holds one copy of the voiceprints and a new backend's
//! first search maps the file instead of scanning the catalog. A transaction's own uncommitted
//! changes stay in that backend's private copy (docs/voice-id.md, "One index per server").
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
use fraud_engine::voice_file::{Contents, Snapshot};

use crate::{errors, voice_files};

/// A domain's fraudsters: their voiceprints and, per watchlist, the rows of its members.
/// Rows are in the order of the full load (`created_at`, then `fraudster_id`): the cohort's
/// sample of pairs and the tie-breaking of searches depend on it, so an index brought up to
/// date by [`apply_changes`] is the one a full load would build.
struct DomainIndex {
    stamp: i64,
    index: Index,
    /// Each row's `created_at`, in microseconds since 1970 (the load order's first key).
    created: Vec<i64>,
    /// Each fraudster's row, made when a change is applied (a search does not need it).
    rows: Option<FxHashMap<String, u32>>,
    members: FxHashMap<String, Vec<u32>>,
    /// Cosines between unrelated voices, from pairs of the domain's own fraudsters.
    cohort: Option<Cohort>,
    /// Whether this index, built privately, was offered as its committed stamp's file (at
    /// most once: a directory that cannot be written is not retried on every search).
    share_tried: std::cell::Cell<bool>,
}

/// The most domain indexes one backend keeps (each can be large: 100,000 voices of 192
/// dimensions are 77 MB). A backend searching more domains than this in turn reloads them.
pub const MAX_DOMAIN_INDEXES: usize = 8;

/// How many links of `fraud.voice_fraudster_changes` an index is brought forward by before a
/// full load is the simpler way; the stamp trigger keeps this many per domain (sql/voice.sql).
const MAX_CHANGE_LINKS: i64 = 200;

thread_local! {
    /// (domain id, index), the least recently used first.
    static INDEXES: RefCell<Vec<(String, Rc<DomainIndex>)>> = const { RefCell::new(Vec::new()) };
    /// How many indexes this backend loaded in full, brought forward, and mapped from a file
    /// (tests, bench).
    static COUNTS: std::cell::Cell<(i64, i64, i64)> = const { std::cell::Cell::new((0, 0, 0)) };
}

fn spi_error(e: pgrx::spi::SpiError) -> ! {
    errors::internal(format!("fraud_detector voice index query failed: {e}"))
}

/// A domain as a search finds it.
struct DomainState {
    dimension: usize,
    stamp: i64,
    /// The stamp is committed (not this transaction's own): a file may be written for it.
    committed: bool,
    /// `fraud.voice_domains`' OID, part of a file's name.
    relation: u32,
    /// The domain row's `xmin`: the transaction that set the stamp.
    xmin: u32,
}

/// The domain's dimension and current stamp; None if there is no such domain.
fn domain_state(domain_id: &str) -> Option<DomainState> {
    let row = Spi::connect(|c| {
        let t = c.select(
            "SELECT embedding_dimension, fraudsters_stamp, tableoid::int8, xmin::text::int8
             FROM fraud.voice_domains WHERE domain_id = $1",
            Some(1),
            &[domain_id.into()],
        )?;
        if t.is_empty() {
            return Ok(None);
        }
        let r = t.first();
        Ok::<_, pgrx::spi::SpiError>(Some((
            r.get::<i32>(1)?,
            r.get::<i64>(2)?,
            r.get::<i64>(3)?,
            r.get::<i64>(4)?,
        )))
    })
    .unwrap_or_else(|e| spi_error(e));
    match row {
        Some((Some(dim), Some(stamp), Some(relation), Some(xmin))) => Some(DomainState {
            dimension: dim as usize,
            stamp,
            committed: !voice_files::written_by_this_transaction(xmin as u32),
            relation: relation as u32,
            xmin: xmin as u32,
        }),
        _ => None,
    }
}

/// A fraudster row as the index reads it: id, `created_at` in microseconds, voiceprint (None
/// when an element is NULL, which the catalog's CHECK refuses) and watchlists.
struct FraudsterRow {
    id: String,
    created: i64,
    embedding: Option<Vec<f32>>,
    watchlists: Vec<String>,
}

/// The domain's fraudsters (only `ids` when given), in the load order, each handed to `each`
/// as it is read: a full load goes straight into the index, without a second copy of the
/// domain in memory at its peak (the allocator keeps such a peak as the backend's own memory).
fn read_fraudsters(domain_id: &str, ids: Option<Vec<String>>, mut each: impl FnMut(FraudsterRow)) {
    let only = if ids.is_some() {
        "AND x.fraudster_id = ANY($2)"
    } else {
        ""
    };
    // the memberships first, in one scan (a subquery per fraudster cost half of a load), then
    // the fraudsters in the load order straight from the voice_fraudsters_load_order index
    // (a sort would carry every voiceprint through it)
    let memberships = format!(
        "SELECT x.fraudster_id, x.watchlist_id FROM fraud.voice_fraudster_watchlists x
         WHERE x.domain_id = $1 {only}"
    );
    let fraudsters = format!(
        "SELECT x.fraudster_id, (extract(epoch FROM x.created_at) * 1000000)::int8, x.embedding
         FROM fraud.voice_fraudsters x WHERE x.domain_id = $1 {only}
         ORDER BY x.created_at, x.fraudster_id"
    );
    Spi::connect(|c| {
        let mut args: Vec<pgrx::datum::DatumWithOid> = vec![domain_id.into()];
        if let Some(ids) = ids {
            args.push(ids.into());
        }
        let mut watchlists: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for r in c.select(&memberships, None, &args)? {
            let (Some(f), Some(w)) = (r.get::<String>(1)?, r.get::<String>(2)?) else {
                continue;
            };
            watchlists.entry(f).or_default().push(w);
        }
        for r in c.select(&fraudsters, None, &args)? {
            let id = r.get::<String>(1)?.unwrap_or_default();
            let mut w = watchlists.remove(&id).unwrap_or_default();
            // a fixed order (which one does not matter: each membership is a set)
            w.sort_unstable();
            each(FraudsterRow {
                created: r.get::<i64>(2)?.unwrap_or_default(),
                // the array's floats as one slice (None if it holds a NULL): an element-wise
                // conversion cost a third of a load
                embedding: r
                    .get::<pgrx::Array<f32>>(3)?
                    .and_then(|a| a.as_slice().ok().map(<[f32]>::to_vec)),
                watchlists: w,
                id,
            });
        }
        Ok::<_, pgrx::spi::SpiError>(())
    })
    .unwrap_or_else(|e| spi_error(e))
}

fn load(domain_id: &str, dimension: usize, stamp: i64) -> DomainIndex {
    COUNTS.with(|c| c.set((c.get().0 + 1, c.get().1, c.get().2)));
    let mut ix = DomainIndex {
        stamp,
        index: Index::new(dimension),
        created: Vec::new(),
        rows: None,
        members: FxHashMap::default(),
        cohort: None,
        share_tried: Default::default(),
    };
    read_fraudsters(domain_id, None, |f| ix.append(f));
    ix.cohort = ix.index.cohort();
    ix
}

impl DomainIndex {
    /// The index of a mapped file: the matrix and ids stay in the file; `created_at` and the
    /// memberships (a few bytes per row) are copied.
    fn mapped(stamp: i64, snapshot: Snapshot) -> DomainIndex {
        let created = snapshot.created().to_vec();
        let members = (0..snapshot.watchlist_count())
            .map(|i| {
                let (name, rows) = snapshot.watchlist(i);
                (name.to_string(), rows.to_vec())
            })
            .collect();
        let cohort = snapshot.cohort;
        DomainIndex {
            stamp,
            index: Index::mapped(std::sync::Arc::new(snapshot)),
            created,
            rows: None,
            members,
            cohort,
            share_tried: Default::default(),
        }
    }

    /// What the file of this index holds (watchlists by name, for a file that does not depend
    /// on a hash map's order).
    fn contents(&self) -> Contents<'_> {
        let mut watchlists: Vec<(&str, &[u32])> = self
            .members
            .iter()
            .map(|(w, rows)| (w.as_str(), rows.as_slice()))
            .collect();
        watchlists.sort_unstable();
        Contents {
            index: &self.index,
            created: &self.created,
            watchlists,
            cohort: self.cohort,
        }
    }

    /// Each fraudster's row, made on first use.
    fn rows(&mut self) -> &FxHashMap<String, u32> {
        let index = &self.index;
        self.rows.get_or_insert_with(|| {
            (0..index.len())
                .map(|r| (index.id(r).to_string(), r as u32))
                .collect()
        })
    }

    /// Adds a fraudster as the last row. Index::push refuses what the catalog should never
    /// hold (another dimension, NaN, an infinity, the zero vector), written by hand: one such
    /// row would decide every search; such a fraudster is left out, as by a full load.
    fn append(&mut self, f: FraudsterRow) {
        let Some(v) = f.embedding else {
            return;
        };
        let Some(row) = self.index.push(f.id.clone(), &v) else {
            return;
        };
        self.created.push(f.created);
        if let Some(rows) = &mut self.rows {
            rows.insert(f.id, row as u32);
        }
        for w in f.watchlists {
            self.members.entry(w).or_default().push(row as u32);
        }
    }
}

/// The fraudster ids whose rows changed between `from` and `to`, two stamps of the domain,
/// read from the chain of `fraud.voice_fraudster_changes` links (each stamp change records the
/// stamp it replaced, and stamps only grow along the chain: sql/voice.sql). None when the chain
/// does not lead back to `from` in this snapshot (`from` was an uncommitted or rolled-back
/// stamp, a TRUNCATE, a pruned or too long chain, a statement that changed too many rows to
/// list): then only a full load is exact.
fn changed_ids(domain_id: &str, from: i64, to: i64) -> Option<Vec<String>> {
    if to <= from {
        return None;
    }
    Spi::connect(|c| {
        let t = c.select(
            "WITH RECURSIVE chain AS (
                 SELECT x.stamp, x.previous_stamp, x.fraudster_ids, 1 AS depth
                 FROM fraud.voice_fraudster_changes x WHERE x.domain_id = $1 AND x.stamp = $3
               UNION ALL
                 SELECT x.stamp, x.previous_stamp, x.fraudster_ids, h.depth + 1
                 FROM chain h JOIN fraud.voice_fraudster_changes x
                   ON x.domain_id = $1 AND x.stamp = h.previous_stamp
                 WHERE h.previous_stamp > $2 AND h.depth < $4)
             SELECT coalesce(bool_or(previous_stamp = $2) AND bool_and(fraudster_ids IS NOT NULL), false),
                    (SELECT array_agg(DISTINCT i) FROM chain h, unnest(h.fraudster_ids) i)
             FROM chain",
            Some(1),
            &[
                domain_id.into(),
                from.into(),
                to.into(),
                MAX_CHANGE_LINKS.into(),
            ],
        )?;
        let r = t.first();
        let ok = r.get::<bool>(1)?.unwrap_or(false);
        Ok::<_, pgrx::spi::SpiError>(ok.then(|| r.get::<Vec<String>>(2).ok().flatten().unwrap_or_default()))
    })
    .unwrap_or_else(|e| spi_error(e))
}

/// Brings `ix` to the fraudsters of `current` (the rows of the changed `ids` as this snapshot
/// sees them), as a full load would order them: a fraudster that is gone (or now holds a
/// voiceprint the index refuses) loses its row, one whose voiceprint or watchlists changed is
/// updated in place (its `created_at`, the order's key, unchanged), and new fraudsters are
/// appended when every one of them sorts after the last row (`created_at` strictly later:
/// the usual case, a registration committed after the index was built). Anything else (a new
/// fraudster that sorts among the existing rows, a changed `created_at`) returns false and
/// leaves the full load to the caller; `ix` is then unusable.
fn apply_changes(ix: &mut DomainIndex, ids: &[String], current: Vec<FraudsterRow>) -> bool {
    let d = ix.index.dimension;
    ix.rows();
    let mut by_id: FxHashMap<&str, &FraudsterRow> = FxHashMap::default();
    for f in &current {
        by_id.insert(f.id.as_str(), f);
    }
    // rows to drop, rows to rewrite in place, fraudsters to append
    let mut dropped: rustc_hash::FxHashSet<u32> = Default::default();
    let mut rewritten: Vec<(u32, Vec<f32>, &[String])> = Vec::new();
    let mut appended_ids: rustc_hash::FxHashSet<&str> = Default::default();
    for id in ids {
        let row = ix.rows.as_ref().and_then(|m| m.get(id.as_str()).copied());
        let now = by_id.get(id.as_str()).copied();
        // the voiceprint as Index::push would store it (None: refused)
        let stored = now.and_then(|f| {
            let mut probe = Index::new(d);
            probe.push(String::new(), f.embedding.as_deref()?)?;
            Some(probe.row(0).to_vec())
        });
        match (row, now, stored) {
            (Some(r), Some(f), Some(v)) => {
                if f.created != ix.created[r as usize] {
                    return false;
                }
                rewritten.push((r, v, &f.watchlists));
            }
            (Some(r), _, _) => {
                dropped.insert(r);
            }
            (None, Some(f), Some(_)) => {
                appended_ids.insert(f.id.as_str());
            }
            (None, _, _) => {}
        }
    }
    // in the load order (`current` is read in it; `ids` are not)
    let appended: Vec<&FraudsterRow> = current
        .iter()
        .filter(|f| appended_ids.contains(f.id.as_str()))
        .collect();
    // the new fraudsters go after every row a full load would keep before them
    let last_kept = (0..ix.index.len() as u32)
        .rev()
        .find(|r| !dropped.contains(r))
        .map(|r| ix.created[r as usize]);
    if let (Some(last), Some(first)) = (last_kept, appended.iter().map(|f| f.created).min()) {
        if first <= last {
            return false;
        }
    }
    // rewrites in place, and their memberships rebuilt below
    let touched: rustc_hash::FxHashSet<u32> = rewritten
        .iter()
        .map(|(r, _, _)| *r)
        .chain(dropped.iter().copied())
        .collect();
    for (r, v, _) in &rewritten {
        ix.index.set_row(*r as usize, v);
    }
    if !touched.is_empty() {
        for list in ix.members.values_mut() {
            list.retain(|r| !touched.contains(r));
        }
        for (r, _, watchlists) in &rewritten {
            for w in watchlists.iter() {
                ix.members.entry(w.clone()).or_default().push(*r);
            }
        }
    }
    if !dropped.is_empty() {
        let map = ix.index.retain_rows(|r| !dropped.contains(&(r as u32)));
        let mut created = Vec::with_capacity(ix.index.len());
        for (r, c) in ix.created.iter().enumerate() {
            if map[r] != u32::MAX {
                created.push(*c);
            }
        }
        ix.created = created;
        for list in ix.members.values_mut() {
            for r in list.iter_mut() {
                *r = map[*r as usize];
            }
        }
        ix.rows = None;
        ix.rows();
    }
    // a full load lists each watchlist's members in row order
    for list in ix.members.values_mut() {
        list.sort_unstable();
    }
    ix.members.retain(|_, l| !l.is_empty());
    for f in appended {
        ix.append(FraudsterRow {
            id: f.id.clone(),
            created: f.created,
            embedding: f.embedding.clone(),
            watchlists: f.watchlists.clone(),
        });
    }
    ix.cohort = ix.index.cohort();
    true
}

/// `ix` brought forward to `stamp` from the changes recorded since its own stamp, if that is
/// exact (see [`changed_ids`], [`apply_changes`]) and cheaper than a full load.
fn bring_forward(domain_id: &str, mut ix: DomainIndex, stamp: i64) -> Option<DomainIndex> {
    let ids = changed_ids(domain_id, ix.stamp, stamp)?;
    if ids.len() > 1000.max(ix.index.len() / 4) {
        return None;
    }
    let mut current = Vec::new();
    read_fraudsters(domain_id, Some(ids.clone()), |f| current.push(f));
    if !apply_changes(&mut ix, &ids, current) {
        return None;
    }
    ix.stamp = stamp;
    COUNTS.with(|c| c.set((c.get().0, c.get().1 + 1, c.get().2)));
    Some(ix)
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

/// `fraud.voice_domains`' OID (None before the extension's tables exist).
fn voice_domains_oid() -> Option<u32> {
    Spi::get_one::<i64>("SELECT pg_catalog.to_regclass('fraud.voice_domains')::oid::int8")
        .ok()
        .flatten()
        .map(|o| o as u32)
}

/// The mapped index of `file`, `own`'s committed stamp: the file another backend wrote, or
/// else `own` written to it, so this backend keeps no copy of its own. None when the file
/// cannot be written or read back (the caller keeps `own`).
fn shared_copy(
    file: &fraud_engine::voice_file::Identity,
    own: &DomainIndex,
) -> Option<DomainIndex> {
    own.share_tried.set(true);
    let d = own.index.dimension;
    let s = voice_files::open(file, d).or_else(|| {
        voice_files::write(file, &own.contents())
            .then(|| voice_files::open(file, d))
            .flatten()
    })?;
    Some(DomainIndex::mapped(own.stamp, s))
}

/// Who asks for a domain's index.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A search: the index is shared (mapped from its stamp's file, or written to it).
    Search,
    /// A registration batch, which changes the domain at every batch: an index this backend
    /// already holds is brought forward in its own memory (a shared one would be copied at
    /// every batch), and no file is written for the batches' stamps (the first search after
    /// the job writes the one it needs).
    Registration,
}

fn domain_index(domain_id: &str, usage: Use) -> Rc<DomainIndex> {
    let Some(DomainState {
        dimension,
        stamp,
        committed,
        relation,
        xmin,
    }) = domain_state(domain_id)
    else {
        INDEXES.with(|m| m.borrow_mut().retain(|(d, _)| d != domain_id));
        if let Some(relation) = voice_domains_oid() {
            voice_files::remove_files(&voice_files::identity(relation, domain_id, 0, 0), |_, _| {
                true
            });
        }
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
    let file = voice_files::identity(relation, domain_id, stamp, xmin);
    let shared = committed && voice_files::enabled() && usage == Use::Search;
    if let Some(ix) = &hit {
        if ix.stamp == stamp && ix.index.dimension == dimension {
            // built while its stamp was this transaction's own, and committed since
            if shared
                && !ix.index.is_mapped()
                && !ix.share_tried.get()
                && !voice_files::changing_in_this_transaction()
            {
                if let Some(mapped) = shared_copy(&file, ix) {
                    let mapped = Rc::new(mapped);
                    INDEXES.with(|m| {
                        for (d, cached) in m.borrow_mut().iter_mut() {
                            if d == domain_id {
                                *cached = mapped.clone();
                            }
                        }
                    });
                    return mapped;
                }
            }
            return ix.clone();
        }
        // the cached index leaves the cache while it is brought forward: an error half-way
        // leaves nothing half-updated behind
        INDEXES.with(|m| m.borrow_mut().retain(|(d, _)| d != domain_id));
    }
    let cached = hit
        .filter(|ix| ix.index.dimension == dimension)
        .and_then(|ix| Rc::try_unwrap(ix).ok());
    drop_stale_indexes();
    // a committed stamp's index is shared: the file another backend wrote for it, or else
    // this backend's own (brought forward or loaded), written for the others and used mapped;
    // a registration maps a file only for want of an index of its own
    let map = committed && voice_files::enabled() && (usage == Use::Search || cached.is_none());
    let mapped = map
        .then(|| voice_files::open(&file, dimension))
        .flatten()
        .map(|s| {
            COUNTS.with(|c| c.set((c.get().0, c.get().1, c.get().2 + 1)));
            DomainIndex::mapped(stamp, s)
        });
    let ix = match mapped {
        Some(ix) => ix,
        None => {
            let own = cached
                .and_then(|ix| bring_forward(domain_id, ix, stamp))
                .unwrap_or_else(|| load(domain_id, dimension, stamp));
            // Each query of a load may see a newer commit than the stamp's (READ COMMITTED):
            // then the index is not the stamp's; it answers this call, and is neither kept
            // nor shared. And rows this very statement changed are seen before its statement
            // trigger gives the domain a new stamp: no file is written in a transaction that
            // changes fraudsters.
            if !domain_state(domain_id).is_some_and(|now| now.stamp == stamp && now.xmin == xmin) {
                return Rc::new(own);
            }
            match shared && !voice_files::changing_in_this_transaction() {
                true => shared_copy(&file, &own).unwrap_or(own),
                false => own,
            }
        }
    };
    let ix = Rc::new(ix);
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
    let mut best = stored.map(|(i, c)| (ix.index.id(i).to_string(), c));
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

    /// BEFORE statement trigger on the fraudster tables: this transaction is changing a
    /// domain (no index file is written from what it reads: `voice_files::mark_changing`).
    #[pg_trigger]
    fn _voice_changing<'a>(
        _trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError>
    {
        voice_files::mark_changing();
        Ok(None)
    }

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
        let ix = domain_index(domain_id, Use::Search);
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
        let ix = domain_index(domain_id, Use::Search);
        let best = nearest(&ix, &embedding, watchlist_id, extra_ids, extra).map(|(id, c, n)| {
            let shift = ix.cohort.map_or(0.0, |k| k.shift(cos_at_50, n));
            (id, c, c - shift)
        });
        TableIterator::new(best)
    }

    /// The duplicate checks of a fraudster registration batch, in one pass over the domain's
    /// matrix: for each request k (its unit voiceprint at `embeddings[k·d..(k+1)·d]`), the
    /// closest of the domain's fraudsters and of the requests registered before it in the
    /// batch, scored as `_voice_nearest_normalized` would (the cosine less the shift for the
    /// number of voices compared with, then the calibration): exactly the result of calling it
    /// once per request with the batch's earlier registrations as `extra`. A request whose
    /// score reaches `threshold` with `skip` is a duplicate (registered false, the closest
    /// fraudster's id); otherwise it is registered under `new_ids[k]`, and the requests after
    /// it are compared with it too. One row per request, in order; the score is NULL when there
    /// was nothing to compare with.
    #[pg_extern(stable, name = "_voice_registration_checks")]
    pub fn voice_registration_checks(
        domain_id: &str,
        embeddings: Vec<f32>,
        new_ids: Vec<String>,
        cos_at_50: f32,
        cos_at_90: f32,
        threshold: i32,
        skip: bool,
    ) -> TableIterator<
        'static,
        (
            name!(fraudster_id, Option<String>),
            name!(score, Option<i32>),
            name!(registered, bool),
        ),
    > {
        let ix = domain_index(domain_id, Use::Registration);
        let d = ix.index.dimension;
        if d == 0 || embeddings.len() != d * new_ids.len() {
            errors::invalid(format!(
                "invalid embeddings: {} values for {} requests of dimension {d}",
                embeddings.len(),
                new_ids.len()
            ));
        }
        let stored = ix.index.nearest_many(&embeddings, None);
        let calibration = Calibration {
            cos_at_50,
            cos_at_90,
        };
        let mut registered: Vec<usize> = Vec::new();
        let mut out = Vec::with_capacity(new_ids.len());
        for (k, q) in embeddings.chunks_exact(d).enumerate() {
            let mut best = stored[k].map(|(i, c)| (ix.index.id(i), c));
            for &j in &registered {
                let c = voice::dot(q, &embeddings[j * d..(j + 1) * d]);
                if best.is_none_or(|(_, b)| c > b) {
                    best = Some((new_ids[j].as_str(), c));
                }
            }
            let searched = ix.index.len() + registered.len();
            let scored = best.map(|(id, c)| {
                let shift = ix.cohort.map_or(0.0, |h| h.shift(cos_at_50, searched));
                (id.to_string(), calibration.score(c - shift))
            });
            match scored {
                Some((id, score)) if skip && score >= threshold => {
                    out.push((Some(id), Some(score), false))
                }
                _ => {
                    registered.push(k);
                    out.push((Some(new_ids[k].clone()), scored.map(|(_, s)| s), true));
                }
            }
        }
        TableIterator::new(out)
    }

    /// The cosine shift the fraud check applies to a watchlist of the domain (the whole domain
    /// when NULL), for diagnostics and docs/voice-id.md.
    #[pg_extern(stable, name = "_voice_score_shift")]
    pub fn voice_score_shift(domain_id: &str, watchlist_id: Option<&str>, cos_at_50: f32) -> f32 {
        let ix = domain_index(domain_id, Use::Search);
        let n = searched(&ix, watchlist_id).1;
        ix.cohort.map_or(0.0, |k| k.shift(cos_at_50, n))
    }

    /// How many fraudster indexes this backend has loaded in full, brought forward from the
    /// recorded changes, and mapped from a file another backend wrote, since it started (tests
    /// and bench/voice.sh).
    #[pg_extern(volatile, name = "_voice_index_counts")]
    pub fn voice_index_counts() -> TableIterator<
        'static,
        (
            name!(full_loads, i64),
            name!(brought_forward, i64),
            name!(mapped, i64),
        ),
    > {
        TableIterator::once(COUNTS.with(|c| c.get()))
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
    fn changes_are_brought_forward_not_reloaded() {
        INDEXES.with(|m| m.borrow_mut().clear());
        let d = new_domain("forward");
        search(&d);
        let before = super::COUNTS.with(|c| c.get());
        let closest = || {
            Spi::get_one::<String>(&format!(
                "SELECT fraudster_id FROM fraud._voice_nearest('{d}', '{{1,0,0,0}}', NULL)"
            ))
            .expect("search")
        };
        // one transaction: each fraudster a later created_at, as separate commits would give
        // (one that sorts among the existing rows means a full load)
        let insert = |id: &str, v: &str, day: i32| {
            Spi::run(&format!(
                "INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds, created_at)
                 VALUES ('{d}', '{id}', '{v}', 20, '2026-01-01'::timestamptz + {day} * interval '1 day');
                 INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
                 VALUES ('{d}', '{id}', fraud._voice_default_watchlist('{d}'))"
            ))
            .expect("insert")
        };
        insert("id#aaaaaaaaaaaaaaaaaaaaaa", "{0,1,0,0}", 1);
        assert_eq!(closest(), Some("id#aaaaaaaaaaaaaaaaaaaaaa".to_string()));
        insert("id#bbbbbbbbbbbbbbbbbbbbbb", "{1,0,0,0}", 2);
        assert_eq!(closest(), Some("id#bbbbbbbbbbbbbbbbbbbbbb".to_string()));
        Spi::run(
            "DELETE FROM fraud.voice_fraudsters WHERE fraudster_id = 'id#bbbbbbbbbbbbbbbbbbbbbb'",
        )
        .expect("delete");
        assert_eq!(closest(), Some("id#aaaaaaaaaaaaaaaaaaaaaa".to_string()));
        // three searches after changes, no full load
        let after = super::COUNTS.with(|c| c.get());
        assert_eq!((after.0 - before.0, after.1 - before.1), (0, 3));
        // a fraudster that sorts before the last row: a full load, the same answer
        insert("id#cccccccccccccccccccccc", "{1,0,0,0}", 0);
        assert_eq!(closest(), Some("id#cccccccccccccccccccccc".to_string()));
        let last = super::COUNTS.with(|c| c.get());
        assert_eq!((last.0 - after.0, last.1 - after.1), (1, 0));
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
