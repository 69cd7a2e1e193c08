//! Stored events: the timestamp formats Amazon Fraud Detector accepts for `eventTimestamp` /
//! `labelTimestamp` (SendEvent, GetEventPrediction) and for EVENT_TIMESTAMP / LABEL_TIMESTAMP
//! in a batch import CSV.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::value::parse_datetime;

/// The CSV layouts AFD documents besides ISO 8601: `yyyy/mm/dd hh:mm:ss`, `mm/dd/yyyy
/// hh:mm:ss`, `dd/mm/yyyy hh:mm:ss`, `dd/mm/yyyy hh:mm`, each optionally with AM/PM.
/// Month-first is tried before day-first, so `03/04/2024` is March 4th; a day above 12 can
/// only be read one way.
const SLASHED: &[&str] = &[
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
];

/// Parses an event or label timestamp to epoch milliseconds (UTC when no offset is given).
/// `None` when the text is none of the accepted formats or out of range.
pub fn parse_event_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() < 10 || s.len() > 30 {
        return None; // the reference's utcTimestampISO8601 is 10..30 characters
    }
    // RFC 3339 first, the usual case, and the cheapest: chrono reads it without a format
    // string (a bare date is not RFC 3339, so the order changes no result)
    let ms = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        Some(t.timestamp_millis())
    } else if s.contains('/') {
        SLASHED.iter().find_map(|fmt| {
            NaiveDateTime::parse_from_str(s, fmt)
                .ok()
                .map(|t| t.and_utc().timestamp_millis())
        })
    } else if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        // a bare date is a DATETIME variable value, not an event time
        None
    } else {
        parse_datetime(s)
    };
    // an event time must be storable: PostgreSQL's timestamptz range (4714-11-24 BC to
    // 294276 AD), or storing the event would fail
    ms.filter(|ms| (PG_MIN_TIMESTAMP_MS..PG_END_TIMESTAMP_MS).contains(ms))
}

/// timestamptz's range in Unix milliseconds (MIN_TIMESTAMP and END_TIMESTAMP of PostgreSQL's
/// datatype/timestamp.h, which count microseconds from 2000-01-01).
const PG_MIN_TIMESTAMP_MS: i64 = -211_813_488_000_000_000 / 1000 + 946_684_800_000;
const PG_END_TIMESTAMP_MS: i64 = 9_223_371_331_200_000_000 / 1000 + 946_684_800_000;

#[cfg(test)]
mod tests {
    use super::parse_event_timestamp as p;

    const T: i64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

    #[test]
    fn out_of_timestamptz_range_is_not_a_timestamp() {
        assert_eq!(p("-5000-01-01T00:00:00Z"), None);
        assert_eq!(p("+300000-01-01T00:00:00Z"), None);
        assert!(p("-4000-01-01T00:00:00Z").is_some());
    }

    #[test]
    fn iso_8601() {
        assert_eq!(p("2024-05-01T12:00:00Z"), Some(T));
        assert_eq!(p("2024-05-01T14:00:00+02:00"), Some(T));
        assert_eq!(p("2024-05-01T12:00:00.250Z"), Some(T + 250));
        assert_eq!(p("2024-05-01 12:00:00+00"), Some(T));
        assert_eq!(p("2024-05-01T12:00:00"), Some(T));
    }

    #[test]
    fn afd_csv_layouts() {
        assert_eq!(p("2024/05/01 12:00:00"), Some(T));
        assert_eq!(p("2024/05/01 12:00:00 PM"), Some(T));
        assert_eq!(p("05/01/2024 12:00:00"), Some(T));
        assert_eq!(p("13/05/2024 12:00:00"), Some(T + 12 * 86_400_000));
        assert_eq!(p("05/01/2024 12:00"), Some(T));
        assert_eq!(p("05/01/2024 12:00:00 AM"), Some(T - 12 * 3_600_000));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "2024-05-01",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "32/01/2024 10:00",
            "1714564800",
            "2024-05-01T12:00:00Z and more text",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }
}
