//! Who runs what (docs/security.md).
//!
//! * The catalog belongs to the extension's owner. The scoring functions users call straight
//!   from their statements (fraud_predict, fraud_outcomes, fraud_explain, the score trigger) run
//!   as the caller, so they stay cheap and parallel safe, and read the catalog through
//!   [`as_owner`]: as the owner, with a pinned search_path, so no caller's schema can put an
//!   operator or function of its own into our catalog queries.
//! * Jobs run with their creator's rights. The creator is captured where the call is made, by
//!   [`fraud::caller_token`] in the public SQL wrapper (SECURITY INVOKER), and the SECURITY
//!   DEFINER implementation redeems the token: nobody can claim to be someone else, because a
//!   token only ever names the role that minted it. Everything a job does with the user's
//!   objects (reading its input, creating and filling its output) goes through
//!   [`fraud::run_as`]: as that role, in a security-restricted operation (no SET ROLE back to
//!   the worker's own role, no temporary objects), with the creator's search_path.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};

use pgrx::prelude::*;
use pgrx::{pg_sys, PgSqlErrorCode};

use crate::errors::raise;

/// The search_path every catalog read and every SECURITY DEFINER function of ours runs with.
pub const PINNED_SEARCH_PATH: &CStr = c"pg_catalog, pg_temp";

thread_local! {
    static OWNER: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    /// tokens minted in this transaction and not yet redeemed: (token, role, search_path)
    static TOKENS: RefCell<Vec<(i64, pg_sys::Oid, String)>> = const { RefCell::new(Vec::new()) };
    static CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// The extension's owner (pg_extension.extowner), looked up once per backend.
pub fn owner() -> pg_sys::Oid {
    let known = OWNER.with(Cell::get);
    if known != pg_sys::InvalidOid {
        return known;
    }
    // SAFETY: a catalog lookup by name through PostgreSQL's own functions (missing_ok).
    let found = unsafe {
        let ext = pg_sys::get_extension_oid(c"fraud_detector".as_ptr(), true);
        if ext == pg_sys::InvalidOid {
            return pg_sys::GetUserId();
        }
        extension_owner(ext)
    };
    OWNER.with(|o| o.set(found));
    found
}

/// pg_extension.extowner of `ext`, read with a system-catalog scan.
unsafe fn extension_owner(ext: pg_sys::Oid) -> pg_sys::Oid {
    let rel = pg_sys::table_open(pg_sys::ExtensionRelationId, pg_sys::AccessShareLock as i32);
    let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
    pg_sys::ScanKeyInit(
        &mut key,
        pg_sys::Anum_pg_extension_oid as i16,
        pg_sys::BTEqualStrategyNumber as u16,
        pg_sys::RegProcedure::from(pg_sys::F_OIDEQ),
        pg_sys::Datum::from(ext),
    );
    let scan = pg_sys::systable_beginscan(
        rel,
        pg_sys::Oid::from(pg_sys::ExtensionOidIndexId),
        true,
        std::ptr::null_mut(),
        1,
        &mut key,
    );
    let tuple = pg_sys::systable_getnext(scan);
    let owner = if tuple.is_null() {
        pg_sys::GetUserId()
    } else {
        let form = pg_sys::GETSTRUCT(tuple) as *const pg_sys::FormData_pg_extension;
        (*form).extowner
    };
    pg_sys::systable_endscan(scan);
    pg_sys::table_close(rel, pg_sys::AccessShareLock as i32);
    owner
}

/// Runs `f` as `role` with `search_path` and security context `flags` added; both are restored
/// afterwards. On an ERROR PostgreSQL's (sub)transaction abort restores the user and the GUC
/// nesting level itself, so nothing here needs to run during unwinding.
fn with_role<T>(role: pg_sys::Oid, search_path: &CStr, flags: u32, f: impl FnOnce() -> T) -> T {
    let mut saved_user = pg_sys::InvalidOid;
    let mut saved_context = 0;
    // SAFETY: the same calls fmgr_security_definer makes around a SECURITY DEFINER function.
    let level = unsafe {
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        pg_sys::SetUserIdAndSecContext(
            role,
            saved_context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32 | flags as i32,
        );
        let level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            search_path.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        level
    };
    let out = f();
    // SAFETY: undoes exactly what was done above. `false`: every setting made inside, a plain
    // `SET` or `set_config(..., false)` by the user's code included, is thrown away with the
    // nesting level, as PostgreSQL does around its own security-restricted operations; with
    // `true` a search_path set by a job's query would outlive it and steer the owner's code.
    unsafe {
        pg_sys::AtEOXact_GUC(false, level);
        pg_sys::SetUserIdAndSecContext(saved_user, saved_context);
    }
    out
}

/// Runs a catalog read as the extension's owner with [`PINNED_SEARCH_PATH`].
pub fn as_owner<T>(f: impl FnOnce() -> T) -> T {
    with_role(owner(), PINNED_SEARCH_PATH, 0, f)
}

unsafe extern "C-unwind" fn forget_tokens(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    if crate::cache::transaction_ends(event) {
        TOKENS.with(|t| t.borrow_mut().clear());
    }
}

/// Takes the token out: a token is good for one redemption.
fn redeem(token: i64) -> (pg_sys::Oid, String) {
    TOKENS
        .with(|t| {
            let mut t = t.borrow_mut();
            let at = t.iter().position(|e| e.0 == token)?;
            let (_, role, path) = t.swap_remove(at);
            Some((role, path))
        })
        .unwrap_or_else(|| {
            raise(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                "fraud_detector: unknown caller token (call the public fraud_* function)".into(),
            )
        })
}

/// Executes `sql`, which must be exactly one statement, through SPI (not read-only) and hands
/// the result table to `read`. One statement: a query input spliced into a statement of ours
/// (`SELECT * FROM (<input>) q`) cannot close the parenthesis and run a second statement.
unsafe fn spi_run<T>(sql: &str, read: impl FnOnce(*mut pg_sys::SPITupleTable, u64) -> T) -> T {
    let sql = CString::new(sql).unwrap_or_else(|_| {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "a statement cannot contain a NUL byte".into(),
        )
    });
    pg_sys::SPI_connect();
    let plan = pg_sys::SPI_prepare(sql.as_ptr(), 0, std::ptr::null_mut());
    if plan.is_null() {
        pg_sys::SPI_finish();
        crate::errors::internal(format!(
            "fraud_detector job statement failed to prepare (SPI code {})",
            (&raw const pg_sys::SPI_result).read()
        ));
    }
    let sources = pg_sys::SPI_plan_get_plan_sources(plan);
    if sources.is_null() || (*sources).length != 1 {
        pg_sys::SPI_finish();
        raise(
            PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
            "a job's query input must be a single SQL statement".into(),
        );
    }
    let rc = pg_sys::SPI_execute_plan(plan, std::ptr::null_mut(), std::ptr::null(), false, 0);
    if rc < 0 {
        pg_sys::SPI_finish();
        crate::errors::internal(format!(
            "fraud_detector job statement failed (SPI code {rc})"
        ));
    }
    let out = read(pg_sys::SPI_tuptable, pg_sys::SPI_processed);
    pg_sys::SPI_finish();
    out
}

fn role_search_path(search_path: &str) -> CString {
    CString::new(search_path).unwrap_or_else(|_| CString::from(c"pg_catalog"))
}

#[pgrx::pg_schema]
pub mod fraud {
    use super::*;

    /// A token naming the role calling right now and its search_path, good for one redemption
    /// until the end of the transaction. It can only ever name its minter, and it is random, so
    /// a token another role's code minted in this session cannot be guessed and replayed.
    #[pg_extern(volatile, name = "_caller_token")]
    pub fn caller_token() -> i64 {
        if !CALLBACK.replace(true) {
            // SAFETY: registered once per backend; the callback only clears a thread-local.
            unsafe { pg_sys::RegisterXactCallback(Some(forget_tokens), std::ptr::null_mut()) };
        }
        // SAFETY: reads of backend globals.
        let (role, path) = unsafe {
            let p = pg_sys::GetConfigOption(c"search_path".as_ptr(), false, false);
            (
                pg_sys::GetUserId(),
                if p.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(p).to_string_lossy().into_owned()
                },
            )
        };
        let mut bytes = [0u8; 8];
        // SAFETY: fills the buffer it is given.
        if !unsafe { pg_sys::pg_strong_random(bytes.as_mut_ptr().cast(), bytes.len()) } {
            crate::errors::internal("fraud_detector: no strong random numbers".into());
        }
        let token = i64::from_ne_bytes(bytes);
        TOKENS.with(|t| t.borrow_mut().push((token, role, path)));
        token
    }

    /// The role that minted `token` and its search_path; the token is used up (42501 for a
    /// token not minted in this transaction, or already redeemed).
    #[pg_extern(volatile, strict, name = "_redeem_caller")]
    pub fn redeem_caller(
        token: i64,
    ) -> TableIterator<'static, (name!(role, pg_sys::Oid), name!(search_path, String))> {
        TableIterator::once(redeem(token))
    }

    /// Runs `sql` as `role` (a job's owner) with `search_path`, in a security-restricted
    /// operation; returns the number of rows it processed.
    #[pg_extern(volatile, strict, name = "_run_as")]
    pub fn run_as(role: pg_sys::Oid, search_path: &str, sql: &str) -> i64 {
        let path = role_search_path(search_path);
        with_role(role, &path, pg_sys::SECURITY_RESTRICTED_OPERATION, || {
            // SAFETY: a plain SPI execution; only the count is read.
            unsafe { spi_run(sql, |_, n| n as i64) }
        })
    }

    /// Runs `sql` as [`run_as`] does and returns the first column of its first row as text.
    #[pg_extern(volatile, strict, name = "_query_as")]
    pub fn query_as(role: pg_sys::Oid, search_path: &str, sql: &str) -> Option<String> {
        let path = role_search_path(search_path);
        with_role(role, &path, pg_sys::SECURITY_RESTRICTED_OPERATION, || {
            // SAFETY: the tuple table belongs to SPI until SPI_finish; the value is copied.
            unsafe {
                spi_run(sql, |table, n| {
                    if table.is_null() || n == 0 {
                        return None;
                    }
                    let v = pg_sys::SPI_getvalue(*(*table).vals, (*table).tupdesc, 1);
                    (!v.is_null()).then(|| CStr::from_ptr(v).to_string_lossy().into_owned())
                })
            }
        })
    }

    /// The columns (name, type) of query `sql` as `role` sees it with `search_path`, planned and
    /// run with LIMIT 0 in a security-restricted operation.
    #[pg_extern(volatile, strict, name = "_describe_as")]
    pub fn describe_as(
        role: pg_sys::Oid,
        search_path: &str,
        sql: &str,
    ) -> TableIterator<'static, (name!(name, String), name!(type_name, String))> {
        let path = role_search_path(search_path);
        let probe = format!("SELECT * FROM ({sql}\n) q LIMIT 0");
        let cols = with_role(role, &path, pg_sys::SECURITY_RESTRICTED_OPERATION, || {
            // SAFETY: reads the tuple descriptor SPI returns, before SPI_finish.
            unsafe {
                spi_run(&probe, |table, _| {
                    let mut out = Vec::new();
                    if table.is_null() {
                        return out;
                    }
                    let desc = (*table).tupdesc;
                    for a in (*desc).attrs.as_slice((*desc).natts as usize) {
                        if a.attisdropped {
                            continue;
                        }
                        let name = CStr::from_ptr(a.attname.data.as_ptr())
                            .to_string_lossy()
                            .into_owned();
                        // schema-qualified: the name is read again under another search_path
                        let ty = CStr::from_ptr(pg_sys::format_type_extended(
                            a.atttypid,
                            a.atttypmod,
                            (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY)
                                as pg_sys::bits16,
                        ))
                        .to_string_lossy()
                        .into_owned();
                        out.push((name, ty));
                    }
                    out
                })
            }
        });
        TableIterator::new(cols)
    }
}

thread_local! {
    /// (role, function) pairs allowed EXECUTE, valid while ACL_GENERATION stays the same
    static ACL_OK: RefCell<Vec<(pg_sys::Oid, pg_sys::Oid)>> = const { RefCell::new(Vec::new()) };
    static ACL_GENERATION: Cell<u64> = const { Cell::new(0) };
    static ACL_SEEN: Cell<u64> = const { Cell::new(0) };
    static ACL_CALLBACKS: Cell<bool> = const { Cell::new(false) };
}

unsafe extern "C-unwind" fn acl_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    ACL_GENERATION.with(|g| g.set(g.get() + 1));
}

/// Raises PostgreSQL's own 42501 unless the current user may EXECUTE `func`. For functions
/// PostgreSQL itself does not check on every call (a trigger function is checked only at
/// CREATE TRIGGER): a REVOKE, or a role losing a membership, takes effect at once. Answers are
/// remembered per role until pg_proc, pg_authid or pg_auth_members change.
pub fn check_execute(func: pg_sys::Oid) {
    if !ACL_CALLBACKS.replace(true) {
        // SAFETY: registered once per backend; the callback only bumps a counter.
        unsafe {
            for cache in [
                pg_sys::SysCacheIdentifier::PROCOID,
                pg_sys::SysCacheIdentifier::AUTHOID,
                pg_sys::SysCacheIdentifier::AUTHMEMROLEMEM,
            ] {
                pg_sys::CacheRegisterSyscacheCallback(
                    cache as i32,
                    Some(acl_changed),
                    pg_sys::Datum::null(),
                );
            }
        }
    }
    let generation = ACL_GENERATION.with(Cell::get);
    if ACL_SEEN.replace(generation) != generation {
        ACL_OK.with(|ok| ok.borrow_mut().clear());
    }
    // SAFETY: a backend global.
    let user = unsafe { crate::datum::unguarded::GetUserId() };
    if ACL_OK.with(|ok| ok.borrow().contains(&(user, func))) {
        return;
    }
    // SAFETY: PostgreSQL's own privilege check and error.
    unsafe {
        let result = pg_sys::pg_proc_aclcheck(func, user, pg_sys::ACL_EXECUTE as pg_sys::AclMode);
        if result != pg_sys::AclResult::ACLCHECK_OK {
            pg_sys::aclcheck_error(
                result,
                pg_sys::ObjectType::OBJECT_FUNCTION,
                pg_sys::get_func_name(func),
            );
        }
    }
    ACL_OK.with(|ok| ok.borrow_mut().push((user, func)));
}

/// Raises 42501 unless the current user has the privileges of the extension's owner.
pub fn require_owner_privileges(what: &str) {
    // SAFETY: PostgreSQL's own role-membership check.
    let ok = unsafe { pg_sys::has_privs_of_role(pg_sys::GetUserId(), owner()) };
    if !ok {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("permission denied: {what} is for the owner of extension fraud_detector"),
        );
    }
}
