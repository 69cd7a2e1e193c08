//! Where a domain's fraudster index file lives, and the PostgreSQL facts that name it
//! (`fraud_engine::voice_file` owns the layout). One directory per server start:
//! `$PGDATA/pg_fraud_detector/voice/<start time>/<database>_<catalog table>_<domain>_<stamp>`.
//! Files are written without `fsync`: a crash of the machine could leave a renamed file whose
//! pages never reached the disk, so a file is only trusted by the server run that wrote it, and
//! the first backend of a new run removes the previous runs' directories. Nothing here is
//! WAL-logged; a standby writes its own files. Turned off with
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

/// Whether the transaction that wrote a row (its `xmin`) is this one or one of its
/// subtransactions: a stamp written by it is not committed, and no file is written for it.
pub fn written_by_this_transaction(xmin: u32) -> bool {
    // SAFETY: a pure lookup in this backend's transaction state.
    unsafe { pg_sys::TransactionIdIsCurrentTransactionId(pg_sys::TransactionId::from(xmin)) }
}

/// What names the file of `domain_id` at `stamp`: this database, the catalog table's OID
/// (a new install of the extension has a new one, and restarts the stamps' sequence).
pub fn identity(relation: u32, domain_id: &str, stamp: i64) -> Identity {
    Identity {
        // SAFETY: set once at backend start.
        database: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        relation,
        domain_id: domain_id.to_string(),
        stamp,
    }
}

fn root() -> PathBuf {
    // SAFETY: DataDir is set at backend start and never freed.
    let data = unsafe { std::ffi::CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(data.to_string_lossy().into_owned()).join("pg_fraud_detector/voice")
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
    run_dir().join(format!("{}{}", domain_prefix(identity), identity.stamp))
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
    if let Err(e) = voice_file::write(&path(identity), identity, contents) {
        pgrx::debug1!("fraud_detector: writing a voice index file: {e}");
        return false;
    }
    remove_files(identity, |stamp| stamp < identity.stamp);
    true
}

/// Removes the files of `identity`'s domain whose stamp `which` picks (every one: a deleted
/// domain), and those of the same database written under another install of the extension.
pub fn remove_files(identity: &Identity, which: impl Fn(i64) -> bool) {
    let Ok(files) = std::fs::read_dir(run_dir()) else {
        return;
    };
    let prefix = domain_prefix(identity);
    let database = format!("{}_", identity.database);
    let install = format!("{}_{}_", identity.database, identity.relation);
    for f in files.flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        let gone = match name.strip_prefix(&prefix) {
            Some(stamp) => stamp.parse::<i64>().is_ok_and(&which),
            None => name.starts_with(&database) && !name.starts_with(&install),
        };
        if gone {
            let _ = std::fs::remove_file(f.path());
        }
    }
}
