//! The past events of an entity that a history-reading model (TRANSACTION_FRAUD_INSIGHTS,
//! ACCOUNT_TAKEOVER_INSIGHTS) scores with, kept per backend for as long as the snapshot they
//! were read with sees the same rows (docs/models.md, "Scoring cost").
//!
//! A prediction reads its entity's stored events from `fraud.event_keys` (an index range, each
//! event's variables from the heap) and turns them into the numbers and key hashes the model's
//! history features read (the engine's `PastTable`). A statement scoring many events of the
//! same entities (a batch query, a backtest, a score trigger under an `INSERT … SELECT`) would
//! read the same events again for each one; so each backend keeps the tables it built, per
//! model and entity.
//!
//! **When a kept table is used.** The rows an MVCC snapshot sees are a function of its xmin,
//! xmax, in-progress transactions (`xip`, `subxip`, `suboverflowed`), its command id and the
//! reading transaction's own state. The cache is emptied as soon as the active snapshot differs
//! from the one it was filled under in any of these, or the local transaction or the
//! subtransaction is another: a kept table is then exactly what a new scan would read. Under
//! SERIALIZABLE, the scan that filled it took its predicate locks in the same transaction.
//! Anything but an MVCC snapshot is read without the cache.
//!
//! **What is read.** The first prediction of an entity under a snapshot reads the window it
//! needs, as it would without a cache. A later one that window does not cover reads the
//! entity's whole history once ([`ENTITY_EVENTS`] events at most: a larger entity is read
//! window by window, uncached). Past [`CACHE_BYTES`] the cache is emptied and fills again.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use fraud_engine::model::features::KeyBuf;
use fraud_engine::model::history::{HistorySpec, NewestFirst, PastEvents, PastTable};
use fraud_engine::model::{Model, HISTORY_MAX_EVENTS, HISTORY_WINDOW_MS};
use fraud_engine::value::{self, Value};
use pgrx::pg_sys;
use smallvec::SmallVec;


use crate::aggregate::At;
use crate::cache::CompiledModel;
use crate::datum;
use crate::event_input::Event;
use crate::jsonb::Container;

/// The most events of one entity kept whole.
const ENTITY_EVENTS: usize = 5_000;
/// The most bytes the kept tables hold in a backend.
const CACHE_BYTES: usize = 64 << 20;

/// The entity's past events a scoring at some time reads: rows `start..end` of a table,
/// newest first (none for a model without history, an event without an entity, or the
/// anonymous entity "unknown").
pub struct History {
    table: Option<Rc<Entry>>,
    start: usize,
    end: usize,
}

impl History {
    fn none() -> History {
        History {
            table: None,
            start: 0,
            end: 0,
        }
    }

    fn view(&self) -> Option<NewestFirst<'_>> {
        self.table.as_ref().map(|e| NewestFirst {
            table: &e.table,
            start: self.start,
            end: self.end,
        })
    }
}

impl PastEvents for History {
    fn len(&self) -> usize {
        self.end - self.start
    }
    fn time_ms(&self, i: usize) -> i64 {
        self.view().map_or(0, |v| v.time_ms(i))
    }
    fn number(&self, i: usize, j: usize) -> f32 {
        self.view().map_or(f32::NAN, |v| v.number(i, j))
    }
    fn key(&self, i: usize, k: usize, buf: &mut KeyBuf) -> Option<u64> {
        self.view()?.key(i, k, buf)
    }
}

/// An entity's stored events with a time in `(lo_us, hi_us)`, oldest first: their times and
/// what the model's history features read of them.
struct Entry {
    lo_us: i64,
    hi_us: i64,
    us: Vec<i64>,
    table: PastTable,
}

impl Entry {
    fn covers(&self, from_us: i64, to_us: i64) -> bool {
        self.lo_us <= from_us && to_us <= self.hi_us
    }

    fn bytes(&self) -> usize {
        self.table.bytes() + self.us.capacity() * 8
    }

    /// The events with a time in `(from_us, to_us)`, the newest [`HISTORY_MAX_EVENTS`] of
    /// them: what a scan of that range reads.
    fn history(self: &Rc<Entry>, from_us: i64, to_us: i64) -> History {
        let start = self.us.partition_point(|&u| u <= from_us);
        let end = self.us.partition_point(|&u| u < to_us);
        History {
            table: Some(self.clone()),
            start: start.max(end.saturating_sub(HISTORY_MAX_EVENTS)),
            end,
        }
    }
}

/// What is kept of an entity.
enum Kept {
    /// a window read for a first prediction
    Window(Rc<Entry>),
    /// its whole history
    Whole(Rc<Entry>),
    /// too many events to keep: read window by window
    TooMany,
}

/// The snapshot the cache was filled under: what decides which rows it sees.
#[derive(Default, PartialEq)]
struct SnapshotKey {
    lxid: u32,
    subxact: u32,
    xmin: u32,
    xmax: u32,
    curcid: u32,
    suboverflowed: bool,
    recovery: bool,
    xip: Vec<u32>,
    subxip: Vec<u32>,
}

impl SnapshotKey {
    /// Whether `s` is this snapshot in this (sub)transaction; allocation-free.
    ///
    /// # Safety
    /// `s` is a valid snapshot.
    unsafe fn is(&self, s: pg_sys::Snapshot) -> bool {
        let s = &*s;
        self.lxid == (*pg_sys::MyProc).lxid
            && self.subxact == pg_sys::GetCurrentSubTransactionId()
            && self.xmin == u32::from(s.xmin)
            && self.xmax == u32::from(s.xmax)
            && self.curcid == s.curcid
            && self.suboverflowed == s.suboverflowed
            && self.recovery == s.takenDuringRecovery
            && xids(s.xip, s.xcnt as usize).eq(self.xip.iter().copied())
            && xids(s.subxip, s.subxcnt.max(0) as usize).eq(self.subxip.iter().copied())
    }

    /// # Safety
    /// `s` is a valid snapshot.
    unsafe fn of(s: pg_sys::Snapshot) -> SnapshotKey {
        let s = &*s;
        SnapshotKey {
            lxid: (*pg_sys::MyProc).lxid,
            subxact: pg_sys::GetCurrentSubTransactionId(),
            xmin: u32::from(s.xmin),
            xmax: u32::from(s.xmax),
            curcid: s.curcid,
            suboverflowed: s.suboverflowed,
            recovery: s.takenDuringRecovery,
            xip: xids(s.xip, s.xcnt as usize).collect(),
            subxip: xids(s.subxip, s.subxcnt.max(0) as usize).collect(),
        }
    }
}

/// # Safety
/// `p` points at `n` transaction ids (or `n` is 0).
unsafe fn xids(p: *const pg_sys::TransactionId, n: usize) -> impl ExactSizeIterator<Item = u32> {
    let s = if n == 0 || p.is_null() {
        &[][..]
    } else {
        std::slice::from_raw_parts(p, n)
    };
    s.iter().map(|&x| u32::from(x))
}

/// Per model (its address: `models` keeps each one alive, so no other model can take it while
/// the cache holds its tables) and entity type and id.
type Key = (usize, String, String);

#[derive(Default)]
struct Cache {
    snapshot: SnapshotKey,
    entities: HashMap<Key, Kept>,
    models: Vec<Arc<Model>>,
    bytes: usize,
}

impl Cache {
    fn clear(&mut self) {
        self.entities.clear();
        self.models.clear();
        self.bytes = 0;
    }

    fn keep(&mut self, model: &Arc<Model>, key: Key, kept: Kept, bytes: usize) {
        if self.bytes + bytes > CACHE_BYTES {
            self.clear();
        }
        if !self.models.iter().any(|m| Arc::ptr_eq(m, model)) {
            self.models.push(model.clone());
        }
        self.bytes += bytes;
        if let Some(Kept::Window(e) | Kept::Whole(e)) = self.entities.insert(key, kept) {
            self.bytes = self.bytes.saturating_sub(e.bytes());
        }
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// The past events of the event's first entity (`entities` overrides the event's own: a
/// stored event keeps them in a column), for model `m` scoring at `at`.
pub fn of_event(
    m: &CompiledModel,
    ev: &Event<'_>,
    entities: Option<Container<'_>>,
    at: &At,
) -> History {
    if m.model.history_spec().is_none() {
        return History::none();
    }
    let entity = entities
        .or_else(|| ev.entities())
        .and_then(crate::aggregate::first_entity)
        .or_else(|| Some((ev.envelope("entity_type")?, ev.envelope("entity_id")?)));
    of_entity(m, entity, at)
}

/// [`of_event`] for a row with an `entities` column (the score trigger).
pub fn of_row(m: &CompiledModel, entities: Option<Container<'_>>, at: &At) -> History {
    if m.model.history_spec().is_none() {
        return History::none();
    }
    of_entity(m, entities.and_then(crate::aggregate::first_entity), at)
}

fn of_entity(m: &CompiledModel, entity: Option<(String, String)>, at: &At) -> History {
    let Some(spec) = m.model.history_spec() else {
        return History::none();
    };
    let Some((entity_type, entity_id)) = entity else {
        return History::none();
    };
    // "unknown" is AFD's anonymous entity: it has no history of its own
    if entity_id == "unknown" {
        return History::none();
    }
    // the events with a time in (from, to): at most the window before the scored time
    let from = at.us.saturating_sub(HISTORY_WINDOW_MS.saturating_mul(1000));
    let to = at.us;
    // SAFETY: the active snapshot is valid while set
    let snapshot = unsafe {
        pg_sys::ActiveSnapshotSet()
            .then(|| pg_sys::GetActiveSnapshot())
            .filter(|&s| (*s).snapshot_type == pg_sys::SnapshotType::SNAPSHOT_MVCC)
    };
    let Some(snapshot) = snapshot else {
        return read(m, spec, &entity_type, &entity_id, from, to, usize::MAX)
            .map_or_else(History::none, |e| Rc::new(e).history(from, to));
    };
    let key: Key = (Arc::as_ptr(&m.model) as usize, entity_type, entity_id);
    // what is kept, if it serves (the borrow ends before any scan)
    let kept = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        // SAFETY: checked above
        if !unsafe { c.snapshot.is(snapshot) } {
            c.clear();
            c.snapshot = unsafe { SnapshotKey::of(snapshot) };
        }
        match c.entities.get(&key) {
            None => None,
            Some(Kept::Window(e) | Kept::Whole(e)) if e.covers(from, to) => {
                Some(Ok(e.history(from, to)))
            }
            Some(Kept::Window(_) | Kept::Whole(_)) => Some(Err(true)),
            Some(Kept::TooMany) => Some(Err(false)),
        }
    });
    let (_, entity_type, entity_id) = &key;
    match kept {
        Some(Ok(history)) => history,
        // seen before under this snapshot, another window: read it whole, once
        Some(Err(true)) => {
            match read(
                m,
                spec,
                entity_type,
                entity_id,
                i64::MIN,
                i64::MAX,
                ENTITY_EVENTS,
            ) {
                Some(e) => {
                    let e = Rc::new(e);
                    let h = e.history(from, to);
                    let bytes = e.bytes();
                    CACHE.with(|c| c.borrow_mut().keep(&m.model, key, Kept::Whole(e), bytes));
                    h
                }
                None => {
                    CACHE.with(|c| c.borrow_mut().keep(&m.model, key.clone(), Kept::TooMany, 0));
                    uncached(m, spec, &key, from, to)
                }
            }
        }
        Some(Err(false)) => uncached(m, spec, &key, from, to),
        // first seen: the window, kept
        None => match read(m, spec, entity_type, entity_id, from, to, usize::MAX) {
            Some(e) => {
                let e = Rc::new(e);
                let h = e.history(from, to);
                let bytes = e.bytes();
                CACHE.with(|c| c.borrow_mut().keep(&m.model, key, Kept::Window(e), bytes));
                h
            }
            None => History::none(),
        },
    }
}

fn uncached(m: &CompiledModel, spec: &HistorySpec, key: &Key, from: i64, to: i64) -> History {
    read(m, spec, &key.1, &key.2, from, to, usize::MAX)
        .map_or_else(History::none, |e| Rc::new(e).history(from, to))
}

/// Reads the entity's stored events with a time in `(from_us, to_us)`: None when there are
/// more than `limit`.
fn read(
    m: &CompiledModel,
    spec: &HistorySpec,
    entity_type: &str,
    entity_id: &str,
    from_us: i64,
    to_us: i64,
    limit: usize,
) -> Option<Entry> {
    // only the inputs the history features read are read out of a past event
    let mut needed = vec![false; m.inputs.len()];
    for &i in spec.numeric.iter().chain(spec.keys.iter().map(|(i, _)| i)) {
        if let Some(n) = needed.get_mut(i) {
            *n = true;
        }
    }
    let mut entry = Entry {
        lo_us: from_us,
        hi_us: to_us,
        us: Vec::new(),
        table: PastTable::empty(spec),
    };
    let mut buf = KeyBuf::default();
    let mut over = false;
    crate::aggregate::entity_history(entity_type, entity_id, from_us, to_us, |event| {
        if entry.us.len() == limit {
            over = true;
            return false;
        }
        // each past event's values read from its stored text as the input's type (one that
        // does not read is missing, as in training)
        let texts: SmallVec<[Option<Cow<'_, str>>; 16]> = m
            .inputs
            .iter()
            .zip(&needed)
            .map(|(v, &n)| if n { event.variable(&v.name) } else { None })
            .collect();
        let values: SmallVec<[Value<'_>; 16]> = m
            .inputs
            .iter()
            .zip(&texts)
            .map(|(v, t)| match t {
                Some(s) => value::from_str(&v.name, v.data_type, s).unwrap_or(Value::Null),
                None => Value::Null,
            })
            .collect();
        let us = event.timestamp_us();
        entry
            .table
            .push(spec, datum::timestamp_millis(us), &values, &mut buf);
        entry.us.push(us);
        true
    });
    (!over).then_some(entry)
}
