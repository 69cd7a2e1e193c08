//! fraud_score_trigger(): a BEFORE INSERT OR UPDATE row trigger that scores NEW and writes the
//! outcomes (text[]) and optionally the full prediction (jsonb) into columns of NEW.
//!
//! Arguments: detector id, outcomes column, then optionally the result column (positional,
//! '' for none), then options `reject=<outcome>[,<outcome>...]` (raise an error instead of
//! storing a row whose outcomes include one of these) and `version=<detector version id>`.

use std::borrow::Cow;
use std::ffi::CStr;

use pgrx::prelude::*;
use pgrx::{pg_sys, FromDatum, IntoDatum, PgSqlErrorCode, PgTupleDesc};

use fraud_engine::detector::Variable;
use fraud_engine::value::{self, DataType, Value};

use crate::cache;
use crate::errors::{self, raise};

struct Args {
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

const PG_EPOCH_MS: i64 = 946_684_800_000;

/// A column value read as the variable's type: native fast paths for the common types, the
/// type's text form for the rest.
unsafe fn read<'a>(
    var: &'a Variable,
    d: pg_sys::Datum,
    typ: pg_sys::Oid,
) -> Result<Value<'a>, fraud_engine::Error> {
    let (name, t) = (var.name.as_str(), var.data_type);
    match typ {
        pg_sys::TEXTOID | pg_sys::VARCHAROID | pg_sys::BPCHAROID => {
            let s = <&str>::from_datum(d, false).unwrap_or("");
            value::from_str(name, t, s)
        }
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID => {
            let i = match typ {
                pg_sys::INT2OID => i16::from_datum(d, false).unwrap_or(0) as i64,
                pg_sys::INT4OID => i32::from_datum(d, false).unwrap_or(0) as i64,
                _ => i64::from_datum(d, false).unwrap_or(0),
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
                f32::from_datum(d, false).unwrap_or(0.0) as f64
            } else {
                f64::from_datum(d, false).unwrap_or(0.0)
            };
            value::from_f64(name, t, f)
        }
        pg_sys::NUMERICOID if t != DataType::String => {
            value::from_f64(name, t, crate::event::numeric_f64(d))
        }
        pg_sys::BOOLOID => value::from_bool(name, t, bool::from_datum(d, false).unwrap_or(false)),
        pg_sys::TIMESTAMPTZOID | pg_sys::TIMESTAMPOID if t == DataType::DateTime => Ok(
            Value::DateTime((d.value() as i64).div_euclid(1000) + PG_EPOCH_MS),
        ),
        pg_sys::DATEOID if t == DataType::DateTime => Ok(Value::DateTime(
            d.value() as i32 as i64 * 86_400_000 + PG_EPOCH_MS,
        )),
        _ => {
            let mut out: pg_sys::Oid = pg_sys::InvalidOid;
            let mut varlena = false;
            pg_sys::getTypeOutputInfo(typ, &mut out, &mut varlena);
            let text = CStr::from_ptr(pg_sys::OidOutputFunctionCall(out, d))
                .to_string_lossy()
                .into_owned();
            value::from_str(name, t, &text).map(Value::into_owned)
        }
    }
}

#[pg_trigger]
fn fraud_score_trigger<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
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
    let args = parse_args(trigger.extra_args().unwrap_or_default());
    let compiled = cache::get(&args.detector_id, args.version.as_deref());
    // SAFETY: a row-level BEFORE INSERT/UPDATE trigger: the relation, its descriptor and the
    // new tuple are valid for this call.
    unsafe {
        let tuple = if op == pg_sys::TRIGGER_EVENT_INSERT {
            td.tg_trigtuple
        } else {
            td.tg_newtuple
        };
        let tupdesc = (*td.tg_relation).rd_att;
        let natts = (*tupdesc).natts as usize;
        let mut values = vec![pg_sys::Datum::from(0usize); natts];
        let mut nulls = vec![false; natts];
        pg_sys::heap_deform_tuple(tuple, tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());

        let mut slots: Vec<Value> = Vec::with_capacity(compiled.detector.slots.len());
        for var in &compiled.detector.slots {
            let v = match column(tupdesc, &var.name) {
                None => var.default.clone(),
                Some((i, _)) if nulls[i] => Value::Null,
                Some((i, typ)) => {
                    read(var, values[i], typ).unwrap_or_else(|e| errors::bad_value(&e))
                }
            };
            slots.push(v);
        }
        let mut matched = Vec::new();
        compiled
            .detector
            .evaluate(&slots, &crate::predict::context(), &mut matched);
        let outcomes = crate::predict::outcomes_of(&compiled, &matched);

        if let Some(hit) = outcomes.iter().find(|o| args.reject.contains(o)) {
            let rule = matched
                .iter()
                .map(|&i| &compiled.detector.rules[i])
                .find(|r| r.outcomes.contains(hit));
            errors::raise_detail(
                PgSqlErrorCode::ERRCODE_CHECK_VIOLATION,
                format!(
                    "row rejected by detector {}: outcome '{}'",
                    compiled.detector_id, hit
                ),
                format!(
                    "rule {} version {} of detector version {} matched",
                    rule.map(|r| r.rule_id.as_str()).unwrap_or("?"),
                    rule.map(|r| r.rule_version.as_str()).unwrap_or("?"),
                    compiled.version_id
                ),
            );
        }

        let mut cols: Vec<i32> = Vec::new();
        let mut new_values: Vec<pg_sys::Datum> = Vec::new();
        let mut new_nulls: Vec<bool> = Vec::new();
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
        cols.push(target(
            &args.outcomes_column,
            pg_sys::TEXTARRAYOID,
            "text[]",
        ));
        new_values.push(outcomes.into_datum().unwrap_or(pg_sys::Datum::from(0usize)));
        new_nulls.push(false);
        if let Some(rc) = &args.result_column {
            cols.push(target(rc, pg_sys::JSONBOID, "jsonb"));
            new_values.push(crate::predict::prediction_datum(&compiled, &matched));
            new_nulls.push(false);
        }
        let modified = pg_sys::heap_modify_tuple_by_cols(
            tuple,
            tupdesc,
            cols.len() as i32,
            cols.as_mut_ptr(),
            new_values.as_mut_ptr(),
            new_nulls.as_mut_ptr(),
        );
        Ok(Some(PgHeapTuple::from_heap_tuple(
            PgTupleDesc::from_pg_unchecked(tupdesc),
            modified,
        )))
    }
}
