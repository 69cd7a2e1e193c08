//! Evaluation of a compiled [`Node`] over one event's slot values. `and` / `or` short-circuit.
//! NULL semantics (docs/rule-language.md, "Values, defaults and NULL"): `x == null` is true
//! when x is NULL; every other comparison with NULL is false; arithmetic and string functions
//! pass NULL through; a NULL where a boolean is needed counts as false. Division by zero and
//! integer overflow give NULL, so one odd event makes a rule not match instead of failing the
//! whole query.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ast::{ArithOp, CmpOp};
use crate::node::Node;
use crate::value::Value;

/// What an evaluation may read besides the event: the clock (getcurrentdatetime()), fixed by
/// the caller so that one statement sees one time.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now_millis: i64,
}

/// Borrows a value instead of copying its string.
fn borrow<'a>(v: &'a Value<'_>) -> Value<'a> {
    match v {
        Value::Str(s) => Value::Str(Cow::Borrowed(s.as_ref())),
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(*b),
        Value::Int(i) => Value::Int(*i),
        Value::Float(f) => Value::Float(*f),
        Value::DateTime(t) => Value::DateTime(*t),
    }
}

/// Evaluates a BOOLEAN node; NULL is false.
pub fn truth(node: &Node, slots: &[Value<'_>], ctx: &Context) -> bool {
    match node {
        Node::And(a, b) => truth(a, slots, ctx) && truth(b, slots, ctx),
        Node::Or(a, b) => truth(a, slots, ctx) || truth(b, slots, ctx),
        Node::Not(a) => !truth(a, slots, ctx),
        Node::Compare(op, a, b) => compare(*op, &eval(a, slots, ctx), &eval(b, slots, ctx)),
        Node::CompareSlot { op, slot, value } => {
            slots.get(*slot).is_some_and(|v| compare(*op, v, value))
        }
        Node::IsNull { negated, operand } => eval(operand, slots, ctx).is_null() != *negated,
        Node::InSet {
            negated,
            operand,
            set,
        } => match eval(operand, slots, ctx) {
            Value::Str(s) => set.contains(s.as_ref()) != *negated,
            _ => false,
        },
        Node::InValues {
            negated,
            operand,
            values,
        } => {
            let v = eval(operand, slots, ctx);
            if v.is_null() {
                return false;
            }
            values.iter().any(|x| compare(CmpOp::Eq, &v, x)) != *negated
        }
        Node::RegexMatch(re, subject) => match subject.as_ref() {
            Node::Slot(i) => matches!(slots.get(*i), Some(Value::Str(s)) if re.is_match(s)),
            other => match eval(other, slots, ctx) {
                Value::Str(s) => re.is_match(&s),
                _ => false,
            },
        },
        Node::IsBefore(a, b) => {
            datetimes(eval(a, slots, ctx), eval(b, slots, ctx)).is_some_and(|(x, y)| x < y)
        }
        Node::IsAfter(a, b) => {
            datetimes(eval(a, slots, ctx), eval(b, slots, ctx)).is_some_and(|(x, y)| x > y)
        }
        // value nodes are evaluated by `eval` (and boolean ones only here, or the two would
        // call each other forever); listing them keeps this match exhaustive
        Node::Const(_)
        | Node::Slot(_)
        | Node::Arith(..)
        | Node::Neg(_)
        | Node::Lowercase(_)
        | Node::Uppercase(_)
        | Node::Now
        | Node::EpochMillis(_) => matches!(eval(node, slots, ctx), Value::Bool(true)),
    }
}

fn datetimes(a: Value<'_>, b: Value<'_>) -> Option<(i64, i64)> {
    match (a, b) {
        (Value::DateTime(x), Value::DateTime(y)) => Some((x, y)),
        _ => None,
    }
}

fn ordering(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None, // NULL, or kinds the type checker keeps apart
    }
}

/// A comparison; anything involving NULL is false.
pub fn compare(op: CmpOp, a: &Value<'_>, b: &Value<'_>) -> bool {
    // string (in)equality, the commonest test: equality looks at the lengths first, where an
    // ordering compares bytes
    if let (CmpOp::Eq | CmpOp::Ne, Value::Str(x), Value::Str(y)) = (op, a, b) {
        return (x == y) == (op == CmpOp::Eq);
    }
    let Some(o) = ordering(a, b) else {
        return false;
    };
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

fn arith(op: ArithOp, a: Value<'_>, b: Value<'_>) -> Value<'static> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => match op {
            ArithOp::Add => x.checked_add(y).map_or(Value::Null, Value::Int),
            ArithOp::Sub => x.checked_sub(y).map_or(Value::Null, Value::Int),
            ArithOp::Mul => x.checked_mul(y).map_or(Value::Null, Value::Int),
            ArithOp::Rem => x.checked_rem(y).map_or(Value::Null, Value::Int),
            ArithOp::Div if y == 0 => Value::Null,
            ArithOp::Div => Value::Float(x as f64 / y as f64),
        },
        (a, b) => {
            let (Some(x), Some(y)) = (as_f64(&a), as_f64(&b)) else {
                return Value::Null;
            };
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div if y == 0.0 => return Value::Null,
                ArithOp::Div => x / y,
                ArithOp::Rem if y == 0.0 => return Value::Null,
                ArithOp::Rem => x % y,
            };
            if r.is_finite() {
                Value::Float(r)
            } else {
                Value::Null
            }
        }
    }
}

fn as_f64(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Evaluates any node to a value. Strings borrow from the slots and constants.
pub fn eval<'a>(node: &'a Node, slots: &'a [Value<'a>], ctx: &Context) -> Value<'a> {
    match node {
        Node::Const(v) => borrow(v),
        Node::Slot(i) => slots.get(*i).map_or(Value::Null, borrow),
        Node::Neg(a) => match eval(a, slots, ctx) {
            Value::Int(i) => i.checked_neg().map_or(Value::Null, Value::Int),
            Value::Float(f) => Value::Float(-f),
            _ => Value::Null,
        },
        Node::Arith(op, a, b) => arith(*op, eval(a, slots, ctx), eval(b, slots, ctx)),
        Node::Lowercase(a) => match eval(a, slots, ctx) {
            Value::Str(s) => Value::Str(Cow::Owned(s.to_lowercase())),
            _ => Value::Null,
        },
        Node::Uppercase(a) => match eval(a, slots, ctx) {
            Value::Str(s) => Value::Str(Cow::Owned(s.to_uppercase())),
            _ => Value::Null,
        },
        Node::Now => Value::DateTime(ctx.now_millis),
        Node::EpochMillis(a) => match eval(a, slots, ctx) {
            Value::DateTime(t) => Value::Int(t),
            _ => Value::Null,
        },
        // boolean nodes are evaluated by `truth` (and value ones only here, or the two would
        // call each other forever); listing them keeps this match exhaustive
        Node::Not(_)
        | Node::And(..)
        | Node::Or(..)
        | Node::Compare(..)
        | Node::CompareSlot { .. }
        | Node::IsNull { .. }
        | Node::InSet { .. }
        | Node::InValues { .. }
        | Node::RegexMatch(..)
        | Node::IsBefore(..)
        | Node::IsAfter(..) => Value::Bool(truth(node, slots, ctx)),
    }
}
