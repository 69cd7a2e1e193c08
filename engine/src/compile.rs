//! Type checking and lowering: [`Expr`] to [`Node`], the executable form. Variables become
//! slot numbers, regexes are compiled once, lists become hash sets, and each node is passed
//! through [`fold`] as it is built. Every check docs/rule-language.md ("Types") lists happens
//! here, when a rule is written, so nothing is discovered at prediction time. Functions are
//! looked up in [`Builtin`]'s table, which also gives their arity and types.

use std::borrow::Cow;

use regex::{Regex, RegexBuilder};

use crate::ast::{ArithOp, CmpOp, Expr, ExprKind};
use crate::builtin::Builtin;
use crate::error::Error;
use crate::fold::fold;
use crate::value::{parse_datetime, DataType, Value};

// The executable form used to live here; re-exported so `compile::Node` keeps working.
pub use crate::node::{ListSet, Node};

/// What an expression may refer to: the detector's event variables (and model outputs) and
/// the lists.
pub trait Schema {
    fn variable(&self, name: &str) -> Option<DataType>;
    fn list(&self, name: &str) -> Option<ListSet>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Null,
    Str,
    Int,
    Float,
    Bool,
    DateTime,
}

impl Ty {
    fn of(t: DataType) -> Ty {
        match t {
            DataType::String => Ty::Str,
            DataType::Integer => Ty::Int,
            DataType::Float => Ty::Float,
            DataType::Boolean => Ty::Bool,
            DataType::DateTime => Ty::DateTime,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Ty::Null => "NULL",
            Ty::Str => "STRING",
            Ty::Int => "INTEGER",
            Ty::Float => "FLOAT",
            Ty::Bool => "BOOLEAN",
            Ty::DateTime => "DATETIME",
        }
    }
    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }
}

/// Slot assignment shared by all the rules of one detector version, so each variable is read
/// from the event once however many rules use it.
#[derive(Debug, Default, Clone)]
pub struct Slots {
    pub names: Vec<String>,
}

impl Slots {
    fn slot(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        }
    }
}

struct Compiler<'s, S: Schema> {
    schema: &'s S,
    slots: &'s mut Slots,
}

fn boxed(n: Node) -> Box<Node> {
    Box::new(n)
}

/// `$slot op const` and `const op $slot` become [`Node::CompareSlot`].
fn specialize_compare(op: CmpOp, l: Node, r: Node) -> Node {
    let flipped = |op: CmpOp| match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    };
    match (l, r) {
        (Node::Slot(slot), Node::Const(value)) => Node::CompareSlot { op, slot, value },
        (Node::Const(value), Node::Slot(slot)) => Node::CompareSlot {
            op: flipped(op),
            slot,
            value,
        },
        (l, r) => Node::Compare(op, boxed(l), boxed(r)),
    }
}

impl<S: Schema> Compiler<'_, S> {
    fn expr(&mut self, e: &Expr) -> Result<(Node, Ty), Error> {
        let (node, ty) = self.lower(e)?;
        Ok((fold(node), ty))
    }

    fn expect(&mut self, e: &Expr, want: Ty, what: &str) -> Result<Node, Error> {
        let (n, t) = self.expr(e)?;
        if t == want || (want == Ty::DateTime && t == Ty::Str && matches!(n, Node::Const(_))) {
            return self.coerce(n, t, want, e.pos);
        }
        Err(Error::invalid(
            e.pos,
            format!("{what} must be {}, not {}", want.name(), t.name()),
        ))
    }

    /// A string constant where a DATETIME is expected is read as one, once, now.
    fn coerce(&self, n: Node, from: Ty, to: Ty, pos: usize) -> Result<Node, Error> {
        if from == Ty::Str && to == Ty::DateTime {
            if let Node::Const(Value::Str(s)) = &n {
                return parse_datetime(s)
                    .map(|t| Node::Const(Value::DateTime(t)))
                    .ok_or_else(|| Error::invalid(pos, format!("\"{s}\" is not a DATETIME (use ISO 8601, e.g. 2024-05-01T12:00:00Z)")));
            }
        }
        Ok(n)
    }

    fn lower(&mut self, e: &Expr) -> Result<(Node, Ty), Error> {
        Ok(match &e.kind {
            ExprKind::Null => (Node::Const(Value::Null), Ty::Null),
            ExprKind::Bool(b) => (Node::Const(Value::Bool(*b)), Ty::Bool),
            ExprKind::Int(i) => (Node::Const(Value::Int(*i)), Ty::Int),
            ExprKind::Float(f) => (Node::Const(Value::Float(*f)), Ty::Float),
            ExprKind::Str(s) => (Node::Const(Value::Str(Cow::Owned(s.clone()))), Ty::Str),
            ExprKind::Variable(name) => match self.schema.variable(name) {
                Some(t) => (Node::Slot(self.slots.slot(name)), Ty::of(t)),
                None => return Err(Error::invalid(e.pos, format!("unknown variable ${name}"))),
            },
            ExprKind::List(name) => {
                return Err(Error::invalid(
                    e.pos,
                    format!("list @{name} can only be used on the right of in / not in"),
                ))
            }
            ExprKind::Array(_) => {
                return Err(Error::invalid(
                    e.pos,
                    "an array literal can only be used on the right of in / not in",
                ))
            }
            ExprKind::Not(a) => (
                Node::Not(boxed(self.expect(a, Ty::Bool, "the operand of not")?)),
                Ty::Bool,
            ),
            ExprKind::And(a, b) => {
                let l = self.expect(a, Ty::Bool, "each side of and")?;
                let r = self.expect(b, Ty::Bool, "each side of and")?;
                (Node::And(boxed(l), boxed(r)), Ty::Bool)
            }
            ExprKind::Or(a, b) => {
                let l = self.expect(a, Ty::Bool, "each side of or")?;
                let r = self.expect(b, Ty::Bool, "each side of or")?;
                (Node::Or(boxed(l), boxed(r)), Ty::Bool)
            }
            ExprKind::Neg(a) => {
                let (n, t) = self.expr(a)?;
                if !t.numeric() {
                    return Err(Error::invalid(
                        e.pos,
                        format!("unary - needs a number, not {}", t.name()),
                    ));
                }
                (Node::Neg(boxed(n)), t)
            }
            ExprKind::Arith(op, a, b) => {
                let (l, lt) = self.expr(a)?;
                let (r, rt) = self.expr(b)?;
                if !lt.numeric() || !rt.numeric() {
                    return Err(Error::invalid(
                        e.pos,
                        format!(
                            "{} needs numbers, not {} and {}",
                            op.symbol(),
                            lt.name(),
                            rt.name()
                        ),
                    ));
                }
                let t = if *op != ArithOp::Div && lt == Ty::Int && rt == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Float
                };
                (Node::Arith(*op, boxed(l), boxed(r)), t)
            }
            ExprKind::Compare(op, a, b) => self.compare(e, *op, a, b)?,
            ExprKind::In { negated, lhs, rhs } => self.in_(e, *negated, lhs, rhs)?,
            ExprKind::Call(name, args) => self.call(e, name, args)?,
        })
    }

    fn compare(&mut self, e: &Expr, op: CmpOp, a: &Expr, b: &Expr) -> Result<(Node, Ty), Error> {
        let (l, lt) = self.expr(a)?;
        let (r, rt) = self.expr(b)?;
        if lt == Ty::Null || rt == Ty::Null {
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(Error::invalid(
                    e.pos,
                    format!(
                        "null can only be compared with == or !=, not {}",
                        op.symbol()
                    ),
                ));
            }
            let operand = if lt == Ty::Null { r } else { l };
            return Ok((
                Node::IsNull {
                    negated: op == CmpOp::Ne,
                    operand: boxed(operand),
                },
                Ty::Bool,
            ));
        }
        // a string literal compared with a DATETIME is read as a DATETIME
        let (mut l, mut lt, mut r, mut rt) = (l, lt, r, rt);
        if lt == Ty::DateTime && rt == Ty::Str {
            r = self.coerce(r, rt, Ty::DateTime, b.pos)?;
            if matches!(r, Node::Const(Value::DateTime(_))) {
                rt = Ty::DateTime;
            }
        } else if rt == Ty::DateTime && lt == Ty::Str {
            l = self.coerce(l, lt, Ty::DateTime, a.pos)?;
            if matches!(l, Node::Const(Value::DateTime(_))) {
                lt = Ty::DateTime;
            }
        }
        let comparable = (lt.numeric() && rt.numeric()) || lt == rt;
        if !comparable {
            return Err(Error::invalid(
                e.pos,
                format!("cannot compare {} with {}", lt.name(), rt.name()),
            ));
        }
        if lt == Ty::Bool && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return Err(Error::invalid(
                e.pos,
                format!(
                    "BOOLEAN values can only be compared with == or !=, not {}",
                    op.symbol()
                ),
            ));
        }
        Ok((specialize_compare(op, l, r), Ty::Bool))
    }

    fn in_(
        &mut self,
        e: &Expr,
        negated: bool,
        lhs: &Expr,
        rhs: &Expr,
    ) -> Result<(Node, Ty), Error> {
        let (operand, lt) = self.expr(lhs)?;
        match &rhs.kind {
            ExprKind::List(name) => {
                let Some(set) = self.schema.list(name) else {
                    return Err(Error::invalid(rhs.pos, format!("unknown list @{name}")));
                };
                if lt != Ty::Str {
                    return Err(Error::invalid(
                        e.pos,
                        format!(
                            "list elements are strings; the left of in must be STRING, not {}",
                            lt.name()
                        ),
                    ));
                }
                Ok((
                    Node::InSet {
                        negated,
                        operand: boxed(operand),
                        set,
                    },
                    Ty::Bool,
                ))
            }
            ExprKind::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let (n, t) = self.expr(item)?;
                    let n = if lt == Ty::DateTime {
                        self.coerce(n, t, Ty::DateTime, item.pos)?
                    } else {
                        n
                    };
                    let Node::Const(v) = n else {
                        return Err(Error::invalid(item.pos, "array elements must be literals"));
                    };
                    let t = if lt == Ty::DateTime && t == Ty::Str {
                        Ty::DateTime
                    } else {
                        t
                    };
                    if t != Ty::Null && !(t == lt || (t.numeric() && lt.numeric())) {
                        return Err(Error::invalid(
                            item.pos,
                            format!(
                                "array element of type {} cannot match {}",
                                t.name(),
                                lt.name()
                            ),
                        ));
                    }
                    values.push(v);
                }
                Ok((
                    Node::InValues {
                        negated,
                        operand: boxed(operand),
                        values,
                    },
                    Ty::Bool,
                ))
            }
            _ => Err(Error::invalid(
                rhs.pos,
                "the right of in / not in must be a @list or an [array]",
            )),
        }
    }

    fn call(&mut self, e: &Expr, name: &str, args: &[Expr]) -> Result<(Node, Ty), Error> {
        let Some(f) = Builtin::lookup(name) else {
            return Err(Error::invalid(e.pos, format!("unknown function {name}")));
        };
        if args.len() != f.arity() {
            return Err(Error::invalid(
                e.pos,
                format!("{name} takes {} argument(s), not {}", f.arity(), args.len()),
            ));
        }
        // no catch-all: a new Builtin does not compile until it is lowered here
        let node = match f {
            Builtin::RegexMatch => {
                let re = self.pattern(&args[0])?;
                let subject = self.expect(
                    &args[1],
                    Ty::of(f.params()[1]),
                    "the subject of regex_match",
                )?;
                Node::RegexMatch(Box::new(re), boxed(subject))
            }
            Builtin::Lowercase => Node::Lowercase(self.arg(f, args, 0)?),
            Builtin::Uppercase => Node::Uppercase(self.arg(f, args, 0)?),
            Builtin::GetCurrentDateTime => Node::Now,
            Builtin::IsBefore => Node::IsBefore(self.arg(f, args, 0)?, self.arg(f, args, 1)?),
            Builtin::IsAfter => Node::IsAfter(self.arg(f, args, 0)?, self.arg(f, args, 1)?),
            Builtin::GetEpochMilliseconds => Node::EpochMillis(self.arg(f, args, 0)?),
        };
        Ok((node, Ty::of(f.result())))
    }

    /// Argument `i` of `f`, checked against the type [`Builtin`]'s table gives it.
    fn arg(&mut self, f: Builtin, args: &[Expr], i: usize) -> Result<Box<Node>, Error> {
        let what = if f.arity() == 1 {
            format!("the argument of {}", f.name())
        } else {
            format!("the arguments of {}", f.name())
        };
        self.expect(&args[i], Ty::of(f.params()[i]), &what)
            .map(boxed)
    }

    /// regex_match's pattern: a string literal (after folding), compiled once, here, by
    /// [`whole_string_regex`].
    fn pattern(&mut self, arg: &Expr) -> Result<Regex, Error> {
        let pattern = match self.expr(arg)? {
            (Node::Const(Value::Str(p)), _) => p,
            _ => {
                return Err(Error::invalid(
                    arg.pos,
                    "the pattern of regex_match must be a string literal",
                ))
            }
        };
        whole_string_regex(&pattern).map_err(|e| match e {
            PatternError::Invalid(what) => {
                Error::invalid(arg.pos, format!("invalid regular expression: {what}"))
            }
            PatternError::TooBig => Error::limit(
                arg.pos,
                format!(
                    "the pattern of regex_match is too large: compiled, it exceeds the limit of {} per regular expression",
                    size_text(REGEX_SIZE_LIMIT)
                ),
            ),
        })
    }
}

/// The most memory one compiled regex may take, in bytes: both its compiled program (the
/// regex crate's `size_limit`, whose default is 10 MiB) and its lazy DFA's cache
/// (`dfa_size_limit`). Every backend keeps every rule's regexes, so a pattern that exceeds it
/// is refused when the rule is written (SQLSTATE 54000). Unicode classes are what grow a
/// pattern: `\w` is about 50 KiB compiled, so `\w{21}` already exceeds the limit where
/// `[0-9A-Za-z_]{1000}` does not. docs/rule-language.md ("Functions") states the limit.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A size for messages: `1 MiB`, `512 KiB`, `1000 bytes`.
fn size_text(bytes: usize) -> String {
    match bytes {
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Why [`whole_string_regex`] refused a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// Not a valid regex on its own; what is wrong, in the regex crate's words.
    Invalid(String),
    /// Valid, but its compiled form exceeds [`REGEX_SIZE_LIMIT`].
    TooBig,
}

/// `pattern` compiled to match whole strings only, as Java's `matches()`: `^(?:pattern)$`.
/// The pattern is first parsed on its own, so that it can never close the group it is wrapped
/// in and escape the anchors (`a)|(b` would make `^(?:a)|(b)$`, which matches any string
/// starting with `a`); the parse is the one the regex crate itself runs (same parser, same
/// defaults). Flags the pattern sets (`(?m)`, `(?x)`, ...) end with the group, so `^` and `$`
/// stay whole-string anchors; a `(?x)` comment running to the end of the pattern is closed
/// with a newline (whitespace in that mode) so it cannot swallow the closing `)$`.
pub fn whole_string_regex(pattern: &str) -> Result<Regex, PatternError> {
    let parsed = regex_syntax::ast::parse::Parser::new()
        .parse_with_comments(pattern)
        .map_err(|e| PatternError::Invalid(e.kind().to_string()))?;
    let open_comment = parsed
        .comments
        .iter()
        .any(|c| c.span.end.offset == pattern.len());
    let close = if open_comment { "\n)$" } else { ")$" };
    RegexBuilder::new(&format!("^(?:{pattern}{close}"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| match err {
            regex::Error::CompiledTooBig(_) => PatternError::TooBig,
            // the regex crate's message is a multi-line diagram; its last line says what
            other => PatternError::Invalid(
                other
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .to_string(),
            ),
        })
}

/// Type checks a rule expression and lowers it, assigning slots in `slots`. A rule must be
/// BOOLEAN.
pub fn compile_rule<S: Schema>(expr: &Expr, schema: &S, slots: &mut Slots) -> Result<Node, Error> {
    let mut c = Compiler { schema, slots };
    let (node, t) = c.expr(expr)?;
    if t != Ty::Bool {
        return Err(Error::invalid(
            expr.pos,
            format!(
                "a rule must be a BOOLEAN expression, this one is {}",
                t.name()
            ),
        ));
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    /// One variable of each data type; no lists.
    struct OneOfEach;

    impl Schema for OneOfEach {
        fn variable(&self, name: &str) -> Option<DataType> {
            Some(match name {
                "s" => DataType::String,
                "i" => DataType::Integer,
                "f" => DataType::Float,
                "b" => DataType::Boolean,
                "t" => DataType::DateTime,
                _ => return None,
            })
        }
        fn list(&self, _: &str) -> Option<ListSet> {
            None
        }
    }

    /// An argument of type `t` (strings as literals: regex_match's pattern must be one).
    fn argument(t: DataType) -> &'static str {
        match t {
            DataType::String => "\"x\"",
            DataType::Integer => "$i",
            DataType::Float => "$f",
            DataType::Boolean => "$b",
            DataType::DateTime => "$t",
        }
    }

    fn type_of(src: &str) -> Result<Ty, Error> {
        let mut slots = Slots::default();
        let mut c = Compiler {
            schema: &OneOfEach,
            slots: &mut slots,
        };
        c.expr(&parse(src)?).map(|(_, t)| t)
    }

    #[test]
    fn every_builtin_compiles_with_its_arity_and_types() {
        for f in Builtin::ALL {
            let mut args: Vec<&str> = f.params().iter().map(|&t| argument(t)).collect();
            let call = format!("{}({})", f.name(), args.join(", "));
            assert_eq!(type_of(&call), Ok(Ty::of(f.result())), "{call}");

            args.push("$s");
            let call = format!("{}({})", f.name(), args.join(", "));
            let err = type_of(&call).expect_err(&call);
            assert_eq!(
                err.message,
                format!(
                    "{} takes {} argument(s), not {}",
                    f.name(),
                    f.arity(),
                    f.arity() + 1
                )
            );
        }
    }

    fn matches(pattern: &str, s: &str) -> bool {
        whole_string_regex(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
            .is_match(s)
    }

    #[test]
    fn a_pattern_cannot_escape_the_anchors() {
        // as `^(?:a)|(b)$` this matched anything starting with "a" or ending with "b"
        assert_eq!(
            whole_string_regex("a)|(b").unwrap_err(),
            PatternError::Invalid("unopened group".into())
        );
        for p in ["a)|(b", ")|(", "x)|.*|(y", "(a))|((b"] {
            let err = type_of(&format!("regex_match(\"{p}\", $s)")).expect_err(p);
            assert_eq!(err.kind, crate::ErrorKind::Invalid, "{p}");
            assert!(
                err.message.starts_with("invalid regular expression: "),
                "{p}: {}",
                err.message
            );
        }
        // whole-string, whatever the pattern does with alternation and flags
        assert!(matches("a|ab", "ab"));
        assert!(!matches("a|b", "ab"));
        assert!(!matches("a$|b", "ab"));
        assert!(!matches("(?m)a", "a\nb"), "(?m) ends with the group");
        assert!(!matches("(?m)^a$", "a\nb"));
        assert!(!matches("(?s).", "ab"));
        assert!(matches("(?i)A", "a"));
        // a (?x) comment running to the end does not swallow the closing `)$`
        assert!(matches("(?x) a b # comment", "ab"));
        assert!(!matches("(?x) a # comment", "ab"));
        assert!(matches("(?x) a # c\n | b", "b"));
        assert!(!matches("(?x) a # c\n | b", "ab"));
        // ... nor does a comment hide an escape: it stays a comment
        assert!(matches("(?x) a # )|(.*", "a"));
        assert!(!matches("(?x) a # )|(.*", "ab"));
    }

    #[test]
    fn a_pattern_past_the_size_limit_is_refused_at_compile_time() {
        // Unicode \w is large compiled; repeated it crosses REGEX_SIZE_LIMIT (the regex crate's
        // default, 10 MiB, would have let it through)
        assert!(regex::Regex::new(r"^(?:\w{21})$").is_ok());
        assert_eq!(
            whole_string_regex(r"\w{21}").unwrap_err(),
            PatternError::TooBig
        );
        assert!(whole_string_regex(r"\w{20}").is_ok());
        assert!(whole_string_regex(r"[0-9A-Za-z_]{1000}").is_ok());
        let err = type_of(r#"$i > 1 or regex_match("\w{500}", $s)"#).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Limit);
        assert_eq!(err.position, Some(23));
        assert_eq!(
            err.message,
            "the pattern of regex_match is too large: compiled, it exceeds the limit of 1 MiB per regular expression"
        );
    }
}
