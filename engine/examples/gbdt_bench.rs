//! Fit time, test AUC and scoring speed of the GBDT on a CSV (first column the 0/1 label,
//! columns named `c_*` categorical, empty cells missing), split in time order: the first 70%
//! trains, the next 15% validates (early stopping), the last 15% tests. Compare with
//! LightGBM on the same file (see the model docs).
//!
//! `cargo run --release -p fraud_engine --example gbdt_bench -- /tmp/gbdt_bench/data.csv`

use std::time::Instant;

use fraud_engine::model::gbdt::{train, Booster, Dataset, Params};

/// This process's CPU time (user + system) in seconds: on a shared machine the wall clock
/// also counts other jobs.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command name (which is in parentheses): utime is the 12th, stime 13th
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

fn load(path: &str) -> (Vec<String>, Vec<Vec<f32>>, Vec<bool>) {
    let text = std::fs::read_to_string(path).expect("readable CSV");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .skip(1)
        .map(str::to_string)
        .collect();
    let mut cols = vec![Vec::new(); header.len()];
    let mut labels = Vec::new();
    for line in lines {
        let mut cells = line.split(',');
        labels.push(cells.next() == Some("1"));
        for (c, cell) in cols.iter_mut().zip(cells) {
            c.push(cell.parse::<f32>().unwrap_or(f32::NAN));
        }
    }
    (header, cols, labels)
}

fn slice(cols: &[Vec<f32>], cat: &[bool], lo: usize, hi: usize) -> Dataset {
    Dataset {
        n_rows: hi - lo,
        columns: cols.iter().map(|c| c[lo..hi].to_vec()).collect(),
        categorical: cat.to_vec(),
    }
}

fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += r * idx[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let p = labels.iter().filter(|&&y| y).count() as f64;
    let n = labels.len() as f64 - p;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

fn rows(d: &Dataset) -> Vec<Vec<f32>> {
    (0..d.n_rows)
        .map(|r| d.columns.iter().map(|c| c[r]).collect())
        .collect()
}

fn report(label: &str, times: &[f64], cpu: &[f64], b: &Booster, test: &Dataset, ty: &[bool]) {
    let test_rows = rows(test);
    let margins: Vec<f64> = test_rows.iter().map(|r| b.margin(r)).collect();
    // scoring speed: the best of several passes over the same rows (a busy machine only
    // ever slows a pass down)
    let sample = &test_rows[..2000.min(test_rows.len())];
    let mut per_row = f64::INFINITY;
    for _ in 0..20 {
        let t0 = Instant::now();
        let mut sink = 0.0;
        for r in sample {
            sink += b.margin(std::hint::black_box(r));
        }
        std::hint::black_box(sink);
        per_row = per_row.min(t0.elapsed().as_secs_f64() / sample.len() as f64);
    }
    let mut out = vec![0.0; b.n_features + 1];
    let t0 = Instant::now();
    for r in test_rows.iter().take(2000) {
        b.contributions(r, &mut out);
    }
    let shap = t0.elapsed().as_secs_f64() / 2000.0;
    let best = times.iter().cloned().fold(f64::INFINITY, f64::min);
    let runs: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    let best_cpu = cpu.iter().cloned().fold(f64::INFINITY, f64::min);
    println!(
        "ours {label}: fit {best:.3}s wall (runs {}), {best_cpu:.2}s cpu, trees {}, test AUC {:.5}, margin {:.2} us/row, TreeSHAP {:.1} us/row",
        runs.join(", "),
        b.n_trees(),
        auc(&margins, ty),
        per_row * 1e6,
        shap * 1e6
    );
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/gbdt_bench/data.csv".to_string());
    let reps: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let (names, cols, labels) = load(&path);
    let cat: Vec<bool> = names.iter().map(|n| n.starts_with("c_")).collect();
    let n = labels.len();
    let (a, b) = (n * 7 / 10, n * 85 / 100);
    let tr = slice(&cols, &cat, 0, a);
    let va = slice(&cols, &cat, a, b);
    let te = slice(&cols, &cat, b, n);
    let (ytr, yva, yte) = (&labels[..a], &labels[a..b], &labels[b..]);
    if std::env::args().nth(3).as_deref() == Some("fit-only") {
        // one 100-tree fit, for profilers and cycle counters
        let params = Params {
            max_trees: 100,
            ..Params::default()
        };
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let bst = train(&tr, ytr, None, &params, &mut |_| true).expect("not cancelled");
        println!(
            "fit {:.3}s wall, {:.2}s cpu, {} trees",
            t0.elapsed().as_secs_f64(),
            cpu_seconds() - c0,
            bst.n_trees()
        );
        let json = serde_json::to_string(&bst).expect("serializable");
        std::fs::write("/tmp/gbdt_bench/model.json", json).expect("writable /tmp");
        return;
    }
    if std::env::args().nth(3).as_deref() == Some("score-only") {
        // the model the last fit-only run wrote
        let json = std::fs::read_to_string("/tmp/gbdt_bench/model.json").expect("a model");
        let bst: Booster = serde_json::from_str(&json).expect("a model");
        report("scoring", &[0.0], &[0.0], &bst, &te, yte);
        return;
    }
    for (label, max_trees, early) in [("100 trees", 100, false), ("early stop", 1000, true)] {
        let params = Params {
            max_trees,
            early_stopping_rounds: 50,
            ..Params::default()
        };
        let mut times = Vec::new();
        let mut cpu = Vec::new();
        let mut booster = None;
        for _ in 0..reps {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let valid = early.then_some((&va, yva));
            let bst = train(&tr, ytr, valid, &params, &mut |_| true).expect("not cancelled");
            times.push(t0.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c0);
            booster = Some(bst);
        }
        let bst = booster.expect("one run at least");
        report(label, &times, &cpu, &bst, &te, yte);
        if !early {
            let gain = bst.feature_importance_gain();
            let parts: Vec<String> = names
                .iter()
                .zip(&gain)
                .map(|(n, g)| format!("{n}={g:.0}"))
                .collect();
            println!("  gain: {}", parts.join(" "));
        }
    }
    // without the noise categoricals, to see what they cost
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| !names[i].starts_with("c_noise"))
        .collect();
    let pick = |d: &Dataset| Dataset {
        n_rows: d.n_rows,
        columns: keep.iter().map(|&i| d.columns[i].clone()).collect(),
        categorical: keep.iter().map(|&i| d.categorical[i]).collect(),
    };
    let params = Params {
        max_trees: 100,
        ..Params::default()
    };
    let (tr2, te2) = (pick(&tr), pick(&te));
    let mut best = f64::INFINITY;
    let mut booster = None;
    for _ in 0..reps {
        let t0 = Instant::now();
        booster = Some(train(&tr2, ytr, None, &params, &mut |_| true).expect("not cancelled"));
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let bst = booster.expect("one run at least");
    println!(
        "ours 100 trees without noise categoricals: fit {best:.3}s wall, test AUC {:.5}",
        auc(&bst.margins(&te2), yte)
    );
}
