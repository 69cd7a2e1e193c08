//! gbdt_crates EVENTS_CSV [MODEL ...]
//!
//! Fits each MODEL (default: all) RUNS times (env, default 3) on the training part of
//! bench/model_data.py's events and prints one JSON line per model: best and all fit seconds,
//! the 1-minute load average before each fit, trees, test AUC (ties averaged), single-thread
//! per-row scoring time over the test part, and whether every fit gave bit-identical test
//! predictions. Models: ours, perpetual (default budget 0.5), perpetual-b1.0, perpetual-b<X>,
//! forust (defaults: 10 trees), forust-es (defaults but up to 1000 trees, early stopping 50 on
//! the validation part), and the *-num variants of perpetual (category ids as plain numbers)
//! and *-lowcat (only columns with at most 256 ids categorical); PERPETUAL_CAT=i,j (feature
//! indices) makes only those categorical in the categorical perpetual variants.
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use fraud_engine::model::gbdt;

const NUMERIC: [&str; 3] = ["amount", "noise_num", "is_new_device"];
const CATEGORICAL: [&str; 7] = [
    "email_domain",
    "ip16",
    "phone_cc",
    "billing_country",
    "product_category",
    "card_bin",
    "noise_cat",
];

struct Raw {
    ts: String,
    id: String,
    fraud: bool,
    num: [f32; 3],
    cat: [Option<String>; 7],
}

/// The country calling code as the extension derives it (engine/src/model/features.rs).
fn phone_cc(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let rest = match t.strip_prefix('+').or_else(|| t.strip_prefix("00")) {
        Some(r) => r,
        None => return Some("national".into()),
    };
    let d: Vec<u8> = rest.bytes().filter(|b| b.is_ascii_digit()).take(3).collect();
    if d.is_empty() {
        return Some("invalid".into());
    }
    let two = |a: u8, b: u8| (a - b'0') as u32 * 10 + (b - b'0') as u32;
    let len = if d[0] == b'1' || d[0] == b'7' {
        1
    } else if d.len() >= 2
        && matches!(two(d[0], d[1]), 20 | 27 | 30..=34 | 36 | 39 | 40 | 41 | 43..=49 | 51..=58 | 60..=66 | 81 | 82 | 84 | 86 | 90..=95 | 98)
    {
        2
    } else {
        d.len()
    };
    Some(String::from_utf8(d[..len].to_vec()).unwrap())
}

fn opt(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

fn read(path: &str) -> Vec<Raw> {
    let text = std::fs::read_to_string(path).expect("read events csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap_or_else(|| panic!("no column {n}"));
    let (c_id, c_ts, c_lab) = (col("EVENT_ID"), col("EVENT_TIMESTAMP"), col("EVENT_LABEL"));
    let (c_amt, c_noise, c_dev) = (col("amount"), col("noise_num"), col("is_new_device"));
    let (c_email, c_ip, c_phone) = (col("email_address"), col("ip_address"), col("phone_number"));
    let (c_bc, c_pc, c_bin, c_nc) = (col("billing_country"), col("product_category"), col("card_bin"), col("noise_cat"));
    let mut out = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        assert!(!line.contains('"'), "quoted fields are not handled");
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len());
        let num = |s: &str| if s.is_empty() { f32::NAN } else { s.parse::<f32>().unwrap() };
        let dev = match f[c_dev] {
            "true" | "t" | "1" => 1.0,
            "false" | "f" | "0" => 0.0,
            _ => f32::NAN,
        };
        let email = f[c_email];
        let domain = if email.is_empty() { None } else { Some(email.rsplit('@').next().unwrap().to_lowercase()) };
        let ip = f[c_ip];
        let ip16 = if ip.is_empty() { None } else { Some(ip.split('.').take(2).collect::<Vec<_>>().join(".")) };
        out.push(Raw {
            ts: f[c_ts].to_string(),
            id: f[c_id].to_string(),
            fraud: f[c_lab] == "fraud",
            num: [num(f[c_amt]), num(f[c_noise]), dev],
            cat: [domain, ip16, phone_cc(f[c_phone]), opt(f[c_bc]), opt(f[c_pc]), opt(f[c_bin]), opt(f[c_nc])],
        });
    }
    out
}

struct Split {
    /// column-major, NaN missing; columns 0..3 numeric, 3..10 category ids
    cols: Vec<Vec<f32>>,
    y: Vec<bool>,
}

impl Split {
    fn n(&self) -> usize {
        self.y.len()
    }
    fn dataset(&self) -> gbdt::Dataset {
        gbdt::Dataset {
            n_rows: self.n(),
            columns: self.cols.clone(),
            categorical: (0..self.cols.len()).map(|j| j >= NUMERIC.len()).collect(),
        }
    }
    fn col_major_f64(&self) -> Vec<f64> {
        self.cols.iter().flat_map(|c| c.iter().map(|&v| v as f64)).collect()
    }
    fn rows_f32(&self) -> Vec<Vec<f32>> {
        (0..self.n()).map(|i| self.cols.iter().map(|c| c[i]).collect()).collect()
    }
    fn y_f64(&self) -> Vec<f64> {
        self.y.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect()
    }
}

fn build(raw: &[Raw]) -> (Split, Split, Split, Vec<usize>) {
    let n = raw.len();
    let n_train = n * 70 / 100;
    let n_valid = n * 15 / 100;
    let mut dicts: Vec<HashMap<&str, f32>> = vec![HashMap::new(); CATEGORICAL.len()];
    for r in &raw[..n_train] {
        for (j, v) in r.cat.iter().enumerate() {
            if let Some(v) = v {
                let next = dicts[j].len() as f32;
                dicts[j].entry(v.as_str()).or_insert(next);
            }
        }
    }
    let cards: Vec<usize> = dicts.iter().map(|d| d.len() + 1).collect();
    let make = |part: &[Raw]| {
        let mut cols = vec![Vec::with_capacity(part.len()); NUMERIC.len() + CATEGORICAL.len()];
        for r in part {
            for j in 0..NUMERIC.len() {
                cols[j].push(r.num[j]);
            }
            for (j, v) in r.cat.iter().enumerate() {
                let id = match v {
                    None => f32::NAN,
                    // unseen in training: one shared id after the training ids
                    Some(v) => *dicts[j].get(v.as_str()).unwrap_or(&(dicts[j].len() as f32)),
                };
                cols[NUMERIC.len() + j].push(id);
            }
        }
        Split { cols, y: part.iter().map(|r| r.fraud).collect() }
    };
    (make(&raw[..n_train]), make(&raw[n_train..n_train + n_valid]), make(&raw[n_train + n_valid..]), cards)
}

/// AUC by the rank-sum formula, ties given their average rank.
fn auc(scores: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].partial_cmp(&scores[b]).unwrap());
    let (mut rank_sum, mut pos) = (0.0f64, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] {
                rank_sum += avg;
                pos += 1;
            }
        }
        i = j + 1;
    }
    let neg = y.len() - pos;
    (rank_sum - (pos * (pos + 1)) as f64 / 2.0) / (pos as f64 * neg as f64)
}

fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?").to_string()
}

/// A fitted model as the benchmark sees it: trees, and a one-row margin.
trait Fitted {
    fn trees(&self) -> usize;
    fn margin(&self, row_f32: &[f32], row_f64: &[f64]) -> f64;
}

impl Fitted for gbdt::Booster {
    fn trees(&self) -> usize {
        self.n_trees()
    }
    fn margin(&self, row: &[f32], _: &[f64]) -> f64 {
        gbdt::Booster::margin(self, row)
    }
}

impl Fitted for perpetual::PerpetualBooster {
    fn trees(&self) -> usize {
        self.get_prediction_trees().len()
    }
    fn margin(&self, _: &[f32], row: &[f64]) -> f64 {
        let m = &self.cfg.missing;
        self.base_score + self.get_prediction_trees().iter().map(|t| t.predict_row_from_row_slice(row, m)).sum::<f64>()
    }
}

impl Fitted for forust_ml::GradientBooster {
    fn trees(&self) -> usize {
        self.prediction_iteration.unwrap_or(self.trees.len())
    }
    fn margin(&self, _: &[f32], row: &[f64]) -> f64 {
        let k = self.trees();
        self.base_score + self.trees[..k].iter().map(|t| t.predict_row_from_row_slice(row, &self.missing)).sum::<f64>()
    }
}

fn fit(model: &str, tr: &Split, va: &Split, cards: &[usize]) -> Box<dyn Fitted> {
    let ncat = CATEGORICAL.len();
    let ncol = NUMERIC.len() + ncat;
    if model == "ours" {
        let (d, v) = (tr.dataset(), va.dataset());
        let b = gbdt::train(&d, &tr.y, Some((&v, &va.y)), &gbdt::Params::default(), &mut |_| true).expect("not cancelled");
        return Box::new(b);
    }
    if let Some(rest) = model.strip_prefix("perpetual") {
        // -num: every category id as a plain number; -lowcat: only columns of at most 256
        // ids categorical, the others as numbers
        let (numeric_ids, rest) = match rest.strip_suffix("-num") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (lowcat, rest) = match rest.strip_suffix("-lowcat") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let data = tr.col_major_f64();
        let m = perpetual::Matrix::new(&data, tr.n(), ncol);
        let mut b = perpetual::PerpetualBooster::default().set_objective(perpetual::objective::Objective::LogLoss);
        if let Some(x) = rest.strip_prefix("-b") {
            b = b.set_budget(x.parse().expect("budget"));
        }
        if !numeric_ids {
            let mut cat: HashSet<usize> =
                (NUMERIC.len()..ncol).filter(|&j| !lowcat || cards[j - NUMERIC.len()] <= 256).collect();
            // PERPETUAL_CAT=3,7: only these feature indices categorical (diagnosis)
            if let Ok(list) = std::env::var("PERPETUAL_CAT") {
                cat = list.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().expect("index")).collect();
            }
            b = b.set_categorical_features(Some(cat));
        }
        b.fit(&m, &tr.y_f64(), None, None).expect("perpetual fit");
        return Box::new(b);
    }
    if model == "forust" || model == "forust-es" {
        let data = tr.col_major_f64();
        let m = forust_ml::Matrix::new(&data, tr.n(), ncol);
        let y = tr.y_f64();
        let w = vec![1.0; tr.n()];
        let mut b = forust_ml::GradientBooster::default();
        if model == "forust-es" {
            let vdata = va.col_major_f64();
            let vm = forust_ml::Matrix::new(&vdata, va.n(), ncol);
            let vy = va.y_f64();
            let vw = vec![1.0; va.n()];
            b = b
                .set_iterations(1000)
                .set_early_stopping_rounds(Some(50))
                .set_evaluation_metric(Some(forust_ml::metric::Metric::LogLoss));
            b.fit(&m, &y, &w, Some(vec![(vm, &vy, &vw)])).expect("forust fit");
        } else {
            b.fit(&m, &y, &w, None).expect("forust fit");
        }
        return Box::new(b);
    }
    panic!("unknown model {model}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: gbdt_crates EVENTS_CSV [MODEL ...]");
    let runs: usize = std::env::var("RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let models: Vec<String> = if args.len() > 2 {
        args[2..].to_vec()
    } else {
        ["ours", "perpetual", "perpetual-b1.0", "forust", "forust-es"].iter().map(|s| s.to_string()).collect()
    };
    let t0 = Instant::now();
    let mut raw = read(path);
    raw.sort_by(|a, b| (&a.ts, &a.id).cmp(&(&b.ts, &b.id)));
    let (tr, va, te, cards) = build(&raw);
    let pos = |s: &Split| s.y.iter().filter(|&&b| b).count();
    println!(
        "{{\"data\":{{\"rows\":{},\"n_train\":{},\"n_valid\":{},\"n_test\":{},\"fraud_train\":{},\"fraud_test\":{},\"category_ids\":{:?},\"features\":{:?},\"read_seconds\":{:.2}}}}}",
        raw.len(), tr.n(), va.n(), te.n(), pos(&tr), pos(&te),
        CATEGORICAL.iter().zip(&cards).map(|(c, k)| format!("{c}:{k}")).collect::<Vec<_>>(),
        NUMERIC.iter().chain(CATEGORICAL.iter()).collect::<Vec<_>>(),
        t0.elapsed().as_secs_f64()
    );
    let rows32 = te.rows_f32();
    let rows64: Vec<Vec<f64>> = rows32.iter().map(|r| r.iter().map(|&v| v as f64).collect()).collect();
    for model in &models {
        let mut secs = Vec::new();
        let mut loads = Vec::new();
        let mut preds: Vec<Vec<u64>> = Vec::new();
        let mut last: Option<Box<dyn Fitted>> = None;
        let mut trees = Vec::new();
        for _ in 0..runs {
            loads.push(load1());
            let t = Instant::now();
            let f = fit(model, &tr, &va, &cards);
            secs.push(t.elapsed().as_secs_f64());
            trees.push(f.trees());
            preds.push(rows32.iter().zip(&rows64).map(|(a, b)| f.margin(a, b).to_bits()).collect());
            last = Some(f);
            eprintln!("{model}: fit {:.2} s, {} trees (load {})", secs.last().unwrap(), trees.last().unwrap(), loads.last().unwrap());
        }
        let f = last.unwrap();
        let scores: Vec<f64> = preds[0].iter().map(|&b| f64::from_bits(b)).collect();
        let test_auc = auc(&scores, &te.y);
        let deterministic = preds.iter().all(|p| p == &preds[0]);
        // scoring: one row at a time, this thread only, best of 3 passes over the test part
        let score_load = load1();
        let mut best_us = f64::INFINITY;
        let mut sink = 0.0;
        for _ in 0..3 {
            let t = Instant::now();
            for (a, b) in rows32.iter().zip(&rows64) {
                sink += std::hint::black_box(f.margin(std::hint::black_box(a), std::hint::black_box(b)));
            }
            best_us = best_us.min(t.elapsed().as_secs_f64() * 1e6 / rows32.len() as f64);
        }
        std::hint::black_box(sink);
        let best = secs.iter().cloned().fold(f64::INFINITY, f64::min);
        println!(
            "{{\"model\":\"{model}\",\"fit_seconds_best\":{best:.3},\"fit_seconds\":{:?},\"load1_before_fits\":{:?},\"trees\":{:?},\"auc_test\":{test_auc:.5},\"score_us_per_row\":{best_us:.3},\"load1_before_scoring\":\"{score_load}\",\"deterministic\":{deterministic},\"runs\":{runs}}}",
            secs.iter().map(|s| (s * 1000.0).round() / 1000.0).collect::<Vec<_>>(), loads, trees
        );
    }
}
