//! The past events of an entity that a history-reading model (TRANSACTION_FRAUD_INSIGHTS,
//! ACCOUNT_TAKEOVER_INSIGHTS) scores with, kept per backend for as long as the snapshot they
//! were read with sees the same rows (docs/models.md, "Scoring cost").
//!
//! A prediction reads its entity's stored events from `fraud.event_keys` (an index range, each
//! event's variables from the heap) and turns them into the numbers and key hashes the model's
//! history features read (the engine's `PastTable`). A statement scoring many events of the
//! same entities (a query over a table of events, a score trigger under an `INSERT … SELECT`)
//! would read the same events again for each one; so each backend keeps the tables it built,
//! per model and entity, and scores with them in place ([`with_event`], [`with_row`]).
//!
//! **When a kept table is used.** The rows an MVCC snapshot sees are a function of its xmin,
//! xmax, in-progress transactions (`xip`, `subxip`, `suboverflowed`), its command id and the
//! reading transaction's own state. The cache is emptied as soon as the active snapshot differs
//! from the one it was filled under in any of these, or the local transaction or the
//! subtransaction is another, and when a transaction ends: a kept table is then exactly what a
//! new scan would read. Anything but an MVCC snapshot is read without the cache. (One
//! exception, by design: `fraud._event_keys_truncate` empties `fraud.event_keys` without MVCC;
//! a cursor opened before it in the same transaction keeps seeing the kept rows, which are the
//! rows its snapshot saw.)
//!
//! **What is read.** The first prediction of an entity under a snapshot reads the window it
//! needs, as it would without a cache (a single prediction costs what it did). A later one
//! that window does not cover reads the entity's whole history once, and so does the first
//! prediction of an entity in a statement that finds its entities kept most of the time (more
//! than half of over [`BATCH_LOOKUPS`] predictions): it scores the same entities again and
//! again. At most [`ENTITY_EVENTS`] events of an entity are kept (a larger one is read window by
//! window, not kept), no entry over an eighth of [`CACHE_BYTES`], and past [`CACHE_BYTES`] the
//! cache starts again. Under SERIALIZABLE only windows are read: a whole history would take
//! predicate locks on the entity's whole key range; the scan that filled a kept window took
//! its locks in the same transaction.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry as Slot;
use std::collections::HashMap;
use std::sync::Arc;

use fraud_engine::model::features::KeyBuf;
use fraud_engine::model::history::{HistorySpec, NewestFirst, PastTable};
use fraud_engine::model::{Model, HISTORY_WINDOW_MS};
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
/// After this many predictions under one snapshot, more than half of them finding their entity
/// kept, an entity seen for the first time is read whole at once.
const BATCH_LOOKUPS: usize = 64;

/// An entity's stored events with a time in `(lo_us, hi_us)`, oldest first: their times and
/// what the model's history features read of them.
struct Entry {
    lo_us: i64,
    hi_us: i64,
    table: PastTable,
}

impl Entry {
    fn covers(&self, from_us: i64, to_us: i64) -> bool {
        self.lo_us <= from_us && to_us <= self.hi_us
    }

    fn bytes(&self) -> usize {
        self.table.bytes() + std::mem::size_of::<Entry>()
    }

    /// The events a scoring at `now_ms` reads (the engine's rule, as training's).
    fn view(&self, now_ms: i64) -> NewestFirst<'_> {
        NewestFirst::before(&self.table, now_ms)
    }
}

/// What is kept of an entity (in the hash table's slot: one cache miss less per prediction).
enum Kept {
    /// a window read for a first prediction
    Window(Entry),
    /// its whole history
    Whole(Entry),
    /// too many events to keep: read window by window
    TooMany,
}

impl Kept {
    /// What a slot costs besides its table: the key and the slot itself.
    fn slot_bytes(key: &Key) -> usize {
        std::mem::size_of::<(Key, Kept)>() + key.1.len()
    }

    fn bytes(&self) -> usize {
        match self {
            Kept::Window(e) | Kept::Whole(e) => e.bytes(),
            Kept::TooMany => 0,
        }
    }
}

/// The snapshot the cache was filled under: what decides which rows it sees.
#[derive(Default)]
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
/// the cache holds its tables) and entity: its type and id, joined by a NUL (which jsonb
/// strings cannot hold), in the table's slot itself when short (one cache miss less).
type Key = (usize, SmallVec<[u8; 32]>);

/// The kept tables: std's hasher (entity ids come from users; a keyed hash keeps a crafted set
/// of ids from colliding).
#[derive(Default)]
struct Cache {
    snapshot: SnapshotKey,
    entities: HashMap<Key, Kept>,
    models: Vec<Arc<Model>>,
    bytes: usize,
    /// predictions under this snapshot, and how many found their entity kept
    lookups: usize,
    hits: usize,
}

impl Cache {
    /// Forgets everything, memory included (a new snapshot, or the transaction's end).
    fn clear(&mut self) {
        *self = Cache::default();
    }

    /// Whether the statement scores the same entities again and again: then an entity seen
    /// for the first time is worth reading whole.
    fn repeats(&self) -> bool {
        self.lookups > BATCH_LOOKUPS && self.hits * 2 > self.lookups
    }

    /// Keeps `kept` for `key`.
    fn keep(&mut self, model: &Arc<Model>, key: Key, kept: Kept) {
        let bytes = Kept::slot_bytes(&key) + kept.bytes();
        if self.bytes + bytes > CACHE_BYTES {
            // full: start again, remembering only which entities are too large to keep
            self.entities.retain(|_, k| matches!(k, Kept::TooMany));
            self.entities.shrink_to_fit();
            self.bytes = self.entities.keys().map(Kept::slot_bytes).sum();
            self.models.clear();
        }
        if !self.models.iter().any(|m| Arc::ptr_eq(m, model)) {
            self.models.push(model.clone());
        }
        self.bytes += bytes;
        match self.entities.entry(key) {
            Slot::Occupied(mut o) => {
                let old = Kept::slot_bytes(o.key()) + o.get().bytes();
                self.bytes = self.bytes.saturating_sub(old);
                o.insert(kept);
            }
            Slot::Vacant(v) => {
                v.insert(kept);
            }
        }
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Empties the cache when a transaction ends: what it holds is of no use to the next one (its
/// snapshot is another), and an idle backend should not hold it.
unsafe extern "C-unwind" fn forget_at_end(
    event: pg_sys::XactEvent::Type,
    _: *mut std::ffi::c_void,
) {
    if crate::cache::transaction_ends(event) {
        CACHE.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                c.clear();
            }
        });
    }
}

/// Scores with the past events of the event's first entity (`entities` overrides the event's
/// own: a stored event keeps them in a column) that model `m` reads at `at`: `score` is called
/// once with them, newest first.
pub fn with_event<R>(
    m: &CompiledModel,
    ev: &Event<'_>,
    entities: Option<Container<'_>>,
    at: &At,
    score: impl FnMut(&NewestFirst<'_>) -> R,
) -> R {
    let entity = || {
        entities
            .or_else(|| ev.entities())
            .and_then(crate::aggregate::first_entity)
            .or_else(|| Some((ev.envelope("entity_type")?, ev.envelope("entity_id")?)))
    };
    with_entity(m, entity, at, score)
}

/// [`with_event`] for a row with an `entities` column (the score trigger).
pub fn with_row<R>(
    m: &CompiledModel,
    entities: Option<Container<'_>>,
    at: &At,
    score: impl FnMut(&NewestFirst<'_>) -> R,
) -> R {
    with_entity(
        m,
        || entities.and_then(crate::aggregate::first_entity),
        at,
        score,
    )
}

/// No past events: a model without history, an event without an entity, the anonymous one.
static NO_PAST: PastTable = PastTable::EMPTY;

/// Scores with the past of the entity `entity` names (read only for a model with history).
fn with_entity<R>(
    m: &CompiledModel,
    entity: impl FnOnce() -> Option<(String, String)>,
    at: &At,
    mut score: impl FnMut(&NewestFirst<'_>) -> R,
) -> R {
    let none =
        |score: &mut dyn FnMut(&NewestFirst<'_>) -> R| score(&NewestFirst::before(&NO_PAST, 0));
    let Some(spec) = m.model.history_spec() else {
        return none(&mut score);
    };
    let Some((entity_type, entity_id)) = entity() else {
        return none(&mut score);
    };
    // "unknown" is AFD's anonymous entity: it has no history of its own
    if entity_id == "unknown" {
        return none(&mut score);
    }
    // the events a scoring at now_ms may read (milliseconds [now_ms - window, now_ms)) are
    // those with a time in (from, to), in PostgreSQL's microseconds
    let now_ms = datum::timestamp_millis(at.us);
    let at_ms = at.us.div_euclid(1000);
    let from = at_ms
        .saturating_sub(HISTORY_WINDOW_MS)
        .saturating_mul(1000)
        .saturating_sub(1);
    let to = at_ms.saturating_mul(1000);
    // (no limit: never None)
    let read_window = || {
        let empty = Entry {
            lo_us: from,
            hi_us: to,
            table: PastTable::EMPTY,
        };
        read(m, spec, &entity_type, &entity_id, from, to, usize::MAX).unwrap_or(empty)
    };
    // SAFETY: the active snapshot is valid while set
    let snapshot = unsafe {
        pg_sys::ActiveSnapshotSet()
            .then(|| pg_sys::GetActiveSnapshot())
            .filter(|&s| (*s).snapshot_type == pg_sys::SnapshotType::SNAPSHOT_MVCC)
    };
    let Some(snapshot) = snapshot else {
        return score(&read_window().view(now_ms));
    };
    let mut name = SmallVec::new();
    name.extend_from_slice(entity_type.as_bytes());
    name.push(0);
    name.extend_from_slice(entity_id.as_bytes());
    let key: Key = (Arc::as_ptr(&m.model) as usize, name);
    // SERIALIZABLE: a whole history would take predicate locks on the entity's whole key
    // range, and conflict with writers the window never meets; only windows are read there
    // SAFETY: a backend global
    let serializable =
        unsafe { pg_sys::XactIsoLevel } == pg_sys::XACT_SERIALIZABLE as std::os::raw::c_int;
    // scored with what is kept if it serves, else what to read (no scan while borrowed)
    let plan = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        // SAFETY: checked above
        if !unsafe { c.snapshot.is(snapshot) } {
            c.clear();
            c.snapshot = unsafe { SnapshotKey::of(snapshot) };
            if !REGISTERED.replace(true) {
                // SAFETY: once per backend; the callback only empties this thread-local
                unsafe { pg_sys::RegisterXactCallback(Some(forget_at_end), std::ptr::null_mut()) };
            }
        }
        c.lookups += 1;
        let plan = match c.entities.get(&key) {
            Some(Kept::Window(e) | Kept::Whole(e)) if e.covers(from, to) => {
                let scored = score(&e.view(now_ms));
                c.hits += 1;
                return Err(scored);
            }
            Some(Kept::TooMany) => Plan::Window { keep: false },
            _ if serializable => Plan::Window { keep: true },
            // seen before under this snapshot, another window: read it whole, once
            Some(Kept::Window(_) | Kept::Whole(_)) => Plan::Whole,
            // first seen, in a statement that scores its entities again and again
            None if c.repeats() => Plan::Whole,
            None => Plan::Window { keep: true },
        };
        Ok(plan)
    });
    let plan = match plan {
        Ok(plan) => plan,
        Err(scored) => return scored,
    };
    let (entry, kept): (Entry, fn(Entry) -> Kept) = match plan {
        Plan::Whole => {
            let whole = read(
                m,
                spec,
                &entity_type,
                &entity_id,
                i64::MIN,
                i64::MAX,
                ENTITY_EVENTS,
            );
            match whole {
                Some(e) => (e, Kept::Whole),
                None => (read_window(), |_| Kept::TooMany),
            }
        }
        Plan::Window { keep: false } => return score(&read_window().view(now_ms)),
        // a window of more events than are kept whole is not kept either
        Plan::Window { keep: true } => match read_window() {
            e if e.table.len() > ENTITY_EVENTS => (e, |_| Kept::TooMany),
            e => (e, Kept::Window),
        },
    };
    let scored = score(&entry.view(now_ms));
    // one entry that would take a good part of the cache is not kept
    let kept = if entry.bytes() > CACHE_BYTES / 8 {
        Kept::TooMany
    } else {
        kept(entry)
    };
    CACHE.with(|c| {
        c.borrow_mut().keep(&m.model, key, kept);
    });
    scored
}

/// What a prediction reads its entity's past from, when nothing kept serves.
enum Plan {
    /// the entity's whole history, kept
    Whole,
    /// the prediction's window, kept or not
    Window { keep: bool },
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
        table: PastTable::empty(spec),
    };
    let mut buf = KeyBuf::default();
    let mut over = false;
    crate::aggregate::entity_history(entity_type, entity_id, from_us, to_us, |event| {
        if entry.table.len() == limit {
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
        let ms = datum::timestamp_millis(event.timestamp_us());
        entry.table.push(spec, ms, &values, &mut buf);
        true
    });
    entry.table.shrink_to_fit();
    (!over).then_some(entry)
}
