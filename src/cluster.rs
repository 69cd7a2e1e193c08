//! Citus scale-out (docs/scale-out.md): the one fact the SQL side (sql/citus.sql) cannot read
//! for itself.

#[pgrx::pg_schema]
pub mod fraud {
    use pgrx::prelude::*;

    /// `fraud._creating_extension()`: is a CREATE or ALTER EXTENSION script running in this
    /// backend? Citus runs ALTER EXTENSION UPDATE on every node, and each node migrates its own
    /// catalog: the coordinator must not also ship the script's changes, nor a worker refuse them.
    #[pg_extern(stable, parallel_safe, name = "_creating_extension")]
    pub fn creating_extension() -> bool {
        // SAFETY: a backend-local flag PostgreSQL sets around extension scripts.
        unsafe { pg_sys::creating_extension }
    }
}

/// Is this a Citus worker whose catalog is the coordinator's copy (fraud_citus_setup() ran)?
/// Asked once per compiled detector version, never per event. Stored events stay on the
/// coordinator (docs/scale-out.md), so a version that reads them cannot score here.
pub fn on_citus_worker() -> bool {
    let citus = crate::spi::query(
        c"SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus'",
        &[],
    );
    if citus.is_empty() {
        return false;
    }
    let rows = crate::spi::query(
        c"SELECT 1 FROM pg_catalog.pg_dist_local_group g, pg_catalog.pg_dist_partition p
          WHERE g.groupid <> 0 AND p.logicalrelid = 'fraud.cluster_changes'::regclass",
        &[],
    );
    !rows.is_empty()
}
