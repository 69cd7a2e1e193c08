//! The executable form of a rule expression: what [`compile`](crate::compile) produces,
//! [`fold`](crate::fold) simplifies and [`eval`](crate::eval) runs. It lives apart from all
//! three so that each depends on it and none on another's internals (folding evaluates, and
//! the compiler folds, which used to make compile and eval import each other).

use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashSet;

use crate::ast::{ArithOp, CmpOp};
use crate::value::Value;

/// A list's elements, shared by every rule that names it.
pub type ListSet = Arc<FxHashSet<Box<str>>>;

/// The executable form of an expression. Variables are slot numbers, regexes are compiled and
/// lists are hash sets. Every pass over nodes (`truth`, `eval`, `fold`) matches this enum
/// without a catch-all arm, so a new variant does not compile until each of them handles it.
#[derive(Debug, Clone)]
pub enum Node {
    Const(Value<'static>),
    Slot(usize),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    /// `$slot <op> constant`, the commonest rule shape, without evaluating either side
    CompareSlot {
        op: CmpOp,
        slot: usize,
        value: Value<'static>,
    },
    /// `x == null` (negated: `x != null`)
    IsNull {
        negated: bool,
        operand: Box<Node>,
    },
    InSet {
        negated: bool,
        operand: Box<Node>,
        set: ListSet,
    },
    InValues {
        negated: bool,
        operand: Box<Node>,
        values: Vec<Value<'static>>,
    },
    Arith(ArithOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    /// `regex_match` ([`Builtin::RegexMatch`](crate::builtin::Builtin::RegexMatch))
    RegexMatch(Box<Regex>, Box<Node>),
    /// `lowercase`
    Lowercase(Box<Node>),
    /// `uppercase`
    Uppercase(Box<Node>),
    /// `getcurrentdatetime()`
    Now,
    /// `isbefore`
    IsBefore(Box<Node>, Box<Node>),
    /// `isafter`
    IsAfter(Box<Node>, Box<Node>),
    /// `getepochmilliseconds`
    EpochMillis(Box<Node>),
}
