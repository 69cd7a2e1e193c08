//! Raising PostgreSQL errors with the SQLSTATEs of docs/sql-reference.md ("Errors"), plus
//! XX000 internal_error for what a consistent catalog and a working server never produce.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

use fraud_engine::{Error, ErrorKind};

pub fn raise(code: PgSqlErrorCode, message: String) -> ! {
    ErrorReport::new(code, message, "fraud_detector").report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

pub fn raise_detail(code: PgSqlErrorCode, message: String, detail: String) -> ! {
    ErrorReport::new(code, message, "fraud_detector")
        .set_detail(detail)
        .report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

pub fn not_found(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, message)
}

pub fn invalid(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, message)
}

/// XX000: a catalog query that failed, a catalog row the constraints should have refused, a
/// PostgreSQL function that returned what it never returns. Not the caller's mistake.
pub fn internal(message: String) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message)
}

/// An engine error about a rule expression: 42601 for syntax, 22023 otherwise; the DETAIL
/// shows the expression with a caret under the position.
pub fn rule_error(context: &str, expression: &str, e: &Error) -> ! {
    let code = match e.kind {
        ErrorKind::Syntax => PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
        ErrorKind::Invalid => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::BadValue => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
    };
    let message = format!("{context}: {e}");
    match e.position {
        Some(p) if expression.chars().count() <= 200 && !expression.contains('\n') => {
            let caret = format!("{}^", " ".repeat(p - 1));
            raise_detail(code, message, format!("{expression}\n{caret}"))
        }
        _ => raise(code, message),
    }
}

/// An event value that cannot be read as its variable's type: 22P02.
pub fn bad_value(e: &Error) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        e.message.clone(),
    )
}
