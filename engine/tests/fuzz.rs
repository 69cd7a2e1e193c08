//! Property tests: the parser and compiler never panic, whatever they are fed, and every error
//! they return carries a position inside the input.

use fraud_engine::detector::{Detector, DetectorSpec, Mode, RuleSpec, Trace, VariableSpec};
use fraud_engine::eval::Context;
use fraud_engine::parser::parse;
use fraud_engine::value::{DataType, Value};
use proptest::prelude::*;

fn detector_for(expr: &str) -> Result<Detector, fraud_engine::detector::RuleError> {
    let mut spec = DetectorSpec {
        variables: vec![
            VariableSpec {
                name: "a".into(),
                data_type: DataType::Integer,
                default_value: "1".into(),
            },
            VariableSpec {
                name: "b".into(),
                data_type: DataType::Float,
                default_value: "2.5".into(),
            },
            VariableSpec {
                name: "s".into(),
                data_type: DataType::String,
                default_value: "x".into(),
            },
            VariableSpec {
                name: "f".into(),
                data_type: DataType::Boolean,
                default_value: "true".into(),
            },
            VariableSpec {
                name: "d".into(),
                data_type: DataType::DateTime,
                default_value: "2024-01-01".into(),
            },
        ],
        rules: vec![RuleSpec {
            rule_id: "r".into(),
            rule_version: "1".into(),
            expression: expr.into(),
            outcomes: vec![],
        }],
        mode: Some(Mode::AllMatched),
        ..Default::default()
    };
    spec.lists.insert("l".into(), vec!["x".into()]);
    Detector::compile(&spec)
}

/// Token soup drawn from the language's own vocabulary, so that many inputs get deep into the
/// parser and compiler, plus arbitrary characters.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$a".to_string()),
        Just("$b".to_string()),
        Just("$s".to_string()),
        Just("$f".to_string()),
        Just("$d".to_string()),
        Just("$zz".to_string()),
        Just("@l".to_string()),
        Just("@nope".to_string()),
        Just("and".to_string()),
        Just("OR".to_string()),
        Just("not".to_string()),
        Just("!".to_string()),
        Just("in".to_string()),
        Just("==".to_string()),
        Just("!=".to_string()),
        Just(">".to_string()),
        Just(">=".to_string()),
        Just("<".to_string()),
        Just("<=".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just("*".to_string()),
        Just("/".to_string()),
        Just("%".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("1".to_string()),
        Just("2.5".to_string()),
        Just("\"x\"".to_string()),
        Just("\"2024-01-01\"".to_string()),
        Just("regex_match(".to_string()),
        Just("lowercase(".to_string()),
        Just("isbefore(".to_string()),
        Just("getcurrentdatetime()".to_string()),
        Just("getepochmilliseconds(".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        "[ -~]{0,3}",
        "\\PC{0,2}",
    ]
}

fn check_input(input: &str) {
    let chars = input.chars().count();
    match parse(input) {
        Ok(_) => {}
        Err(e) => {
            let p = e.position.expect("every parse error has a position");
            assert!(
                p >= 1 && p <= chars + 1,
                "position {p} outside 1..={} for {input:?}",
                chars + 1
            );
        }
    }
    match detector_for(input) {
        Ok(d) => {
            // and a compiled rule evaluates without panicking, on defaults and on NULLs
            let ctx = Context { now_millis: 0 };
            let mut m = Trace::default();
            let defaults: Vec<Value> = d.slots.iter().map(|v| v.default.clone()).collect();
            d.run(&defaults, &ctx, &mut m);
            let nulls = vec![Value::Null; d.slots.len()];
            d.run(&nulls, &ctx, &mut m);
        }
        Err(e) => {
            let p = e
                .error
                .position
                .expect("every compile error has a position");
            assert!(
                p >= 1 && p <= chars + 1,
                "position {p} outside 1..={} for {input:?}",
                chars + 1
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(input in "\\PC{0,80}") {
        check_input(&input);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..25)) {
        check_input(&tokens.join(" "));
    }
}
