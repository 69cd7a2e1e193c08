//! Aggregate (velocity) variables: a value computed at prediction time from the stored events
//! that share a key with the scored event (the same entity, or the same value of a variable)
//! within a time window, optionally filtered by a rule-language expression over each past
//! event's variables and label (docs/velocity-and-backtesting.md).
//!
//! This module owns what an aggregate means: its functions and their result types, the window
//! edges, how a past event's values are read and which ones count. Reading the past events is
//! the database layer's; it hands them over as [`Past`] rows.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use crate::compile::{compile_rule, Schema, Slots};
use crate::detector::Variable;
use crate::error::Error;
use crate::eval::{truth, Context};
use crate::node::{ListSet, Node};
use crate::parser::parse;
use crate::value::{self, DataType, Value};

/// The name a filter uses for the past event's label (`$label == "fraud"`).
pub const LABEL: &str = "label";

/// The longest window: 400 days, past a year of history plus seasonality.
pub const MAX_WINDOW_MS: i64 = 400 * 86_400_000;

/// What an aggregate computes over the past events in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

impl Function {
    /// Every function; the catalog's CHECK constraint lists the same names (the `velocity`
    /// regression session creates one of each).
    pub const ALL: [Function; 6] = [
        Function::Count,
        Function::CountDistinct,
        Function::Sum,
        Function::Avg,
        Function::Min,
        Function::Max,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Count => "COUNT",
            Function::CountDistinct => "COUNT_DISTINCT",
            Function::Sum => "SUM",
            Function::Avg => "AVG",
            Function::Min => "MIN",
            Function::Max => "MAX",
        }
    }

    pub fn parse(s: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The aggregate's data type, given the data type of the variable it reads (None for
    /// COUNT, which reads none); an error says why the pair does not go together.
    pub fn result_type(self, input: Option<DataType>) -> Result<DataType, String> {
        use DataType::*;
        match (self, input) {
            (Function::Count, None) => Ok(Integer),
            (Function::Count, Some(_)) => {
                Err("COUNT counts events and reads no variable (leave variable NULL)".into())
            }
            (_, None) => Err(format!("{} needs a variable to read", self.name())),
            (Function::CountDistinct, Some(_)) => Ok(Integer),
            (Function::Sum | Function::Avg, Some(Integer | Float)) => Ok(Float),
            (Function::Min | Function::Max, Some(t @ (Integer | Float | DateTime))) => Ok(t),
            (f, Some(t)) => Err(format!(
                "{} needs a numeric variable{}, not {}",
                f.name(),
                if matches!(f, Function::Min | Function::Max) {
                    " or a DATETIME"
                } else {
                    ""
                },
                t.name()
            )),
        }
    }

    /// The value over no events: 0 for counts and sums, NULL for the others.
    pub fn empty(self) -> Value<'static> {
        match self {
            Function::Count | Function::CountDistinct => Value::Int(0),
            Function::Sum => Value::Float(0.0),
            Function::Avg | Function::Min | Function::Max => Value::Null,
        }
    }
}

/// What the past events are grouped by: the scored event's entity of a type, or the value of
/// one of its variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Entity(String),
    Variable(String),
}

impl GroupBy {
    /// The key's name as stored events' keys carry it (`fraud.event_keys.key_name`): the entity
    /// type, or `$` and the variable (entity type names cannot start with `$`).
    pub fn key_name(&self) -> String {
        match self {
            GroupBy::Entity(t) => t.clone(),
            GroupBy::Variable(v) => format!("${v}"),
        }
    }
}

/// An aggregate variable as the catalog holds it.
#[derive(Debug, Clone)]
pub struct AggregateSpec {
    pub name: String,
    pub event_types: Vec<String>,
    pub group_by: GroupBy,
    pub function: Function,
    /// the variable read (None for COUNT) and its data type
    pub variable: Option<(String, DataType)>,
    pub window_ms: i64,
    pub filter: Option<String>,
    /// the variables of its event types, with their defaults (a past event without one reads
    /// its default in a filter, as scoring does)
    pub variables: Vec<Variable>,
}

/// What an aggregate reads of past events besides their type and time, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reads {
    Times,
    /// and their labels (with when each was assigned)
    Labels,
    /// and their variables (and labels)
    Variables,
}

impl Reads {
    /// What an aggregate reads that aggregates a variable (or not) and whose filter names
    /// `filter_names` (`$label` is [`LABEL`]). The catalog asks it too, to know which stored
    /// keys must carry their events' variables.
    pub fn of<'a>(
        aggregates_variable: bool,
        filter_names: impl IntoIterator<Item = &'a str>,
    ) -> Reads {
        let mut reads = if aggregates_variable {
            Reads::Variables
        } else {
            Reads::Times
        };
        for name in filter_names {
            reads = reads.max(if name == LABEL {
                Reads::Labels
            } else {
                Reads::Variables
            });
        }
        reads
    }
}

/// A past event: what the database layer hands over for each stored event in the window.
pub trait Past {
    fn event_type(&self) -> &str;
    /// when it happened, in microseconds on any fixed epoch (the caller's window is on the
    /// same one)
    fn timestamp_us(&self) -> i64;
    fn label(&self) -> Option<&str>;
    /// the stored text of a variable, None when the event does not have it
    fn variable(&self, name: &str) -> Option<Cow<'_, str>>;
}

/// An aggregate ready to compute: its filter compiled against the variables of its event types.
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub name: String,
    pub event_types: Vec<String>,
    pub group_by: GroupBy,
    pub function: Function,
    pub window_ms: i64,
    pub data_type: DataType,
    variable: Option<Variable>,
    filter: Option<Node>,
    /// what the filter reads, in slot order; the label is the slot named [`LABEL`]
    filter_slots: Vec<Option<Variable>>,
}

struct FilterSchema<'a> {
    variables: &'a [Variable],
}

impl Schema for FilterSchema<'_> {
    fn variable(&self, name: &str) -> Option<DataType> {
        if name == LABEL {
            return Some(DataType::String);
        }
        self.variables
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.data_type)
    }
    fn list(&self, _: &str) -> Option<ListSet> {
        None
    }
}

impl Aggregate {
    /// Checks `spec` and compiles its filter against the variables of its event types. Errors are the rule language's (a filter that does not parse or type check,
    /// with its position) or [`Error::invalid`] at position 0 for the rest.
    pub fn compile(spec: &AggregateSpec) -> Result<Aggregate, Error> {
        let variables = &spec.variables[..];
        let bad = |m: String| Error::invalid(0, m);
        let data_type = spec
            .function
            .result_type(spec.variable.as_ref().map(|v| v.1))
            .map_err(bad)?;
        if spec.window_ms <= 0 || spec.window_ms > MAX_WINDOW_MS {
            return Err(bad(format!(
                "the window must be longer than 0 and at most 400 days, not {} ms",
                spec.window_ms
            )));
        }
        if variables.iter().any(|v| v.name == LABEL) && spec.filter.is_some() {
            return Err(bad(format!(
                "a filter names the past event's label ${LABEL}, and a variable of these event types is called {LABEL}"
            )));
        }
        // a variable the event types do not have (refused when the aggregate is written)
        // reads as missing in every past event
        let variable = spec.variable.as_ref().map(|(name, t)| {
            variables
                .iter()
                .find(|v| &v.name == name)
                .cloned()
                .unwrap_or(Variable {
                    name: name.clone(),
                    data_type: *t,
                    default: Value::Null,
                })
        });
        let mut slots = Slots::default();
        let filter = match &spec.filter {
            None => None,
            Some(text) => Some(compile_rule(
                &parse(text)?,
                &FilterSchema { variables },
                &mut slots,
            )?),
        };
        let filter_slots = slots
            .names
            .iter()
            .map(|n| variables.iter().find(|v| &v.name == n).cloned())
            .collect();
        Ok(Aggregate {
            name: spec.name.clone(),
            event_types: spec.event_types.clone(),
            group_by: spec.group_by.clone(),
            function: spec.function,
            window_ms: spec.window_ms,
            data_type,
            variable,
            filter,
            filter_slots,
        })
    }

    /// What of a past event the aggregate reads besides its type and time: the database layer
    /// reads no more than that.
    pub fn reads(&self) -> Reads {
        let names = self
            .filter_slots
            .iter()
            .map(|s| s.as_ref().map_or(LABEL, |v| v.name.as_str()));
        Reads::of(self.variable.is_some(), names)
    }

    /// Adds `past` to `acc` if it counts: one of the aggregate's event types, inside the window
    /// of an event scored at `at_us`, and passing the filter. The window is `(at - window,
    /// at]` for a live prediction; `historical` (batch prediction, backtesting: an event sees
    /// only what was stored before its own time, itself never) leaves `at` itself out. A past value
    /// that does not read as its type (the catalog checks values when events are stored, so
    /// only a variable whose type changed since) counts as missing.
    pub fn add(
        &self,
        acc: &mut Accumulator,
        past: &impl Past,
        at_us: i64,
        historical: bool,
        ctx: &Context,
    ) {
        let t = past.timestamp_us();
        if t > at_us || (historical && t == at_us) || t <= at_us - self.window_ms * 1000 {
            return;
        }
        if !self.event_types.iter().any(|e| e == past.event_type()) {
            return;
        }
        if let Some(filter) = &self.filter {
            let texts: Vec<Option<Cow<'_, str>>> = self
                .filter_slots
                .iter()
                .map(|s| match s {
                    None => past.label().map(Cow::Borrowed),
                    Some(v) => past.variable(&v.name),
                })
                .collect();
            let values: Vec<Value<'_>> = self
                .filter_slots
                .iter()
                .zip(&texts)
                .map(|(s, text)| match (s, text) {
                    (None, Some(l)) => Value::Str(Cow::Borrowed(l.as_ref())),
                    (None, None) => Value::Null,
                    (Some(v), Some(text)) => {
                        value::from_str(&v.name, v.data_type, text).unwrap_or(Value::Null)
                    }
                    (Some(v), None) => v.default.clone(),
                })
                .collect();
            if !truth(filter, &values, ctx) {
                return;
            }
        }
        let Some(var) = &self.variable else {
            acc.count += 1;
            return;
        };
        let Some(text) = past.variable(&var.name) else {
            return;
        };
        match self.function {
            Function::CountDistinct => {
                if !acc.distinct.contains(text.as_ref()) {
                    acc.distinct.insert(text.into_owned());
                }
            }
            Function::Sum | Function::Avg => {
                if let Ok(v) = value::from_str(&var.name, var.data_type, &text) {
                    let x = match v {
                        Value::Int(i) => i as f64,
                        Value::Float(f) => f,
                        _ => return,
                    };
                    acc.count += 1;
                    acc.sum += x;
                }
            }
            Function::Min | Function::Max => {
                if let Ok(v) = value::from_str(&var.name, var.data_type, &text) {
                    let better = match &acc.best {
                        None => true,
                        Some(b) => {
                            let op = if self.function == Function::Min {
                                crate::ast::CmpOp::Lt
                            } else {
                                crate::ast::CmpOp::Gt
                            };
                            crate::eval::compare(op, &v, b)
                        }
                    };
                    if better {
                        acc.best = Some(v.into_owned());
                    }
                }
            }
            Function::Count => acc.count += 1,
        }
    }

    /// The aggregate's value over what `acc` took in.
    pub fn finish(&self, acc: &Accumulator) -> Value<'static> {
        match self.function {
            Function::Count => Value::Int(acc.count),
            Function::CountDistinct => Value::Int(acc.distinct.len() as i64),
            Function::Sum => Value::Float(acc.sum),
            Function::Avg if acc.count > 0 => Value::Float(acc.sum / acc.count as f64),
            Function::Avg => Value::Null,
            Function::Min | Function::Max => acc.best.clone().unwrap_or(Value::Null),
        }
    }
}

/// The running state of one aggregate over one scored event's past events.
#[derive(Debug, Default)]
pub struct Accumulator {
    count: i64,
    sum: f64,
    best: Option<Value<'static>>,
    distinct: FxHashSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        t: &'static str,
        us: i64,
        label: Option<&'static str>,
        vars: Vec<(&'static str, &'static str)>,
    }

    impl Past for Row {
        fn event_type(&self) -> &str {
            self.t
        }
        fn timestamp_us(&self) -> i64 {
            self.us
        }
        fn label(&self) -> Option<&str> {
            self.label
        }
        fn variable(&self, name: &str) -> Option<Cow<'_, str>> {
            self.vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| Cow::Borrowed(*v))
        }
    }

    fn vars() -> Vec<Variable> {
        vec![
            Variable {
                name: "amount".into(),
                data_type: DataType::Float,
                default: Value::Float(0.0),
            },
            Variable {
                name: "email".into(),
                data_type: DataType::String,
                default: Value::Str("none".into()),
            },
        ]
    }

    fn spec(f: Function, var: Option<&str>, filter: Option<&str>) -> AggregateSpec {
        AggregateSpec {
            name: "a".into(),
            event_types: vec!["pay".into()],
            group_by: GroupBy::Entity("customer".into()),
            function: f,
            variable: var.map(|v| {
                let t = vars().into_iter().find(|x| x.name == v).unwrap().data_type;
                (v.to_string(), t)
            }),
            window_ms: 10,
            filter: filter.map(String::from),
            variables: vars(),
        }
    }

    fn row(us: i64, amount: &'static str, label: Option<&'static str>) -> Row {
        Row {
            t: "pay",
            us,
            label,
            vars: vec![("amount", amount), ("email", "a@x")],
        }
    }

    fn run(a: &Aggregate, rows: &[Row], at_us: i64) -> Value<'static> {
        run_at(a, rows, at_us, false)
    }

    fn run_at(a: &Aggregate, rows: &[Row], at_us: i64, historical: bool) -> Value<'static> {
        let mut acc = Accumulator::default();
        let ctx = Context { now_millis: 0 };
        for r in rows {
            a.add(&mut acc, r, at_us, historical, &ctx);
        }
        a.finish(&acc)
    }

    #[test]
    fn window_is_open_at_the_start_and_closed_at_the_end() {
        let a = Aggregate::compile(&spec(Function::Count, None, None)).unwrap();
        // window 10 ms = 10,000 us ending at 20,000: (10,000, 20,000]
        let rows = [
            row(10_000, "1", None),
            row(10_001, "1", None),
            row(20_000, "1", None),
            row(20_001, "1", None),
        ];
        assert_eq!(run(&a, &rows, 20_000), Value::Int(2));
        // historical: the end itself is out
        assert_eq!(run_at(&a, &rows, 20_000, true), Value::Int(1));
    }

    #[test]
    fn functions_and_empty_windows() {
        let rows = [
            row(1_000, "5", Some("fraud")),
            row(2_000, "7.5", None),
            row(3_000, "1", Some("legit")),
        ];
        let v = |f, var, filter| {
            let a = Aggregate::compile(&spec(f, var, filter)).unwrap();
            (run(&a, &rows, 5_000), run(&a, &[], 5_000))
        };
        assert_eq!(
            v(Function::Sum, Some("amount"), None),
            (Value::Float(13.5), Value::Float(0.0))
        );
        assert_eq!(
            v(Function::Avg, Some("amount"), None),
            (Value::Float(4.5), Value::Null)
        );
        assert_eq!(
            v(Function::Min, Some("amount"), None),
            (Value::Float(1.0), Value::Null)
        );
        assert_eq!(
            v(Function::Max, Some("amount"), None),
            (Value::Float(7.5), Value::Null)
        );
        assert_eq!(
            v(Function::CountDistinct, Some("email"), None),
            (Value::Int(1), Value::Int(0))
        );
        assert_eq!(
            v(Function::Count, None, Some("$label == \"fraud\"")),
            (Value::Int(1), Value::Int(0))
        );
        assert_eq!(
            v(Function::Count, None, Some("$label == null")),
            (Value::Int(1), Value::Int(0))
        );
        assert_eq!(
            v(Function::Sum, Some("amount"), Some("$amount > 2")),
            (Value::Float(12.5), Value::Float(0.0))
        );
    }

    #[test]
    fn other_event_types_and_missing_values_do_not_count() {
        let a = Aggregate::compile(&spec(Function::Sum, Some("amount"), None)).unwrap();
        let rows = [
            Row {
                t: "login",
                us: 1_000,
                label: None,
                vars: vec![("amount", "100")],
            },
            Row {
                t: "pay",
                us: 1_000,
                label: None,
                vars: vec![],
            },
            row(1_000, "2", None),
        ];
        assert_eq!(run(&a, &rows, 5_000), Value::Float(2.0));
        // a filter reads a missing variable as its default
        let f =
            Aggregate::compile(&spec(Function::Count, None, Some("$email == \"none\""))).unwrap();
        assert_eq!(run(&f, &rows, 5_000), Value::Int(1));
    }

    #[test]
    fn refusals() {
        let err = |s: AggregateSpec| Aggregate::compile(&s).unwrap_err().message;
        assert!(err(spec(Function::Sum, None, None)).contains("needs a variable"));
        assert!(err(spec(Function::Count, Some("amount"), None)).contains("reads no variable"));
        assert!(err(spec(Function::Sum, Some("email"), None)).contains("numeric"));
        assert!(err(spec(Function::Count, None, Some("$nope > 1"))).contains("nope"));
        assert!(err(spec(Function::Count, None, Some("$amount + 1"))).contains("BOOLEAN"));
        let mut s = spec(Function::Count, None, None);
        s.window_ms = 0;
        assert!(err(s).contains("window"));
        let mut labelled = vars();
        labelled.push(Variable {
            name: "label".into(),
            data_type: DataType::String,
            default: Value::Null,
        });
        let mut s = spec(Function::Count, None, Some("$label == \"x\""));
        s.variables = labelled;
        assert!(err(s).contains("called label"));
    }
}
