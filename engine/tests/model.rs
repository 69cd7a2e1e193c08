//! The model layer end to end on generated data: encoding, history, validation, training of
//! the three model types, calibration, explanations, serde, determinism, cancellation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

use fraud_engine::model::features::{self, Derive, Encoder};
use fraud_engine::model::gbdt::Params;
use fraud_engine::model::history::{
    self, HistorySpec, NewestFirst, PastTable, ScoringPast, TrainPast,
};
use fraud_engine::model::{
    self, InputVariable, ModelType, PastEvent, TrainError, TrainProgress, TrainingRow, TrainingSet,
    HISTORY_MAX_EVENTS, HISTORY_WINDOW_MS,
};
use fraud_engine::value::{DataType, Value};

/// Counts the allocations of each thread (scoring must not allocate).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.f().max(1e-12), self.f());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn var(name: &str, dt: DataType, vt: Option<&str>) -> InputVariable {
    InputVariable {
        name: name.into(),
        data_type: dt,
        variable_type: vt.map(str::to_string),
    }
}

fn s(x: String) -> Value<'static> {
    Value::Str(Cow::Owned(x))
}

const T0: i64 = 1_700_000_000_000;

const UAS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
];

fn ofi_inputs() -> Vec<InputVariable> {
    vec![
        var("email", DataType::String, Some("EMAIL_ADDRESS")),
        var("ip", DataType::String, Some("IP_ADDRESS")),
        var("amount", DataType::Float, Some("PRICE")),
        var("phone", DataType::String, Some("PHONE_NUMBER")),
        var("ua", DataType::String, Some("USERAGENT")),
        var("country", DataType::String, Some("BILLING_COUNTRY")),
        var("returning", DataType::Boolean, None),
        var("notes", DataType::String, Some("FREE_FORM_TEXT")),
    ]
}

/// OFI data: the signal is in the event (email domain and digits, amount, phone country,
/// country, user agent); ~5 % fraud.
fn ofi_set(n: usize, seed: u64) -> TrainingSet {
    let mut r = Rng(seed);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let domain =
            ["gmail.com", "yahoo.com", "outlook.com", "mailinator.xyz"][r.below(4) as usize];
        let digits = r.below(5);
        let amount = (3.5 + r.normal()).exp();
        let cc = ["+1", "+44", "+234", "+49"][r.below(4) as usize];
        let country = ["US", "GB", "NG", "DE"][r.below(4) as usize];
        let ua = r.below(4) as usize;
        let returning = r.f() < 0.6;
        let mut z = -4.6 + r.normal() * 0.5;
        z += if domain == "mailinator.xyz" { 1.6 } else { 0.0 };
        z += 0.35 * digits as f64;
        z += 0.8 * (amount.ln() - 3.5);
        z += if cc == "+234" { 1.0 } else { 0.0 };
        z += if returning { -1.2 } else { 0.0 };
        z += if ua == 2 { 0.7 } else { 0.0 };
        let label = r.f() < 1.0 / (1.0 + (-z).exp());
        let local: String = (0..6)
            .map(|k| (b'a' + ((i * 7 + k) % 26) as u8) as char)
            .collect();
        let nums: String = (0..digits)
            .map(|k| char::from(b'0' + ((i + k as usize) % 10) as u8))
            .collect();
        rows.push(TrainingRow {
            time_ms: T0 + i as i64 * 60_000,
            entity: Some(format!("c{}", r.below(3000))),
            values: vec![
                s(format!("{local}{nums}@{domain}")),
                s(format!(
                    "10.{}.{}.{}",
                    r.below(4),
                    r.below(256),
                    r.below(256)
                )),
                Value::Float((amount * 100.0).round() / 100.0),
                s(format!("{cc} 555 {:04}", r.below(10000))),
                s(UAS[ua].to_string()),
                s(country.to_string()),
                Value::Bool(returning),
                if r.f() < 0.95 {
                    Value::Null
                } else {
                    s(if r.f() < 0.5 {
                        "call me"
                    } else {
                        "leave at door"
                    }
                    .into())
                },
            ],
            label,
        });
    }
    TrainingSet {
        model_type: ModelType::OnlineFraudInsights,
        inputs: ofi_inputs(),
        rows,
    }
}

/// Transaction data whose signal is in the entity's history: a fraud transaction comes from
/// an IP and user agent new to the customer, for an amount far above the customer's usual
/// one; per-event values alone say little (customers' amounts differ widely, every IP is
/// rare).
fn tfi_set(n: usize, seed: u64, model_type: ModelType) -> TrainingSet {
    let mut r = Rng(seed);
    let customers = 1500usize;
    let home: Vec<(u64, usize, f64)> = (0..customers)
        .map(|_| (r.next(), r.below(4) as usize, 2.5 + 1.2 * r.normal()))
        .collect();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let c = r.below(customers as u64) as usize;
        let (ip_home, ua_home, mu) = home[c];
        let fraud = r.f() < 0.05;
        let (ip, ua, amount) = if fraud {
            let ip = r.next();
            let ua = if r.f() < 0.7 {
                r.below(4) as usize
            } else {
                ua_home
            };
            (ip, ua, (mu + 1.3 + 0.5 * r.normal()).exp())
        } else {
            let ip = if r.f() < 0.9 { ip_home } else { r.next() };
            let ua = if r.f() < 0.95 {
                ua_home
            } else {
                r.below(4) as usize
            };
            (ip, ua, (mu + 0.5 * r.normal()).exp())
        };
        let ip = format!(
            "{}.{}.{}.{}",
            ip % 223 + 1,
            (ip >> 8) % 256,
            (ip >> 16) % 256,
            (ip >> 24) % 256
        );
        rows.push(TrainingRow {
            time_ms: T0 + i as i64 * 90_000,
            entity: Some(format!("cust{c}")),
            values: vec![
                s(ip),
                s(UAS[ua].to_string()),
                Value::Float((amount * 100.0).round() / 100.0),
            ],
            label: fraud,
        });
    }
    TrainingSet {
        model_type,
        inputs: vec![
            var("ip", DataType::String, Some("IP_ADDRESS")),
            var("ua", DataType::String, Some("USERAGENT")),
            var("amount", DataType::Float, Some("PRICE")),
        ],
        rows,
    }
}

/// Logins: each account logs in from its home IP and browser around its usual hour; a
/// takeover (labelled fraud, ~2 %) comes from elsewhere at another hour.
fn ati_set(accounts: usize, logins: usize, seed: u64) -> TrainingSet {
    let mut r = Rng(seed);
    let home: Vec<(u64, usize, i64)> = (0..accounts)
        .map(|_| (r.next(), r.below(4) as usize, r.below(24) as i64))
        .collect();
    let mut rows = Vec::new();
    let span = 25 * 86_400_000i64;
    for _ in 0..accounts * logins {
        let a = r.below(accounts as u64) as usize;
        let (ip_home, ua_home, hour) = home[a];
        let day = r.below(25) as i64;
        let takeover = r.f() < 0.02;
        let (ip, ua, h) = if takeover {
            (r.next(), r.below(4) as usize, r.below(24) as i64)
        } else {
            (
                if r.f() < 0.92 { ip_home } else { r.next() },
                if r.f() < 0.95 {
                    ua_home
                } else {
                    r.below(4) as usize
                },
                (hour + r.below(3) as i64 - 1).rem_euclid(24),
            )
        };
        let t = T0 + (day * 86_400_000 + h * 3_600_000 + r.below(3_600_000) as i64).min(span);
        rows.push(TrainingRow {
            time_ms: t,
            entity: Some(format!("user{a}")),
            values: vec![
                s(format!(
                    "{}.{}.{}.{}",
                    ip % 223 + 1,
                    (ip >> 8) % 256,
                    (ip >> 16) % 256,
                    (ip >> 24) % 256
                )),
                s(UAS[ua].to_string()),
            ],
            label: takeover,
        });
    }
    rows.sort_by_key(|r| r.time_ms);
    TrainingSet {
        model_type: ModelType::AccountTakeoverInsights,
        inputs: vec![
            var("ip", DataType::String, Some("IP_ADDRESS")),
            var("ua", DataType::String, Some("USERAGENT")),
        ],
        rows,
    }
}

fn fast_params() -> Params {
    Params {
        max_trees: 150,
        early_stopping_rounds: 20,
        ..model::default_params()
    }
}

fn quiet(_: &TrainProgress) -> bool {
    true
}

/// The test part (last 15 %) of a set's rows.
fn test_part(n: usize) -> std::ops::Range<usize> {
    (n * 70 / 100 + n * 15 / 100)..n
}

/// The history the database would hand over for row `r`: the entity's events before it in
/// the set, newest first, as stored (including events at the same time, and the event
/// itself, which `compute` must ignore).
fn db_history(set: &TrainingSet, r: usize) -> Vec<PastEvent<'static>> {
    let e = &set.rows[r].entity;
    let mut out: Vec<PastEvent> = set.rows[..=r]
        .iter()
        .rev()
        .filter(|x| &x.entity == e)
        .map(|x| PastEvent {
            time_ms: x.time_ms,
            values: x.values.clone(),
        })
        .collect();
    out.truncate(HISTORY_MAX_EVENTS + 5);
    out
}

fn auc(pos: &[f64], neg: &[f64]) -> f64 {
    model::metrics::auc(pos, neg)
}

#[test]
fn model_encoding_of_each_derived_type() {
    let inputs = vec![
        var("email", DataType::String, Some("EMAIL_ADDRESS")),
        var("ip", DataType::String, Some("IP_ADDRESS")),
        var("phone", DataType::String, Some("PHONE_NUMBER")),
        var("ua", DataType::String, Some("USERAGENT")),
        var("when", DataType::DateTime, None),
        var("ok", DataType::Boolean, None),
        var("text", DataType::String, Some("FREE_FORM_TEXT")),
        var("bin", DataType::Integer, Some("CARD_BIN")),
        var("price", DataType::String, Some("PRICE")),
    ];
    let row = |e: &str, ip: &str| -> Vec<Value<'static>> {
        vec![
            s(e.into()),
            s(ip.into()),
            s("+44 20 7946 0958".into()),
            s(UAS[0].into()),
            Value::DateTime(T0), // 2023-11-14T22:13:20Z, a Tuesday
            Value::Bool(true),
            s("héllo".into()),
            Value::Int(411111),
            s("12.5".into()),
        ]
    };
    let rows: Vec<Vec<Value<'static>>> = (0..30)
        .map(|_| row("John.Doe42@Example.COM", "192.168.1.20"))
        .collect();
    let enc = Encoder::fit(&inputs, &[true; 9], rows.iter().map(|r| &r[..]), 30);
    let names: Vec<&str> = enc.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "email:domain",
            "email:local_length",
            "email:local_digits",
            "ip:prefix24",
            "ip:prefix16",
            "phone:country_code",
            "phone:length",
            "ua:family",
            "ua",
            "when:hour",
            "when:weekday",
            "ok",
            "text:length",
            "bin",
            "price"
        ]
    );
    let mut out = vec![0f32; enc.len()];
    enc.encode(&rows[0], &mut out);
    assert_eq!(
        out,
        [1.0, 10.0, 2.0, 1.0, 1.0, 1.0, 12.0, 1.0, 1.0, 22.0, 1.0, 1.0, 5.0, 1.0, 12.5]
    );
    // unseen values are the rare category 0; missing values NaN
    let mut other = row("x@other.org", "10.0.0.1");
    other[2] = s("020 7946 0958".into());
    other[3] = s("curl/8.0".into());
    other[7] = Value::Int(522222);
    enc.encode(&other, &mut out);
    assert_eq!(&out[..9], &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 11.0, 0.0, 0.0]);
    assert_eq!(out[13], 0.0);
    let missing = vec![Value::Null; 9];
    enc.encode(&missing, &mut out);
    assert!(out.iter().all(|x| x.is_nan()), "{out:?}");
    // the derivations on their own
    let mut k = features::KeyBuf::default();
    assert!(features::category_key(
        Derive::Ip24,
        &s("2001:db8:85a3::8a2e:370:7334".into()),
        &mut k
    ));
    assert_eq!(k.as_str(), "2001:db8:85a3");
    features::category_key(Derive::Ip16, &s("8.8.4.4".into()), &mut k);
    assert_eq!(k.as_str(), "8.8");
    features::category_key(Derive::PhoneCountry, &s("+1 (415) 555-0100".into()), &mut k);
    assert_eq!(k.as_str(), "1");
    features::category_key(
        Derive::PhoneCountry,
        &s("00234 803 000 0000".into()),
        &mut k,
    );
    assert_eq!(k.as_str(), "234");
    assert_eq!(features::useragent_family(UAS[1]), "Safari/iOS");
    assert_eq!(features::useragent_family(UAS[2]), "Firefox/Linux");
    assert_eq!(features::useragent_family("python-requests/2.31"), "Bot");
    assert!(!features::category_key(
        Derive::EmailDomain,
        &Value::Null,
        &mut k
    ));
}

#[test]
fn model_rare_values_are_pooled() {
    let inputs = vec![var("c", DataType::String, Some("CATEGORICAL"))];
    let rows: Vec<Vec<Value<'static>>> = (0..1000)
        .map(|i| {
            vec![s(if i % 2 == 0 {
                "common".into()
            } else {
                format!("v{}", i % 50)
            })]
        })
        .collect();
    let enc = Encoder::fit(&inputs, &[true], rows.iter().map(|r| &r[..]), 1000);
    let vocab = enc.features[0].vocab.as_ref().unwrap();
    // "common" 500 times; each v{odd} 20 times (kept: 20 >= max(20, 1)); nothing else
    assert_eq!(vocab.id("common"), 1.0);
    assert_eq!(vocab.len(), 26);
    assert_eq!(vocab.id("never"), 0.0);
}

#[test]
fn model_history_is_point_in_time_and_the_same_at_scoring() {
    let set = tfi_set(3000, 7, ModelType::TransactionFraudInsights);
    // two events of one entity at the same millisecond see neither each other
    let mut rows = set.rows.clone();
    rows[11].entity = rows[10].entity.clone();
    rows[11].time_ms = rows[10].time_ms;
    let set = TrainingSet { rows, ..set };
    let spec = HistorySpec::new(&set.inputs, &[true, true, true]);
    let table = PastTable::new(&spec, set.rows.iter().map(|r| (r.time_ms, &r.values[..])));
    let entities: Vec<Option<&str>> = set.rows.iter().map(|r| r.entity.as_deref()).collect();
    let mut train_features = Vec::new();
    history::for_each_history(&table.times, &entities, |r, past| {
        for &p in past {
            assert!(
                set.rows[p].time_ms < set.rows[r].time_ms,
                "row {r} sees {p}"
            );
            assert_eq!(set.rows[p].entity, set.rows[r].entity);
        }
        let mut out = vec![0f32; spec.len()];
        let view = TrainPast {
            table: &table,
            idx: past,
        };
        history::compute(
            &spec,
            set.rows[r].time_ms,
            &set.rows[r].values,
            &view,
            &mut out,
        );
        train_features.push(out);
        true
    });
    assert_eq!(train_features[11][3], train_features[10][3]);
    let mut seen_history = 0;
    for (r, trained) in train_features.iter().enumerate() {
        let past = db_history(&set, r);
        let mut out = vec![0f32; spec.len()];
        let view = ScoringPast {
            spec: &spec,
            events: &past,
        };
        history::compute(
            &spec,
            set.rows[r].time_ms,
            &set.rows[r].values,
            &view,
            &mut out,
        );
        let a: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
        let b: Vec<u32> = trained.iter().map(|x| x.to_bits()).collect();
        assert_eq!(a, b, "row {r}");
        if out[3] > 0.0 {
            seen_history += 1;
        }
        // an entity's cached past (every event of the entity, oldest first, as one table) read
        // up to the scored event's time gives the same features
        let e = &set.rows[r].entity;
        let own = PastTable::new(
            &spec,
            set.rows
                .iter()
                .filter(|x| &x.entity == e)
                .map(|x| (x.time_ms, &x.values[..])),
        );
        let now = set.rows[r].time_ms;
        let view = NewestFirst::before(&own, now);
        let mut cached = vec![0f32; spec.len()];
        history::compute(&spec, now, &set.rows[r].values, &view, &mut cached);
        let c: Vec<u32> = cached.iter().map(|x| x.to_bits()).collect();
        assert_eq!(c, b, "row {r}, cached");
    }
    assert!(seen_history > 1000);
    // an anonymous entity has no history
    let entities: Vec<Option<&str>> = vec![Some("unknown"), Some("unknown"), None];
    history::for_each_history(&[1, 2, 3], &entities, |_, past| {
        assert!(past.is_empty());
        true
    });
}

/// An entity's kept past read at a time selects exactly the rows training lets an event at
/// that time see: ties at the event's millisecond, the window's edge and the cap of
/// HISTORY_MAX_EVENTS included.
#[test]
fn model_history_window_is_trainings() {
    let mut rng = Rng(11);
    for round in 0..20 {
        // one entity, times ascending with many ties, dense enough to pass the cap
        let mut times: Vec<i64> = (0..400)
            .map(|_| {
                rng.below(if round % 2 == 0 {
                    3 * HISTORY_WINDOW_MS as u64
                } else {
                    500
                }) as i64
            })
            .collect();
        times.sort_unstable();
        if round % 3 == 0 {
            // events exactly one window apart
            times[200] = times[100] + HISTORY_WINDOW_MS;
            times.sort_unstable();
        }
        let entities = vec![Some("e"); times.len()];
        history::for_each_history(&times, &entities, |r, past| {
            let (start, end) = history::window(&times, times[r]);
            let selected: Vec<usize> = (start..end).rev().collect();
            assert_eq!(past, &selected[..], "round {round}, row {r}");
            true
        });
    }
}

#[test]
fn model_history_features_mean_what_they_say() {
    let inputs = vec![
        var("ip", DataType::String, Some("IP_ADDRESS")),
        var("amount", DataType::Float, Some("PRICE")),
    ];
    let spec = HistorySpec::new(&inputs, &[true, true]);
    let names: Vec<String> = spec.features(&inputs).into_iter().map(|f| f.0).collect();
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    let ev = |t: i64, ip: &str, a: f64| PastEvent {
        time_ms: t,
        values: vec![s(ip.into()), Value::Float(a)],
    };
    let now = T0 + 40 * 86_400_000;
    let h = 3_600_000;
    let past = vec![
        ev(now, "1.2.3.4", 1000.0),            // the event itself: ignored
        ev(now - h / 2, "1.2.3.4", 10.0),      // 30 minutes ago
        ev(now - 5 * h, "1.2.9.9", 30.0),      // 5 hours ago
        ev(now - 48 * h, "1.2.3.4", 20.0),     // 2 days ago
        ev(now - 31 * 24 * h, "7.7.7.7", 1e6), // beyond the window
    ];
    let mut out = vec![0f32; spec.len()];
    let cur = vec![s("5.5.5.5".into()), Value::Float(40.0)];
    history::compute(
        &spec,
        now,
        &cur,
        &ScoringPast {
            spec: &spec,
            events: &past,
        },
        &mut out,
    );
    assert_eq!(out[at("entity_events_1h")], 1.0);
    assert_eq!(out[at("entity_events_24h")], 2.0);
    assert_eq!(out[at("entity_events_7d")], 3.0);
    assert_eq!(out[at("entity_events_30d")], 3.0);
    assert_eq!(out[at("entity_seconds_since_previous")], 1800.0);
    assert_eq!(out[at("amount:entity_sum_24h")], 40.0);
    assert_eq!(out[at("amount:entity_ratio_to_mean")], 2.0);
    assert_eq!(out[at("ip:entity_new")], 1.0);
    assert_eq!(out[at("ip:entity_distinct")], 2.0);
    assert_eq!(out[at("ip:prefix24:entity_new")], 1.0);
    let cur = vec![s("1.2.3.77".into()), Value::Null];
    history::compute(
        &spec,
        now,
        &cur,
        &ScoringPast {
            spec: &spec,
            events: &past,
        },
        &mut out,
    );
    assert_eq!(out[at("ip:entity_new")], 1.0);
    assert_eq!(out[at("ip:prefix24:entity_new")], 0.0);
    assert!((out[at("ip:prefix24:entity_share_same")] - 2.0 / 3.0).abs() < 1e-6);
    assert!(out[at("amount:entity_ratio_to_mean")].is_nan());
    history::compute(
        &spec,
        now,
        &cur,
        &ScoringPast {
            spec: &spec,
            events: &[],
        },
        &mut out,
    );
    assert_eq!(out[at("entity_events_30d")], 0.0);
    assert!(out[at("entity_seconds_since_previous")].is_nan());
    assert!(out[at("ip:entity_new")].is_nan());
}

#[test]
fn model_validation_refuses_what_afd_refuses() {
    let errors = |set: &TrainingSet| -> Vec<String> {
        let v = model::validate(set);
        let msgs: Vec<String> = v.metrics["fileLevelMessages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["type"] == "ERROR")
            .map(|m| m["title"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(v.fatal, !msgs.is_empty());
        msgs
    };
    let small = ofi_set(9000, 1);
    assert_eq!(errors(&small)[0], "Insufficient data");
    let mut few_fraud = ofi_set(12000, 1);
    for (i, r) in few_fraud.rows.iter_mut().enumerate() {
        r.label = i % 100 == 0;
    }
    assert_eq!(errors(&few_fraud), ["Insufficient fraud labels"]);
    let mut no_var = ofi_set(12000, 1);
    for r in &mut no_var.rows {
        r.values = vec![
            Value::Null,
            s("1.1.1.1".into()),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ];
    }
    assert_eq!(errors(&no_var), ["No usable variable"]);
    match model::train(&no_var, &mut quiet) {
        Err(TrainError::Invalid(m)) => {
            assert!(m["fieldLevelMessages"].as_array().unwrap().len() >= 8)
        }
        _ => panic!("trained without a usable variable"),
    }
    // warnings: notes is 95 % missing
    let ok = ofi_set(12000, 1);
    let v = model::validate(&ok);
    assert!(!v.fatal);
    let fields = v.metrics["fieldLevelMessages"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0]["fieldName"], "notes");
    assert_eq!(fields[0]["type"], "WARNING");
    // ATI: needs a user agent and enough accounts; labels are optional
    let mut ati = ati_set(1600, 8, 3);
    assert_eq!(errors(&ati), Vec::<String>::new());
    ati.inputs[1].variable_type = Some("CATEGORICAL".into());
    assert_eq!(errors(&ati), ["Missing required variable"]);
    let few = ati_set(1000, 12, 3);
    assert_eq!(errors(&few), ["Insufficient entities"]);
    // TFI: entities needed
    let mut anon = tfi_set(12000, 1, ModelType::TransactionFraudInsights);
    for r in &mut anon.rows {
        r.entity = Some("unknown".into());
    }
    assert_eq!(errors(&anon), ["No entities"]);
}

#[test]
fn model_ofi_learns_calibrates_explains_and_round_trips() {
    let set = ofi_set(20_000, 42);
    let mut calls = 0;
    let trained = model::train_with(&set, &fast_params(), &mut |p| {
        assert!((0.0..=1.0).contains(&p.fraction));
        calls += 1;
        true
    })
    .unwrap();
    assert!(calls > 3);
    let m = &trained.model;
    let rep = &trained.report;
    let v2 = &rep["trainingResultV2"]["trainingMetricsV2"]["ofi"];
    let auc = v2["modelPerformance"]["auc"].as_f64().unwrap();
    let lo = v2["modelPerformance"]["uncertaintyRange"]["lowerBoundValue"]
        .as_f64()
        .unwrap();
    let hi = v2["modelPerformance"]["uncertaintyRange"]["upperBoundValue"]
        .as_f64()
        .unwrap();
    assert!(auc > 0.75, "{auc}");
    assert!(lo < auc && auc < hi);
    assert_eq!(v2["metricDataPoints"].as_array().unwrap().len(), 101);
    assert_eq!(
        rep["trainingResult"]["trainingMetrics"]["auc"]
            .as_f64()
            .unwrap(),
        auc
    );
    let imp = rep["trainingResult"]["variableImportanceMetrics"]["logOddsMetrics"]
        .as_array()
        .unwrap();
    assert_eq!(imp.len(), 8, "{imp:?}");
    assert!(imp
        .iter()
        .any(|x| x["variableName"] == "email" && x["variableType"] == "EMAIL_ADDRESS"));
    assert!(rep["trainingSummary"]["trees"].as_u64().unwrap() > 0);

    // calibration bands on the held-out legitimate events
    let mut scratch = Vec::new();
    let legit: Vec<f64> = test_part(set.rows.len())
        .filter(|&r| !set.rows[r].label)
        .map(|r| m.score(&set.rows[r].values, &[], set.rows[r].time_ms, &mut scratch))
        .collect();
    let share = |v: &[f64], t: f64| v.iter().filter(|&&x| x >= t).count() as f64 / v.len() as f64;
    assert!(
        (0.08..=0.12).contains(&share(&legit, 600.0)),
        "{}",
        share(&legit, 600.0)
    );
    assert!(
        (0.014..=0.028).contains(&share(&legit, 900.0)),
        "{}",
        share(&legit, 900.0)
    );
    // ... and on fresh data from the same generator
    let fresh = ofi_set(30_000, 4242);
    let (mut fl, mut ff) = (vec![], vec![]);
    for r in &fresh.rows {
        let sc = m.score(&r.values, &[], r.time_ms, &mut scratch);
        assert_eq!(sc, sc.round());
        assert!((0.0..=1000.0).contains(&sc));
        if r.label {
            ff.push(sc)
        } else {
            fl.push(sc)
        }
    }
    assert!(
        (0.08..=0.12).contains(&share(&fl, 600.0)),
        "{}",
        share(&fl, 600.0)
    );
    assert!(
        (0.014..=0.028).contains(&share(&fl, 900.0)),
        "{}",
        share(&fl, 900.0)
    );
    assert!(share(&ff, 600.0) > 0.3, "{}", share(&ff, 600.0));
    assert!(auc_check(&ff, &fl) > 0.72);

    // explanations sum to the margin
    for r in fresh.rows.iter().take(200) {
        let (score, margin, base, e) = m.explain_full(&r.values, &[], r.time_ms);
        assert_eq!(score, m.score(&r.values, &[], r.time_ms, &mut scratch));
        let sum: f64 = base
            + e.variables.iter().map(|v| v.1).sum::<f64>()
            + e.aggregated.iter().map(|v| v.1).sum::<f64>();
        assert!((sum - margin).abs() < 1e-6, "{sum} {margin}");
        assert_eq!(e.variables.len(), 8);
        assert!(e.aggregated.is_empty());
        let top = e.variables.iter().map(|v| v.1.abs()).fold(0.0, f64::max);
        for (_, x, rel) in &e.variables {
            if x.abs() == top && top > 0.0 {
                assert!(rel.starts_with('5'), "{rel}");
            }
            assert!(
                rel == "0" || rel.ends_with(if *x > 0.0 { " increased" } else { " decreased" })
            );
        }
    }

    // scoring allocates nothing once the scratch buffer is there
    let before = allocations();
    let mut total = 0.0;
    for r in fresh.rows.iter().take(1000) {
        total += m.score(&r.values, &[], r.time_ms, &mut scratch);
    }
    assert_eq!(allocations(), before, "{total}");

    // serde round trip: the same JSON, the same scores
    let json = m.to_json();
    let back = model::Model::from_json(&json).unwrap();
    assert_eq!(back.to_json(), json);
    for r in fresh.rows.iter().take(500) {
        assert_eq!(
            back.score(&r.values, &[], r.time_ms, &mut scratch)
                .to_bits(),
            m.score(&r.values, &[], r.time_ms, &mut scratch).to_bits()
        );
    }
}

#[test]
fn model_training_is_deterministic() {
    let set = ofi_set(10_500, 43);
    let params = Params {
        max_trees: 12,
        ..fast_params()
    };
    let a = model::train_with(&set, &params, &mut quiet).unwrap();
    let b = model::train_with(&set, &params, &mut quiet).unwrap();
    assert_eq!(a.model.to_json(), b.model.to_json());
    let strip = |mut r: serde_json::Value| {
        r["trainingSummary"]["trainingSeconds"] = serde_json::Value::Null;
        r
    };
    assert_eq!(strip(a.report), strip(b.report));
}

fn auc_check(pos: &[f64], neg: &[f64]) -> f64 {
    auc(pos, neg)
}

#[test]
#[ignore = "slow in debug (~15 s): cargo test --test model -- --ignored"]
fn model_tfi_beats_ofi_when_the_signal_is_in_history() {
    let tfi = tfi_set(20_000, 5, ModelType::TransactionFraudInsights);
    let ofi = TrainingSet {
        model_type: ModelType::OnlineFraudInsights,
        ..tfi.clone()
    };
    let a = |t: &model::Trained, k: &str| {
        t.report["trainingResultV2"]["trainingMetricsV2"][k]["modelPerformance"]["auc"]
            .as_f64()
            .unwrap()
    };
    let t_ofi = model::train_with(&ofi, &fast_params(), &mut quiet).unwrap();
    let t_tfi = model::train_with(&tfi, &fast_params(), &mut quiet).unwrap();
    let (ao, at) = (a(&t_ofi, "ofi"), a(&t_tfi, "tfi"));
    assert!(at > ao + 0.05 && at > 0.85, "ofi {ao} tfi {at}");
    let agg = t_tfi.report["trainingResultV2"]["aggregatedVariablesImportanceMetrics"]
        ["logOddsMetrics"]
        .as_array()
        .unwrap();
    assert!(!agg.is_empty());
    // scoring with the database's view of history gives training's test margins back:
    // explanations of history-reading models sum up too
    let m = &t_tfi.model;
    let mut scratch = Vec::new();
    let (mut f, mut l) = (vec![], vec![]);
    for r in test_part(tfi.rows.len()) {
        let row = &tfi.rows[r];
        let past = db_history(&tfi, r);
        let sc = m.score(&row.values, &past, row.time_ms, &mut scratch);
        if row.label {
            f.push(sc)
        } else {
            l.push(sc)
        }
        if r % 50 == 0 {
            let (_, margin, base, e) = m.explain_full(&row.values, &past, row.time_ms);
            let sum: f64 = base
                + e.variables.iter().map(|v| v.1).sum::<f64>()
                + e.aggregated.iter().map(|v| v.1).sum::<f64>();
            assert!((sum - margin).abs() < 1e-6);
            assert!(e.aggregated.iter().any(|g| g.0 == ["ENTITY_ID"]));
        }
    }
    // score_past with an entity's cached past gives score()'s result
    for r in test_part(tfi.rows.len()).step_by(7) {
        let row = &tfi.rows[r];
        let own = PastTable::new(
            m.history_spec().unwrap(),
            tfi.rows[..r]
                .iter()
                .filter(|x| x.entity == row.entity)
                .map(|x| (x.time_ms, &x.values[..])),
        );
        let view = NewestFirst::before(&own, row.time_ms);
        let past = db_history(&tfi, r);
        assert_eq!(
            m.score_past(&row.values, &view, row.time_ms, &mut scratch)
                .to_bits(),
            m.score(&row.values, &past, row.time_ms, &mut scratch)
                .to_bits(),
            "row {r}"
        );
    }
    let pasts: Vec<Vec<PastEvent>> = (0..300)
        .map(|r| db_history(&tfi, tfi.rows.len() - 1 - r))
        .collect();
    let before = allocations();
    for (k, past) in pasts.iter().enumerate() {
        let row = &tfi.rows[tfi.rows.len() - 1 - k];
        m.score(&row.values, past, row.time_ms, &mut scratch);
    }
    assert_eq!(allocations(), before);
    let json = m.to_json();
    assert_eq!(model::Model::from_json(&json).unwrap().to_json(), json);
    let share = l.iter().filter(|&&x| x >= 600.0).count() as f64 / l.len() as f64;
    assert!((0.08..=0.12).contains(&share), "{share}");
    assert!(auc(&f, &l) > 0.85);
}

#[test]
#[ignore = "slow in debug (~20 s): cargo test --test model -- --ignored"]
fn model_ati_separates_takeovers() {
    let set = ati_set(1600, 8, 11);
    let t = model::train_with(&set, &fast_params(), &mut quiet).unwrap();
    let ati = &t.report["trainingResultV2"]["trainingMetricsV2"]["ati"];
    let asi = ati["modelPerformance"]["asi"].as_f64().unwrap();
    assert!(asi > 0.8, "{asi}");
    let points = ati["metricDataPoints"].as_array().unwrap();
    assert_eq!(points.len(), 101);
    let p600 = &points[60];
    assert!(p600["cr"].as_f64().unwrap() < 0.15, "{p600}");
    assert!(p600["adr"].as_f64().unwrap() > 0.5, "{p600}");
    assert!(p600["atodr"].as_f64().unwrap() > 0.4, "{p600}");
    assert!(
        t.report["trainingResultV2"]["aggregatedVariablesImportanceMetrics"]["logOddsMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["variableNames"] == serde_json::json!(["ip"]))
    );
    // without labels: no atodr
    let mut unlabelled = set.clone();
    for r in &mut unlabelled.rows {
        r.label = false;
    }
    let t = model::train_with(&unlabelled, &fast_params(), &mut quiet).unwrap();
    let p = &t.report["trainingResultV2"]["trainingMetricsV2"]["ati"]["metricDataPoints"][60];
    assert!(p.get("atodr").is_none());
    let m = &t.model;
    let (_, e) = m.explain(&set.rows[100].values, &[], set.rows[100].time_ms);
    assert!(e.variables.is_empty());
    assert!(!e.aggregated.is_empty());
}

#[test]
fn model_training_can_be_cancelled() {
    let set = TrainingSet {
        model_type: ModelType::TransactionFraudInsights,
        ..ofi_set(21_000, 3)
    };
    // during feature building (checked every 10,000 events)
    let mut calls = 0;
    let r = model::train_with(&set, &fast_params(), &mut |_| {
        calls += 1;
        calls < 2
    });
    assert_eq!(r.err(), Some(TrainError::Cancelled));
    assert_eq!(calls, 2);
    // during the trees
    let set = ofi_set(10_500, 3);
    let mut trees = 0;
    let r = model::train_with(&set, &fast_params(), &mut |p| {
        if p.fraction > 0.1 {
            trees += 1;
        }
        p.fraction < 0.15
    });
    assert_eq!(trees, 10); // 0.1 + 0.8 × 10 / 150 >= 0.15: stopped at the 10th tree
    assert_eq!(r.err(), Some(TrainError::Cancelled));
}

#[test]
#[ignore]
fn model_print_summaries() {
    for (name, set) in [
        ("ofi", ofi_set(20_000, 42)),
        (
            "tfi",
            tfi_set(20_000, 5, ModelType::TransactionFraudInsights),
        ),
        ("ati", ati_set(1600, 8, 11)),
    ] {
        let t0 = std::time::Instant::now();
        let mut first_tree = None;
        let mut eval = None;
        let t = model::train_with(&set, &fast_params(), &mut |p| {
            if p.fraction > 0.1 && first_tree.is_none() {
                first_tree = Some(t0.elapsed().as_secs_f64());
            }
            if p.fraction == 0.9 {
                eval = Some(t0.elapsed().as_secs_f64());
            }
            true
        })
        .unwrap();
        let mut s = t.report["trainingSummary"].clone();
        s["featureImportance"] = serde_json::Value::Null;
        let v2 = &t.report["trainingResultV2"]["trainingMetricsV2"][name];
        eprintln!(
            "{name}: {} / 600: {} / 900: {}",
            v2["modelPerformance"], v2["metricDataPoints"][60], v2["metricDataPoints"][90]
        );
        if std::env::var("REPORT").is_ok() {
            let mut r = t.report.clone();
            for v in ["trainingResult", "trainingResultV2"] {
                for k in ["trainingMetrics", "trainingMetricsV2"] {
                    if let Some(x) = r[v].get_mut(k) {
                        for path in [
                            "/metricDataPoints".to_string(),
                            format!("/{name}/metricDataPoints"),
                        ] {
                            let p = x.pointer_mut(&path);
                            if let Some(a) = p.and_then(|p| p.as_array_mut()) {
                                a.retain(|d| {
                                    [0.0, 600.0, 900.0].contains(&d["threshold"].as_f64().unwrap())
                                });
                            }
                        }
                    }
                }
            }
            eprintln!("{}", serde_json::to_string_pretty(&r).unwrap());
        }
        eprintln!(
            "{name}: features built {:?} s, eval from {eval:?}, total {:.2} s, {s}",
            first_tree,
            t0.elapsed().as_secs_f64()
        );
    }
}

/// 200k events × 10 variables, OFI and TFI with the default parameters; run in release:
/// `cargo test --release -p fraud_engine --test model model_bench_200k -- --ignored --nocapture`
#[test]
#[ignore]
fn model_bench_200k() {
    let n = 200_000;
    let mut set = ofi_set(n, 9);
    let mut r = Rng(99);
    set.inputs
        .push(var("card_bin", DataType::String, Some("CARD_BIN")));
    set.inputs
        .push(var("zip", DataType::String, Some("BILLING_ZIP")));
    for row in &mut set.rows {
        row.values.push(s(format!("4{:05}", r.below(300))));
        row.values.push(s(format!("{:05}", r.below(5000))));
        row.entity = Some(format!("c{}", r.below(20_000)));
    }
    if std::env::var("SWEEP").is_ok() {
        for (lr, leaves, esr) in [(0.1, 31, 30), (0.1, 31, 60), (0.05, 31, 50), (0.1, 15, 30)] {
            let p = Params {
                learning_rate: lr,
                num_leaves: leaves,
                early_stopping_rounds: esr,
                ..model::default_params()
            };
            let t0 = std::time::Instant::now();
            let t = model::train_with(&set, &p, &mut quiet).unwrap();
            eprintln!(
                "params lr {lr} leaves {leaves} esr {esr}: {:.2} s, trees {}, auc {}",
                t0.elapsed().as_secs_f64(),
                t.report["trainingSummary"]["trees"],
                t.report["trainingResultV2"]["trainingMetricsV2"]["ofi"]["modelPerformance"]["auc"]
            );
        }
    }
    for mt in [
        ModelType::OnlineFraudInsights,
        ModelType::TransactionFraudInsights,
    ] {
        let set = TrainingSet {
            model_type: mt,
            ..set.clone()
        };
        let t0 = std::time::Instant::now();
        let mut built = None;
        let t = model::train(&set, &mut |p| {
            if p.fraction > 0.1 && built.is_none() {
                built = Some(t0.elapsed().as_secs_f64());
            }
            true
        })
        .unwrap();
        let total = t0.elapsed().as_secs_f64();
        let m = &t.model;
        let mut scratch = Vec::new();
        let t1 = std::time::Instant::now();
        let mut scoring = 0.0;
        let k = 20_000;
        let mut acc = 0.0;
        for i in 0..k {
            let r = n - k + i;
            let past = if mt.uses_history() {
                db_history_fast(&set, r)
            } else {
                vec![]
            };
            let t2 = std::time::Instant::now();
            acc += m.score(
                &set.rows[r].values,
                &past,
                set.rows[r].time_ms,
                &mut scratch,
            );
            scoring += t2.elapsed().as_secs_f64();
        }
        let _ = t1;
        let per = scoring / k as f64 * 1e6;
        let sm = &t.report["trainingSummary"];
        let key = if mt.uses_history() { "tfi" } else { "ofi" };
        eprintln!(
            "{}: features {:.2} s, total {:.2} s, trees {}, auc {}, scoring {:.1} µs/event ({acc})",
            mt.name(),
            built.unwrap_or(0.0),
            total,
            sm["trees"],
            t.report["trainingResultV2"]["trainingMetricsV2"][key]["modelPerformance"]["auc"],
            per
        );
    }
}

fn db_history_fast(set: &TrainingSet, r: usize) -> Vec<PastEvent<'static>> {
    let e = &set.rows[r].entity;
    set.rows[r.saturating_sub(20_000)..r]
        .iter()
        .rev()
        .filter(|x| &x.entity == e)
        .take(HISTORY_MAX_EVENTS)
        .map(|x| PastEvent {
            time_ms: x.time_ms,
            values: x.values.clone(),
        })
        .collect()
}

/// The quick version of the TFI-versus-OFI test (10,500 events, at most 40 trees).
#[test]
fn model_tfi_beats_ofi_quickly() {
    let tfi = tfi_set(10_500, 6, ModelType::TransactionFraudInsights);
    let ofi = TrainingSet {
        model_type: ModelType::OnlineFraudInsights,
        ..tfi.clone()
    };
    let p = Params {
        max_trees: 40,
        ..fast_params()
    };
    let a = |set: &TrainingSet, k: &str| {
        let t = model::train_with(set, &p, &mut quiet).unwrap();
        t.report["trainingResultV2"]["trainingMetricsV2"][k]["modelPerformance"]["auc"]
            .as_f64()
            .unwrap()
    };
    let (ao, at) = (a(&ofi, "ofi"), a(&tfi, "tfi"));
    assert!(at > ao + 0.05 && at > 0.85, "ofi {ao} tfi {at}");
}
