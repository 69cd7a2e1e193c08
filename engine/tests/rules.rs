//! Type rules and evaluation of DETECTORPL, end to end through parse -> compile -> evaluate.

use fraud_engine::detector::{
    expression_with_values, Detector, DetectorSpec, Mode, RuleSpec, Trace, VariableSpec,
};
use fraud_engine::eval::Context;
use fraud_engine::value::{self, DataType, Value};
use fraud_engine::ErrorKind;

const NOW: i64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

fn var(name: &str, t: DataType, default: &str) -> VariableSpec {
    VariableSpec {
        name: name.into(),
        data_type: t,
        default_value: default.into(),
    }
}

fn spec(rules: &[&str]) -> DetectorSpec {
    let mut s = DetectorSpec {
        variables: vec![
            var("email", DataType::String, "none"),
            var("ip", DataType::String, "0.0.0.0"),
            var("price", DataType::Float, "0"),
            var("qty", DataType::Integer, "1"),
            var("member", DataType::Boolean, "false"),
            var("signup", DataType::DateTime, "2020-01-01T00:00:00Z"),
        ],
        rules: rules
            .iter()
            .enumerate()
            .map(|(i, e)| RuleSpec {
                rule_id: format!("r{i}"),
                rule_version: "1".into(),
                expression: e.to_string(),
                outcomes: vec![format!("o{i}")],
            })
            .collect(),
        mode: Some(Mode::AllMatched),
        ..Default::default()
    };
    s.lists
        .insert("bad_ips".into(), vec!["10.0.0.1".into(), "10.0.0.2".into()]);
    s
}

/// Evaluates one rule over an event given as (variable, text) pairs; missing variables take
/// their default, "null" is NULL.
fn eval_with(expr: &str, event: &[(&str, &str)]) -> bool {
    let d = Detector::compile(&spec(&[expr])).unwrap_or_else(|e| panic!("{expr}: {:?}", e.error));
    let slots: Vec<Value> = d
        .slots
        .iter()
        .map(|v| match event.iter().find(|(n, _)| *n == v.name) {
            Some((_, "null")) => Value::Null,
            Some((_, text)) => value::from_str(&v.name, v.data_type, text).unwrap(),
            None => v.default.clone(),
        })
        .collect();
    let mut m = Trace::default();
    d.run(&slots, &Context { now_millis: NOW }, &mut m);
    m.matched == [0]
}

fn t(expr: &str) -> bool {
    eval_with(expr, &[])
}

fn compile_error(expr: &str) -> (ErrorKind, String, Option<usize>) {
    let e = Detector::compile(&spec(&[expr])).expect_err(expr).error;
    (e.kind, e.message, e.position)
}

#[test]
fn comparisons_on_every_type() {
    assert!(eval_with("$price > 100", &[("price", "100.5")]));
    assert!(!eval_with("$price > 100", &[("price", "100")]));
    assert!(eval_with(
        "$price >= 100 and $price <= 100",
        &[("price", "100")]
    ));
    assert!(eval_with("$qty < 2 and $qty != 0", &[("qty", "1")]));
    assert!(
        eval_with("$qty == 1.0", &[("qty", "1")]),
        "INTEGER compares with FLOAT"
    );
    assert!(eval_with("$email == \"a@b.c\"", &[("email", "a@b.c")]));
    assert!(
        !eval_with("$email == \"A@B.C\"", &[("email", "a@b.c")]),
        "case-sensitive"
    );
    assert!(
        eval_with("$email < \"b\"", &[("email", "a")]),
        "strings order"
    );
    assert!(eval_with("$member == true", &[("member", "true")]));
    assert!(eval_with("$member != true", &[("member", "false")]));
    assert!(eval_with(
        "$signup > \"2023-01-01T00:00:00Z\"",
        &[("signup", "2024-01-01T00:00:00Z")]
    ));
    assert!(eval_with(
        "\"2023-01-01\" < $signup",
        &[("signup", "2024-01-01T00:00:00Z")]
    ));
}

#[test]
fn boolean_operators_and_short_circuit() {
    assert!(t("true and true"));
    assert!(!t("true and false"));
    assert!(t("false or true"));
    assert!(!t("not true"));
    assert!(t("!false"));
    assert!(t("not not true"));
    assert!(
        eval_with("$member", &[("member", "true")]),
        "a BOOLEAN variable is a rule"
    );
    // the right side would be NULL (division by zero): short-circuit never looks at it, and
    // even if it did, NULL is false
    assert!(t("true or $price / 0 > 1"));
    assert!(!t("false and $price / 0 > 1"));
}

#[test]
fn arithmetic() {
    assert!(eval_with("$price * 2 + 1 == 21", &[("price", "10")]));
    assert!(eval_with("$qty - 5 == -4", &[("qty", "1")]));
    assert!(eval_with("$qty % 3 == 1", &[("qty", "7")]));
    assert!(
        eval_with("$qty / 2 == 3.5", &[("qty", "7")]),
        "/ is FLOAT division"
    );
    assert!(eval_with("-$qty == -7", &[("qty", "7")]));
    assert!(t("2 + 3 * 4 == 14"));
    assert!(t("(2 + 3) * 4 == 20"));
    assert!(t("10 - 4 - 3 == 3"), "left associative");
    assert!(
        !eval_with("$qty / 0 > 0 or $qty / 0 <= 0", &[("qty", "7")]),
        "division by zero is NULL"
    );
    assert!(!eval_with("$qty % 0 == 0", &[("qty", "7")]));
    assert!(
        !eval_with("$qty * 9223372036854775807 > 0", &[("qty", "7")]),
        "overflow is NULL"
    );
}

#[test]
fn in_lists_and_arrays() {
    assert!(eval_with("$ip in @bad_ips", &[("ip", "10.0.0.2")]));
    assert!(!eval_with("$ip in @bad_ips", &[("ip", "10.0.0.3")]));
    assert!(eval_with("$ip not in @bad_ips", &[("ip", "10.0.0.3")]));
    assert!(eval_with("$qty in [5, 10]", &[("qty", "10")]));
    assert!(eval_with("$price in [5, 10]", &[("price", "10.0")]));
    assert!(eval_with("$email in [\"a\", \"b\"]", &[("email", "b")]));
    assert!(eval_with("$qty not in [5, 10]", &[("qty", "7")]));
    assert!(eval_with("$qty in [-1]", &[("qty", "-1")]));
    assert!(eval_with(
        "$signup in [\"2024-05-01T00:00:00Z\"]",
        &[("signup", "2024-05-01T00:00:00Z")]
    ));
    assert!(!t("$qty in []"));
}

#[test]
fn functions() {
    assert!(eval_with(
        r#"regex_match(".*@gmail\.com", $email)"#,
        &[("email", "x@gmail.com")]
    ));
    assert!(!eval_with(
        r#"regex_match(".*@gmail\.com", $email)"#,
        &[("email", "x@gmailxcom")]
    ));
    assert!(
        !eval_with(
            r#"regex_match("gmail", $email)"#,
            &[("email", "x@gmail.com")]
        ),
        "whole-string match"
    );
    assert!(eval_with(
        r#"regex_match("[a-z]+\d{2}", $email)"#,
        &[("email", "abc12")]
    ));
    assert!(eval_with(
        "lowercase($email) == \"abc\"",
        &[("email", "AbC")]
    ));
    assert!(eval_with(
        "uppercase($email) == \"ABC\"",
        &[("email", "AbC")]
    ));
    assert!(t(
        "getepochmilliseconds(getcurrentdatetime()) == 1714564800000"
    ));
    assert!(eval_with(
        "isbefore($signup, getcurrentdatetime())",
        &[("signup", "2024-01-01")]
    ));
    assert!(eval_with(
        "isafter($signup, \"2023-12-31T23:59:59Z\")",
        &[("signup", "2024-01-01")]
    ));
    assert!(!eval_with(
        "isafter($signup, $signup)",
        &[("signup", "2024-01-01")]
    ));
    assert!(eval_with(
        "getepochmilliseconds($signup) == 0",
        &[("signup", "1970-01-01T00:00:00Z")]
    ));
    assert!(
        t("LOWERCASE(\"X\") == \"x\""),
        "function names are case-insensitive"
    );
}

#[test]
fn nulls_and_defaults() {
    assert!(eval_with("$email == null", &[("email", "null")]));
    assert!(!eval_with("$email != null", &[("email", "null")]));
    assert!(eval_with("null == $email", &[("email", "null")]));
    assert!(
        !eval_with("$email == \"none\"", &[("email", "null")]),
        "NULL equals nothing"
    );
    assert!(
        !eval_with("$email != \"none\"", &[("email", "null")]),
        "and differs from nothing"
    );
    assert!(!eval_with("$price > -1", &[("price", "null")]));
    assert!(!eval_with("$price <= -1", &[("price", "null")]));
    assert!(!eval_with("$ip in @bad_ips", &[("ip", "null")]));
    assert!(!eval_with("$ip not in @bad_ips", &[("ip", "null")]));
    assert!(!eval_with("$qty in [1]", &[("qty", "null")]));
    assert!(!eval_with(
        "regex_match(\".*\", $email)",
        &[("email", "null")]
    ));
    assert!(eval_with("lowercase($email) == null", &[("email", "null")]));
    assert!(
        eval_with("$qty + 1 == null", &[("qty", "null")]),
        "arithmetic passes NULL through"
    );
    assert!(
        !eval_with("$member", &[("member", "null")]),
        "NULL boolean is false"
    );
    assert!(
        eval_with("not ($price > 5)", &[("price", "null")]),
        "a comparison with NULL is false, so its negation is true"
    );
    // missing variables read their defaults
    assert!(t(
        "$email == \"none\" and $ip == \"0.0.0.0\" and $qty == 1 and $member == false"
    ));
    assert!(t("$signup == \"2020-01-01T00:00:00Z\""));
}

#[test]
fn type_errors_are_found_at_compile_time() {
    let cases: &[(&str, &str, usize)] = &[
        ("$email > 5", "cannot compare STRING with INTEGER", 1),
        ("$nope == 1", "unknown variable $nope", 1),
        ("$ip in @nope", "unknown list @nope", 8),
        (
            "$qty in @bad_ips",
            "the left of in must be STRING, not INTEGER",
            1,
        ),
        (
            "$price + 1",
            "a rule must be a BOOLEAN expression, this one is FLOAT",
            1,
        ),
        (
            "$email",
            "a rule must be a BOOLEAN expression, this one is STRING",
            1,
        ),
        (
            "@bad_ips == \"x\"",
            "list @bad_ips can only be used on the right of in / not in",
            1,
        ),
        (
            "[1, 2] == 1",
            "an array literal can only be used on the right of in / not in",
            1,
        ),
        (
            "$qty in $qty",
            "the right of in / not in must be a @list or an [array]",
            9,
        ),
        (
            "$qty in [1, \"a\"]",
            "array element of type STRING cannot match INTEGER",
            13,
        ),
        ("$qty in [$qty]", "array elements must be literals", 10),
        (
            "$email + 1 > 0",
            "+ needs numbers, not STRING and INTEGER",
            1,
        ),
        ("-$email == \"a\"", "unary - needs a number, not STRING", 1),
        (
            "$member > false",
            "BOOLEAN values can only be compared with == or !=, not >",
            1,
        ),
        (
            "$price > null",
            "null can only be compared with == or !=, not >",
            1,
        ),
        (
            "not $price",
            "the operand of not must be BOOLEAN, not FLOAT",
            5,
        ),
        (
            "$member and $price",
            "each side of and must be BOOLEAN, not FLOAT",
            13,
        ),
        (
            "$price or $member",
            "each side of or must be BOOLEAN, not FLOAT",
            1,
        ),
        (
            "regex_match($email, $email)",
            "the pattern of regex_match must be a string literal",
            13,
        ),
        (
            "regex_match(\"(\", $email)",
            "invalid regular expression",
            13,
        ),
        (
            "regex_match(\"a\", $qty)",
            "the subject of regex_match must be STRING, not INTEGER",
            18,
        ),
        (
            "regex_match(\"a\")",
            "regex_match takes 2 argument(s), not 1",
            1,
        ),
        (
            "lowercase($qty) == \"1\"",
            "the argument of lowercase must be STRING, not INTEGER",
            11,
        ),
        (
            "isbefore($signup, 5)",
            "the arguments of isbefore must be DATETIME, not INTEGER",
            19,
        ),
        (
            "isbefore($signup, \"soon\")",
            "\"soon\" is not a DATETIME",
            19,
        ),
        (
            "getepochmilliseconds($qty) > 0",
            "the argument of getepochmilliseconds must be DATETIME, not INTEGER",
            22,
        ),
        ("frobnicate($qty)", "unknown function frobnicate", 1),
        (
            "$signup == $email",
            "cannot compare DATETIME with STRING",
            1,
        ),
    ];
    for (expr, want, pos) in cases {
        let (kind, msg, at) = compile_error(expr);
        assert_eq!(kind, ErrorKind::Invalid, "{expr}");
        assert!(msg.contains(want), "{expr}: {msg}");
        assert_eq!(at, Some(*pos), "{expr}: {msg}");
    }
}

#[test]
fn syntax_errors_keep_their_kind() {
    let (kind, msg, at) = compile_error("$qty >");
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(msg.starts_with("syntax error"), "{msg}");
    assert_eq!(at, Some(7));
}

#[test]
fn first_matched_and_all_matched() {
    let mut s = spec(&["$qty > 5", "$qty > 10", "$qty > 100"]);
    let slots = |q: i64| vec![Value::Int(q)];
    let ctx = Context { now_millis: NOW };
    let mut m = Trace::default();

    let all = Detector::compile(&s).unwrap();
    all.run(&slots(50), &ctx, &mut m);
    assert_eq!(m.matched, [0, 1]);
    assert_eq!(m.evaluated, 3);

    s.mode = Some(Mode::FirstMatched);
    let first = Detector::compile(&s).unwrap();
    first.run(&slots(50), &ctx, &mut m);
    assert_eq!(m.matched, [0]);
    assert_eq!(m.evaluated, 1, "FIRST_MATCHED stops at the first match");
    assert!(m.was_evaluated(0) && m.was_matched(0) && !m.was_evaluated(1) && !m.was_matched(1));
    first.run(&slots(1), &ctx, &mut m);
    assert!(m.matched.is_empty());
    assert_eq!(m.evaluated, 3, "no match: every rule was evaluated");
}

#[test]
fn outcomes_in_rule_order_without_repeats() {
    let mut s = spec(&["$qty > 5", "$qty > 10", "$qty > 100"]);
    s.rules[0].outcomes = vec!["review".into(), "hold".into()];
    s.rules[1].outcomes = vec!["hold".into(), "block".into()];
    let d = Detector::compile(&s).unwrap();
    let mut m = Trace::default();
    d.run(&[Value::Int(50)], &Context { now_millis: NOW }, &mut m);
    assert_eq!(d.outcomes(&m), ["review", "hold", "block"]);
}

#[test]
fn mode_names_round_trip() {
    for m in Mode::ALL {
        assert_eq!(Mode::parse(m.name()), Some(m));
    }
    assert_eq!(Mode::parse("first_matched"), None);
}

#[test]
fn slots_hold_only_what_rules_read_once_each() {
    let d = Detector::compile(&spec(&[
        "$qty > 1 and $price > 2",
        "$qty < 0",
        "$email == \"x\"",
    ]))
    .unwrap();
    let names: Vec<&str> = d.slots.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["qty", "price", "email"]);
    assert_eq!(d.variables.len(), 6);
}

#[test]
fn bad_default_value_is_reported() {
    let mut s = spec(&["true"]);
    s.variables[3].default_value = "many".into();
    let e = Detector::compile(&s).unwrap_err();
    assert!(
        e.error.message.contains("default value of variable qty"),
        "{}",
        e.error.message
    );
}

#[test]
fn expression_with_values_replaces_variables() {
    let d = Detector::compile(&spec(&[
        "$price > 10 and $email in [\"$price\"] or $price < 0",
    ]))
    .unwrap();
    let shown = expression_with_values(&d.rules[0], |n| match n {
        "price" => Some("12.5".into()),
        "email" => Some("\"a@b\"".into()),
        _ => None,
    });
    assert_eq!(shown, "12.5 > 10 and \"a@b\" in [\"$price\"] or 12.5 < 0");
}

#[test]
fn check_rule_needs_only_names_and_types() {
    use fraud_engine::detector::check_rule;
    let vars = vec![
        var("ip", DataType::String, "whatever"),
        var("n", DataType::Integer, "0"),
    ];
    let lists = vec!["bad".to_string()];
    assert!(check_rule("$ip in @bad and $n > 1", &vars, &lists, &[], &[]).is_ok());
    let e = check_rule("$ip in @other", &vars, &lists, &[], &[]).unwrap_err();
    assert_eq!((e.kind, e.position), (ErrorKind::Invalid, Some(8)));
    let e = check_rule("$n >", &vars, &lists, &[], &[]).unwrap_err();
    assert_eq!((e.kind, e.position), (ErrorKind::Syntax, Some(5)));
    assert_eq!(
        check_rule("$ip > 1", &vars, &lists, &[], &[])
            .unwrap_err()
            .message,
        "cannot compare STRING with INTEGER"
    );
}
