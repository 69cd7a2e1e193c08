//! The per-backend cache of compiled detector versions, and its transactional invalidation.
//!
//! A detector version is compiled once per backend and reused by every call. Any change to a
//! catalog table fires a statement trigger (`fraud._catalog_changed`) that queues a relcache
//! invalidation for `fraud.detectors`; PostgreSQL delivers it to this backend at its next
//! command (its own change), to other backends when the change commits (never if it aborts),
//! and replays it locally on abort. Our relcache callback only bumps a generation counter, so
//! it is safe whenever PostgreSQL calls it (even in the middle of a cache fill); entries of an
//! older generation are rebuilt on use. An xact callback also bumps it when a transaction that
//! changed the catalog aborts.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use fraud_engine::detector::Detector;
use pgrx::pg_sys;
use rustc_hash::FxHashMap;

use crate::{catalog, datum};

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
    /// Rendered results by the set of matched rules: the result of a prediction depends only
    /// on which rules matched, so each distinct answer is built once.
    pub rendered: Rendered,
}

/// The most distinct answers kept per detector version (ALL_MATCHED over many rules can have
/// many); past it, answers are rendered on each call.
const MAX_RENDERED: usize = 4096;

/// Rendered varlena bytes of each distinct answer, keyed by the matched rule indices. What an
/// answer looks like is predict.rs's business; this only remembers it.
#[derive(Default)]
pub struct Rendered {
    predictions: RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
    outcomes: RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
}

impl Rendered {
    /// The prediction (jsonb) for `matched`: a copy of the one rendered before, or `render`'s.
    pub fn prediction(
        &self,
        matched: &[usize],
        render: impl FnOnce() -> pg_sys::Datum,
    ) -> pg_sys::Datum {
        remembered(&self.predictions, matched, render)
    }

    /// The outcomes (text[]) for `matched`: a copy of the ones rendered before, or `render`'s.
    pub fn outcomes(
        &self,
        matched: &[usize],
        render: impl FnOnce() -> pg_sys::Datum,
    ) -> pg_sys::Datum {
        remembered(&self.outcomes, matched, render)
    }
}

/// `render` must return an untoasted varlena datum (a built jsonb or text[]).
fn remembered(
    map: &RefCell<FxHashMap<Vec<usize>, Box<[u8]>>>,
    matched: &[usize],
    render: impl FnOnce() -> pg_sys::Datum,
) -> pg_sys::Datum {
    if let Some(bytes) = map.borrow().get(matched) {
        // SAFETY: bytes are a complete varlena rendered by `render` earlier.
        return unsafe { datum::varlena_datum(bytes) };
    }
    let d = render();
    let mut map = map.borrow_mut();
    if map.len() < MAX_RENDERED {
        // SAFETY: `render` returns an untoasted varlena datum.
        map.insert(matched.to_vec(), unsafe { datum::varlena_copy(d) });
    }
    d
}

struct Entry {
    detector_id: String,
    version: Option<String>,
    generation: u64,
    compiled: Rc<Compiled>,
}

thread_local! {
    static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static GENERATION: Cell<u64> = const { Cell::new(1) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
    static SENTINEL: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    static STATEMENT: Cell<(u32, i64)> = const { Cell::new((0, 0)) };
    static NOW_MILLIS: Cell<i64> = const { Cell::new(0) };
    static CHANGED_IN_XACT: Cell<bool> = const { Cell::new(false) };
}

fn bump() {
    GENERATION.with(|g| g.set(g.get() + 1));
}

unsafe extern "C-unwind" fn relcache_callback(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid || relid == SENTINEL.with(Cell::get) {
        bump();
    }
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
            pg_sys::GetCurrentStatementStartTimestamp(),
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
    let hit = ENTRIES.with(|entries| {
        entries
            .borrow()
            .iter()
            .find(|e| {
                e.generation == generation
                    && e.detector_id == detector_id
                    && e.version.as_deref() == version
            })
            .map(|e| e.compiled.clone())
    });
    if let Some(c) = hit {
        return c;
    }
    register_callbacks();
    SENTINEL.with(|s| s.set(sentinel()));
    let compiled = Rc::new(build(detector_id, version));
    // if an invalidation arrived while we read the catalog, use this build once but keep it not
    if GENERATION.with(Cell::get) == generation {
        ENTRIES.with(|entries| {
            let mut entries = entries.borrow_mut();
            entries.retain(|e| e.generation == generation);
            entries.push(Entry {
                detector_id: detector_id.to_string(),
                version: version.map(String::from),
                generation,
                compiled: compiled.clone(),
            });
        });
    }
    compiled
}

fn build(detector_id: &str, version: Option<&str>) -> Compiled {
    let stored = catalog::load_version(detector_id, version);
    let detector = catalog::compile_version(&stored);
    let keys = |vars: &[fraud_engine::detector::Variable]| {
        vars.iter().map(|v| v.name.as_bytes().to_vec()).collect()
    };
    Compiled {
        slot_hints: detector.slots.iter().map(|_| Cell::new(0)).collect(),
        slot_keys: keys(&detector.slots),
        variable_keys: keys(&detector.variables),
        detector_id: stored.detector_id,
        version_id: stored.version_id,
        status: stored.status,
        event_type: stored.event_type,
        rendered: Default::default(),
        detector,
    }
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
}
