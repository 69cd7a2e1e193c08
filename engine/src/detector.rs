//! A detector version compiled for evaluation: its event variables, its rules in order (all
//! sharing one slot table), and the rule execution mode.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::aggregate::{Aggregate, AggregateSpec, GroupBy, Reads};
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
    /// the score of each model of the version (0-1000, docs/models.md), in its order; set by
    /// the caller, which scores the models before the rules run
    pub model_scores: Vec<f64>,
    /// the argument and result of each external model the caller called (JSON null for one
    /// it skipped)
    pub external_calls: Vec<(serde_json::Value, serde_json::Value)>,
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
    /// the aggregate variables rules of this event type may use (docs/velocity-and-backtesting.md)
    pub aggregates: Vec<AggregateSpec>,
    /// the variables the version's models set, which rules may use (docs/models.md): each
    /// model's score (`<model_id>_insightscore`, FLOAT), then the output variables of its
    /// external models; filled in by the caller, which runs the models before the rules. An
    /// empty default is NULL.
    pub model_outputs: Vec<VariableSpec>,
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
    /// The variables the rules read, in slot order: the only fields read from an event, and
    /// the aggregates the rules use (their default is their value over no events).
    pub slots: Vec<Variable>,
    /// for each slot, the index in `aggregates` of the aggregate it holds; None for an event
    /// variable
    pub slot_aggregates: Vec<Option<usize>>,
    /// The aggregate variables the rules use, compiled.
    pub aggregates: Vec<Aggregate>,
    /// for each slot, the index in `DetectorSpec::model_outputs` of the model output it holds
    pub slot_outputs: Vec<Option<usize>>,
    /// The aggregates grouped by the key they read: the past events of one key are read once
    /// for all of them.
    pub key_groups: Vec<KeyGroup>,
    /// Every variable of the event type, for explanations.
    pub variables: Vec<Variable>,
    pub rules: Vec<Rule>,
    pub mode: Mode,
}

/// The aggregates of a detector version that read the same key.
#[derive(Debug, Clone)]
pub struct KeyGroup {
    pub group_by: GroupBy,
    /// `fraud.event_keys.key_name` of the key
    pub key_name: String,
    /// the longest window of its aggregates: how far back its past events are read
    pub window_ms: i64,
    /// the most any of them reads of the past events
    pub reads: Reads,
    /// (slot, index in `Detector::aggregates`) of each
    pub members: Vec<(usize, usize)>,
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
    aggregates: &'a [AggregateSpec],
    model_outputs: &'a [VariableSpec],
}

impl Schema for SpecSchema<'_> {
    fn variable(&self, name: &str) -> Option<DataType> {
        if let Some(v) = self.variables.iter().find(|v| v.name == name) {
            return Some(v.data_type);
        }
        if let Some(m) = self.model_outputs.iter().find(|m| m.name == name) {
            return Some(m.data_type);
        }
        let a = self.aggregates.iter().find(|a| a.name == name)?;
        a.function
            .result_type(a.variable.as_ref().map(|v| v.1))
            .ok()
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

/// A model output as a slot's variable: its default read as its type, an empty default NULL
/// (a model score has none).
pub fn output_variable(spec: &VariableSpec) -> Result<Variable, Error> {
    if spec.default_value.is_empty() {
        return Ok(Variable {
            name: spec.name.clone(),
            data_type: spec.data_type,
            default: Value::Null,
        });
    }
    Ok(variables(std::slice::from_ref(spec))?.remove(0))
}

/// A list's elements as the set rules test against.
pub fn list_set(elements: &[String]) -> ListSet {
    Arc::new(elements.iter().map(|e| e.as_str().into()).collect())
}

/// Estimated heap bytes of one list set: its elements and its hash table. Lists are shared
/// between detector versions, so [`Detector::estimated_bytes`] leaves them out and a cache
/// counts each shared set once with this.
pub fn list_bytes(set: &ListSet) -> usize {
    // a table slot per element (hashbrown keeps at most 7/8 of its slots full) and a control
    // byte each, plus every element's own allocation
    let slots = set.capacity() * 8 / 7 + 16;
    let elements: usize = set.iter().map(|e| heap(e.len())).sum();
    size_of::<FxHashSet<Box<str>>>() + slots * (size_of::<Box<str>>() + 1) + elements
}

/// One heap allocation of `n` bytes, with the allocator's header and rounding.
fn heap(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).next_multiple_of(16)
    }
}

fn string_bytes(s: &str) -> usize {
    heap(s.len())
}

fn value_bytes(v: &Value<'_>) -> usize {
    match v {
        Value::Str(std::borrow::Cow::Owned(s)) => heap(s.capacity()),
        _ => 0,
    }
}

/// Estimated heap bytes of a compiled regex. The regex crate does not report its memory, so
/// this is a measured rule of thumb: a fixed part (its engines and their caches) and a part
/// per unit of [`regex_weight`], which follows the size of the automaton the crate compiles.
/// engine/tests/memory.rs checks it against real allocations.
pub fn regex_bytes(pattern: &str) -> usize {
    REGEX_FIXED_BYTES.saturating_add(REGEX_BYTES_PER_WEIGHT.saturating_mul(regex_weight(pattern)))
}

const REGEX_FIXED_BYTES: usize = 10 << 10;
const REGEX_BYTES_PER_WEIGHT: usize = 80;
/// a capture group makes the crate build and keep more of its engines (about 6 KiB)
const REGEX_CAPTURE_WEIGHT: usize = 75;

/// How big a pattern's automaton is, roughly: a unit per literal byte and per UTF-8 byte
/// sequence of a class (what the regex crate compiles a class into: `\w` is hundreds),
/// repetitions counted as often as they repeat, and [`REGEX_CAPTURE_WEIGHT`] per capture
/// group. A pattern that does not parse on its own
/// (never the case for a compiled rule's) weighs its length.
fn regex_weight(pattern: &str) -> usize {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn weight(h: &Hir) -> usize {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => 1,
            HirKind::Literal(l) => l.0.len(),
            HirKind::Class(Class::Unicode(c)) => c
                .ranges()
                .iter()
                .map(|r| regex_syntax::utf8::Utf8Sequences::new(r.start(), r.end()).count())
                .sum(),
            HirKind::Class(Class::Bytes(c)) => c.ranges().len(),
            HirKind::Repetition(r) => {
                let times = r.max.unwrap_or(r.min).max(1) as usize;
                weight(&r.sub).saturating_mul(times)
            }
            HirKind::Capture(c) => weight(&c.sub).saturating_add(REGEX_CAPTURE_WEIGHT),
            HirKind::Concat(v) | HirKind::Alternation(v) => {
                v.iter().fold(0, |n, h| n.saturating_add(weight(h)))
            }
        }
    }
    regex_syntax::Parser::new()
        .parse(pattern)
        .map_or(pattern.len(), |h| weight(&h))
}

/// Estimated heap bytes below a node (the node itself is counted by its owner). Lists are
/// left out: they are shared ([`list_bytes`]).
fn node_bytes(node: &Node) -> usize {
    let boxed = |n: &Node| heap(size_of::<Node>()) + node_bytes(n);
    match node {
        Node::Const(v) => value_bytes(v),
        Node::Slot(_) | Node::Now => 0,
        Node::Not(a)
        | Node::Neg(a)
        | Node::Lowercase(a)
        | Node::Uppercase(a)
        | Node::EpochMillis(a) => boxed(a),
        Node::And(a, b)
        | Node::Or(a, b)
        | Node::Compare(_, a, b)
        | Node::Arith(_, a, b)
        | Node::IsBefore(a, b)
        | Node::IsAfter(a, b) => boxed(a) + boxed(b),
        Node::CompareSlot { value, .. } => value_bytes(value),
        Node::IsNull { operand, .. } | Node::InSet { operand, .. } => boxed(operand),
        Node::InValues {
            operand, values, ..
        } => {
            boxed(operand)
                + heap(values.capacity() * size_of::<Value>())
                + values.iter().map(value_bytes).sum::<usize>()
        }
        Node::RegexMatch(re, a) => heap(size_of_val(&**re)) + regex_bytes(re.as_str()) + boxed(a),
    }
}

impl Detector {
    pub fn compile(spec: &DetectorSpec) -> Result<Detector, RuleError> {
        Detector::compile_with_lists(spec, |_, elements| list_set(elements))
    }

    /// As [`compile`](Detector::compile), with each list's set made by `list_set(name,
    /// elements)`: a caller that keeps several versions can hand out one shared set for the
    /// same list.
    pub fn compile_with_lists(
        spec: &DetectorSpec,
        mut list_set: impl FnMut(&str, &[String]) -> ListSet,
    ) -> Result<Detector, RuleError> {
        let no_rule = |error| RuleError {
            rule_id: String::new(),
            rule_version: String::new(),
            error,
        };
        let variables = variables(&spec.variables).map_err(no_rule)?;
        let lists = spec
            .lists
            .iter()
            .map(|(name, elements)| (name.as_str(), list_set(name, elements)))
            .collect();
        let schema = SpecSchema {
            variables: &variables,
            lists,
            aggregates: &spec.aggregates,
            model_outputs: &spec.model_outputs,
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
        // every slot is an event variable or an aggregate: the schema knows no other names
        let mut aggregates = Vec::new();
        let mut slot_aggregates = Vec::with_capacity(slots.names.len());
        let mut slot_variables = Vec::with_capacity(slots.names.len());
        let mut slot_outputs = Vec::with_capacity(slots.names.len());
        for n in &slots.names {
            let output = spec.model_outputs.iter().position(|m| &m.name == n);
            slot_outputs.push(output);
            if let Some(v) = variables.iter().find(|v| &v.name == n) {
                slot_variables.push(v.clone());
                slot_aggregates.push(None);
            } else if let Some(i) = output {
                slot_variables.push(output_variable(&spec.model_outputs[i]).map_err(no_rule)?);
                slot_aggregates.push(None);
            } else if let Some(a) = spec.aggregates.iter().find(|a| &a.name == n) {
                let a = Aggregate::compile(a).map_err(|e| RuleError {
                    rule_id: String::new(),
                    rule_version: String::new(),
                    error: Error::invalid(
                        0,
                        format!("aggregate variable {}: {}", a.name, e.message),
                    ),
                })?;
                slot_variables.push(Variable {
                    name: a.name.clone(),
                    data_type: a.data_type,
                    default: a.function.empty(),
                });
                slot_aggregates.push(Some(aggregates.len()));
                aggregates.push(a);
            }
        }
        let mut key_groups: Vec<KeyGroup> = Vec::new();
        for (slot, a) in slot_aggregates.iter().enumerate() {
            let Some(i) = *a else { continue };
            let agg: &Aggregate = &aggregates[i];
            match key_groups.iter_mut().find(|g| g.group_by == agg.group_by) {
                Some(g) => {
                    g.window_ms = g.window_ms.max(agg.window_ms);
                    g.reads = g.reads.max(agg.reads());
                    g.members.push((slot, i));
                }
                None => key_groups.push(KeyGroup {
                    group_by: agg.group_by.clone(),
                    key_name: agg.group_by.key_name(),
                    window_ms: agg.window_ms,
                    reads: agg.reads(),
                    members: vec![(slot, i)],
                }),
            }
        }
        Ok(Detector {
            slots: slot_variables,
            slot_aggregates,
            slot_outputs,
            aggregates,
            key_groups,
            variables,
            rules,
            mode: spec.mode.unwrap_or(Mode::FirstMatched),
        })
    }

    /// Estimated heap bytes of this compiled version, its lists left out (they may be shared
    /// between versions; [`list_bytes`] estimates each). An estimate: what a cache budget needs
    /// is the right order of magnitude, and engine/tests/memory.rs keeps it within a factor of
    /// the real allocations.
    pub fn estimated_bytes(&self) -> usize {
        let variable = |v: &Variable| string_bytes(&v.name) + value_bytes(&v.default);
        let rule = |r: &Rule| {
            let mut parsed = 0;
            r.parsed.walk(&mut |_| parsed += heap(size_of::<Expr>()));
            string_bytes(&r.rule_id)
                + string_bytes(&r.rule_version)
                + string_bytes(&r.expression)
                + heap(r.outcomes.capacity() * size_of::<String>())
                + r.outcomes.iter().map(|o| string_bytes(o)).sum::<usize>()
                // the names and literals the syntax tree holds come from the expression
                + parsed
                + heap(r.expression.len())
                + node_bytes(&r.node)
        };
        size_of::<Detector>()
            + heap(self.slots.capacity() * size_of::<Variable>())
            + heap(self.variables.capacity() * size_of::<Variable>())
            + heap(self.rules.capacity() * size_of::<Rule>())
            + self.slots.iter().map(variable).sum::<usize>()
            + self.variables.iter().map(variable).sum::<usize>()
            + self.rules.iter().map(rule).sum::<usize>()
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
    aggregates: &[AggregateSpec],
    model_outputs: &[VariableSpec],
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
        aggregates,
        model_outputs,
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
