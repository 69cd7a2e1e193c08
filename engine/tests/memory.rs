//! The memory estimates a per-backend cache budgets with (`Detector::estimated_bytes`,
//! `list_bytes`, `regex_bytes`) against what compiling really allocates, counted by a global
//! allocator. An estimate may be off, but not by an order of magnitude either way: too low and
//! a cache overruns its budget, too high and it evicts what would fit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use fraud_engine::detector::{
    list_bytes, list_set, Detector, DetectorSpec, Mode, RuleSpec, Trace, VariableSpec,
};
use fraud_engine::eval::Context;
use fraud_engine::value::{DataType, Value};

struct Counting;

/// bytes allocated and not yet freed, by every thread: so this file has a single #[test]
/// (the harness would run several at once)
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, counting requested bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes `make` leaves allocated in what it returns (built and used, as prediction does).
fn live_bytes<T>(make: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::SeqCst);
    let t = make();
    (t, (LIVE.load(Ordering::SeqCst) - before).max(0) as usize)
}

fn spec(rules: &[&str], lists: &[(&str, usize)]) -> DetectorSpec {
    let mut s = DetectorSpec {
        variables: ["email", "ip", "amount", "country"]
            .iter()
            .map(|n| VariableSpec {
                name: n.to_string(),
                data_type: if *n == "amount" {
                    DataType::Float
                } else {
                    DataType::String
                },
                default_value: if *n == "amount" { "0" } else { "" }.to_string(),
            })
            .collect(),
        rules: rules
            .iter()
            .enumerate()
            .map(|(i, e)| RuleSpec {
                rule_id: format!("rule_{i}"),
                rule_version: "1".into(),
                expression: e.to_string(),
                outcomes: vec!["review".into(), "block".into()],
            })
            .collect(),
        mode: Some(Mode::AllMatched),
        ..Default::default()
    };
    for (name, n) in lists {
        s.lists.insert(
            name.to_string(),
            (0..*n)
                .map(|i| format!("198.51.{}.{}", i / 256, i % 256))
                .collect(),
        );
    }
    s
}

/// Compiles and runs `spec` (a regex builds its matching cache on first use) and returns the
/// detector's real bytes, lists excluded, and its estimate.
fn measure(spec: &DetectorSpec) -> (usize, usize) {
    let lists: Vec<_> = spec.lists.values().map(|e| list_set(e)).collect();
    let (detector, real) = live_bytes(|| {
        let d = Detector::compile_with_lists(spec, |name, _| {
            let i = spec.lists.keys().position(|k| k == name).unwrap();
            lists[i].clone()
        })
        .unwrap();
        let slots: Vec<Value> = d
            .slots
            .iter()
            .map(|v| match v.data_type {
                DataType::Float => Value::Float(5.0),
                _ => Value::Str("someone@example.com".into()),
            })
            .collect();
        let mut trace = Trace::default();
        d.run(&slots, &Context { now_millis: 0 }, &mut trace);
        drop(slots);
        drop(trace);
        d
    });
    (real, detector.estimated_bytes())
}

fn assert_close(what: &str, real: usize, estimate: usize) {
    println!("{what}: real {real} bytes, estimated {estimate}");
    assert!(
        estimate >= real / 2 && estimate <= real.max(1024) * 4,
        "{what}: estimated {estimate} bytes for {real} real ones"
    );
}

#[test]
fn estimates_follow_real_allocations() {
    detectors();
    lists();
}

fn detectors() {
    let cases: Vec<(&str, DetectorSpec)> = vec![
        ("one comparison", spec(&["$amount > 100"], &[])),
        (
            "200 comparisons",
            spec(
                &(0..200)
                    .map(|i| format!("$amount > {i} and $country == \"c{i}\""))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                &[],
            ),
        ),
        (
            "a short regex",
            spec(&[r#"regex_match(".*@fraud\.example", $email)"#], &[]),
        ),
        (
            "20 regexes",
            spec(
                &(0..20)
                    .map(|i| format!(r#"regex_match("[a-z0-9.]+@(mail|post){i}\.example\.(com|org)", $email)"#))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                &[],
            ),
        ),
        (
            "a Unicode class regex",
            spec(&[r#"regex_match("\w+@\w+\.\w+", $email)"#], &[]),
        ),
        (
            "lists and arrays",
            spec(
                &[
                    "$ip in @blocked",
                    r#"$country in ["aa", "bb", "cc", "dd"] or lowercase($email) in @vips"#,
                ],
                &[("blocked", 1000), ("vips", 10)],
            ),
        ),
    ];
    for (what, spec) in &cases {
        let (real, estimate) = measure(spec);
        assert_close(what, real, estimate);
    }
}

fn lists() {
    for n in [1, 100, 10_000, 100_000] {
        let elements: Vec<String> = (0..n).map(|i| format!("user{i}@example.com")).collect();
        let (set, real) = live_bytes(|| list_set(&elements));
        assert_close(&format!("a list of {n}"), real, list_bytes(&set));
    }
}
