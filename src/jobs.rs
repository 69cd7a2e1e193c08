//! Background jobs (batch import, batch prediction, deleting an event type's events).
//!
//! The work itself is SQL (`sql/jobs.sql`): `fraud._job_work()` claims a waiting job or runs
//! one batch of the job this worker holds, in one transaction, and says whether there is more.
//! This module only starts workers and loops over that call. A worker is a dynamic background
//! worker (no `shared_preload_libraries`), requested by `fraud._launch_job_worker()` and
//! registered when the requesting transaction commits, so that it always sees the job row.
//!
//! A worker connects as the extension's owner and serves the jobs of every role; what a job
//! does with its creator's objects runs as the creator (sql/jobs.sql, src/security.rs). At most
//! two workers run per database: each takes one of two advisory-lock slots, and one that finds
//! both taken leaves the work to their holders.

use std::cell::Cell;
use std::time::Duration;

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;

/// What `pg_stat_activity.backend_type` shows for a job worker; `fraud._reap_jobs()` looks
/// for it.
pub const WORKER_TYPE: &str = "fraud_detector job worker";

thread_local! {
    static LAUNCH_AT_COMMIT: Cell<bool> = const { Cell::new(false) };
    /// the outermost (sub)transaction nesting level that asked for a worker: a request made
    /// in a savepoint that rolls back goes with it
    static LAUNCH_LEVEL: Cell<i32> = const { Cell::new(i32::MAX) };
    static WORKER_ROLE: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

#[pg_guard]
unsafe extern "C-unwind" fn xact_callback(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    let ended = matches!(
        event,
        pg_sys::XactEvent::XACT_EVENT_COMMIT
            | pg_sys::XactEvent::XACT_EVENT_ABORT
            | pg_sys::XactEvent::XACT_EVENT_PREPARE
    );
    // the flag never outlives its transaction; only a commit launches
    if ended {
        LAUNCH_LEVEL.set(i32::MAX);
        if LAUNCH_AT_COMMIT.replace(false) && event == pg_sys::XactEvent::XACT_EVENT_COMMIT {
            launch();
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn subxact_callback(
    event: pg_sys::SubXactEvent::Type,
    _sub: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    // SAFETY: a backend read; the callback runs inside the ending subtransaction.
    let level = unsafe { pg_sys::GetCurrentTransactionNestLevel() };
    if LAUNCH_LEVEL.get() < level {
        return; // asked for outside this subtransaction
    }
    match event {
        pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB => {
            LAUNCH_AT_COMMIT.set(false);
            LAUNCH_LEVEL.set(i32::MAX);
        }
        pg_sys::SubXactEvent::SUBXACT_EVENT_COMMIT_SUB if LAUNCH_LEVEL.get() == level => {
            LAUNCH_LEVEL.set(level - 1);
        }
        _ => {}
    }
}

/// Registers a worker for this database, connecting as the extension's owner. Runs after commit, where
/// an ERROR would be fatal: a failure to register (no free `max_worker_processes` slot) only
/// leaves the job waiting; the next launch or `fraud._reap_jobs()` picks it up.
fn launch() {
    // SAFETY: plain reads of backend globals.
    let (db, role) = unsafe { (pg_sys::MyDatabaseId, WORKER_ROLE.with(Cell::get)) };
    let started = BackgroundWorkerBuilder::new("fraud_detector job worker")
        .set_type(WORKER_TYPE)
        .set_library("fraud_detector")
        .set_function("fraud_job_worker_main")
        .enable_spi_access()
        .set_restart_time(None)
        .set_extra(&format!("{} {}", db.to_u32(), role.to_u32()))
        .load_dynamic();
    if started.is_err() {
        pgrx::warning!("fraud_detector: no background worker slot free (max_worker_processes); the job waits for the next worker");
    }
}

#[pgrx::pg_schema]
pub mod fraud {
    use super::*;

    /// Asks for a job worker once the current transaction commits (once per transaction).
    #[pg_extern(volatile, name = "_launch_job_worker")]
    pub fn launch_job_worker() {
        if !CALLBACK_REGISTERED.replace(true) {
            // SAFETY: registered once per backend; the callback only touches thread-locals
            // and registers a worker.
            unsafe {
                pg_sys::RegisterXactCallback(Some(xact_callback), std::ptr::null_mut());
                pg_sys::RegisterSubXactCallback(Some(subxact_callback), std::ptr::null_mut());
            }
        }
        WORKER_ROLE.with(|r| r.set(crate::security::owner()));
        LAUNCH_AT_COMMIT.set(true);
        // SAFETY: a backend read.
        let level = unsafe { pg_sys::GetCurrentTransactionNestLevel() };
        LAUNCH_LEVEL.set(LAUNCH_LEVEL.get().min(level));
    }
}

/// What PostgreSQL's `die` does for a backend: ask for termination at the next interrupt
/// check, which aborts the running statement and transaction and ends the process.
unsafe extern "C-unwind" fn on_sigterm(_signal: i32) {
    (&raw mut pg_sys::InterruptPending).write_volatile(1);
    (&raw mut pg_sys::ProcDiePending).write_volatile(1);
    pg_sys::SetLatch(pg_sys::MyLatch);
}

/// The worker's entry point: connect as the extension's owner, take a slot, then run steps (one
/// transaction each) until there is no work left. SIGTERM (pg_terminate_backend, server
/// shutdown) uses PostgreSQL's own `die` handler, so it aborts the step in flight at once; the
/// job it held is then ended FAILED by `fraud._reap_jobs()`.
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn fraud_job_worker_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP);
    // SAFETY: installs a handler that only sets PostgreSQL's interrupt flags.
    unsafe {
        pg_sys::pqsignal(pg_sys::SIGTERM as i32, Some(on_sigterm));
    }
    let mut ids = BackgroundWorker::get_extra()
        .split(' ')
        .map(|s| s.parse::<u32>().ok().map(pg_sys::Oid::from));
    let (Some(Some(db)), Some(Some(role))) = (ids.next(), ids.next()) else {
        pgrx::log!("fraud_detector job worker: malformed start arguments");
        return;
    };
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(db), Some(role));
    // Our session's names resolve in pg_catalog only (nothing a database default can
    // redirect); each step sets it again (work()).
    let started = BackgroundWorker::transaction(|| {
        Spi::run("SET search_path = pg_catalog, pg_temp")?;
        take_slot()
    });
    let Ok(Some(slot)) = started else {
        return; // two workers already serve this database; they will see our job
    };
    let mut slot = (slot != 0).then_some(slot);
    // A job committed just after our last look is picked up by the worker its own commit
    // starts; if that one found both slots taken, by a slot holder's last look after it has
    // given its slot up.
    let mut idle_rounds = 0;
    loop {
        pg_sys::check_for_interrupts!();
        if work() {
            idle_rounds = 0;
            continue;
        }
        idle_rounds += 1;
        if idle_rounds < 3 {
            BackgroundWorker::wait_latch(Some(Duration::from_millis(100)));
            continue;
        }
        if let Some(s) = slot.take() {
            let _ = BackgroundWorker::transaction(|| {
                Spi::get_one_with_args::<bool>(
                    "SELECT pg_advisory_unlock(fraud._job_lock_class(), $1)",
                    &[s.into()],
                )
            });
        }
        if !work() {
            return;
        }
        // it found (and may now hold) a job: keep going, with a slot if one is free
        slot = BackgroundWorker::transaction(take_slot)
            .ok()
            .flatten()
            .filter(|s| *s != 0);
        idle_rounds = 0;
    }
}

/// One step of work; false when there was nothing to do. The search_path is pinned again in
/// every step, whatever a job's code did (it runs with its own nesting level that is thrown
/// away, src/security.rs; this is the second line of defence).
fn work() -> bool {
    matches!(
        BackgroundWorker::transaction(|| {
            Spi::run("SET search_path = pg_catalog, pg_temp")?;
            Spi::get_one::<bool>("SELECT fraud._job_work()")
        }),
        Ok(Some(true))
    )
}

/// Takes a free worker slot (session advisory lock (class, -1) or (class, -2)): Some(slot);
/// Some(0) when none is free but fewer than two are held by job workers (another role
/// squatting on them never stops the jobs); None when two workers are busy.
fn take_slot() -> Result<Option<i32>, pgrx::spi::SpiError> {
    Spi::get_one::<i32>(
        "SELECT coalesce(
             (SELECT s FROM (VALUES (-1), (-2)) v(s) WHERE pg_try_advisory_lock(fraud._job_lock_class(), s) LIMIT 1),
             CASE WHEN fraud._job_workers_busy() < 2 THEN 0 END)",
    )
}
