//! fraud_score_trigger(): a BEFORE INSERT OR UPDATE row trigger that scores NEW and writes the
//! outcomes (text[]) and optionally the full prediction (jsonb) into columns of NEW.
//!
//! Arguments: detector id, outcomes column, then optionally the result column (positional,
//! '' for none), then options `reject=<outcome>[,<outcome>...]` (raise an error instead of
//! storing a row whose outcomes include one of these) and `version=<detector version id>`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ffi::CStr;
use std::rc::Rc;

use rustc_hash::FxHashMap;
use smallvec::{smallvec, SmallVec};

use pgrx::prelude::*;
use pgrx::{pg_sys, PgSqlErrorCode, PgTupleDesc};

use fraud_engine::detector::Variable;
use fraud_engine::value::{self, DataType, Value};

use crate::errors::{self, raise};
use crate::{cache, datum};

struct Args {
    /// the trigger's arguments as given (pg_trigger.tgargs), to tell a replaced trigger
    given: Vec<String>,
    detector_id: String,
    outcomes_column: String,
    result_column: Option<String>,
    reject: Vec<String>,
    version: Option<String>,
}

fn parse_args(args: Vec<String>) -> Args {
    let usage = "fraud_score_trigger(detector_id, outcomes_column [, result_column] [, 'reject=<outcome>,...'] [, 'version=<id>'])";
    if args.len() < 2 {
        raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            format!("too few trigger arguments; usage: {usage}"),
        );
    }
    let mut a = Args {
        given: args.clone(),
        detector_id: args[0].clone(),
        outcomes_column: args[1].clone(),
        result_column: None,
        reject: vec![],
        version: None,
    };
    for (i, arg) in args.iter().enumerate().skip(2) {
        match arg.split_once('=') {
            Some(("reject", list)) => {
                a.reject = list
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            Some(("version", v)) => a.version = Some(v.trim().to_string()),
            None if i == 2 => a.result_column = (!arg.is_empty()).then(|| arg.clone()),
            _ => raise(
                PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                format!("unknown trigger argument '{arg}'; usage: {usage}"),
            ),
        }
    }
    a
}

/// 0-based attribute index of a live column.
unsafe fn column(tupdesc: pg_sys::TupleDesc, name: &str) -> Option<(usize, pg_sys::Oid)> {
    let natts = (*tupdesc).natts as usize;
    let attrs = (*tupdesc).attrs.as_slice(natts);
    attrs.iter().enumerate().find_map(|(i, a)| {
        let n = CStr::from_ptr(a.attname.data.as_ptr());
        (!a.attisdropped && n.to_bytes() == name.as_bytes()).then_some((i, a.atttypid))
    })
}

/// A column value read as the variable's type: native fast paths for the common types, the
/// type's text form for the rest.
///
/// # Safety
/// `d` must be a non-NULL datum of type `typ`, alive for `'a`.
unsafe fn read<'a>(
    var: &'a Variable,
    d: pg_sys::Datum,
    typ: pg_sys::Oid,
) -> Result<Value<'a>, fraud_engine::Error> {
    let (name, t) = (var.name.as_str(), var.data_type);
    match typ {
        pg_sys::TEXTOID | pg_sys::VARCHAROID | pg_sys::BPCHAROID => {
            match datum::text_of(datum::text_bytes(d)) {
                Cow::Borrowed(s) => value::from_str(name, t, s),
                Cow::Owned(s) => value::from_str(name, t, &s).map(Value::into_owned),
            }
        }
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID => {
            let i = match typ {
                pg_sys::INT2OID => datum::by_value::<i16>(d) as i64,
                pg_sys::INT4OID => datum::by_value::<i32>(d) as i64,
                _ => datum::by_value::<i64>(d),
            };
            match t {
                DataType::Integer => Ok(Value::Int(i)),
                DataType::Float => Ok(Value::Float(i as f64)),
                DataType::String => Ok(Value::Str(Cow::Owned(i.to_string()))),
                _ => value::from_str(name, t, &i.to_string()).map(Value::into_owned),
            }
        }
        pg_sys::FLOAT4OID | pg_sys::FLOAT8OID if t != DataType::String => {
            let f = if typ == pg_sys::FLOAT4OID {
                datum::by_value::<f32>(d) as f64
            } else {
                datum::by_value::<f64>(d)
            };
            value::from_f64(name, t, f)
        }
        pg_sys::NUMERICOID if t != DataType::String => {
            // an error shows the column's exact value, not the nearest f64
            value::from_number(name, t, datum::numeric_datum_f64(d), || {
                datum::output_text(d, typ)
            })
        }
        pg_sys::BOOLOID => value::from_bool(name, t, datum::by_value::<bool>(d)),
        pg_sys::TIMESTAMPTZOID | pg_sys::TIMESTAMPOID if t == DataType::DateTime => {
            Ok(Value::DateTime(datum::timestamp_datum_millis(d)))
        }
        pg_sys::DATEOID if t == DataType::DateTime => {
            Ok(Value::DateTime(datum::date_datum_millis(d)))
        }
        _ => value::from_str(name, t, &datum::output_text(d, typ)).map(Value::into_owned),
    }
}

/// Whether `args` were parsed from the arguments `trigger` has now: `CREATE OR REPLACE
/// TRIGGER` gives a trigger new arguments under the same OID.
///
/// # Safety
/// `trigger` must be a firing trigger's `Trigger`.
unsafe fn same_args(args: &Args, trigger: *const pg_sys::Trigger) -> bool {
    let n = (*trigger).tgnargs.max(0) as usize;
    n == args.given.len()
        && args.given.iter().enumerate().all(|(i, given)| {
            CStr::from_ptr(*(*trigger).tgargs.add(i)).to_bytes() == given.as_bytes()
        })
}

/// Where a trigger's variables and outputs are in one relation's rows.
struct Mapping {
    /// the arguments it was built for; holding them keeps their address from being reused,
    /// so a mapping built for replaced arguments is told apart by address
    args: Rc<Args>,
    /// per slot: 0-based attribute index and type, or None (the variable's default)
    slots: Vec<Option<(usize, pg_sys::Oid)>>,
    outcomes: i32,
    result: Option<i32>,
    /// (index, name, type) of every mapped column, re-checked on each row so a renamed,
    /// dropped or retyped column (ALTER TABLE ... TYPE keeps its number and name) is never
    /// read by a stale mapping
    names: Vec<(usize, String, pg_sys::Oid)>,
}

thread_local! {
    /// parsed arguments by trigger OID, checked against the trigger's arguments on each row
    static ARGS: RefCell<FxHashMap<pg_sys::Oid, Rc<Args>>> = RefCell::new(FxHashMap::default());
    /// mappings by (compiled version's build id, relation, trigger): a build id is never
    /// reused, where the address of a freed version can be
    static MAPPINGS: RefCell<FxHashMap<(u64, pg_sys::Oid, pg_sys::Oid), Rc<Mapping>>> = RefCell::new(FxHashMap::default());
}

/// Whether attribute `i` is a live column named `name` of type `typ` (checked on every row:
/// compares the fixed-size NameData in place, no strlen).
unsafe fn is_column(tupdesc: pg_sys::TupleDesc, i: usize, name: &[u8], typ: pg_sys::Oid) -> bool {
    let attrs = (*tupdesc).attrs.as_slice((*tupdesc).natts as usize);
    match attrs.get(i) {
        Some(a) if !a.attisdropped && a.atttypid == typ => {
            // SAFETY: NameData is NAMEDATALEN c_chars, NUL-padded after the name
            let data = std::slice::from_raw_parts(
                a.attname.data.as_ptr() as *const u8,
                a.attname.data.len(),
            );
            name.len() < data.len() && &data[..name.len()] == name && data[name.len()] == 0
        }
        _ => false,
    }
}

/// Computes the aggregate slots of a row scored now: grouped by a variable, the key is the
/// column of that name (as its text); by an entity type, the id of that type in a jsonb column
/// `entities` ([{"entityType", "entityId"}]), as stored events keep them.
///
/// # Safety
/// `values` and `nulls` are the deformed row of `tupdesc`.
/// The scores of the version's models for a row: their inputs read from the columns named as
/// the variables (a missing column or NULL is a missing value), at the statement's time. A
/// history-reading model sees the history of the row's `entities` column, if it has one.
unsafe fn model_scores(
    compiled: &cache::Compiled,
    tupdesc: pg_sys::TupleDesc,
    values: &[pg_sys::Datum],
    nulls: &[bool],
) -> crate::predict::Scores {
    let mut scores = crate::predict::Scores::new();
    let now = crate::aggregate::At::now();
    for m in &compiled.models {
        let inputs: SmallVec<[Value; 16]> = m
            .inputs
            .iter()
            .map(|var| match column(tupdesc, &var.name) {
                Some((i, _)) if nulls[i] => Value::Null,
                Some((i, typ)) => {
                    read(var, values[i], typ).unwrap_or_else(|e| errors::bad_value(&e))
                }
                None => Value::Null,
            })
            .collect();
        let entities = column(tupdesc, "entities")
            .filter(|&(i, typ)| !nulls[i] && typ == pg_sys::JSONBOID)
            .map(|(i, _)| crate::jsonb::Container::new(datum::jsonb_body(values[i])));
        let now_ms = datum::timestamp_millis(now.us);
        scores.push(crate::history::with_row(m, entities, &now, |past| {
            crate::predict::score_model(m, &inputs, past, now_ms)
        }));
    }
    scores
}

/// Calls the version's external models for a row: the row's columns named as the event
/// type's variables, as text, are the event they see (src/model.rs). Their outputs are
/// appended to `outputs`; returns each call's argument and result.
unsafe fn external_calls(
    compiled: &cache::Compiled,
    tupdesc: pg_sys::TupleDesc,
    values: &[pg_sys::Datum],
    nulls: &[bool],
    outputs: &mut SmallVec<[Value<'static>; 8]>,
) -> Vec<(serde_json::Value, serde_json::Value)> {
    if compiled.externals.is_empty() {
        return Vec::new();
    }
    let mut row = serde_json::Map::new();
    for v in &compiled.detector.variables {
        if let Some((i, typ)) = column(tupdesc, &v.name).filter(|&(i, _)| !nulls[i]) {
            row.insert(
                v.name.clone(),
                serde_json::Value::String(datum::output_text(values[i], typ)),
            );
        }
    }
    let d = datum::jsonb_datum(&serde_json::Value::Object(row));
    let mut buffers = crate::event_input::EventBuffers::default();
    let ev = crate::event_input::Event::open(datum::jsonb_body(d), &mut buffers);
    let mut calls = Vec::with_capacity(compiled.externals.len());
    for x in &compiled.externals {
        let input = crate::model::external_input(compiled, x, &ev);
        let result = crate::model::call_external(x, &input);
        outputs.extend(crate::model::external_outputs(x, &result));
        calls.push((input, result));
    }
    calls
}

unsafe fn aggregate_slots(
    compiled: &cache::Compiled,
    tupdesc: pg_sys::TupleDesc,
    values: &[pg_sys::Datum],
    nulls: &[bool],
    slots: &mut [Value<'_>],
) {
    use fraud_engine::aggregate::GroupBy;
    let key_of = |g: &GroupBy| -> Option<Cow<'static, str>> {
        let name = match g {
            GroupBy::Variable(v) => v.as_str(),
            GroupBy::Entity(_) => "entities",
        };
        let (i, typ) = column(tupdesc, name).filter(|&(i, _)| !nulls[i])?;
        match g {
            GroupBy::Variable(_) => Some(Cow::Owned(datum::output_text(values[i], typ))),
            GroupBy::Entity(t) if typ == pg_sys::JSONBOID => crate::aggregate::entity_id(
                crate::jsonb::Container::new(datum::jsonb_body(values[i])),
                t,
            ),
            GroupBy::Entity(_) => None,
        }
    };
    crate::aggregate::fill(
        &compiled.detector,
        slots,
        key_of,
        crate::aggregate::At::now(),
        &crate::predict::context(),
    );
}

unsafe fn build_mapping(
    compiled: &cache::Compiled,
    args: &Rc<Args>,
    tupdesc: pg_sys::TupleDesc,
) -> Mapping {
    let target = |name: &str, want: pg_sys::Oid, what: &str| -> i32 {
        match column(tupdesc, name) {
            Some((i, typ)) if typ == want => i as i32 + 1,
            Some(_) => raise(
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!("fraud_score_trigger: column \"{name}\" must be of type {what}"),
            ),
            None => raise(
                PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
                format!("fraud_score_trigger: column \"{name}\" does not exist"),
            ),
        }
    };
    let outcomes = target(&args.outcomes_column, pg_sys::TEXTARRAYOID, "text[]");
    let result = args
        .result_column
        .as_ref()
        .map(|rc| target(rc, pg_sys::JSONBOID, "jsonb"));
    // an aggregate's slot is computed, never read from a column of its name
    let slots: Vec<_> = compiled
        .detector
        .slots
        .iter()
        .zip(&compiled.detector.slot_aggregates)
        .map(|(v, a)| a.is_none().then(|| column(tupdesc, &v.name)).flatten())
        .collect();
    let mut names: Vec<(usize, String, pg_sys::Oid)> = slots
        .iter()
        .zip(&compiled.detector.slots)
        .filter_map(|(s, v)| s.map(|(i, typ)| (i, v.name.clone(), typ)))
        .collect();
    names.push((
        outcomes as usize - 1,
        args.outcomes_column.clone(),
        pg_sys::TEXTARRAYOID,
    ));
    if let (Some(r), Some(rc)) = (result, &args.result_column) {
        names.push((r as usize - 1, rc.clone(), pg_sys::JSONBOID));
    }
    Mapping {
        args: args.clone(),
        slots,
        outcomes,
        result,
        names,
    }
}

/// `fraud_score_trigger()`'s C symbol, as every release names it: refuses a call that is not
/// a trigger firing (a plain `SELECT fraud_score_trigger()`) with 39P01 before pgrx's trigger
/// wrapper, which would report it as an internal error, sees it.
#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn fraud_score_trigger_wrapper(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    let context = if fcinfo.is_null() {
        std::ptr::null_mut()
    } else {
        (*fcinfo).context
    };
    if context.is_null() || (*context).type_ != pg_sys::NodeTag::T_TriggerData {
        raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            "fraud_score_trigger can only be called as a trigger (CREATE TRIGGER ... EXECUTE FUNCTION fraud_score_trigger(...))"
                .to_string(),
        );
    }
    fraud_score_trigger_body_wrapper(fcinfo)
}

#[no_mangle]
#[doc(hidden)]
pub extern "C" fn pg_finfo_fraud_score_trigger_wrapper() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[pg_trigger(sql = r#"
CREATE FUNCTION fraud_score_trigger() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'fraud_score_trigger_wrapper';
"#)]
fn fraud_score_trigger_body<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let _entry = errors::UserEntry::enter();
    let td = trigger.trigger_data();
    let event = td.tg_event;
    let row_level = event & pg_sys::TRIGGER_EVENT_ROW != 0;
    let before = event & pg_sys::TRIGGER_EVENT_TIMINGMASK == pg_sys::TRIGGER_EVENT_BEFORE;
    let op = event & pg_sys::TRIGGER_EVENT_OPMASK;
    if !row_level
        || !before
        || !(op == pg_sys::TRIGGER_EVENT_INSERT || op == pg_sys::TRIGGER_EVENT_UPDATE)
    {
        raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            "fraud_score_trigger must be fired BEFORE INSERT OR UPDATE ... FOR EACH ROW"
                .to_string(),
        );
    }
    // SAFETY: a firing trigger's Trigger struct.
    let (tgoid, tgfoid) = unsafe { ((*td.tg_trigger).tgoid, (*td.tg_trigger).tgfoid) };
    // PostgreSQL checks a trigger function's EXECUTE only at CREATE TRIGGER; scoring is checked
    // on every row for the role inserting it (docs/security.md)
    crate::security::check_execute(tgfoid);
    let args = ARGS
        .with(|m| m.borrow().get(&tgoid).cloned())
        // SAFETY: as above.
        .filter(|a| unsafe { same_args(a, td.tg_trigger) })
        .unwrap_or_else(|| {
            let a = Rc::new(parse_args(trigger.extra_args().unwrap_or_default()));
            ARGS.with(|m| m.borrow_mut().insert(tgoid, a.clone()));
            a
        });
    let compiled = cache::get(&args.detector_id, args.version.as_deref());
    // SAFETY: a row-level BEFORE INSERT/UPDATE trigger: the relation, its descriptor and the
    // new tuple are valid for this call.
    unsafe {
        let tuple = if op == pg_sys::TRIGGER_EVENT_INSERT {
            td.tg_trigtuple
        } else {
            td.tg_newtuple
        };
        let relid = (*td.tg_relation).rd_id;
        let tupdesc = (*td.tg_relation).rd_att;
        let key = (compiled.build_id, relid, tgoid);
        let cached = MAPPINGS.with(|m| m.borrow().get(&key).cloned());
        let mapping = match cached {
            Some(m)
                if Rc::ptr_eq(&m.args, &args)
                    && m.names
                        .iter()
                        .all(|(i, n, t)| is_column(tupdesc, *i, n.as_bytes(), *t)) =>
            {
                m
            }
            _ => {
                let m = Rc::new(build_mapping(&compiled, &args, tupdesc));
                MAPPINGS.with(|all| {
                    let mut all = all.borrow_mut();
                    if all.len() > 1024 {
                        all.clear();
                    }
                    all.insert(key, m.clone());
                });
                m
            }
        };
        // one deform: the slots are read from it and the new tuple is formed from it with the
        // outputs replaced (heap_modify_tuple_by_cols would deform the row a second time)
        let natts = (*tupdesc).natts as usize;
        let mut values: SmallVec<[pg_sys::Datum; 32]> = smallvec![pg_sys::Datum::null(); natts];
        let mut nulls: SmallVec<[bool; 32]> = smallvec![false; natts];
        pg_sys::heap_deform_tuple(tuple, tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());

        let mut slots: SmallVec<[Value; 16]> =
            SmallVec::with_capacity(compiled.detector.slots.len());
        for (var, at) in compiled.detector.slots.iter().zip(&mapping.slots) {
            let v = match *at {
                None => var.default.clone(),
                Some((i, _)) if nulls[i] => Value::Null,
                Some((i, typ)) => {
                    read(var, values[i], typ).unwrap_or_else(|e| errors::bad_value(&e))
                }
            };
            slots.push(v);
        }
        if !compiled.detector.key_groups.is_empty() {
            aggregate_slots(&compiled, tupdesc, &values, &nulls, &mut slots);
        }
        let scores = model_scores(&compiled, tupdesc, &values, &nulls);
        let mut outputs: SmallVec<[Value<'static>; 8]> =
            scores.iter().map(|s| Value::Float(*s)).collect();
        let calls = external_calls(&compiled, tupdesc, &values, &nulls, &mut outputs);
        crate::predict::fill_outputs(&compiled, &outputs, &mut slots);
        let (outcomes, result) = crate::predict::run(&compiled, &slots, &scores, calls, |trace| {
            if !args.reject.is_empty() {
                for &i in &trace.matched {
                    let rule = &compiled.detector.rules[i];
                    if let Some(hit) = rule.outcomes.iter().find(|o| args.reject.contains(o)) {
                        errors::raise_detail(
                            PgSqlErrorCode::ERRCODE_CHECK_VIOLATION,
                            format!(
                                "row rejected by detector {}: outcome '{}'",
                                compiled.detector_id, hit
                            ),
                            format!(
                                "rule {} version {} of detector version {} matched",
                                rule.rule_id, rule.rule_version, compiled.version_id
                            ),
                        );
                    }
                }
            }
            (
                crate::predict::outcomes_datum(&compiled, trace),
                mapping
                    .result
                    .map(|_| crate::predict::prediction_datum(&compiled, trace)),
            )
        });

        values[mapping.outcomes as usize - 1] = outcomes;
        nulls[mapping.outcomes as usize - 1] = false;
        if let (Some(rc), Some(result)) = (mapping.result, result) {
            values[rc as usize - 1] = result;
            nulls[rc as usize - 1] = false;
        }
        drop(slots);
        let modified = pg_sys::heap_form_tuple(tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());
        // as heap_modify_tuple_by_cols does: the new tuple keeps the row's identity
        (*(*modified).t_data).t_ctid = (*(*tuple).t_data).t_ctid;
        (*modified).t_self = (*tuple).t_self;
        (*modified).t_tableOid = (*tuple).t_tableOid;
        Ok(Some(PgHeapTuple::from_heap_tuple(
            PgTupleDesc::from_pg_unchecked(tupdesc),
            modified,
        )))
    }
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud_score_trigger() IS 'BEFORE INSERT OR UPDATE row trigger: scores NEW and writes the outcomes to a text[] column and optionally fraud_predict''s result to a jsonb one. Arguments: detector_id, outcomes_column[, result_column][, ''reject=o1,o2''][, ''version=n'']. Errors: 23514 rejected; 39P01 misuse; 42703, 42804 bad column.';"#,
    name = "comment_fraud_score_trigger",
    requires = [fraud_score_trigger_body]
);
