//! Entity-history features (TRANSACTION_FRAUD_INSIGHTS, ACCOUNT_TAKEOVER_INSIGHTS): what the
//! same entity's earlier events say about the current one.
//!
//! [`compute`] is the only place they are computed, from the event's time, its values and the
//! entity's past events newest first; training ([`TrainPast`]), scoring with an entity's
//! cached past ([`NewestFirst`]) and scoring from past events as read ([`ScoringPast`]) only
//! differ in how a past event's numbers and category keys are read (precomputed once per row
//! in a [`PastTable`], or computed on the fly), through the same [`key_hash`] and
//! [`features::number`]. A past event counts when `time < now` (strictly: an event never
//! sees itself nor events at the same millisecond) and `now - time <= HISTORY_WINDOW_MS`; the
//! first [`HISTORY_MAX_EVENTS`] of those, in the order given (newest first), are read.
//!
//! Features, in order:
//! * entity level (explained as the group `["ENTITY_ID"]`): events in the last 1 h, 24 h,
//!   7 d and the whole window; seconds since the previous event (NaN without one); the
//!   circular distance in hours from the event's hour of day (UTC) to the mean hour of the
//!   entity's past events, and to the nearest one (NaN without past events);
//! * per numeric input (PRICE, NUMERIC, or INTEGER/FLOAT without a categorical type): the sum
//!   of the past 24 h's values, and the current value divided by the mean of the past values
//!   (NaN without past values or with a zero mean);
//! * per category key (the raw value of every STRING input but FREE_FORM_TEXT and numbers,
//!   and the email domain, IP /24 prefix and user-agent family): whether the current key is
//!   new for the entity (1) or seen in its history (0), the number of distinct keys in the
//!   history, and the share of past events with the same key (NaN when the current value is
//!   missing or there is no history).
//!
//! Events without an entity (None or "unknown") have an empty history, as at scoring time.

use std::hash::Hasher;

use rustc_hash::FxHasher;
use serde::{Deserialize, Serialize};

use super::features::{self, category_key, Derive, KeyBuf};
use super::{InputVariable, PastEvent, HISTORY_MAX_EVENTS, HISTORY_WINDOW_MS};
use crate::value::{DataType, Value};

/// The name an entity-level history feature group is explained with.
pub const ENTITY_GROUP: &str = "ENTITY_ID";

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Which inputs the history features read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HistorySpec {
    /// numeric inputs
    pub numeric: Vec<usize>,
    /// category keys: (input, derivation; Derive::Category = the raw value)
    pub keys: Vec<(usize, Derive)>,
}

fn is_numeric(input: &InputVariable) -> bool {
    let vt = input.variable_type.as_deref().unwrap_or("");
    matches!(vt, "PRICE" | "NUMERIC")
        || (matches!(input.data_type, DataType::Integer | DataType::Float)
            && features::derivations(input) == [Derive::Number])
}

impl HistorySpec {
    pub fn new(inputs: &[InputVariable], usable: &[bool]) -> HistorySpec {
        let mut spec = HistorySpec::default();
        for (i, input) in inputs.iter().enumerate() {
            if !usable[i] {
                continue;
            }
            let vt = input.variable_type.as_deref().unwrap_or("");
            if is_numeric(input) {
                spec.numeric.push(i);
                continue;
            }
            match input.data_type {
                DataType::String | DataType::Integer if vt != "FREE_FORM_TEXT" => {
                    spec.keys.push((i, Derive::Category));
                    match vt {
                        "EMAIL_ADDRESS" => spec.keys.push((i, Derive::EmailDomain)),
                        "IP_ADDRESS" => spec.keys.push((i, Derive::Ip24)),
                        "USERAGENT" => spec.keys.push((i, Derive::UserAgentFamily)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        spec
    }

    pub const ENTITY_FEATURES: usize = 7;

    pub fn len(&self) -> usize {
        Self::ENTITY_FEATURES + 2 * self.numeric.len() + 3 * self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// (name, inputs it derives from; empty = the entity) of every feature, in order.
    pub fn features(&self, inputs: &[InputVariable]) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = [
            "entity_events_1h",
            "entity_events_24h",
            "entity_events_7d",
            "entity_events_30d",
            "entity_seconds_since_previous",
            "entity_hour_distance_mean",
            "entity_hour_distance_nearest",
        ]
        .iter()
        .map(|n| (n.to_string(), vec![]))
        .collect();
        for &i in &self.numeric {
            let n = &inputs[i].name;
            out.push((format!("{n}:entity_sum_24h"), vec![i]));
            out.push((format!("{n}:entity_ratio_to_mean"), vec![i]));
        }
        for &(i, d) in &self.keys {
            let n = &inputs[i].name;
            let k = match d {
                Derive::EmailDomain => ":domain",
                Derive::Ip24 => ":prefix24",
                Derive::UserAgentFamily => ":family",
                _ => "",
            };
            out.push((format!("{n}{k}:entity_new"), vec![i]));
            out.push((format!("{n}{k}:entity_distinct"), vec![i]));
            out.push((format!("{n}{k}:entity_share_same"), vec![i]));
        }
        out
    }
}

/// The hash of a category key of a value (None when missing); a key hash of 0 never occurs.
pub fn key_hash(derive: Derive, v: &Value<'_>, buf: &mut KeyBuf) -> Option<u64> {
    if !category_key(derive, v, buf) {
        return None;
    }
    let mut h = FxHasher::default();
    h.write(buf.as_bytes());
    Some(h.finish() | 1)
}

/// A view of the entity's past events, newest first.
pub trait PastEvents {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn time_ms(&self, i: usize) -> i64;
    /// the cosine and sine of event i's hour of day as an angle ([`hour_angle`]; a table
    /// keeps them computed)
    fn hour_angle(&self, i: usize) -> (f64, f64) {
        hour_angle(self.time_ms(i))
    }
    /// the value of numeric input number `j` (`spec.numeric[j]`) of event i
    fn number(&self, i: usize, j: usize) -> f32;
    /// the hash of key number `k` (`spec.keys[k]`) of event i
    fn key(&self, i: usize, k: usize, buf: &mut KeyBuf) -> Option<u64>;
}

/// Past events as the database hands them over at scoring time.
pub struct ScoringPast<'s, 'a> {
    pub spec: &'s HistorySpec,
    pub events: &'s [PastEvent<'a>],
}

impl PastEvents for ScoringPast<'_, '_> {
    fn len(&self) -> usize {
        self.events.len()
    }
    fn time_ms(&self, i: usize) -> i64 {
        self.events[i].time_ms
    }
    fn number(&self, i: usize, j: usize) -> f32 {
        self.events[i]
            .values
            .get(self.spec.numeric[j])
            .map_or(f32::NAN, features::number)
    }
    fn key(&self, i: usize, k: usize, buf: &mut KeyBuf) -> Option<u64> {
        let (input, d) = self.spec.keys[k];
        key_hash(d, self.events[i].values.get(input)?, buf)
    }
}

/// Events' times, numbers and key hashes, computed once per event: every training row's, and
/// at scoring time an entity's kept past (the pgrx layer keeps one per entity for a
/// snapshot). Rows in the order pushed; a row's numbers and keys lie together, in one
/// allocation (a scoring reads all of a few rows).
#[derive(Debug, Clone, Default)]
pub struct PastTable {
    pub times: Vec<i64>,
    n_num: usize,
    /// per row: the cosine and sine of its hour (f64 bits, [`hour_angle`]), its numbers (f32
    /// bits), then its key hashes (0: missing)
    stride: usize,
    rows: Vec<u64>,
}

impl PastTable {
    /// A table of no events.
    pub const EMPTY: PastTable = PastTable {
        times: Vec::new(),
        n_num: 0,
        stride: 0,
        rows: Vec::new(),
    };

    /// An empty table for `spec`'s numbers and keys.
    pub fn empty(spec: &HistorySpec) -> PastTable {
        PastTable {
            n_num: spec.numeric.len(),
            stride: 2 + spec.numeric.len() + spec.keys.len(),
            ..PastTable::default()
        }
    }

    pub fn new<'r>(
        spec: &HistorySpec,
        rows: impl Iterator<Item = (i64, &'r [Value<'static>])>,
    ) -> PastTable {
        let mut t = PastTable::empty(spec);
        let mut buf = KeyBuf::default();
        for (time, values) in rows {
            t.push(spec, time, values, &mut buf);
        }
        t
    }

    /// Appends an event at `time` (ms) with `values` (aligned with the model's inputs).
    pub fn push(&mut self, spec: &HistorySpec, time: i64, values: &[Value<'_>], buf: &mut KeyBuf) {
        self.times.push(time);
        let (cos, sin) = hour_angle(time);
        self.rows.push(cos.to_bits());
        self.rows.push(sin.to_bits());
        for &i in &spec.numeric {
            let x = values.get(i).map_or(f32::NAN, features::number);
            self.rows.push(u64::from(x.to_bits()));
        }
        for &(i, d) in &spec.keys {
            self.rows
                .push(values.get(i).and_then(|v| key_hash(d, v, buf)).unwrap_or(0));
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Bytes held (for a cache's bound).
    pub fn bytes(&self) -> usize {
        (self.times.capacity() + self.rows.capacity()) * 8
    }

    /// Gives back the memory a table that is complete does not need.
    pub fn shrink_to_fit(&mut self) {
        self.times.shrink_to_fit();
        self.rows.shrink_to_fit();
    }

    fn hour_angle(&self, row: usize) -> (f64, f64) {
        let r = row * self.stride;
        (
            f64::from_bits(self.rows[r]),
            f64::from_bits(self.rows[r + 1]),
        )
    }

    fn number(&self, row: usize, j: usize) -> f32 {
        f32::from_bits(self.rows[row * self.stride + 2 + j] as u32)
    }

    fn key(&self, row: usize, k: usize) -> Option<u64> {
        match self.rows[row * self.stride + 2 + self.n_num + k] {
            0 => None,
            h => Some(h),
        }
    }
}

/// Rows `start..end` of a [`PastTable`] whose rows are oldest first, read newest first: an
/// entity's kept past before a scored event.
pub struct NewestFirst<'t> {
    pub table: &'t PastTable,
    pub start: usize,
    pub end: usize,
}

impl<'t> NewestFirst<'t> {
    /// The rows of `table` (times ascending) an event at `now_ms` reads, as training reads
    /// them ([`for_each_history`]): before `now_ms`, at most [`HISTORY_WINDOW_MS`] before, the
    /// newest [`HISTORY_MAX_EVENTS`].
    pub fn before(table: &'t PastTable, now_ms: i64) -> NewestFirst<'t> {
        let (start, end) = window(&table.times, now_ms);
        NewestFirst { table, start, end }
    }
}

/// The range of `times` (ascending) that an event at `now_ms` reads: see [`NewestFirst::before`].
pub fn window(times: &[i64], now_ms: i64) -> (usize, usize) {
    let end = times.partition_point(|&t| t < now_ms);
    let start = times.partition_point(|&t| t < now_ms.saturating_sub(HISTORY_WINDOW_MS));
    (start.max(end.saturating_sub(HISTORY_MAX_EVENTS)), end)
}

impl PastEvents for NewestFirst<'_> {
    fn len(&self) -> usize {
        self.end - self.start
    }
    fn time_ms(&self, i: usize) -> i64 {
        self.table.times[self.end - 1 - i]
    }
    fn hour_angle(&self, i: usize) -> (f64, f64) {
        self.table.hour_angle(self.end - 1 - i)
    }
    fn number(&self, i: usize, j: usize) -> f32 {
        self.table.number(self.end - 1 - i, j)
    }
    fn key(&self, i: usize, k: usize, _: &mut KeyBuf) -> Option<u64> {
        self.table.key(self.end - 1 - i, k)
    }
}

/// Training rows `idx` (newest first) of a [`PastTable`].
pub struct TrainPast<'t> {
    pub table: &'t PastTable,
    pub idx: &'t [usize],
}

impl PastEvents for TrainPast<'_> {
    fn len(&self) -> usize {
        self.idx.len()
    }
    fn time_ms(&self, i: usize) -> i64 {
        self.table.times[self.idx[i]]
    }
    fn hour_angle(&self, i: usize) -> (f64, f64) {
        self.table.hour_angle(self.idx[i])
    }
    fn number(&self, i: usize, j: usize) -> f32 {
        self.table.number(self.idx[i], j)
    }
    fn key(&self, i: usize, k: usize, _: &mut KeyBuf) -> Option<u64> {
        self.table.key(self.idx[i], k)
    }
}

/// Hour of day (fractional, UTC) of a time.
fn hour(ms: i64) -> f32 {
    (ms.rem_euclid(DAY_MS) as f64 / HOUR_MS as f64) as f32
}

/// The cosine and sine of a time's hour of day (UTC) as an angle (24 h = 2π).
pub fn hour_angle(ms: i64) -> (f64, f64) {
    let a = hour(ms) as f64 / 24.0 * std::f64::consts::TAU;
    (a.cos(), a.sin())
}

fn hour_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).abs() % 24.0;
    d.min(24.0 - d)
}

/// The history features of an event at `now_ms` with `current` values into `out`
/// (`out.len() == spec.len()`), allocation-free.
pub fn compute(
    spec: &HistorySpec,
    now_ms: i64,
    current: &[Value<'_>],
    past: &impl PastEvents,
    out: &mut [f32],
) {
    // the events that count, as positions in `past`
    let mut sel = [0usize; HISTORY_MAX_EVENTS];
    let mut n = 0;
    for i in 0..past.len() {
        if n == HISTORY_MAX_EVENTS {
            break;
        }
        let t = past.time_ms(i);
        if t < now_ms && now_ms - t <= HISTORY_WINDOW_MS {
            sel[n] = i;
            n += 1;
        }
    }
    let sel = &sel[..n];
    let age = |i: usize| now_ms - past.time_ms(i);
    let count_within = |w: i64| sel.iter().filter(|&&i| age(i) <= w).count() as f32;
    out[0] = count_within(HOUR_MS);
    out[1] = count_within(DAY_MS);
    out[2] = count_within(7 * DAY_MS);
    out[3] = n as f32;
    out[4] = sel
        .iter()
        .map(|&i| age(i))
        .min()
        .map_or(f32::NAN, |a| a as f32 / 1000.0);
    if n == 0 {
        out[5] = f32::NAN;
        out[6] = f32::NAN;
    } else {
        let h = hour(now_ms);
        let (mut sx, mut sy) = (0f64, 0f64);
        let mut nearest = f32::INFINITY;
        for &i in sel {
            let (cos, sin) = past.hour_angle(i);
            sx += cos;
            sy += sin;
            nearest = nearest.min(hour_distance(h, hour(past.time_ms(i))));
        }
        out[5] = if sx.abs() < 1e-9 && sy.abs() < 1e-9 {
            6.0
        } else {
            let mean = (sy.atan2(sx).rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU
                * 24.0) as f32;
            hour_distance(h, mean)
        };
        out[6] = nearest;
    }
    let mut o = HistorySpec::ENTITY_FEATURES;
    for (j, &input) in spec.numeric.iter().enumerate() {
        let (mut sum24, mut sum, mut cnt) = (0f64, 0f64, 0usize);
        for &i in sel {
            let x = past.number(i, j);
            if x.is_nan() {
                continue;
            }
            sum += x as f64;
            cnt += 1;
            if age(i) <= DAY_MS {
                sum24 += x as f64;
            }
        }
        out[o] = sum24 as f32;
        let cur = current.get(input).map_or(f32::NAN, features::number);
        out[o + 1] = if cnt == 0 || sum == 0.0 || cur.is_nan() {
            f32::NAN
        } else {
            (cur as f64 / (sum / cnt as f64)) as f32
        };
        o += 2;
    }
    let mut buf = KeyBuf::default();
    let mut hashes = [0u64; HISTORY_MAX_EVENTS];
    for (k, &(input, d)) in spec.keys.iter().enumerate() {
        let cur = current.get(input).and_then(|v| key_hash(d, v, &mut buf));
        let mut m = 0;
        let mut same = 0usize;
        for &i in sel {
            if let Some(h) = past.key(i, k, &mut buf) {
                hashes[m] = h;
                m += 1;
                if Some(h) == cur {
                    same += 1;
                }
            }
        }
        let hs = &mut hashes[..m];
        hs.sort_unstable();
        let distinct = if m == 0 {
            0
        } else {
            1 + hs.windows(2).filter(|w| w[0] != w[1]).count()
        };
        match cur {
            Some(_) if n > 0 => {
                out[o] = (same == 0) as u8 as f32;
                out[o + 2] = same as f32 / n as f32;
            }
            _ => {
                out[o] = f32::NAN;
                out[o + 2] = f32::NAN;
            }
        }
        out[o + 1] = distinct as f32;
        o += 3;
    }
}

/// For every training row, the rows of the same entity it may see (strictly earlier, within
/// the window, newest first, at most HISTORY_MAX_EVENTS), handed to `f(row, past_rows)`.
/// Rows are sorted by time. O(rows × HISTORY_MAX_EVENTS).
pub fn for_each_history(
    times: &[i64],
    entities: &[Option<&str>],
    mut f: impl FnMut(usize, &[usize]) -> bool,
) -> bool {
    let mut by_entity: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    let mut buf: Vec<usize> = Vec::with_capacity(HISTORY_MAX_EVENTS);
    for (r, e) in entities.iter().enumerate() {
        buf.clear();
        if let Some(e) = e.filter(|e| !is_unknown(e)) {
            let list = by_entity.entry(e).or_default();
            for &p in list.iter().rev() {
                if buf.len() == HISTORY_MAX_EVENTS || times[r] - times[p] > HISTORY_WINDOW_MS {
                    break;
                }
                if times[p] < times[r] {
                    buf.push(p);
                }
            }
            list.push(r);
        }
        if !f(r, &buf) {
            return false;
        }
    }
    true
}

/// An anonymous entity id.
pub fn is_unknown(e: &str) -> bool {
    e.is_empty() || e == "unknown"
}
