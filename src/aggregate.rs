//! Aggregate (velocity) variables at prediction time (docs/velocity-and-backtesting.md): the scored event's
//! keys, the stored events that share them, and the values the engine's aggregates compute
//! from those. What an aggregate means (window edges, functions, filters) is the engine's
//! (`fraud_engine::aggregate`); this reads the past events.
//!
//! Past events are read through `fraud.event_keys` (one row per stored event and key, kept by
//! triggers on `fraud.events`, with the event's label and, for keys whose aggregates read them,
//! its variables): one index range scan per key the version's aggregates group by, with the
//! statement's snapshot, so a prediction sees exactly the events its statement sees: another
//! session's once committed, its own transaction's earlier ones before that.

use std::borrow::Cow;
use std::ffi::CStr;

use fraud_engine::aggregate::{Accumulator, GroupBy, Past, Reads};
use fraud_engine::detector::Detector;
use fraud_engine::eval::Context;
use fraud_engine::value::Value;
use pgrx::pg_sys;
use smallvec::SmallVec;

use crate::datum::{self, text_of};
use crate::errors;
use crate::event_input::Event;
use crate::jsonb::{Container, Item, ObjectIndex, Offsets};

/// When the scored event happened (a PostgreSQL timestamp: microseconds since 2000), and
/// whether it is replayed from the past (batch prediction, backtesting): then it sees only
/// events stored before its own time.
#[derive(Clone, Copy)]
pub struct At {
    pub us: pg_sys::TimestampTz,
    pub historical: bool,
}

impl At {
    /// A live prediction of `ev`: at its `eventTimestamp` (AFD's request shape; a row in AFD's
    /// CSV layout has `event_timestamp`) when it has one, else at the statement's start. A time
    /// after the statement's start is taken as the statement's start: the future has no events
    /// yet, and a caller must not empty a velocity window by sending one.
    pub fn live(ev: &Event<'_>) -> At {
        let now = At::now();
        let time = ["eventTimestamp", "event_timestamp"]
            .into_iter()
            .find_map(|k| Some((k, ev.envelope(k)?)));
        let Some((key, t)) = time else { return now };
        // AFD's timestamp formats, or any ISO 8601 a timestamptz column's JSON has (microseconds)
        let millis = fraud_engine::events::parse_event_timestamp(&t)
            .or_else(|| fraud_engine::value::parse_datetime(&t))
            .unwrap_or_else(|| {
                errors::invalid(format!(
                    "invalid {key}: '{t}' (aggregate variables need the event's time: ISO 8601, e.g. 2024-05-01T12:00:00Z)"
                ))
            });
        let Some(us) = datum::millis_timestamp(millis) else {
            errors::invalid(format!("invalid {key}: '{t}' (out of range)"));
        };
        At {
            us: us.min(now.us),
            historical: false,
        }
    }

    /// A live prediction at the statement's start (an event with no time of its own: a row
    /// scored by fraud_score_trigger, a flat object).
    pub fn now() -> At {
        At {
            // SAFETY: reads backend state.
            us: unsafe { datum::unguarded::GetCurrentStatementStartTimestamp() },
            historical: false,
        }
    }
}

/// The key of `group_by` in a jsonb event: the id of its first entity of that type, or the
/// variable's text. `entities` overrides the event's own `entities` member (a stored event
/// keeps them in a column of their own).
pub fn jsonb_key<'a>(
    ev: &Event<'a>,
    entities: Option<Container<'_>>,
    group_by: &GroupBy,
) -> Option<Cow<'a, str>> {
    match (group_by, entities) {
        (GroupBy::Variable(v), _) => ev.raw_variable(v.as_bytes()),
        (GroupBy::Entity(t), Some(entities)) => entity_id(entities, t),
        (GroupBy::Entity(t), None) => match ev.entities() {
            Some(entities) => entity_id(entities, t),
            // a row in AFD's CSV layout: ENTITY_TYPE, ENTITY_ID
            None if ev.envelope("entity_type").as_deref() == Some(t.as_str()) => {
                ev.envelope("entity_id").map(Cow::Owned)
            }
            None => None,
        },
    }
}

/// The id of the first entity of type `entity_type` in `entities` ([{"entityType",
/// "entityId"}]).
pub fn entity_id(entities: Container<'_>, entity_type: &str) -> Option<Cow<'static, str>> {
    for item in entities.elements()? {
        let Item::Container(c) = item else { continue };
        let mut offsets = Offsets::new();
        let Some(entity) = ObjectIndex::new(c, &mut offsets) else {
            continue;
        };
        if matches!(entity.find(b"entityType", &mut 0), Some(Item::Str(s)) if s == entity_type.as_bytes())
        {
            if let Some(Item::Str(id)) = entity.find(b"entityId", &mut 0) {
                // owned: the index borrows a buffer of this loop
                return Some(Cow::Owned(text_of(id).into_owned()));
            }
        }
    }
    None
}

/// Computes every aggregate slot of `detector` into `slots` (event slots already read): for
/// each key group, the past events of the event's key read once, each aggregate fed from them.
/// An event without the key (no entity of that type, no such variable) gets each aggregate's
/// value over no events.
pub fn fill<'k>(
    detector: &Detector,
    slots: &mut [Value<'_>],
    key_of: impl Fn(&GroupBy) -> Option<Cow<'k, str>>,
    at: At,
    ctx: &Context,
) {
    let at_us = at.us;
    // opened at the first key the event has, closed at the end of this call
    let mut scan: Option<Scan> = None;
    for group in &detector.key_groups {
        let mut accs: SmallVec<[Accumulator; 4]> = group
            .members
            .iter()
            .map(|_| Accumulator::default())
            .collect();
        if let Some(key) = key_of(&group.group_by) {
            let from = at_us.saturating_sub(group.window_ms.saturating_mul(1000));
            // SAFETY: see Scan::open
            let scan = scan.get_or_insert_with(|| unsafe { Scan::open() });
            past_events(
                scan,
                &group.key_name,
                &key,
                from,
                at_us,
                group.reads,
                |row| {
                    for (&(_, i), acc) in group.members.iter().zip(accs.iter_mut()) {
                        detector.aggregates[i].add(acc, row, at_us, at.historical, ctx);
                    }
                    true
                },
            );
        }
        for (&(slot, i), acc) in group.members.iter().zip(&accs) {
            slots[slot] = detector.aggregates[i].finish(acc);
        }
    }
}

/// One stored event as the scan reads it.
struct Row<'a> {
    event_type: Cow<'a, str>,
    us: i64,
    label: Option<Cow<'a, str>>,
    variables: Option<ObjectIndex<'a>>,
}

impl Past for Row<'_> {
    fn event_type(&self) -> &str {
        &self.event_type
    }
    fn timestamp_us(&self) -> i64 {
        self.us
    }
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    fn variable(&self, name: &str) -> Option<Cow<'_, str>> {
        // stored values are JSON strings (fraud._checked_variables)
        match self.variables.as_ref()?.find(name.as_bytes(), &mut 0)? {
            Item::Str(b) => Some(text_of(b)),
            _ => None,
        }
    }
}

/// The columns of `fraud.event_keys` read, by attribute number, as sql/catalog.sql defines them
/// (columns are only ever added at the end); [`Scan::open`] checks the names, so a different
/// layout is an error, not a misread. The index `event_keys_lookup` holds the first seven in the
/// same order, so an index tuple deforms into the same positions.
const KEY_COLUMNS: [(i16, &str); 6] = [
    (3, "event_timestamp"),
    (4, "event_type_name"),
    (5, "event_id"),
    (6, "event_label"),
    (7, "label_timestamp"),
    (8, "event_variables"),
];
/// Columns the index holds: 1 to 7.
const INDEX_COLUMNS: usize = 7;

extern "C-unwind" {
    /// storage/predicate.h (not in pgrx's bindings): what an index-only scan takes on a heap
    /// page whose rows it reads from the index, for SERIALIZABLE transactions. It may raise
    /// an ERROR (out of shared memory): called through pgrx's guard.
    fn PredicateLockPage(
        relation: pg_sys::Relation,
        blkno: pg_sys::BlockNumber,
        snapshot: pg_sys::Snapshot,
    );
}

/// An index scan of `fraud.event_keys` by key and time, opened once per scoring and run once per
/// key, with the statement's snapshot (what a read-only query of the statement would see).
/// Rows on all-visible pages are read from the index alone, as an index-only scan does, unless
/// the events' variables are wanted (they are in the heap row only).
struct Scan {
    heap: pg_sys::Relation,
    index: pg_sys::Relation,
    slot: *mut pg_sys::TupleTableSlot,
    scan: pg_sys::IndexScanDesc,
    keys: [pg_sys::ScanKeyData; 4],
    vmbuffer: pg_sys::Buffer,
}

impl Scan {
    /// Opens `fraud.event_keys` and its index (looked up in the syscache: an extension dropped
    /// and created again has new OIDs), checking the columns are where they are expected.
    unsafe fn open() -> Scan {
        let nsp = pg_sys::get_namespace_oid(c"fraud".as_ptr(), false);
        let relid = |name: &CStr| {
            let oid = pg_sys::get_relname_relid(name.as_ptr(), nsp);
            if oid == pg_sys::InvalidOid {
                errors::internal(format!(
                    "relation fraud.{} does not exist",
                    name.to_string_lossy()
                ));
            }
            oid
        };
        let lock = pg_sys::AccessShareLock as pg_sys::LOCKMODE;
        let heap = pg_sys::relation_open(relid(c"event_keys"), lock);
        let tupdesc = (*heap).rd_att;
        let attrs = (*tupdesc).attrs.as_slice((*tupdesc).natts as usize);
        for &(attno, name) in &KEY_COLUMNS {
            let ok = attrs.get(attno as usize - 1).is_some_and(|a| {
                !a.attisdropped
                    && CStr::from_ptr(a.attname.data.as_ptr()).to_bytes() == name.as_bytes()
            });
            if !ok {
                errors::internal(format!("column {attno} of fraud.event_keys is not {name}"));
            }
        }
        let index = pg_sys::index_open(relid(c"event_keys_lookup"), lock);
        // the index tuple is read as the heap's first columns: it must be on them, in order
        let form = (*index).rd_index;
        let keys = (*form).indkey.values.as_slice((*form).indnatts as usize);
        if (*form).indrelid != (*heap).rd_id
            || keys.len() != INDEX_COLUMNS
            || keys.iter().enumerate().any(|(i, &k)| k as usize != i + 1)
        {
            errors::internal(
                "index fraud.event_keys_lookup is not on columns 1 to 7 of fraud.event_keys"
                    .to_string(),
            );
        }
        if !pg_sys::ActiveSnapshotSet() {
            errors::internal(
                "aggregate variables read stored events with no active snapshot".to_string(),
            );
        }
        let slot = pg_sys::table_slot_create(heap, std::ptr::null_mut());
        let scan = pg_sys::index_beginscan(heap, index, pg_sys::GetActiveSnapshot(), 4, 0);
        (*scan).xs_want_itup = true;
        Scan {
            heap,
            index,
            slot,
            scan,
            keys: std::mem::zeroed(),
            vmbuffer: pg_sys::InvalidBuffer as pg_sys::Buffer,
        }
    }

    /// Sets key `i`: index column `attno` compared with `value` by `strategy` through
    /// `procedure`, in the index column's collation.
    unsafe fn key(
        &mut self,
        i: usize,
        attno: i16,
        strategy: u32,
        procedure: u32,
        value: pg_sys::Datum,
    ) {
        let collation = *(*self.index).rd_indcollation.add(attno as usize - 1);
        pg_sys::ScanKeyEntryInitialize(
            &mut self.keys[i],
            0,
            attno,
            strategy as u16,
            pg_sys::InvalidOid,
            collation,
            pg_sys::Oid::from(procedure),
            value,
        );
    }

    /// Runs the scan with the keys set, calling `each` with the values and nulls of each row's
    /// columns 1 to 8 (the eighth, the variables, only with `variables`), until it returns
    /// false.
    unsafe fn run(
        &mut self,
        variables: bool,
        mut each: impl FnMut(&[pg_sys::Datum], &[bool]) -> bool,
    ) {
        pg_sys::index_rescan(
            self.scan,
            self.keys.as_mut_ptr(),
            4,
            std::ptr::null_mut(),
            0,
        );
        let mut values = [pg_sys::Datum::null(); INDEX_COLUMNS];
        let mut nulls = [true; INDEX_COLUMNS];
        loop {
            let tid =
                pg_sys::index_getnext_tid(self.scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tid.is_null() {
                break;
            }
            let block = (u32::from((*tid).ip_blkid.bi_hi) << 16) | u32::from((*tid).ip_blkid.bi_lo);
            let visible = !variables
                && pg_sys::visibilitymap_get_status(self.heap, block, &mut self.vmbuffer) as u32
                    & pg_sys::VISIBILITYMAP_ALL_VISIBLE
                    != 0;
            if visible {
                // every row of the page is visible to every snapshot: the index tuple is the row
                pg_sys::index_deform_tuple(
                    (*self.scan).xs_itup,
                    (*self.scan).xs_itupdesc,
                    values.as_mut_ptr(),
                    nulls.as_mut_ptr(),
                );
                let (heap, snapshot) = (self.heap, (*self.scan).xs_snapshot);
                pg_sys::ffi::pg_guard_ffi_boundary(|| PredicateLockPage(heap, block, snapshot));
                if !each(&values, &nulls) {
                    break;
                }
            } else if pg_sys::index_fetch_heap(self.scan, self.slot) {
                let n = if variables { 8 } else { INDEX_COLUMNS };
                pg_sys::slot_getsomeattrs_int(self.slot, n as i32);
                if !each(
                    std::slice::from_raw_parts((*self.slot).tts_values, n),
                    std::slice::from_raw_parts((*self.slot).tts_isnull, n),
                ) {
                    break;
                }
            }
        }
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        // an ERROR raised inside a scan unwinds through here (pgrx turns it into a panic) while
        // PostgreSQL is still in its error state, possibly holding a buffer's content lock:
        // the (sub)transaction abort releases the pins, relations and memory then, in the
        // right order, and nothing may be touched here
        if std::thread::panicking() {
            return;
        }
        // SAFETY: closes what `open` opened; the locks are kept to the transaction's end, as
        // the executor keeps them.
        unsafe {
            if self.vmbuffer != pg_sys::InvalidBuffer as pg_sys::Buffer {
                pg_sys::ReleaseBuffer(self.vmbuffer);
            }
            pg_sys::index_endscan(self.scan);
            pg_sys::ExecDropSingleTupleTableSlot(self.slot);
            pg_sys::index_close(self.index, pg_sys::NoLock as pg_sys::LOCKMODE);
            pg_sys::relation_close(self.heap, pg_sys::NoLock as pg_sys::LOCKMODE);
        }
    }
}

/// Calls `each` with every stored event that has key (`key_name`, `key`) and a time in
/// `(from_us, to_us]` (PostgreSQL timestamps), oldest first, with its label if it was
/// labelled by `to_us`, and its variables if `reads` asks for them, until it returns false.
///
/// Read with an index scan of `fraud.event_keys`, not with SQL: no plan, no executor and no
/// role switch per prediction. The scan bypasses privilege checks, as the catalog reads of
/// scoring run as the owner: the caller needs EXECUTE on the scoring function, never
/// privileges on `fraud.*`.
fn past_events(
    scan: &mut Scan,
    key_name: &str,
    key: &str,
    from_us: i64,
    to_us: i64,
    reads: Reads,
    mut each: impl FnMut(&Row<'_>) -> bool,
) {
    use pg_sys::{
        BTEqualStrategyNumber as EQ, BTGreaterStrategyNumber as GT, BTLessEqualStrategyNumber as LE,
    };
    // SAFETY: an index scan with the statement's snapshot; every datum is read while the row
    // holding it is current (the callback runs before the next row is fetched).
    unsafe {
        scan.key(0, 1, EQ, pg_sys::F_TEXTEQ, datum::text_datum(key_name));
        scan.key(1, 2, EQ, pg_sys::F_TEXTEQ, datum::text_datum(key));
        scan.key(
            2,
            3,
            GT,
            pg_sys::F_TIMESTAMPTZ_GT,
            pg_sys::Datum::from(from_us),
        );
        scan.key(
            3,
            3,
            LE,
            pg_sys::F_TIMESTAMPTZ_LE,
            pg_sys::Datum::from(to_us),
        );
        let variables = reads == Reads::Variables;
        scan.run(variables, |values, nulls| {
            let label = (reads != Reads::Times && !nulls[5] && !nulls[6]
                // a label assigned after the scored event's time was not known then
                && values[6].value() as i64 <= to_us)
                .then(|| text_of(datum::text_bytes(values[5])));
            let mut offsets = Offsets::new();
            let variables = if variables && !nulls[7] {
                ObjectIndex::new(Container::new(datum::jsonb_body(values[7])), &mut offsets)
            } else {
                None
            };
            each(&Row {
                event_type: text_of(datum::text_bytes(values[3])),
                us: values[2].value() as i64,
                label,
                variables,
            })
        });
    }
}

/// Calls `each` with every stored event of entity (`entity_type`, `entity_id`) with a time in
/// `(from_us, to_us)`, oldest first, with its variables (their stored texts), until it
/// returns false. The history a history-reading model scores with (src/history.rs), read from
/// `fraud.event_keys` as aggregates are; the keys exist while such a model has a trained
/// version (`fraud._needed_key_specs`).
pub fn entity_history(
    entity_type: &str,
    entity_id: &str,
    from_us: i64,
    to_us: i64,
    mut each: impl FnMut(&dyn Past) -> bool,
) {
    // SAFETY: see Scan::open
    let mut scan = unsafe { Scan::open() };
    past_events(
        &mut scan,
        entity_type,
        entity_id,
        from_us,
        to_us.saturating_sub(1),
        Reads::Variables,
        |row| each(row),
    );
}

/// The type and id of the first entity in `entities` ([{"entityType", "entityId"}]).
pub fn first_entity(entities: Container<'_>) -> Option<(String, String)> {
    let Item::Container(c) = entities.elements()?.next()? else {
        return None;
    };
    let mut offsets = Offsets::new();
    let entity = ObjectIndex::new(c, &mut offsets)?;
    match (
        entity.find(b"entityType", &mut 0),
        entity.find(b"entityId", &mut 0),
    ) {
        (Some(Item::Str(t)), Some(Item::Str(i))) => {
            Some((text_of(t).into_owned(), text_of(i).into_owned()))
        }
        _ => None,
    }
}

/// Checks made when an aggregate variable is written (sql/aggregate_variables.sql).
#[pgrx::pg_schema]
pub mod fraud {
    use fraud_engine::aggregate::{Aggregate, Function};
    use fraud_engine::value::{DataType, Value};
    use pgrx::prelude::*;

    use crate::catalog::aggregate_variable;
    use crate::errors;

    /// The data type of `function` over a variable of `input_type` (NULL for COUNT) and the
    /// value over no events as text (empty for NULL): 22023 when they do not go together.
    #[pg_extern(immutable, parallel_safe, name = "_aggregate_type")]
    pub fn aggregate_type(function: &str, input_type: Option<&str>) -> Vec<String> {
        let Some(f) = Function::parse(function) else {
            errors::invalid(format!("invalid function: '{function}' (must be one of COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX)"));
        };
        let input = input_type.map(|t| {
            DataType::parse(t)
                .unwrap_or_else(|| errors::internal(format!("unknown data type '{t}'")))
        });
        let t = f
            .result_type(input)
            .unwrap_or_else(|m| errors::invalid(format!("invalid aggregate: {m}")));
        let empty = match f.empty() {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        vec![t.name().to_string(), empty]
    }

    /// Compiles the stored aggregate variable `name` as prediction will: its filter against
    /// the variables of its event types (42601 with the position, 22023).
    #[pg_extern(stable, strict, name = "_check_aggregate_variable")]
    pub fn check_aggregate_variable(name: &str) {
        let Some(spec) = aggregate_variable(name) else {
            errors::not_found(format!("aggregate variable '{name}' does not exist"));
        };
        if let Err(e) = Aggregate::compile(&spec) {
            errors::rule_error(
                &format!("invalid aggregate variable {name}"),
                spec.filter.as_deref().unwrap_or(""),
                &e,
            );
        }
    }

    /// Whether an aggregate that aggregates `variable` (NULL for none) with `filter` reads its
    /// past events' variables: then the stored keys it groups by carry them
    /// (`fraud.event_key_specs.with_variables`). The engine's rule (`Reads::of`).
    #[pg_extern(immutable, parallel_safe, name = "_aggregate_reads_variables")]
    pub fn aggregate_reads_variables(variable: Option<&str>, filter: Option<&str>) -> bool {
        let names = filter
            .and_then(|f| fraud_engine::parser::parse(f).ok())
            .map(|e| e.references().0)
            .unwrap_or_default();
        fraud_engine::aggregate::Reads::of(variable.is_some(), names.iter().map(String::as_str))
            == fraud_engine::aggregate::Reads::Variables
    }

    /// The variables an expression names with `$name`, in order of first appearance (none
    /// when it does not parse): what may not be deleted while a rule uses it.
    #[pg_extern(immutable, parallel_safe, strict, name = "_expression_variables")]
    pub fn expression_variables(expression: &str) -> Vec<String> {
        fraud_engine::parser::parse(expression)
            .map(|e| e.references().0)
            .unwrap_or_default()
    }
}
