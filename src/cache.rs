//! The per-backend cache of compiled detector versions and of the answers they rendered: its
//! transactional invalidation, the snapshot its builds read the catalog with, and its memory
//! budget.
//!
//! **Invalidation.** A detector version is compiled once per backend and reused by every call.
//! Any change to a catalog table fires a statement trigger (`fraud._catalog_changed`) that
//! queues a relcache invalidation for `fraud.detectors`; PostgreSQL delivers it to this backend
//! at its next command (its own change), to other backends when the change commits (never if it
//! aborts), and replays it locally on abort. Our relcache callback only bumps a generation
//! counter, so it is safe whenever PostgreSQL calls it (even in the middle of a cache fill);
//! entries of an older generation are rebuilt on use. An xact callback also bumps it when a
//! transaction that changed the catalog aborts. Invalidations other backends committed are
//! taken in once per statement, so their commit is seen by our next statement.
//!
//! **What a build reads.** A build reads the catalog with the latest snapshot
//! (`GetLatestSnapshot`), not with the statement's or the transaction's: every change committed
//! before the build began, and this transaction's own earlier commands, as PostgreSQL reads its
//! own system catalogs. That is what makes a kept build right: it reflects every invalidation
//! accepted before it, because PostgreSQL makes a commit visible (`ProcArrayEndTransaction`)
//! before it sends the commit's invalidations (`AtEOXact_Inval`; a standby replays them in the
//! same order). A build read with an older snapshot (a REPEATABLE READ transaction's, or a long
//! READ COMMITTED statement's) would have been kept under the new generation with the old rules,
//! for the rest of the backend's life. So a REPEATABLE READ or SERIALIZABLE transaction scores
//! with a detector change another session committed from its next statement on, exactly as a
//! READ COMMITTED one does. An invalidation that arrives during the build (the generation moved)
//! means the build may be older than it: it is used once and not kept. In parallel mode (a
//! parallel worker, or the leader during a parallel query) PostgreSQL refuses a new snapshot:
//! there the build reads with the statement's snapshot and is kept for that statement only.
//!
//! **Memory.** Everything kept counts against one budget, `fraud_detector.cache_size`: each
//! compiled version (its estimated bytes, `Detector::estimated_bytes`), each rendered answer
//! (its varlena bytes and key), and each list once however many versions use it (versions built
//! from the same list contents share one set, found by name and compared element by element).
//! Past the budget the least recently used versions and answers are evicted, down to three
//! quarters of it at once (so a full cache sorts its items once per quarter of its budget, not
//! on every insertion); what the call in progress uses is never evicted, so a single version
//! larger than the budget still works (it is kept while it is the one in use). A version evicted
//! while a caller still holds it stays valid for that caller (`Rc`) and keeps no more answers.
//! The hot path (a hit) allocates nothing and reads no catalog: it stamps the version and the
//! answer with the call's tick.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use fraud_engine::detector::{self as engine, Detector};
use fraud_engine::node::ListSet;
use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting};
use rustc_hash::FxHashMap;

use crate::{catalog, datum};

/// `fraud_detector.cache_size`, in kB (docs/sql-reference.md, "The cache of compiled
/// versions").
pub static CACHE_SIZE: GucSetting<i32> = GucSetting::<i32>::new(64 * 1024);

/// Defines the settings of this module (called by `_PG_init`).
pub fn define_settings() {
    GucRegistry::define_int_guc(
        c"fraud_detector.cache_size",
        c"Memory each session may use for compiled detector versions and rendered prediction results.",
        c"Past it, the least recently used versions and results are evicted.",
        &CACHE_SIZE,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_KB,
    );
}

/// The budget in bytes.
fn budget() -> usize {
    CACHE_SIZE.get().max(0) as usize * 1024
}

/// A compiled detector version and the results it has already rendered.
pub struct Compiled {
    pub detector_id: String,
    pub version_id: String,
    pub status: String,
    pub event_type: String,
    pub detector: Detector,
    /// jsonb keys of `detector.slots`, in slot order.
    pub slot_keys: Vec<Vec<u8>>,
    /// jsonb keys of `detector.variables`.
    pub variable_keys: Vec<Vec<u8>>,
    /// where each slot's key was in the last event read (events usually share one shape)
    pub slot_hints: Vec<Cell<usize>>,
    /// the model versions it scores with, in `model_versions` order
    pub models: Vec<CompiledModel>,
    /// the external models it calls, in `external_model_endpoints` order
    pub externals: Vec<catalog::StoredExternal>,
    /// for each model output (the models' scores, then the externals' outputs), whether a
    /// rule reads it: fraud_outcomes runs only the models with one
    pub output_used: Vec<bool>,
    /// Rendered results by the set of matched rules: the result of a prediction depends only
    /// on which rules matched, so each distinct answer is built once.
    pub rendered: Rendered,
    /// Unique for the life of the backend, never reused (an address is, once a version is
    /// freed): what caches of things derived from a compiled version key on.
    pub build_id: u64,
    /// estimated bytes of the version itself (its shared lists and its answers apart)
    bytes: usize,
    /// its lists with their estimated bytes, to weigh it for eviction
    lists: Vec<(ListSet, usize)>,
    /// the tick of the call that last used it
    used: Cell<u64>,
}

/// A trained model version as a compiled detector version scores with it (docs/models.md).
pub struct CompiledModel {
    pub model_id: String,
    pub model_type: String,
    pub version: String,
    pub arn: String,
    /// `<model_id>_insightscore`
    pub score_name: String,
    /// shared by every compiled version of this backend that uses it (src/model.rs)
    pub model: Arc<fraud_engine::model::Model>,
    /// its inputs as event variables (missing reads as NULL, not as a default: a model
    /// learned what a missing value means) and their jsonb keys
    pub inputs: Vec<fraud_engine::detector::Variable>,
    pub input_keys: Vec<Vec<u8>>,
    pub input_hints: Vec<Cell<usize>>,
    /// the model's estimated bytes: counted with each version that uses it (an overestimate
    /// when versions share it, which only evicts sooner)
    bytes: usize,
}

/// Rendered varlena bytes of each distinct answer, keyed by the matched rule indices. What an
/// answer looks like is predict.rs's business; this only remembers it, within the budget.
#[derive(Default)]
pub struct Rendered {
    /// whether the cache keeps the version: a version it does not keep keeps no answers
    kept: Cell<bool>,
    predictions: RefCell<FxHashMap<Vec<usize>, Answer>>,
    outcomes: RefCell<FxHashMap<Vec<usize>, Answer>>,
}

struct Answer {
    bytes: Box<[u8]>,
    /// the tick of the call that last used it
    used: Cell<u64>,
}

/// Estimated bytes an answer takes: the varlena, its key, and their hash table slot.
fn answer_size(key_len: usize, varlena_len: usize) -> usize {
    // hashbrown keeps at most 7/8 of its slots full and doubles: count two slots per entry;
    // each of the two allocations has a malloc header
    2 * (size_of::<(Vec<usize>, Answer)>() + 1) + key_len * size_of::<usize>() + varlena_len + 32
}

impl Rendered {
    /// The prediction (jsonb) for `matched`: a copy of the one rendered before, or `render`'s.
    pub fn prediction(
        &self,
        matched: &[usize],
        render: impl FnOnce() -> pg_sys::Datum,
    ) -> pg_sys::Datum {
        self.remembered(&self.predictions, matched, render)
    }

    /// The outcomes (text[]) for `matched`: a copy of the ones rendered before, or `render`'s.
    pub fn outcomes(
        &self,
        matched: &[usize],
        render: impl FnOnce() -> pg_sys::Datum,
    ) -> pg_sys::Datum {
        self.remembered(&self.outcomes, matched, render)
    }

    /// `render` must return an untoasted varlena datum (a built jsonb or text[]).
    fn remembered(
        &self,
        map: &RefCell<FxHashMap<Vec<usize>, Answer>>,
        matched: &[usize],
        render: impl FnOnce() -> pg_sys::Datum,
    ) -> pg_sys::Datum {
        if let Some(answer) = map.borrow().get(matched) {
            answer.used.set(TICK.with(Cell::get));
            // SAFETY: bytes are a complete varlena rendered by `render` earlier.
            return unsafe { datum::varlena_datum(&answer.bytes) };
        }
        let d = render();
        if self.kept.get() {
            // SAFETY: `render` returns an untoasted varlena datum.
            let bytes = unsafe { datum::varlena_copy(d) };
            let size = answer_size(matched.len(), bytes.len());
            if size <= budget() {
                let used = Cell::new(TICK.with(Cell::get));
                map.borrow_mut()
                    .insert(matched.to_vec(), Answer { bytes, used });
                add_used(size);
                evict_over_budget();
            }
        }
        d
    }

    /// Calls `f` with the size of each kept answer and the answer.
    fn each_answer(&self, mut f: impl FnMut(usize, &Answer)) {
        for map in [&self.predictions, &self.outcomes] {
            for (k, a) in map.borrow().iter() {
                f(answer_size(k.len(), a.bytes.len()), a);
            }
        }
    }

    /// Drops every answer; the version is no longer kept. Returns the bytes freed.
    fn release(&self) -> usize {
        let mut freed = 0;
        self.each_answer(|size, _| freed += size);
        self.kept.set(false);
        self.predictions.take();
        self.outcomes.take();
        freed
    }

    /// Drops the answers last used before `cutoff`. Returns the bytes freed.
    fn evict_before(&self, cutoff: u64) -> usize {
        let mut freed = 0;
        for map in [&self.predictions, &self.outcomes] {
            let mut map = map.borrow_mut();
            map.retain(|k, a| {
                let keep = a.used.get() >= cutoff;
                if !keep {
                    freed += answer_size(k.len(), a.bytes.len());
                }
                keep
            });
            // the table's slots are counted with its answers: give them back too
            if map.len() < map.capacity() / 4 {
                map.shrink_to_fit();
            }
        }
        freed
    }
}

struct Entry {
    detector_id: String,
    version: Option<String>,
    generation: u64,
    /// Some(statement) for a build read with that statement's snapshot (in parallel mode):
    /// valid for it only
    statement: Option<(u32, i64)>,
    compiled: Rc<Compiled>,
}

/// A list's set, shared by every kept version built from the same contents.
struct SharedList {
    name: Box<str>,
    set: ListSet,
    bytes: usize,
}

thread_local! {
    static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static LISTS: RefCell<Vec<SharedList>> = const { RefCell::new(Vec::new()) };
    /// estimated bytes of everything kept (versions, answers, shared lists)
    static USED: Cell<usize> = const { Cell::new(0) };
    /// counts calls of `get`: what "least recently used" is measured in
    static TICK: Cell<u64> = const { Cell::new(0) };
    static NEXT_BUILD: Cell<u64> = const { Cell::new(1) };
    /// the budget the last eviction check saw, so that lowering it evicts at the next call
    static SEEN_BUDGET: Cell<i32> = const { Cell::new(-1) };
    static GENERATION: Cell<u64> = const { Cell::new(1) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
    static SENTINEL: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    static STATEMENT: Cell<(u32, i64)> = const { Cell::new((0, 0)) };
    static NOW_MILLIS: Cell<i64> = const { Cell::new(0) };
    static CHANGED_IN_XACT: Cell<bool> = const { Cell::new(false) };
}

fn add_used(bytes: usize) {
    USED.with(|u| u.set(u.get() + bytes));
}

fn sub_used(bytes: usize) {
    USED.with(|u| u.set(u.get().saturating_sub(bytes)));
}

fn bump() {
    GENERATION.with(|g| g.set(g.get() + 1));
}

unsafe extern "C-unwind" fn relcache_callback(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid || relid == SENTINEL.with(Cell::get) {
        bump();
    }
}

/// Whether a transaction callback's event ends the transaction (committed, aborted or
/// prepared, in a backend or a parallel worker): when per-transaction state is dropped.
pub fn transaction_ends(event: pg_sys::XactEvent::Type) -> bool {
    use pg_sys::XactEvent::*;
    matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PREPARE
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
    )
}

unsafe extern "C-unwind" fn xact_callback(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => {
            if CHANGED_IN_XACT.with(Cell::get) {
                bump();
            }
            CHANGED_IN_XACT.with(|c| c.set(false));
        }
        XACT_EVENT_COMMIT | XACT_EVENT_PARALLEL_COMMIT | XACT_EVENT_PREPARE => {
            CHANGED_IN_XACT.with(|c| c.set(false))
        }
        _ => {}
    }
}

unsafe extern "C-unwind" fn subxact_callback(
    event: pg_sys::SubXactEvent::Type,
    _sub: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB && CHANGED_IN_XACT.with(Cell::get) {
        bump();
    }
}

/// The relation whose relcache invalidation means "the fraud catalog changed".
fn sentinel() -> pg_sys::Oid {
    // SAFETY: syscache lookups by name; both return InvalidOid when absent (missing_ok).
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"fraud".as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            return pg_sys::InvalidOid;
        }
        pg_sys::get_relname_relid(c"detectors".as_ptr(), nsp)
    }
}

fn register_callbacks() {
    if REGISTERED.with(Cell::get) {
        return;
    }
    // SAFETY: registered once per backend; the callbacks only touch thread-local cells.
    unsafe {
        // the callback takes no argument
        pg_sys::CacheRegisterRelcacheCallback(Some(relcache_callback), pg_sys::Datum::null());
        pg_sys::RegisterXactCallback(Some(xact_callback), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(subxact_callback), std::ptr::null_mut());
    }
    REGISTERED.with(|r| r.set(true));
}

/// Once per statement, take in invalidations other backends committed, so a commit elsewhere
/// is seen by our next statement even when this one takes no new lock.
fn accept_invalidations_once_per_statement() {
    // SAFETY: reads of backend-local state.
    let now = unsafe {
        (
            (*pg_sys::MyProc).lxid,
            datum::unguarded::GetCurrentStatementStartTimestamp(),
        )
    };
    if STATEMENT.with(Cell::get) != now {
        STATEMENT.with(|s| s.set(now));
        // SAFETY: what PostgreSQL itself does whenever it takes a lock; then a backend read.
        let start = unsafe {
            pg_sys::AcceptInvalidationMessages();
            pg_sys::GetCurrentTransactionStartTimestamp()
        };
        NOW_MILLIS.with(|n| n.set(datum::timestamp_millis(start)));
    }
}

/// getcurrentdatetime(): the transaction's start time, as now() is, read once per statement.
pub fn now_millis() -> i64 {
    NOW_MILLIS.with(Cell::get)
}

/// The compiled form of the detector's ACTIVE version, or of the named version.
pub fn get(detector_id: &str, version: Option<&str>) -> Rc<Compiled> {
    accept_invalidations_once_per_statement();
    let generation = GENERATION.with(Cell::get);
    let statement = STATEMENT.with(Cell::get);
    let tick = TICK.with(|t| {
        t.set(t.get() + 1);
        t.get()
    });
    let hit = ENTRIES.with(|entries| {
        entries
            .borrow()
            .iter()
            .find(|e| {
                e.generation == generation
                    && e.detector_id == detector_id
                    && e.version.as_deref() == version
                    && e.statement.is_none_or(|s| s == statement)
            })
            .map(|e| e.compiled.clone())
    });
    if let Some(c) = hit {
        c.used.set(tick);
        // a lowered budget takes effect now, not at the next insertion
        let size = CACHE_SIZE.get();
        if SEEN_BUDGET.with(|s| s.replace(size)) != size {
            evict_over_budget();
        }
        return c;
    }
    register_callbacks();
    SENTINEL.with(|s| s.set(sentinel()));
    // SAFETY: reads backend state.
    let parallel = unsafe { pg_sys::IsInParallelMode() };
    let compiled = Rc::new(if parallel {
        build(detector_id, version)
    } else {
        with_latest_snapshot(|| build(detector_id, version))
    });
    compiled.used.set(tick);
    // if an invalidation arrived while we read the catalog, use this build once but keep it not
    if GENERATION.with(Cell::get) == generation {
        keep(Entry {
            detector_id: detector_id.to_string(),
            version: version.map(String::from),
            generation,
            statement: parallel.then_some(statement),
            compiled: compiled.clone(),
        });
    }
    compiled
}

/// Runs `f` (the catalog reads of a build) with the latest snapshot as the active one: see the
/// module comment. Read-only SPI reads with the active snapshot.
fn with_latest_snapshot<R>(f: impl FnOnce() -> R) -> R {
    struct Pushed(pg_sys::Snapshot);
    impl Drop for Pushed {
        fn drop(&mut self) {
            // SAFETY: pops the snapshot pushed below when it is on top, also while unwinding
            // from an ERROR; if something else is left above it, the (sub)transaction abort
            // that ERROR leads to pops them all.
            unsafe {
                if pg_sys::ActiveSnapshotSet() && pg_sys::GetActiveSnapshot() == self.0 {
                    pg_sys::PopActiveSnapshot();
                }
            }
        }
    }
    // SAFETY: not in parallel mode (the caller checked), where GetLatestSnapshot would raise;
    // PushActiveSnapshot copies the static snapshot it returns.
    let pushed = unsafe {
        pg_sys::PushActiveSnapshot(pg_sys::GetLatestSnapshot());
        Pushed(pg_sys::GetActiveSnapshot())
    };
    let result = f();
    drop(pushed);
    result
}

/// Keeps a new build: drops the entries no call can use any more (an older generation,
/// another statement's parallel-mode build), then evicts past the budget.
fn keep(entry: Entry) {
    let generation = entry.generation;
    let statement = STATEMENT.with(Cell::get);
    entry.compiled.rendered.kept.set(true);
    add_used(entry.compiled.bytes);
    ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        entries.retain(|e| {
            let usable = e.generation == generation && e.statement.is_none_or(|s| s == statement);
            if !usable {
                release(&e.compiled);
            }
            usable
        });
        entries.push(entry);
    });
    sweep_lists();
    evict_over_budget();
}

/// Stops keeping a version: its bytes and its answers' leave the budget.
fn release(c: &Compiled) {
    sub_used(c.bytes + c.rendered.release());
}

/// Forgets the shared lists no kept version uses any more.
fn sweep_lists() {
    LISTS.with(|lists| {
        lists.borrow_mut().retain(|l| {
            let used = Arc::strong_count(&l.set) > 1;
            if !used {
                sub_used(l.bytes);
            }
            used
        })
    });
}

/// The set for list `name` with `elements`, and its estimated bytes: the one a kept version
/// already has when its elements are the same, else a new one.
fn share_list(name: &str, elements: &[String]) -> (ListSet, usize) {
    let fresh = engine::list_set(elements);
    LISTS.with(|lists| {
        let mut lists = lists.borrow_mut();
        let same = |l: &&SharedList| {
            &*l.name == name
                && l.set.len() == fresh.len()
                && fresh.iter().all(|e| l.set.contains(e))
        };
        if let Some(l) = lists.iter().find(same) {
            return (l.set.clone(), l.bytes);
        }
        let bytes = engine::list_bytes(&fresh);
        add_used(bytes);
        lists.push(SharedList {
            name: name.into(),
            set: fresh.clone(),
            bytes,
        });
        (fresh, bytes)
    })
}

/// Past the budget, evicts the least recently used versions and answers (never what the call
/// in progress uses) down to three quarters of it.
fn evict_over_budget() {
    let budget = budget();
    if USED.with(Cell::get) <= budget {
        return;
    }
    sweep_lists();
    let now = TICK.with(Cell::get);
    let target = budget - budget / 4;
    ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        // (last used, bytes) of every evictable item; a version's answers are never used later
        // than the version, so evicting a version with its answers keeps the order. A version
        // weighs its own bytes and its share of each of its lists' (what evicting every version
        // that uses a list frees).
        let mut users: FxHashMap<*const (), usize> = FxHashMap::default();
        for e in entries.iter() {
            for (set, _) in &e.compiled.lists {
                *users.entry(Arc::as_ptr(set).cast()).or_default() += 1;
            }
        }
        let mut items: Vec<(u64, usize)> = Vec::new();
        for e in entries.iter() {
            let c = &e.compiled;
            let lists: usize = c
                .lists
                .iter()
                .map(|(set, bytes)| bytes / users[&Arc::as_ptr(set).cast()])
                .sum();
            items.push((c.used.get(), c.bytes + lists));
            c.rendered
                .each_answer(|size, a| items.push((a.used.get(), size)));
        }
        items.retain(|&(used, _)| used < now);
        items.sort_unstable();
        let mut excess = USED.with(Cell::get).saturating_sub(target);
        let mut cutoff = 0;
        for (used, size) in items {
            if excess == 0 {
                break;
            }
            cutoff = used + 1;
            excess = excess.saturating_sub(size);
        }
        if cutoff == 0 {
            return;
        }
        entries.retain(|e| {
            let c = &e.compiled;
            if c.used.get() < cutoff {
                release(c);
                false
            } else {
                sub_used(c.rendered.evict_before(cutoff));
                true
            }
        });
    });
    sweep_lists();
}

fn build(detector_id: &str, version: Option<&str>) -> Compiled {
    let stored = catalog::load_version(detector_id, version);
    let mut lists = Vec::new();
    let detector = catalog::compile_version_with(&stored, |name, elements| {
        let (set, bytes) = share_list(name, elements);
        lists.push((set.clone(), bytes));
        set
    });
    let keys = |vars: &[fraud_engine::detector::Variable]| -> Vec<Vec<u8>> {
        vars.iter().map(|v| v.name.as_bytes().to_vec()).collect()
    };
    let slot_keys = keys(&detector.slots);
    let variable_keys = keys(&detector.variables);
    let strings = [
        &stored.detector_id,
        &stored.version_id,
        &stored.status,
        &stored.event_type,
    ];
    let bytes = size_of::<Compiled>()
        + detector.estimated_bytes()
        + strings.iter().map(|s| s.len() + 16).sum::<usize>()
        + slot_keys
            .iter()
            .chain(&variable_keys)
            .map(|k| k.len() + 16 + size_of::<Vec<u8>>())
            .sum::<usize>()
        + detector.slots.len() * size_of::<Cell<usize>>();
    let models: Vec<CompiledModel> = stored
        .models
        .iter()
        .map(|(id, model_type, version)| {
            let Some((model, arn, bytes)) = crate::model::load(id, model_type, version) else {
                crate::errors::not_found(format!(
                    "model version {id}/{model_type}/{version} of detector version {}/{} has no trained model",
                    stored.detector_id, stored.version_id
                ));
            };
            let inputs: Vec<fraud_engine::detector::Variable> = model
                .inputs()
                .iter()
                .map(|v| fraud_engine::detector::Variable {
                    name: v.name.clone(),
                    data_type: v.data_type,
                    default: fraud_engine::value::Value::Null,
                })
                .collect();
            CompiledModel {
                model_id: id.clone(),
                model_type: model_type.clone(),
                version: version.clone(),
                arn,
                score_name: catalog::score_name(id),
                input_keys: keys(&inputs),
                input_hints: inputs.iter().map(|_| Cell::new(0)).collect(),
                inputs,
                model,
                bytes,
            }
        })
        .collect();
    if (!detector.aggregates.is_empty() || models.iter().any(|m| m.model.model_type.uses_history()))
        && crate::cluster::on_citus_worker()
    {
        crate::errors::raise(
            pgrx::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!(
                "detector version {}/{} reads stored events (an aggregate variable or a history model), which live on the Citus coordinator: score it there (docs/scale-out.md)",
                stored.detector_id, stored.version_id
            ),
        );
    }
    let bytes = bytes + models.iter().map(|m| m.bytes).sum::<usize>();
    let mut output_used = vec![false; stored.spec.model_outputs.len()];
    for i in detector.slot_outputs.iter().flatten() {
        output_used[*i] = true;
    }
    let build_id = NEXT_BUILD.with(|n| n.replace(n.get() + 1));
    Compiled {
        models,
        externals: stored.externals,
        output_used,
        slot_hints: detector.slots.iter().map(|_| Cell::new(0)).collect(),
        slot_keys,
        variable_keys,
        detector_id: stored.detector_id,
        version_id: stored.version_id,
        status: stored.status,
        event_type: stored.event_type,
        rendered: Default::default(),
        build_id,
        bytes,
        lists,
        used: Cell::new(0),
        detector,
    }
}

/// What this backend's cache holds: estimated bytes, kept versions, answers, shared lists.
pub fn usage() -> (usize, usize, usize, usize) {
    let (mut bytes, mut versions, mut answers) = (0, 0, 0);
    ENTRIES.with(|entries| {
        for e in entries.borrow().iter() {
            versions += 1;
            bytes += e.compiled.bytes;
            e.compiled.rendered.each_answer(|size, _| {
                answers += 1;
                bytes += size;
            });
        }
    });
    let lists = LISTS.with(|lists| {
        let lists = lists.borrow();
        bytes += lists.iter().map(|l| l.bytes).sum::<usize>();
        lists.len()
    });
    debug_assert_eq!(bytes, USED.with(Cell::get), "cache accounting drifted");
    (bytes, versions, answers, lists)
}

/// Statement trigger on every catalog table: the catalog changed, drop compiled versions.
#[pgrx::pg_schema]
pub mod fraud {
    use super::*;
    use pgrx::prelude::*;

    #[pg_trigger]
    fn _catalog_changed<'a>(
        _trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
        CHANGED_IN_XACT.with(|c| c.set(true));
        let relid = sentinel();
        if relid != pg_sys::InvalidOid {
            // SAFETY: queues a transactional invalidation message.
            unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relid) };
        }
        Ok(None)
    }

    /// This session's cache (docs/sql-reference.md, "The cache of compiled versions"): its
    /// estimated bytes against `fraud_detector.cache_size`, and what it holds.
    #[pg_extern(volatile, name = "_cache_usage")]
    fn cache_usage() -> TableIterator<
        'static,
        (
            name!(bytes, i64),
            name!(budget, i64),
            name!(versions, i32),
            name!(answers, i64),
            name!(lists, i32),
        ),
    > {
        let (bytes, versions, answers, lists) = usage();
        TableIterator::once((
            bytes as i64,
            budget() as i64,
            versions as i32,
            answers as i64,
            lists as i32,
        ))
    }
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._cache_usage() IS 'This session''s cache of compiled detector versions: its estimated bytes, its budget (fraud_detector.cache_size), and how many versions, rendered results and shared lists it keeps.';"#,
    name = "comment_fraud_cache_usage",
    requires = [fraud::cache_usage]
);
