//! A detector version compiled for evaluation: its event variables, its rules in order (all
//! sharing one slot table), and the rule execution mode.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ast::{Expr, ExprKind};
use crate::compile::{compile_rule, Schema, Slots};
use crate::error::Error;
use crate::eval::{truth, Context};
use crate::node::{ListSet, Node};
use crate::parser::parse;
use crate::value::{self, DataType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    FirstMatched,
    AllMatched,
}

impl Mode {
    /// Every mode; the catalog's CHECK constraint and the SQL API list the same names (a
    /// `#[pg_test]` keeps them in step).
    pub const ALL: [Mode; 2] = [Mode::AllMatched, Mode::FirstMatched];

    /// The name AFD and the catalog use (`ruleExecutionMode`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::FirstMatched => "FIRST_MATCHED",
            Mode::AllMatched => "ALL_MATCHED",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// What one run of a detector version's rules did: how many rules were evaluated (always a
/// prefix of the rules: FIRST_MATCHED stops at the first match) and which matched, in rule
/// order. Every answer about an event (the prediction, the outcomes, the explanation, a
/// trigger's rejection) is rendered from it, so the rules run once per event whatever is asked.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub evaluated: usize,
    pub matched: Vec<usize>,
}

impl Trace {
    /// Whether rule `i` was evaluated.
    pub fn was_evaluated(&self, i: usize) -> bool {
        i < self.evaluated
    }

    /// Whether rule `i` matched.
    pub fn was_matched(&self, i: usize) -> bool {
        self.matched.binary_search(&i).is_ok()
    }
}

/// A variable as the catalog holds it.
#[derive(Debug, Clone)]
pub struct VariableSpec {
    pub name: String,
    pub data_type: DataType,
    pub default_value: String,
}

/// A rule version as the catalog holds it.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub rule_id: String,
    pub rule_version: String,
    pub expression: String,
    pub outcomes: Vec<String>,
}

/// Everything needed to build a [`Detector`].
#[derive(Debug, Clone, Default)]
pub struct DetectorSpec {
    pub variables: Vec<VariableSpec>,
    pub lists: FxHashMap<String, Vec<String>>,
    pub rules: Vec<RuleSpec>,
    pub mode: Option<Mode>,
}

/// A variable with its default value already read as its type.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub data_type: DataType,
    pub default: Value<'static>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub rule_id: String,
    pub rule_version: String,
    pub expression: String,
    pub outcomes: Vec<String>,
    pub parsed: Expr,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct Detector {
    /// The variables the rules read, in slot order: the only fields read from an event.
    pub slots: Vec<Variable>,
    /// Every variable of the event type, for explanations.
    pub variables: Vec<Variable>,
    pub rules: Vec<Rule>,
    pub mode: Mode,
}

/// A rule that did not compile, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub rule_id: String,
    pub rule_version: String,
    pub error: Error,
}

struct SpecSchema<'a> {
    variables: &'a [Variable],
    lists: FxHashMap<&'a str, ListSet>,
}

impl Schema for SpecSchema<'_> {
    fn variable(&self, name: &str) -> Option<DataType> {
        self.variables
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.data_type)
    }
    fn list(&self, name: &str) -> Option<ListSet> {
        self.lists.get(name).cloned()
    }
}

/// Reads each variable's default value as its type.
pub fn variables(specs: &[VariableSpec]) -> Result<Vec<Variable>, Error> {
    specs
        .iter()
        .map(|v| {
            let default = value::from_str(&v.name, v.data_type, &v.default_value).map_err(|e| {
                Error::invalid(
                    1,
                    format!("default value of variable {}: {}", v.name, e.message),
                )
            })?;
            Ok(Variable {
                name: v.name.clone(),
                data_type: v.data_type,
                default: default.into_owned(),
            })
        })
        .collect()
}

impl Detector {
    pub fn compile(spec: &DetectorSpec) -> Result<Detector, RuleError> {
        let no_rule = |error| RuleError {
            rule_id: String::new(),
            rule_version: String::new(),
            error,
        };
        let variables = variables(&spec.variables).map_err(no_rule)?;
        let lists = spec
            .lists
            .iter()
            .map(|(name, elements)| {
                let set: FxHashSet<Box<str>> = elements.iter().map(|e| e.as_str().into()).collect();
                (name.as_str(), Arc::new(set))
            })
            .collect();
        let schema = SpecSchema {
            variables: &variables,
            lists,
        };
        let mut slots = Slots::default();
        let mut rules = Vec::with_capacity(spec.rules.len());
        for r in &spec.rules {
            let fail = |error| RuleError {
                rule_id: r.rule_id.clone(),
                rule_version: r.rule_version.clone(),
                error,
            };
            let parsed = parse(&r.expression).map_err(fail)?;
            let node = compile_rule(&parsed, &schema, &mut slots).map_err(fail)?;
            rules.push(Rule {
                rule_id: r.rule_id.clone(),
                rule_version: r.rule_version.clone(),
                expression: r.expression.clone(),
                outcomes: r.outcomes.clone(),
                parsed,
                node,
            });
        }
        let slots = slots
            .names
            .iter()
            .filter_map(|n| variables.iter().find(|v| &v.name == n).cloned())
            .collect();
        Ok(Detector {
            slots,
            variables,
            rules,
            mode: spec.mode.unwrap_or(Mode::FirstMatched),
        })
    }

    /// Runs the rules over one event's slots: the first match only under FIRST_MATCHED, every
    /// match under ALL_MATCHED. `trace` is overwritten, so a caller can reuse one for every
    /// event.
    pub fn run(&self, slots: &[Value<'_>], ctx: &Context, trace: &mut Trace) {
        trace.matched.clear();
        trace.evaluated = self.rules.len();
        for (i, rule) in self.rules.iter().enumerate() {
            if truth(&rule.node, slots, ctx) {
                trace.matched.push(i);
                if self.mode == Mode::FirstMatched {
                    trace.evaluated = i + 1;
                    return;
                }
            }
        }
    }

    /// The outcomes of the matched rules, in rule order without repeats.
    pub fn outcomes(&self, trace: &Trace) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for &i in &trace.matched {
            for o in &self.rules[i].outcomes {
                if !out.contains(&o.as_str()) {
                    out.push(o);
                }
            }
        }
        out
    }
}

/// Checks one rule expression, when it is written, against the variables and the names of the
/// lists it may use (their elements are not needed to type check).
pub fn check_rule(
    expression: &str,
    variables: &[VariableSpec],
    lists: &[String],
) -> Result<(), Error> {
    let vars: Vec<Variable> = variables
        .iter()
        .map(|v| Variable {
            name: v.name.clone(),
            data_type: v.data_type,
            default: Value::Null,
        })
        .collect();
    let empty = ListSet::default();
    let schema = SpecSchema {
        variables: &vars,
        lists: lists.iter().map(|l| (l.as_str(), empty.clone())).collect(),
    };
    compile_rule(&parse(expression)?, &schema, &mut Slots::default()).map(|_| ())
}

/// The expression with every `$variable` replaced by the value it had, as AFD's
/// GetEventPredictionMetadata shows it.
pub fn expression_with_values(rule: &Rule, value_of: impl Fn(&str) -> Option<String>) -> String {
    let mut spans: Vec<(usize, usize, String)> = Vec::new(); // (char start, char len, text)
    rule.parsed.walk(&mut |e| {
        if let ExprKind::Variable(name) = &e.kind {
            if let Some(text) = value_of(name) {
                spans.push((e.pos - 1, name.chars().count() + 1, text));
            }
        }
    });
    spans.sort_by_key(|s| s.0);
    let chars: Vec<char> = rule.expression.chars().collect();
    let mut out = String::with_capacity(rule.expression.len());
    let mut at = 0;
    for (start, len, text) in spans {
        if start < at || start + len > chars.len() {
            continue;
        }
        out.extend(&chars[at..start]);
        out.push_str(&text);
        at = start + len;
    }
    out.extend(&chars[at..]);
    out
}
