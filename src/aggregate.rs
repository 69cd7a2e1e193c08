//! Aggregate (velocity) variables at prediction time (docs/velocity.md): the scored event's
//! keys, the stored events that share them, and the values the engine's aggregates compute
//! from those. What an aggregate means (window edges, functions, filters) is the engine's
//! (`fraud_engine::aggregate`); this reads the past events.
//!
//! Past events are read through `fraud.event_keys` (one row per stored event and key, kept by
//! triggers on `fraud.events`): one index range scan per key the version's aggregates group
//! by, joined to `fraud.events` only when an aggregate reads variables or labels. The query is
//! prepared once per backend and runs read-only with the caller's snapshot, so a prediction
//! sees exactly the events its statement sees: another session's once committed, its own
//! transaction's earlier ones before that.

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{c_char, CStr};

use fraud_engine::aggregate::{Accumulator, GroupBy, Past};
use fraud_engine::detector::Detector;
use fraud_engine::eval::Context;
use fraud_engine::value::Value;
use pgrx::pg_sys;
use smallvec::SmallVec;

use crate::datum::{self, text_of};
use crate::errors;
use crate::event_input::Event;
use crate::jsonb::{Container, Item, ObjectIndex, Offsets};

/// When the scored event happened, and whether it is replayed from the past (batch
/// prediction, backtesting): then it sees only events stored before its own time.
#[derive(Clone, Copy)]
pub struct At {
    pub millis: i64,
    pub historical: bool,
}

impl At {
    /// A live prediction of `ev`: at its `eventTimestamp` when it has one (AFD's request
    /// shape), else at the statement's start.
    pub fn live(ev: &Event<'_>) -> At {
        // AFD's request shape, or a row in AFD's CSV layout (to_jsonb of a table)
        let time = ev
            .envelope("eventTimestamp")
            .or_else(|| ev.envelope("event_timestamp"));
        let millis = match time {
            Some(t) => fraud_engine::events::parse_event_timestamp(&t).unwrap_or_else(|| {
                errors::invalid(format!(
                    "invalid eventTimestamp: '{t}' (aggregate variables need the event's time: ISO 8601, e.g. 2024-05-01T12:00:00Z)"
                ))
            }),
            None => return At::now(),
        };
        At {
            millis,
            historical: false,
        }
    }

    /// A live prediction at the statement's start (an event with no time of its own: a row
    /// scored by fraud_score_trigger, a flat object).
    pub fn now() -> At {
        // SAFETY: reads backend state.
        let ts = unsafe { datum::unguarded::GetCurrentStatementStartTimestamp() };
        At {
            millis: datum::timestamp_millis(ts),
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
    let Some(at_us) = datum::millis_timestamp(at.millis) else {
        errors::invalid(format!("event time {} ms is out of range", at.millis))
    };
    for group in &detector.key_groups {
        let mut accs: SmallVec<[Accumulator; 4]> = group
            .members
            .iter()
            .map(|&(_, i)| detector.aggregates[i].start())
            .collect();
        if let Some(key) = key_of(&group.group_by) {
            let from = at_us.saturating_sub(group.window_ms.saturating_mul(1000));
            past_events(
                &group.key_name,
                &key,
                from,
                at_us,
                group.reads_events,
                |row| {
                    for (&(_, i), acc) in group.members.iter().zip(accs.iter_mut()) {
                        detector.aggregates[i].add(acc, row, at_us, at.historical, ctx);
                    }
                },
            );
        }
        for (&(slot, i), acc) in group.members.iter().zip(&accs) {
            slots[slot] = detector.aggregates[i].finish(acc);
        }
    }
}

/// One stored event as the query returns it.
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

/// The queries, by whether they read the events' variables and labels. Every name and operator
/// is schema-qualified: the plan is kept for the backend's life.
const QUERIES: [&CStr; 2] = [
    c"SELECT k.event_type_name, k.event_timestamp, NULL::pg_catalog.jsonb, NULL::pg_catalog.text,
             NULL::pg_catalog.timestamptz
      FROM fraud.event_keys k
      WHERE k.key_name OPERATOR(pg_catalog.=) $1 AND k.key_value OPERATOR(pg_catalog.=) $2
        AND k.event_timestamp OPERATOR(pg_catalog.>) $3 AND k.event_timestamp OPERATOR(pg_catalog.<=) $4",
    c"SELECT k.event_type_name, k.event_timestamp, e.event_variables, e.event_label, e.label_timestamp
      FROM fraud.event_keys k
      JOIN fraud.events e ON e.event_type_name OPERATOR(pg_catalog.=) k.event_type_name
                         AND e.event_id OPERATOR(pg_catalog.=) k.event_id
      WHERE k.key_name OPERATOR(pg_catalog.=) $1 AND k.key_value OPERATOR(pg_catalog.=) $2
        AND k.event_timestamp OPERATOR(pg_catalog.>) $3 AND k.event_timestamp OPERATOR(pg_catalog.<=) $4",
];

thread_local! {
    static PLANS: [Cell<pg_sys::SPIPlanPtr>; 2] =
        const { [Cell::new(std::ptr::null_mut()), Cell::new(std::ptr::null_mut())] };
}

/// The kept plan of `QUERIES[which]` (call inside an SPI connection).
unsafe fn plan(which: usize) -> pg_sys::SPIPlanPtr {
    PLANS.with(|plans| {
        let cell = &plans[which];
        if cell.get().is_null() {
            let mut types = [
                pg_sys::TEXTOID,
                pg_sys::TEXTOID,
                pg_sys::TIMESTAMPTZOID,
                pg_sys::TIMESTAMPTZOID,
            ];
            // SAFETY: inside an SPI connection (the caller's promise); a kept plan lives in
            // CacheMemoryContext, and PostgreSQL's plan cache revalidates it when the tables
            // change.
            let p = unsafe { pg_sys::SPI_prepare(QUERIES[which].as_ptr(), 4, types.as_mut_ptr()) };
            if p.is_null() || unsafe { pg_sys::SPI_keepplan(p) } != 0 {
                errors::internal("could not prepare the aggregate variables' query".to_string());
            }
            cell.set(p);
        }
        cell.get()
    })
}

/// Calls `each` with every stored event that has key (`key_name`, `key`) and a time in
/// `(from_us, to_us]` (PostgreSQL timestamps), with its label if it was labelled by `to_us`. Read as the extension's owner: the caller needs
/// EXECUTE on the scoring function, never privileges on `fraud.*`.
fn past_events(
    key_name: &str,
    key: &str,
    from_us: i64,
    to_us: i64,
    reads_events: bool,
    mut each: impl FnMut(&Row<'_>),
) {
    crate::security::as_owner(|| {
        // SAFETY: a standard read-only SPI session; every datum read below belongs to
        // SPI_tuptable, which lives until SPI_finish, and is used only before it.
        unsafe {
            pg_sys::SPI_connect();
            let plan = plan(usize::from(reads_events));
            let mut values = [
                datum::text_datum(key_name),
                datum::text_datum(key),
                pg_sys::Datum::from(from_us),
                pg_sys::Datum::from(to_us),
            ];
            let nulls = [b' ' as c_char; 4];
            let rc = pg_sys::SPI_execute_plan(plan, values.as_mut_ptr(), nulls.as_ptr(), true, 0);
            if rc != pg_sys::SPI_OK_SELECT as i32 {
                pg_sys::SPI_finish();
                errors::internal(format!(
                    "the aggregate variables' query failed (SPI code {rc})"
                ));
            }
            let table = pg_sys::SPI_tuptable;
            let n = pg_sys::SPI_processed as usize;
            let tupdesc = (*table).tupdesc;
            for i in 0..n {
                let tuple = *(*table).vals.add(i);
                let mut null = false;
                let column =
                    |c: i32, null: &mut bool| pg_sys::SPI_getbinval(tuple, tupdesc, c, null);
                let event_type = text_of(datum::text_bytes(column(1, &mut null)));
                let us = column(2, &mut null).value() as i64;
                let vars = column(3, &mut null);
                let mut offsets = Offsets::new();
                let variables = if null {
                    None
                } else {
                    ObjectIndex::new(Container::new(datum::jsonb_body(vars)), &mut offsets)
                };
                let label = column(4, &mut null);
                let label = (!null).then(|| text_of(datum::text_bytes(label)));
                // a label assigned after the scored event's time was not known then
                let labelled = column(5, &mut null).value() as i64;
                let label = label.filter(|_| !null && labelled <= to_us);
                each(&Row {
                    event_type,
                    us,
                    label,
                    variables,
                });
            }
            pg_sys::SPI_finish();
        }
    })
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

    /// The variables an expression names with `$name`, in order of first appearance (none
    /// when it does not parse): what may not be deleted while a rule uses it.
    #[pg_extern(immutable, parallel_safe, strict, name = "_expression_variables")]
    pub fn expression_variables(expression: &str) -> Vec<String> {
        fraud_engine::parser::parse(expression)
            .map(|e| e.references().0)
            .unwrap_or_default()
    }
}
