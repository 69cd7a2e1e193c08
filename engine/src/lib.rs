//! The pgrx-free core of fraud_detector: everything that can be reasoned about without a
//! database lives here so it is testable with `cargo test`, benchmarkable and fuzzable.
//!
//! The rule language (DETECTORPL, docs/rule-language.md) goes through these stages:
//! [`parser`] (text to [`ast`], errors with positions); [`compile`] (type check against a
//! [`compile::Schema`] and lower to a [`node::Node`], the executable form, with variables
//! resolved to slots, regexes compiled once and lists as hash sets; the functions a rule may
//! call, with their arity and types, are the table in [`builtin`]); [`fold`] (constant
//! sub-expressions evaluated at compile time); [`eval`] (short-circuit evaluation over one
//! event's slots); and [`detector`] (a detector version's rules in order, FIRST_MATCHED /
//! ALL_MATCHED). Imports only point down that list: `compile` uses `node` and `fold`, `fold`
//! uses `node` and `eval`, `eval` uses `node`.
//!
//! [`value`] holds the typed values and how event input is read as a variable's data type;
//! [`events`] the timestamp formats of stored events; [`voice`] Voice ID's voiceprints,
//! similarity scores, nearest-fraudster search and decisions; [`voice_file`] a domain's index as
//! a file every backend maps; [`error`] the error kinds, one
//! SQLSTATE each (docs/sql-reference.md).

pub mod aggregate;
pub mod ast;
pub mod builtin;
pub mod compile;
pub mod csv_input;
pub mod detector;
pub mod error;
pub mod eval;
pub mod events;
pub mod fold;
pub mod import;
pub mod model;
pub mod node;
pub mod parser;
pub mod value;
pub mod voice;
pub mod voice_file;
pub mod voice_int8;
pub mod voice_prefilter;

pub use error::{Error, ErrorKind};
