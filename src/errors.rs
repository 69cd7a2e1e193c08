//! Raising PostgreSQL errors with the SQLSTATEs of docs/sql-reference.md ("Errors"), plus
//! XX000 internal_error for what a consistent catalog and a working server never produce.
//!
//! A user-facing error (the caller's mistake: 22023, 42704, 55006, 23505, 42501, ...) shows its
//! message, DETAIL and HINT and nothing else: no CONTEXT lines naming the extension's internal
//! PL/pgSQL and SQL functions it passed through. PostgreSQL collects those lines when the
//! ERROR is finished (errfinish), by calling every callback on `error_context_stack`; so the
//! user-facing raise empties that stack right before reporting. That is safe: whoever catches
//! an ERROR (PostgreSQL's PG_TRY/PG_CATCH, which is what a PL/pgSQL `EXCEPTION` block and the
//! top level use, and pgrx's guard around calls into PostgreSQL) restores the stack it saved,
//! and each function's callback frame is popped by restoring its own saved `previous`. pgrx
//! reports a Rust ERROR by unwinding to the `#[pg_extern]` boundary and calling errstart /
//! errfinish there; nothing on the way touches the stack, so it is still empty then.
//! Internal errors (XX000) keep their context: it is what a bug report needs; so do errors of
//! the scoring functions users call from their own statements ([`UserEntry`]), whose context
//! is the user's (a COPY line, their function's line), not ours. The SQL
//! helpers of sql/support.sql (`fraud._invalid`, `_not_found`, ...) raise through
//! [`fraud::raise_sql`] (`fraud._raise`) for the same reason.

use std::cell::Cell;

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{pg_sys, PgLogLevel, PgSqlErrorCode};

use fraud_engine::{Error, ErrorKind};

thread_local! {
    static USER_ENTRY: Cell<bool> = const { Cell::new(false) };
}

/// Marks a call of a function users call straight from their own statements (fraud_predict,
/// fraud_outcomes, fraud_explain, the score trigger): nothing of ours sits on the error context
/// stack above it, so its errors keep the caller's CONTEXT lines (the line of a COPY that the
/// score trigger rejected, the line of the user's own PL/pgSQL function). Restored on drop,
/// unwinding included.
pub struct UserEntry(bool);

impl UserEntry {
    pub fn enter() -> UserEntry {
        UserEntry(USER_ENTRY.with(|u| u.replace(true)))
    }
}

impl Drop for UserEntry {
    fn drop(&mut self) {
        USER_ENTRY.with(|u| u.set(self.0));
    }
}

/// Reports an ERROR; for anything but XX000, and outside a [`UserEntry`], without CONTEXT
/// lines (see the module comment).
fn report(
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
) -> ! {
    let mut report = ErrorReport::new(code, message, "fraud_detector");
    if let Some(detail) = detail {
        report = report.set_detail(detail);
    }
    if let Some(hint) = hint {
        report = report.set_hint(hint);
    }
    if code != PgSqlErrorCode::ERRCODE_INTERNAL_ERROR && !USER_ENTRY.with(Cell::get) {
        // SAFETY: a backend global read by errfinish and saved / restored by every error
        // handler (module comment); NULL is its value at the top level.
        unsafe { pg_sys::error_context_stack = std::ptr::null_mut() };
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

pub fn raise(code: PgSqlErrorCode, message: String) -> ! {
    report(code, message, None, None)
}

pub fn raise_detail(code: PgSqlErrorCode, message: String, detail: String) -> ! {
    report(code, message, Some(detail), None)
}

pub fn not_found(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, message)
}

pub fn invalid(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, message)
}

/// XX000: a catalog query that failed, a catalog row the constraints should have refused, a
/// PostgreSQL function that returned what it never returns. Not the caller's mistake, so it
/// keeps its CONTEXT lines.
pub fn internal(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message)
}

/// An engine error about a rule expression: 42601 for syntax, 54000 for a rule past an engine
/// limit (a regex's compiled size), 22023 otherwise; the DETAIL shows the expression (or the
/// part around the position) with a caret under the position.
pub fn rule_error(context: &str, expression: &str, e: &Error) -> ! {
    let code = match e.kind {
        ErrorKind::Syntax => PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
        ErrorKind::Invalid => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::Limit => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        ErrorKind::BadValue => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
    };
    report(code, format!("{context}: {e}"), e.caret(expression), None)
}

/// An event value that cannot be read as its variable's type: 22P02.
pub fn bad_value(e: &Error) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        e.message.clone(),
    )
}

/// The SQLSTATE `code` (five characters 0-9, A-Z) as PostgreSQL encodes it (MAKE_SQLSTATE);
/// None when malformed.
fn sqlstate(code: &str) -> Option<PgSqlErrorCode> {
    let bytes = code.as_bytes();
    if bytes.len() != 5
        || !bytes
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return None;
    }
    let encoded = bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| ((b as i32 - '0' as i32) & 0x3F) << (6 * i))
        .sum::<i32>();
    Some(PgSqlErrorCode::from(encoded))
}

#[pgrx::pg_schema]
pub mod fraud {
    use pgrx::prelude::*;
    use pgrx::PgSqlErrorCode;

    /// `fraud._raise(sqlstate, message, detail, hint)`: how the SQL helpers of sql/support.sql
    /// raise, so that their errors, like Rust's, carry no CONTEXT lines (module comment).
    /// Volatile, so the planner never evaluates it early. A SQLSTATE PostgreSQL does not know
    /// is raised as XX000.
    #[pg_extern(volatile, parallel_safe, name = "_raise")]
    pub fn raise_sql(
        sqlstate: Option<&str>,
        message: Option<&str>,
        detail: default!(Option<&str>, "NULL"),
        hint: default!(Option<&str>, "NULL"),
    ) {
        let code = match sqlstate.and_then(super::sqlstate) {
            Some(PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION) | None => super::internal(format!(
                "fraud._raise: {} is not the SQLSTATE of an error",
                sqlstate.unwrap_or("NULL")
            )),
            Some(code) => code,
        };
        let Some(message) = message else {
            super::internal("fraud._raise: the message is NULL".to_string());
        };
        super::report(
            code,
            message.to_string(),
            detail.map(str::to_string),
            hint.map(str::to_string),
        )
    }
}

pgrx::extension_sql!(
    r#"COMMENT ON FUNCTION fraud._raise(text, text, text, text) IS 'Internal: raises an ERROR with this SQLSTATE, message and optional DETAIL and HINT, without CONTEXT lines (XX000 keeps them); the SQL helpers fraud._invalid, _not_found, _conflict, _duplicate, _required raise through it.';"#,
    name = "comment_fraud_raise",
    requires = [fraud::raise_sql]
);
