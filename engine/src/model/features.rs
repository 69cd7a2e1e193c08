//! Event features: how one event's variables become the GBDT's f32 inputs.
//!
//! Each input variable gives one or more features, chosen by its data type and AFD variable
//! type ([`derivations`]); a feature remembers the input it comes from, so TreeSHAP contributions sum
//! back into per-variable impacts. NaN is a missing value throughout.
//!
//! | input | features |
//! |---|---|
//! | INTEGER / FLOAT (PRICE, NUMERIC, or no categorical type) | the number |
//! | BOOLEAN | 0 / 1 |
//! | DATETIME | hour of day (UTC), day of week (0 = Monday) |
//! | EMAIL_ADDRESS | domain (categorical, lower case), local part length, digits in the local part |
//! | IP_ADDRESS | /24 prefix and /16 prefix (IPv6: /48 and /32), categorical |
//! | PHONE_NUMBER, BILLING_PHONE, SHIPPING_PHONE | country calling code (categorical, `national` without a `+` or `00`), digit count |
//! | USERAGENT | browser/OS family (categorical, e.g. `Chrome/Windows`), the whole string (categorical) |
//! | FREE_FORM_TEXT | length in characters |
//! | any other STRING (CATEGORICAL, *_ZIP, *_COUNTRY, *_STATE, CARD_BIN, CURRENCY_CODE, ...) | the value (categorical) |
//! | INTEGER with a categorical type (CARD_BIN, *_ZIP, ...) | the number's text (categorical) |
//!
//! Categorical features hold category ids from the training part's vocabulary: values seen
//! at least `max(20, 0.1 % of training rows)` times get ids 1, 2, ... (most frequent first,
//! at most [`MAX_CATEGORIES`]); every other value, and a value first seen at scoring, is the
//! pooled `rare` category 0; a missing value is NaN.

use std::fmt::{self, Write as _};

use chrono::{Datelike, Timelike};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::InputVariable;
use crate::value::{DataType, Value};

/// Categories kept per feature (besides `rare`).
pub const MAX_CATEGORIES: usize = 1000;
/// A category needs at least this many training rows (or 0.1 % of them, if more).
pub const MIN_CATEGORY_COUNT: usize = 20;

/// How a feature is derived from its input's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Derive {
    Number,
    Bool,
    Hour,
    Weekday,
    /// the value itself (its text), categorical
    Category,
    EmailDomain,
    EmailLocalLength,
    EmailLocalDigits,
    Ip24,
    Ip16,
    PhoneCountry,
    PhoneLength,
    UserAgentFamily,
    TextLength,
}

impl Derive {
    pub fn is_categorical(self) -> bool {
        matches!(
            self,
            Derive::Category
                | Derive::EmailDomain
                | Derive::Ip24
                | Derive::Ip16
                | Derive::PhoneCountry
                | Derive::UserAgentFamily
        )
    }
    fn suffix(self) -> &'static str {
        match self {
            Derive::Number => "",
            Derive::Bool => "",
            Derive::Hour => ":hour",
            Derive::Weekday => ":weekday",
            Derive::Category => "",
            Derive::EmailDomain => ":domain",
            Derive::EmailLocalLength => ":local_length",
            Derive::EmailLocalDigits => ":local_digits",
            Derive::Ip24 => ":prefix24",
            Derive::Ip16 => ":prefix16",
            Derive::PhoneCountry => ":country_code",
            Derive::PhoneLength => ":length",
            Derive::UserAgentFamily => ":family",
            Derive::TextLength => ":length",
        }
    }
}

/// A category vocabulary, serialized as the list of kept values (id = position + 1).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocab {
    values: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl From<Vec<String>> for Vocab {
    fn from(values: Vec<String>) -> Vocab {
        let ids = values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.clone(), i as u32 + 1))
            .collect();
        Vocab { values, ids }
    }
}

impl From<Vocab> for Vec<String> {
    fn from(v: Vocab) -> Vec<String> {
        v.values
    }
}

impl Vocab {
    /// The category id of a key: 1.. for kept values, 0 (`rare`) otherwise.
    pub fn id(&self, key: &str) -> f32 {
        self.ids.get(key).map_or(0.0, |&i| i as f32)
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One feature: which input, how derived, and its vocabulary when categorical.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    pub input: usize,
    pub derive: Derive,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocab: Option<Vocab>,
}

/// The features of every input, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Encoder {
    pub features: Vec<Feature>,
}

fn is_phone(t: &str) -> bool {
    matches!(t, "PHONE_NUMBER" | "BILLING_PHONE" | "SHIPPING_PHONE")
}

/// The derivations of one input variable.
pub fn derivations(input: &InputVariable) -> Vec<Derive> {
    let vt = input.variable_type.as_deref().unwrap_or("");
    match input.data_type {
        DataType::Boolean => vec![Derive::Bool],
        DataType::DateTime => vec![Derive::Hour, Derive::Weekday],
        DataType::Integer | DataType::Float => match vt {
            "PRICE" | "NUMERIC" | "" => vec![Derive::Number],
            _ if input.data_type == DataType::Float => vec![Derive::Number],
            _ => vec![Derive::Category],
        },
        DataType::String => match vt {
            "EMAIL_ADDRESS" => vec![
                Derive::EmailDomain,
                Derive::EmailLocalLength,
                Derive::EmailLocalDigits,
            ],
            "IP_ADDRESS" => vec![Derive::Ip24, Derive::Ip16],
            t if is_phone(t) => vec![Derive::PhoneCountry, Derive::PhoneLength],
            "USERAGENT" => vec![Derive::UserAgentFamily, Derive::Category],
            "FREE_FORM_TEXT" => vec![Derive::TextLength],
            "PRICE" | "NUMERIC" => vec![Derive::Number],
            _ => vec![Derive::Category],
        },
    }
}

/// A key written without allocating: up to 256 bytes (longer keys are cut at a character
/// boundary).
pub struct KeyBuf {
    buf: [u8; 256],
    len: usize,
}

impl Default for KeyBuf {
    fn default() -> Self {
        KeyBuf {
            buf: [0; 256],
            len: 0,
        }
    }
}

impl KeyBuf {
    pub fn clear(&mut self) {
        self.len = 0;
    }
    /// The key's bytes (what its hash is of: no UTF-8 check needed).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    pub fn as_str(&self) -> &str {
        // only whole characters are ever written
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
    /// An ASCII byte (ignored when full, as `write_str` cuts).
    fn push_byte(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }
    fn push_lower(&mut self, s: &str) {
        if s.is_ascii() {
            // the usual case, byte by byte (an ASCII character's lowercase is its ASCII one)
            for &b in s.as_bytes() {
                self.push_byte(b.to_ascii_lowercase());
            }
            return;
        }
        for c in s.chars() {
            for l in c.to_lowercase() {
                let _ = self.write_char(l);
            }
        }
    }
}

impl fmt::Write for KeyBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len() - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

fn email_parts(s: &str) -> (&str, &str) {
    match s.rfind('@') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// The browser and OS family of a user agent, e.g. `Chrome/Windows`.
pub fn useragent_family(ua: &str) -> &'static str {
    let has = |p: &str| ua.contains(p);
    let low_bot = [
        "bot",
        "Bot",
        "curl",
        "python",
        "Python",
        "Wget",
        "spider",
        "HeadlessChrome",
    ];
    if low_bot.iter().any(|p| has(p)) {
        return "Bot";
    }
    let browser = if has("Edg") {
        0
    } else if has("OPR") || has("Opera") {
        1
    } else if has("Firefox") || has("FxiOS") {
        2
    } else if has("Chrome") || has("CriOS") || has("Chromium") {
        3
    } else if has("Safari") {
        4
    } else if has("MSIE") || has("Trident") {
        5
    } else {
        6
    };
    let os = if has("Windows") {
        0
    } else if has("Android") {
        1
    } else if has("iPhone") || has("iPad") || has("iPod") {
        2
    } else if has("Mac OS X") || has("Macintosh") {
        3
    } else if has("Linux") || has("X11") {
        4
    } else {
        5
    };
    const T: [[&str; 6]; 7] = [
        [
            "Edge/Windows",
            "Edge/Android",
            "Edge/iOS",
            "Edge/Mac",
            "Edge/Linux",
            "Edge/Other",
        ],
        [
            "Opera/Windows",
            "Opera/Android",
            "Opera/iOS",
            "Opera/Mac",
            "Opera/Linux",
            "Opera/Other",
        ],
        [
            "Firefox/Windows",
            "Firefox/Android",
            "Firefox/iOS",
            "Firefox/Mac",
            "Firefox/Linux",
            "Firefox/Other",
        ],
        [
            "Chrome/Windows",
            "Chrome/Android",
            "Chrome/iOS",
            "Chrome/Mac",
            "Chrome/Linux",
            "Chrome/Other",
        ],
        [
            "Safari/Windows",
            "Safari/Android",
            "Safari/iOS",
            "Safari/Mac",
            "Safari/Linux",
            "Safari/Other",
        ],
        [
            "IE/Windows",
            "IE/Android",
            "IE/iOS",
            "IE/Mac",
            "IE/Linux",
            "IE/Other",
        ],
        [
            "Other/Windows",
            "Other/Android",
            "Other/iOS",
            "Other/Mac",
            "Other/Linux",
            "Other/Other",
        ],
    ];
    T[browser][os]
}

/// The country calling code of a phone number written with `+` or `00`; `national` otherwise.
fn phone_country(s: &str, out: &mut KeyBuf) {
    let t = s.trim_start();
    let intl = if let Some(r) = t.strip_prefix('+') {
        Some(r)
    } else {
        t.strip_prefix("00")
    };
    let Some(rest) = intl else {
        let _ = out.write_str("national");
        return;
    };
    let mut d = [0u8; 3];
    let mut n = 0;
    for b in rest.bytes() {
        if b.is_ascii_digit() {
            d[n] = b;
            n += 1;
            if n == 3 {
                break;
            }
        } else if !matches!(b, b' ' | b'-' | b'(' | b')' | b'.') {
            break;
        }
    }
    if n == 0 {
        let _ = out.write_str("invalid");
        return;
    }
    let two = |a: u8, b: u8| (a - b'0') as u32 * 10 + (b - b'0') as u32;
    let len = if d[0] == b'1' || d[0] == b'7' {
        1
    } else if n >= 2
        && matches!(two(d[0], d[1]), 20 | 27 | 30..=34 | 36 | 39 | 40 | 41 | 43..=49 | 51..=58 | 60..=66 | 81 | 82 | 84 | 86 | 90..=95 | 98)
    {
        2
    } else {
        n.min(3)
    };
    let _ = out.write_str(std::str::from_utf8(&d[..len.min(n)]).unwrap_or(""));
}

fn ip_prefix(s: &str, wide: bool, out: &mut KeyBuf) -> bool {
    match s.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            // "a.b" or "a.b.c", written without the formatting machinery (scoring's hot path)
            let o = a.octets();
            let n = if wide { 2 } else { 3 };
            for (i, &x) in o[..n].iter().enumerate() {
                if i > 0 {
                    out.push_byte(b'.');
                }
                if x >= 100 {
                    out.push_byte(b'0' + x / 100);
                }
                if x >= 10 {
                    out.push_byte(b'0' + x / 10 % 10);
                }
                out.push_byte(b'0' + x % 10);
            }
            true
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let g = a.segments();
            if wide {
                let _ = write!(out, "{:x}:{:x}", g[0], g[1]);
            } else {
                let _ = write!(out, "{:x}:{:x}:{:x}", g[0], g[1], g[2]);
            }
            true
        }
        Err(_) => {
            let _ = out.write_str("invalid");
            true
        }
    }
}

/// The text of a value, for the categorical derivations of non-strings.
fn write_value(v: &Value<'_>, out: &mut KeyBuf) {
    let _ = match v {
        Value::Null => Ok(()),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => write!(out, "{i}"),
        Value::Float(f) => write!(out, "{f}"),
        Value::Str(s) => out.write_str(s),
        Value::DateTime(t) => write!(out, "{t}"),
    };
}

/// The category key of a categorical derivation into `out`; false when the value is missing.
pub fn category_key(derive: Derive, v: &Value<'_>, out: &mut KeyBuf) -> bool {
    out.clear();
    if v.is_null() {
        return false;
    }
    let s = match v {
        Value::Str(s) => s.as_ref(),
        _ => {
            write_value(v, out);
            return true;
        }
    };
    match derive {
        Derive::EmailDomain => out.push_lower(email_parts(s.trim()).1),
        Derive::Ip24 => return ip_prefix(s, false, out),
        Derive::Ip16 => return ip_prefix(s, true, out),
        Derive::PhoneCountry => phone_country(s, out),
        Derive::UserAgentFamily => {
            let _ = out.write_str(useragent_family(s));
        }
        _ => {
            let _ = out.write_str(s);
        }
    }
    true
}

/// A number from a value: numbers as they are, strings parsed (PRICE held as text).
pub fn number(v: &Value<'_>) -> f32 {
    match v {
        Value::Int(i) => *i as f32,
        Value::Float(f) => *f as f32,
        Value::Bool(b) => *b as u8 as f32,
        Value::Str(s) => s.trim().parse::<f64>().map_or(f32::NAN, |f| f as f32),
        Value::DateTime(t) => *t as f32,
        Value::Null => f32::NAN,
    }
}

/// The value of a numeric derivation (NaN when missing).
pub fn numeric(derive: Derive, v: &Value<'_>) -> f32 {
    if v.is_null() {
        return f32::NAN;
    }
    match derive {
        Derive::Number => number(v),
        Derive::Bool => match v {
            Value::Bool(b) => *b as u8 as f32,
            Value::Str(s) if s.trim().eq_ignore_ascii_case("true") => 1.0,
            Value::Str(s) if s.trim().eq_ignore_ascii_case("false") => 0.0,
            Value::Str(_) => f32::NAN,
            other => number(other).min(1.0),
        },
        Derive::Hour | Derive::Weekday => {
            let ms = match v {
                Value::DateTime(t) => *t,
                Value::Str(s) => match crate::value::parse_datetime(s) {
                    Some(t) => t,
                    None => return f32::NAN,
                },
                _ => return f32::NAN,
            };
            match chrono::DateTime::from_timestamp_millis(ms) {
                Some(t) if derive == Derive::Hour => t.hour() as f32,
                Some(t) => t.weekday().num_days_from_monday() as f32,
                None => f32::NAN,
            }
        }
        Derive::EmailLocalLength | Derive::EmailLocalDigits => match v {
            Value::Str(s) => {
                let local = email_parts(s.trim()).0;
                if derive == Derive::EmailLocalLength {
                    local.chars().count() as f32
                } else {
                    local.bytes().filter(u8::is_ascii_digit).count() as f32
                }
            }
            _ => f32::NAN,
        },
        Derive::PhoneLength => match v {
            Value::Str(s) => s.bytes().filter(u8::is_ascii_digit).count() as f32,
            Value::Int(i) => (i.unsigned_abs().checked_ilog10().unwrap_or(0) + 1) as f32,
            _ => f32::NAN,
        },
        Derive::TextLength => match v {
            Value::Str(s) => s.chars().count() as f32,
            _ => f32::NAN,
        },
        _ => f32::NAN,
    }
}

impl Encoder {
    /// The features of `inputs` (those in `usable`), vocabularies learnt from `rows`.
    pub fn fit<'r, I>(inputs: &[InputVariable], usable: &[bool], rows: I, n_rows: usize) -> Encoder
    where
        I: Iterator<Item = &'r [Value<'static>]> + Clone,
    {
        let mut features = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            if !usable[i] {
                continue;
            }
            for d in derivations(input) {
                features.push(Feature {
                    name: format!("{}{}", input.name, d.suffix()),
                    input: i,
                    derive: d,
                    vocab: None,
                });
            }
        }
        let min_count = MIN_CATEGORY_COUNT.max(n_rows / 1000);
        let mut key = KeyBuf::default();
        for f in features.iter_mut().filter(|f| f.derive.is_categorical()) {
            let mut counts: FxHashMap<String, usize> = FxHashMap::default();
            for row in rows.clone() {
                if category_key(f.derive, row.get(f.input).unwrap_or(&Value::Null), &mut key) {
                    match counts.get_mut(key.as_str()) {
                        Some(c) => *c += 1,
                        None => {
                            counts.insert(key.as_str().to_owned(), 1);
                        }
                    }
                }
            }
            let mut kept: Vec<(String, usize)> = counts
                .into_iter()
                .filter(|(_, c)| *c >= min_count)
                .collect();
            kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            kept.truncate(MAX_CATEGORIES);
            f.vocab = Some(Vocab::from(
                kept.into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ));
        }
        Encoder { features }
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Which columns are categorical.
    pub fn categorical(&self) -> Vec<bool> {
        self.features
            .iter()
            .map(|f| f.derive.is_categorical())
            .collect()
    }

    /// Encodes one event into `out` (`out.len() == self.len()`), allocation-free.
    pub fn encode(&self, values: &[Value<'_>], out: &mut [f32]) {
        let mut key = KeyBuf::default();
        for (f, o) in self.features.iter().zip(out.iter_mut()) {
            let v = values.get(f.input).unwrap_or(&Value::Null);
            *o = match &f.vocab {
                Some(vocab) => {
                    if category_key(f.derive, v, &mut key) {
                        vocab.id(key.as_str())
                    } else {
                        f32::NAN
                    }
                }
                None => numeric(f.derive, v),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IPv4 prefixes are the text `format!` gives, for every octet value (trained models
    /// hold these texts in their vocabularies).
    #[test]
    fn ip_prefixes_are_the_formatted_octets() {
        let mut out = KeyBuf::default();
        for x in 0..=255u16 {
            let ip = format!("{x}.{}.{}.7", 255 - x, x / 3);
            assert!(ip_prefix(&ip, false, &mut out));
            assert_eq!(out.as_str(), format!("{x}.{}.{}", 255 - x, x / 3));
            out.clear();
            assert!(ip_prefix(&ip, true, &mut out));
            assert_eq!(out.as_str(), format!("{x}.{}", 255 - x));
            out.clear();
        }
        assert!(ip_prefix("2001:db8:1:2::1", false, &mut out));
        assert_eq!(out.as_str(), "2001:db8:1");
        out.clear();
        assert!(ip_prefix("nope", false, &mut out));
        assert_eq!(out.as_str(), "invalid");
    }

    /// Lowercasing takes the ASCII path or the Unicode one with the same result.
    #[test]
    fn lowercase_keys_are_the_unicode_lowercase() {
        for s in [
            "Gmail.COM",
            "x@Example.Org",
            "ÉCOLE.fr",
            "Straße.DE",
            "",
            "ǅ.com",
        ] {
            let mut out = KeyBuf::default();
            out.push_lower(s);
            assert_eq!(out.as_str(), s.to_lowercase(), "{s}");
        }
    }
}
