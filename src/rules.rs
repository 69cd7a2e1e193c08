//! SQL entry points for rule expressions. The engine does the work; this is the glue.

/// Internal functions live in schema `fraud` beside the catalog.
#[pgrx::pg_schema]
pub mod fraud {
    use pgrx::prelude::*;

    /// The lists an expression names with `@list`, in order of first appearance. The catalog
    /// records them so that a list a rule uses cannot be deleted.
    #[pg_extern(immutable, parallel_safe, strict, name = "_expression_lists")]
    pub fn expression_lists(expression: &str) -> Vec<String> {
        fraud_engine::references::references(expression).lists
    }
}
