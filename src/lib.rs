//! fraud_detector: Amazon Fraud Detector and Voice ID fraudster watchlists inside PostgreSQL.
//!
//! This crate is the thin PostgreSQL layer. The catalog (tables in schema `fraud`) and the
//! management API (one `fraud_<operation>` SQL function per AFD operation) are SQL files under
//! `sql/`, one per AFD concept, installed in dependency order below. Everything that is not
//! about PostgreSQL lives in the pgrx-free `fraud_engine` crate (`engine/`).

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

mod aggregate;
mod cache;
mod catalog;
mod cluster;
mod datum;
mod errors;
mod event_checks;
mod event_input;
mod history;
mod import;
mod jobs;
mod jsonb;
mod model;
mod predict;
mod rules;
mod security;
mod spi;
mod trigger;
mod voice;
mod voice_files;

/// Loading the library defines its settings: `fraud_detector.cache_size` (docs/sql-reference.md,
/// "The cache of compiled versions").
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    cache::define_settings();
    voice_files::define_settings();
}

extension_sql_file!("../sql/catalog.sql", name = "catalog", bootstrap);
extension_sql_file!(
    "../sql/support.sql",
    name = "support",
    requires = ["catalog", errors::fraud::raise_sql]
);
extension_sql_file!(
    "../sql/entity_types.sql",
    name = "entity_types",
    requires = ["support"]
);
extension_sql_file!("../sql/labels.sql", name = "labels", requires = ["support"]);
extension_sql_file!(
    "../sql/outcomes.sql",
    name = "outcomes",
    requires = ["support"]
);
extension_sql_file!(
    "../sql/variables.sql",
    name = "variables",
    requires = ["support"]
);
extension_sql_file!(
    "../sql/event_types.sql",
    name = "event_types",
    requires = ["support"]
);
extension_sql_file!("../sql/lists.sql", name = "lists", requires = ["support"]);
extension_sql_file!(
    "../sql/detectors.sql",
    name = "detectors",
    requires = ["support"]
);
extension_sql_file!(
    "../sql/rules.sql",
    name = "rules",
    requires = [
        "detectors",
        "event_types",
        rules::fraud::expression_lists,
        rules::fraud::check_rule_expression
    ]
);
extension_sql_file!(
    "../sql/detector_versions.sql",
    name = "detector_versions",
    requires = ["rules", rules::fraud::check_detector_version]
);
extension_sql_file!("../sql/tags.sql", name = "tags", requires = ["support"]);
extension_sql_file!(
    "../sql/events.sql",
    name = "events",
    requires = [
        "detector_versions",
        event_checks::fraud::event_timestamp_ms,
        event_checks::fraud::variable_value_error
    ]
);
extension_sql_file!(
    "../sql/aggregate_variables.sql",
    name = "aggregate_variables",
    requires = [
        "events",
        aggregate::fraud::aggregate_type,
        aggregate::fraud::check_aggregate_variable,
        aggregate::fraud::expression_variables
    ]
);
extension_sql_file!(
    "../sql/backtest.sql",
    name = "backtest",
    requires = ["aggregate_variables", predict::replay]
);
extension_sql_file!(
    "../sql/jobs.sql",
    name = "jobs",
    requires = [
        "events",
        jobs::fraud::launch_job_worker,
        import::fraud::csv_header
    ]
);
extension_sql_file!(
    "../sql/batch_import.sql",
    name = "batch_import",
    requires = ["jobs", import::fraud::csv_scan, import::fraud::import_batch]
);
extension_sql_file!(
    "../sql/batch_prediction.sql",
    name = "batch_prediction",
    requires = ["jobs"]
);
extension_sql_file!(
    "../sql/models.sql",
    name = "models",
    requires = [
        "jobs",
        model::fraud::train_model_step,
        model::fraud::train_model_forget
    ]
);
extension_sql_file!(
    "../sql/voice.sql",
    name = "voice",
    requires = [
        "support",
        voice::fraud::voice_derived_id,
        voice::fraud::voice_normalize,
        voice::fraud::_voice_changing
    ]
);
extension_sql_file!(
    "../sql/voice_jobs.sql",
    name = "voice_jobs",
    requires = ["voice", "jobs"]
);
extension_sql_file!(
    "../sql/citus.sql",
    name = "citus",
    requires = ["support", cluster::fraud::creating_extension]
);
extension_sql_file!(
    "../sql/cache.sql",
    name = "cache",
    requires = ["catalog", cache::fraud::_catalog_changed]
);

// last: applies the privilege model to every function created above
extension_sql_file!("../sql/privileges.sql", name = "privileges", finalize);

#[cfg(any(test, feature = "pg_test"))]
mod tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
