//! Raw datums and varlenas in one place: every unsafe read of a PostgreSQL datum's bytes and
//! every datum built by hand lives here, each with the condition that makes it sound. Callers
//! stay in safe Rust apart from promising a datum's type (the `# Safety` sections).
//!
//! Varlena headers are read with PostgreSQL's own macros as pgrx exposes them
//! (`pgrx::varlena`: `VARATT_IS_4B_U`, `VARSIZE_ANY`, `VARDATA_ANY`, ...), never by hand.

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{CStr, CString};

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::nullable::Nullable;
use pgrx::varlena::{varatt_is_4b_u, varlena_to_byte_slice, varsize_any};
use pgrx::{pg_sys, FromDatum, IntoDatum};
use serde_json::Value as Json;

use crate::errors;

/// 2000-01-01 (PostgreSQL's timestamp and date epoch) in Unix epoch milliseconds.
const PG_EPOCH_MS: i64 = 946_684_800_000;

/// A jsonb datum passed through untouched (pgrx's `JsonB` goes through text both ways).
pub struct Jsonb(pub pg_sys::Datum);

impl FromDatum for Jsonb {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(Jsonb(datum))
    }
}

impl IntoDatum for Jsonb {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

pgrx::impl_sql_translatable!(Jsonb, "jsonb");

// SAFETY (both impls): the datum is handed to and from PostgreSQL untouched.
unsafe impl<'fcx> ArgAbi<'fcx> for Jsonb {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        arg.unbox_arg_using_from_datum()
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        arg.unbox_arg_using_from_datum().into()
    }
}

unsafe impl BoxRet for Jsonb {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        fcinfo.return_raw_datum(self.0)
    }
}

/// A `text[]` datum rendered once and copied out.
pub struct TextArray(pub pg_sys::Datum);

impl IntoDatum for TextArray {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::TEXTARRAYOID
    }
}

pgrx::impl_sql_translatable!(TextArray, "text[]");

// SAFETY: the datum is a text[] built in the current memory context (`text_array_datum`).
unsafe impl BoxRet for TextArray {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        fcinfo.return_raw_datum(self.0)
    }
}

/// A row of the composite type a function is declared to return, built from its columns'
/// datums (`None`: NULL). Used for `fraud.scored`, so that one call can hand SQL several
/// answers about one event.
pub struct CompositeRow<const N: usize>(pub [Option<pg_sys::Datum>; N]);

// SAFETY: the columns are datums of the declared column types, valid for this call;
// heap_form_tuple copies them into the returned tuple.
unsafe impl<const N: usize> BoxRet for CompositeRow<N> {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        let raw = fcinfo.as_mut_ptr();
        let flinfo = (*raw).flinfo;
        // The blessed descriptor of the declared result type, made once per call site and
        // kept in fn_extra (which PostgreSQL frees with the call site's memory context).
        let mut desc = (*flinfo).fn_extra as pg_sys::TupleDesc;
        if desc.is_null() {
            let mut declared: pg_sys::TupleDesc = std::ptr::null_mut();
            let class = pg_sys::get_call_result_type(raw, std::ptr::null_mut(), &mut declared);
            if class != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || (*declared).natts as usize != N
            {
                errors::internal(format!(
                    "a function returning {N} columns is declared with another result type"
                ));
            }
            let old = pg_sys::MemoryContextSwitchTo((*flinfo).fn_mcxt);
            desc = pg_sys::BlessTupleDesc(pg_sys::CreateTupleDescCopy(declared));
            pg_sys::MemoryContextSwitchTo(old);
            (*flinfo).fn_extra = desc.cast();
        }
        let mut values = [pg_sys::Datum::null(); N];
        let mut nulls = [true; N];
        for (i, d) in self.0.into_iter().enumerate() {
            if let Some(d) = d {
                values[i] = d;
                nulls[i] = false;
            }
        }
        let tuple = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), nulls.as_mut_ptr());
        fcinfo.return_raw_datum(pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data))
    }
}

/// The body of a jsonb datum: the bytes after its 4-byte header, from the root container's
/// header on (the layout src/jsonb.rs reads).
///
/// # Safety
/// `d` must be a non-NULL jsonb datum that outlives `'a`.
pub unsafe fn jsonb_body<'a>(d: pg_sys::Datum) -> &'a [u8] {
    let raw = d.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: `raw` points at a varlena (the caller's promise). A plain 4-byte-header varlena
    // (VARATT_IS_4B_U: not short, compressed or external; the usual case for a column value)
    // is already what pg_detoast_datum would return, so the FFI call is skipped for it;
    // anything else is detoasted into a palloc'd copy with a 4-byte header, which lives as
    // long as the current memory context, at least this call.
    let jb = if varatt_is_4b_u(raw) {
        raw
    } else {
        pg_sys::pg_detoast_datum(raw)
    };
    // SAFETY: `jb` is an untoasted 4-byte-header varlena; VARDATA_ANY / VARSIZE_ANY_EXHDR
    // bound its data.
    varlena_to_byte_slice(jb)
}

/// A varlena datum's bytes, header included, in place (a short 1-byte header is kept: the
/// numeric reader takes either).
///
/// # Safety
/// `d` must be a non-NULL varlena datum that outlives `'a`.
unsafe fn packed_varlena<'a>(d: pg_sys::Datum) -> &'a [u8] {
    // SAFETY: pg_detoast_datum_packed returns the datum itself or a palloc'd, untoasted copy
    // (1- or 4-byte header); VARSIZE_ANY of that is its whole length, header included.
    let p = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
    std::slice::from_raw_parts(p as *const u8, varsize_any(p))
}

/// The characters of a text / varchar / bpchar datum (no header, not NUL-terminated).
///
/// # Safety
/// `d` must be a non-NULL datum of a text-like type that outlives `'a`.
pub unsafe fn text_bytes<'a>(d: pg_sys::Datum) -> &'a [u8] {
    // SAFETY: as `packed_varlena`; VARDATA_ANY / VARSIZE_ANY_EXHDR bound the characters of a
    // 1- or 4-byte-header varlena.
    let p = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
    varlena_to_byte_slice(p)
}

/// A numeric datum as f64 (NaN when it has no f64 value the native reader gives).
///
/// # Safety
/// `d` must be a non-NULL numeric datum.
pub unsafe fn numeric_datum_f64(d: pg_sys::Datum) -> f64 {
    // SAFETY: a numeric is a varlena (the caller's promise); the bytes are read before return.
    crate::jsonb::numeric_f64(packed_varlena(d)).unwrap_or(f64::NAN)
}

/// A numeric's exact text, through PostgreSQL's numeric_out.
///
/// # Safety
/// `numeric` must be a whole numeric varlena, header included (as jsonb stores numerics).
pub unsafe fn numeric_text(numeric: &[u8]) -> String {
    // SAFETY: the bytes are a numeric varlena (the caller's promise), alive for this call;
    // numeric_out returns a palloc'd C string, copied out here.
    pgrx::direct_function_call::<&CStr>(
        pg_sys::numeric_out,
        &[Some(pg_sys::Datum::from(numeric.as_ptr()))],
    )
    .map(|c| c.to_string_lossy().into_owned())
    .unwrap_or_else(|| errors::internal("numeric_out returned NULL".to_string()))
}

/// A non-NULL by-value datum (int2, int4, int8, float4, float8, bool) as its Rust type.
///
/// # Safety
/// `d` must be a non-NULL datum of the SQL type matching `T`.
pub unsafe fn by_value<T: FromDatum>(d: pg_sys::Datum) -> T {
    // SAFETY: pgrx's FromDatum of a by-value type reads the datum word itself.
    T::from_datum(d, false).unwrap_or_else(|| {
        errors::internal(format!(
            "a non-NULL datum read as NULL ({})",
            std::any::type_name::<T>()
        ))
    })
}

/// PostgreSQL timestamp (microseconds since 2000-01-01) to Unix epoch milliseconds.
pub fn timestamp_millis(ts: pg_sys::TimestampTz) -> i64 {
    ts.div_euclid(1000) + PG_EPOCH_MS
}

/// Unix epoch milliseconds as a PostgreSQL timestamp (microseconds since 2000-01-01); None
/// outside i64.
pub fn millis_timestamp(ms: i64) -> Option<pg_sys::TimestampTz> {
    ms.checked_sub(PG_EPOCH_MS)?.checked_mul(1000)
}

/// A timestamp or timestamptz datum as Unix epoch milliseconds.
///
/// # Safety
/// `d` must be a non-NULL timestamp or timestamptz datum.
pub unsafe fn timestamp_datum_millis(d: pg_sys::Datum) -> i64 {
    timestamp_millis(d.value() as i64)
}

/// A date datum (days since 2000-01-01) as Unix epoch milliseconds of its midnight, UTC.
///
/// # Safety
/// `d` must be a non-NULL date datum.
pub unsafe fn date_datum_millis(d: pg_sys::Datum) -> i64 {
    d.value() as i32 as i64 * 86_400_000 + PG_EPOCH_MS
}

/// Any datum's text form, through its type's output function.
///
/// # Safety
/// `d` must be a non-NULL datum of type `typ`.
pub unsafe fn output_text(d: pg_sys::Datum, typ: pg_sys::Oid) -> String {
    let mut out: pg_sys::Oid = pg_sys::InvalidOid;
    let mut varlena = false;
    // SAFETY: getTypeOutputInfo raises an ERROR for an unknown type; OidOutputFunctionCall
    // returns a palloc'd C string for a datum of that type (the caller's promise).
    pg_sys::getTypeOutputInfo(typ, &mut out, &mut varlena);
    CStr::from_ptr(pg_sys::OidOutputFunctionCall(out, d))
        .to_string_lossy()
        .into_owned()
}

/// A text datum of `s`, palloc'd in the current memory context.
pub fn text_datum(s: &str) -> pg_sys::Datum {
    pg_sys::Datum::from(pgrx::rust_str_to_text_p(s).into_pg())
}

/// A jsonb datum of `value`, through jsonb_in, in the current memory context.
pub fn jsonb_datum(value: &Json) -> pg_sys::Datum {
    // serde_json escapes U+0000 as \u0000, so its text has no NUL byte
    let text = CString::new(value.to_string())
        .unwrap_or_else(|_| errors::internal("JSON text with a NUL byte".to_string()));
    // SAFETY: jsonb_in on a valid, NUL-terminated C string alive for the call.
    unsafe {
        pgrx::direct_function_call_as_datum(
            pg_sys::jsonb_in,
            &[Some(pg_sys::Datum::from(text.as_ptr()))],
        )
    }
    .unwrap_or_else(|| errors::internal("jsonb_in returned NULL".to_string()))
}

/// A text[] datum of `items`, in the current memory context.
pub fn text_array_datum(items: Vec<String>) -> pg_sys::Datum {
    items
        .into_datum()
        .unwrap_or_else(|| errors::internal("text[] construction returned NULL".to_string()))
}

/// A copy of a varlena datum's bytes (header included) in Rust memory, to outlive the datum.
///
/// # Safety
/// `d` must be a non-NULL, untoasted varlena datum (what `jsonb_datum` and `text_array_datum`
/// build).
pub unsafe fn varlena_copy(d: pg_sys::Datum) -> Box<[u8]> {
    let p = d.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: VARSIZE_ANY of an untoasted varlena is its whole length, header included.
    std::slice::from_raw_parts(p as *const u8, varsize_any(p)).into()
}

/// A palloc'd copy of bytes `varlena_copy` took, as a datum of the current memory context.
///
/// # Safety
/// `bytes` must be a whole varlena (header included), as `varlena_copy` returns; palloc keeps
/// the alignment a 4-byte header needs.
pub unsafe fn varlena_datum(bytes: &[u8]) -> pg_sys::Datum {
    // The unguarded allocation returns NULL instead of raising when memory runs out (every
    // scored event comes here: the guard's sigsetjmp is a tenth of a short call); then the
    // guarded palloc raises PostgreSQL's error.
    // SAFETY: the copy fills all of the allocation.
    let mut p = unguarded::MemoryContextAllocExtended(
        pg_sys::CurrentMemoryContext,
        bytes.len(),
        pg_sys::MCXT_ALLOC_NO_OOM as i32,
    ) as *mut u8;
    if p.is_null() {
        p = pg_sys::palloc(bytes.len()) as *mut u8;
    }
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
    pg_sys::Datum::from(p)
}

/// PostgreSQL functions that cannot raise an ERROR (they read backend globals), declared
/// without pgrx's guard: the guard costs a sigsetjmp per call, and these are called for every
/// scored event or row.
pub mod unguarded {
    extern "C" {
        pub fn GetCurrentStatementStartTimestamp() -> pgrx::pg_sys::TimestampTz;
        pub fn GetUserId() -> pgrx::pg_sys::Oid;
        /// with MCXT_ALLOC_NO_OOM and a size below 1 GB: NULL when out of memory, no ERROR
        pub fn MemoryContextAllocExtended(
            context: pgrx::pg_sys::MemoryContext,
            size: usize,
            flags: i32,
        ) -> *mut std::ffi::c_void;
    }
}

thread_local! {
    /// 1 = the database encoding is UTF-8 (text needs no re-validation), 2 = not, 0 = unknown.
    static UTF8_DB: Cell<u8> = const { Cell::new(0) };
}

pub fn utf8_database() -> bool {
    UTF8_DB.with(|c| {
        if c.get() == 0 {
            // SAFETY: reads backend state.
            let utf8 = unsafe { pg_sys::GetDatabaseEncoding() } == pg_sys::pg_enc::PG_UTF8 as i32;
            c.set(if utf8 { 1 } else { 2 });
        }
        c.get() == 1
    })
}

/// Text of a jsonb string or a text datum's bytes. In a UTF-8 database PostgreSQL guarantees
/// valid UTF-8.
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    if utf8_database() {
        // SAFETY: stored text is valid in the database encoding, here UTF-8.
        Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8_lossy(bytes)
    }
}
