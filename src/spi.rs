//! Catalog reads through SPI, always read-only: prediction functions are STABLE and parallel
//! safe, so they must never assign a transaction id or bump the command counter (pgrx's
//! `Spi::get_*` / `update` do both; its `select` does when the transaction has written).

use std::ffi::CStr;

use pgrx::pg_sys;

use crate::datum;

pub type Rows = Vec<Vec<Option<String>>>;

/// Runs `sql` with text parameters `$1..$n` and returns every column as text. Catalog reads
/// run as the extension's owner with a pinned search_path (src/security.rs): a caller needs
/// EXECUTE on the function that reads, never privileges on `fraud.*`.
pub fn query(sql: &CStr, args: &[Option<&str>]) -> Rows {
    crate::security::as_owner(|| query_here(sql, args))
}

fn query_here(sql: &CStr, args: &[Option<&str>]) -> Rows {
    let mut types: Vec<pg_sys::Oid> = vec![pg_sys::TEXTOID; args.len()];
    // a NULL parameter is marked 'n' in `nulls`; SPI ignores its value slot
    let mut values: Vec<pg_sys::Datum> = args
        .iter()
        .map(|a| a.map_or(pg_sys::Datum::null(), datum::text_datum))
        .collect();
    let nulls: Vec<std::ffi::c_char> = args
        .iter()
        .map(|a| if a.is_some() { b' ' } else { b'n' } as std::ffi::c_char)
        .collect();
    let mut rows = Rows::new();
    // SAFETY: a standard SPI session; every pointer read below belongs to SPI_tuptable, which
    // lives until SPI_finish, and is copied into Rust strings before that.
    unsafe {
        pg_sys::SPI_connect();
        let rc = pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            args.len() as i32,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            true,
            0,
        );
        if rc != pg_sys::SPI_OK_SELECT as i32 {
            pg_sys::SPI_finish();
            crate::errors::internal(format!(
                "fraud_detector catalog query failed (SPI code {rc})"
            ));
        }
        let table = pg_sys::SPI_tuptable;
        if !table.is_null() {
            let n = pg_sys::SPI_processed as usize;
            let tupdesc = (*table).tupdesc;
            let natts = (*tupdesc).natts;
            for i in 0..n {
                let tuple = *(*table).vals.add(i);
                let mut row = Vec::with_capacity(natts as usize);
                for col in 1..=natts {
                    let v = pg_sys::SPI_getvalue(tuple, tupdesc, col);
                    row.push(if v.is_null() {
                        None
                    } else {
                        Some(CStr::from_ptr(v).to_string_lossy().into_owned())
                    });
                }
                rows.push(row);
            }
        }
        pg_sys::SPI_finish();
    }
    rows
}
