//! The pgrx-free core of fraud_detector: everything that can be reasoned about without a
//! database (the rule language, evaluation, models, similarity search) lives here so it is
//! testable with `cargo test`, benchmarkable and fuzzable on its own.

pub mod references;
