//! Stored events: the checks batch import and SendEvent run per value, in Rust so that a
//! 100,000-row import validates set-based without an exception block per row.

#[pgrx::pg_schema]
pub mod fraud {
    use pgrx::prelude::*;

    use fraud_engine::events::parse_event_timestamp;
    use fraud_engine::value::{value_error, DataType};

    /// Epoch milliseconds of an event / label timestamp in any format AFD accepts; NULL when
    /// it is none of them (callers turn that into their own error or a failed record).
    #[pg_extern(immutable, parallel_safe, strict, name = "_event_timestamp_ms")]
    pub fn event_timestamp_ms(value: &str) -> Option<i64> {
        parse_event_timestamp(value)
    }

    /// Why `value` is not a valid value of a variable of `data_type`; NULL when it is.
    #[pg_extern(immutable, parallel_safe, strict, name = "_variable_value_error")]
    pub fn variable_value_error(variable: &str, data_type: &str, value: &str) -> Option<String> {
        let Some(t) = DataType::parse(data_type) else {
            return Some(format!("unknown data type {data_type}"));
        };
        value_error(variable, t, value)
    }
}
