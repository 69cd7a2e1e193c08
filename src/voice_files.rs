//! Where a domain's fraudster index file lives, and the PostgreSQL facts that name it
//! (`fraud_engine::voice_file` owns the layout). One directory per server start:
//! `$PGDATA/pg_stat_tmp/fraud_detector_voice/<start time>/<database>_<table>_<domain>_<stamp>_<xmin>`.
//! Under `pg_stat_tmp` because base backups and `pg_rewind` leave that directory's contents out
//! (as `pg_stat_statements` does with its query texts): a copy of these files is useless to
//! another server, and `pg_basebackup`'s tar format refuses names over 100 bytes.
//! Files are written without `fsync`: a crash of the machine could leave a renamed file whose
//! pages never reached the disk, so a file is only trusted by the server run that wrote it, and
//! the first backend of a new run removes the previous runs' directories. Nothing here is
//! WAL-logged nor copied by a base backup; a standby writes its own files. Turned off with
//! `fraud_detector.voice_index_files` (docs/voice-id.md, "One index per server").

use std::path::PathBuf;

use fraud_engine::voice_file::{self, Contents, Identity, Snapshot};
use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting};

/// `fraud_detector.voice_index_files`.
pub static INDEX_FILES: GucSetting<bool> = GucSetting::<bool>::new(true);

/// Defines the settings of this module (called by `_PG_init`).
pub fn define_settings() {
    GucRegistry::define_bool_guc(
        c"fraud_detector.voice_index_files",
        c"Share each Voice ID domain's fraudster index between backends through a mapped file.",
        c"Off: every backend loads the domains it searches into its own memory.",
        &INDEX_FILES,
        GucContext::Userset,
        GucFlags::default(),
    );
}

pub fn enabled() -> bool {
    INDEX_FILES.get()
}

thread_local! {
    /// The local id of the last transaction that began changing fraudsters or memberships
    /// (`fraud._voice_changing`, a BEFORE statement trigger).
    static CHANGING_IN: std::cell::Cell<pg_sys::LocalTransactionId> = const { std::cell::Cell::new(0) };
}

fn local_transaction() -> pg_sys::LocalTransactionId {
    // SAFETY: this backend's own PGPROC, set at backend start.
    unsafe { (*pg_sys::MyProc).lxid }
}

/// This transaction is changing a domain's fraudsters (called before any row changes).
pub fn mark_changing() {
    CHANGING_IN.with(|c| c.set(local_transaction()));
}

/// Whether this transaction has begun changing fraudsters or memberships: then what a load
/// reads may include rows of a statement whose trigger has not yet given the domain a new stamp
/// (a data-modifying `WITH` around a search), and no file is written from it.
pub fn changing_in_this_transaction() -> bool {
    CHANGING_IN.with(|c| c.get()) == local_transaction()
}

/// Whether the transaction that wrote a row (its `xmin`) is this one or one of its
/// subtransactions: a stamp written by it is not committed, and no file is written for it.
pub fn written_by_this_transaction(xmin: u32) -> bool {
    // SAFETY: a pure lookup in this backend's transaction state.
    unsafe { pg_sys::TransactionIdIsCurrentTransactionId(pg_sys::TransactionId::from(xmin)) }
}

/// What names the file of `domain_id` at `stamp`: this database, the catalog table's OID
/// (a new install of the extension has a new one, and restarts the stamps' sequence).
pub fn identity(relation: u32, domain_id: &str, stamp: i64, stamp_xmin: u32) -> Identity {
    Identity {
        // SAFETY: set once at backend start.
        database: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        relation,
        domain_id: domain_id.to_string(),
        stamp,
        stamp_xmin,
    }
}

fn root() -> PathBuf {
    // SAFETY: DataDir is set at backend start and never freed.
    let data = unsafe { std::ffi::CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(data.to_string_lossy().into_owned()).join("pg_stat_tmp/fraud_detector_voice")
}

/// This server run's directory.
fn run_dir() -> PathBuf {
    // SAFETY: set by the postmaster before any backend starts.
    root().join(unsafe { pg_sys::PgStartTime }.to_string())
}

/// The file name's prefix shared by every stamp of a domain: the domain id in hex, so any id
/// makes a file name.
fn domain_prefix(identity: &Identity) -> String {
    let hex: String = identity
        .domain_id
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}_{}_{hex}_", identity.database, identity.relation)
}

fn path(identity: &Identity) -> PathBuf {
    run_dir().join(format!(
        "{}{}_{}",
        domain_prefix(identity),
        identity.stamp,
        identity.stamp_xmin
    ))
}

/// The mapped file of `identity`, if this server run wrote one and it checks out. A file that
/// does not check out is removed (it will be written again).
pub fn open(identity: &Identity, dimension: usize) -> Option<Snapshot> {
    let p = path(identity);
    match Snapshot::open(&p, identity, dimension, true) {
        Ok(s) => s,
        Err(e) => {
            pgrx::debug1!("fraud_detector: voice index file {}: {e}", p.display());
            let _ = std::fs::remove_file(&p);
            None
        }
    }
}

/// Writes the file of `identity`; false if that failed (the caller keeps its own copy). Then
/// removes the domain's files of earlier stamps, and, when this is the run's first file, the
/// directories of earlier runs.
pub fn write(identity: &Identity, contents: &Contents) -> bool {
    let dir = run_dir();
    if !dir.is_dir() {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            pgrx::debug1!(
                "fraud_detector: voice index directory {}: {e}",
                dir.display()
            );
            return false;
        }
        if let Ok(runs) = std::fs::read_dir(root()) {
            for run in runs.flatten() {
                if run.path() != dir {
                    let _ = std::fs::remove_dir_all(run.path());
                }
            }
        }
    }
    // the commit that set the stamp made durable first: a crash of the server (which keeps
    // this run's directory) must not lose a commit, with `synchronous_commit = off`, whose
    // stamp then goes to other content
    // SAFETY: PostgreSQL's own calls; a standby replays only WAL its primary flushed.
    unsafe {
        if !pg_sys::RecoveryInProgress() {
            pg_sys::XLogFlush(pg_sys::GetXLogInsertRecPtr());
        }
    }
    if let Err(e) = voice_file::write(&path(identity), identity, contents) {
        pgrx::debug1!("fraud_detector: writing a voice index file: {e}");
        return false;
    }
    remove_files(identity, |stamp, xmin| {
        stamp < identity.stamp || (stamp == identity.stamp && xmin != identity.stamp_xmin)
    });
    true
}

/// Removes the files of `identity`'s domain whose stamp and stamp `xmin` `which` picks (every
/// one: a deleted domain), and those of the same database written under another install of the
/// extension.
pub fn remove_files(identity: &Identity, which: impl Fn(i64, u32) -> bool) {
    let Ok(files) = std::fs::read_dir(run_dir()) else {
        return;
    };
    let prefix = domain_prefix(identity);
    let database = format!("{}_", identity.database);
    let install = format!("{}_{}_", identity.database, identity.relation);
    for f in files.flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        let gone = match name.strip_prefix(&prefix) {
            // "<stamp>_<xmin>"; a writer's "....tmp.<pid>" does not parse and stays
            Some(rest) => rest.split_once('_').is_some_and(|(stamp, xmin)| {
                match (stamp.parse::<i64>(), xmin.parse::<u32>()) {
                    (Ok(stamp), Ok(xmin)) => which(stamp, xmin),
                    _ => false,
                }
            }),
            None => name.starts_with(&database) && !name.starts_with(&install),
        };
        if gone {
            let _ = std::fs::remove_file(f.path());
        }
    }
}
