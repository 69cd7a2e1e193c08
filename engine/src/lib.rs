//! The pgrx-free core of fraud_detector: everything that can be reasoned about without a
//! database lives here so it is testable with `cargo test`, benchmarkable and fuzzable.
//!
//! The rule language (DETECTORPL) goes through four stages, one module each:
//! [`parser`] (text to [`ast`], errors with positions), [`compile`] (type check against a
//! [`compile::Schema`] and lower to an executable form with variables resolved to slots,
//! regexes compiled once, lists as hash sets, constants folded), [`eval`] (short-circuit
//! evaluation over one event's slots) and [`detector`] (a detector version's rules in order,
//! FIRST_MATCHED / ALL_MATCHED). [`value`] holds the typed values and how event input is read
//! as a variable's data type; [`events`] the timestamp formats of stored events; [`voice`]
//! Voice ID's voiceprints, similarity scores, nearest-fraudster search and decisions.

pub mod ast;
pub mod compile;
pub mod detector;
pub mod error;
pub mod eval;
pub mod events;
pub mod parser;
pub mod value;
pub mod voice;

pub use error::{Error, ErrorKind};
