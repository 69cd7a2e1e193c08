//! Rule expressions at write time: what the catalog calls when a rule or a detector version is
//! created or changed. Parsing and type checking are the engine's; this is the glue.

#[pgrx::pg_schema]
pub mod fraud {
    use pgrx::prelude::*;

    use crate::catalog::{compile_version, load_version, rule_context};
    use crate::errors;

    /// The lists an expression names with `@list`, in order of first appearance (none when it
    /// does not parse). The catalog records them so that a list a rule uses cannot be deleted.
    #[pg_extern(immutable, parallel_safe, strict, name = "_expression_lists")]
    pub fn expression_lists(expression: &str) -> Vec<String> {
        fraud_engine::parser::parse(expression)
            .map(|e| e.references().1)
            .unwrap_or_default()
    }

    /// Parses and type checks an expression against the detector's event type and the lists:
    /// 42601 for a syntax error (with the position), 54000 for a regex past the engine's size
    /// limit, 22023 for anything else.
    #[pg_extern(stable, strict, name = "_check_rule_expression")]
    pub fn check_rule_expression(detector_id: &str, expression: &str) {
        let (variables, lists, aggregates, scores) = rule_context(detector_id);
        if let Err(e) =
            fraud_engine::detector::check_rule(expression, &variables, &lists, &aggregates, &scores)
        {
            errors::rule_error("invalid rule expression", expression, &e);
        }
    }

    /// Compiles a detector version exactly as prediction will, against the current catalog.
    #[pg_extern(stable, strict, name = "_check_detector_version")]
    pub fn check_detector_version(detector_id: &str, detector_version_id: &str) {
        compile_version(&load_version(detector_id, Some(detector_version_id)));
    }
}
