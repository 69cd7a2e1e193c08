//! DETECTORPL text to [`Expr`], with nom. Lowest precedence first:
//! `or`; `and`; `not` / `!`; comparison `== != > >= < <=`, `in`, `not in`; `+ -`; `* / %`;
//! unary `-`; primary (literal, `$variable`, `@list`, `[array]`, function call, `( expr )`).
//! Keywords are case-insensitive. Errors carry the 1-based character position and what was
//! expected there.

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1, multispace0, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, preceded};
use nom::IResult;

use crate::ast::{ArithOp, CmpOp, Expr, ExprKind};
use crate::error::Error;

/// Longest expression accepted (AFD's ruleExpression limit), in characters. The engine's only
/// copy; the SQL layer checks the same number before calling in (sql/rules.sql,
/// sql/catalog.sql's rule_expression_length).
pub const MAX_EXPRESSION_LENGTH: usize = 4096;
/// Deepest nesting accepted, so a hostile expression cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// What went wrong, as a byte offset into the input and what was expected there.
#[derive(Debug)]
struct Fail {
    offset: usize,
    expected: String,
}

type Res<'a, T> = Result<(&'a str, T), Fail>;

/// The operators of the left-associative levels.
#[derive(Clone, Copy)]
enum Binary {
    Or,
    And,
    Arith(ArithOp),
}

struct Parser<'s> {
    src: &'s str,
    depth: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ws(i: &str) -> &str {
    let r: IResult<&str, &str> = multispace0(i);
    r.map(|(rest, _)| rest).unwrap_or(i)
}

/// A bare word: keyword or function name.
fn word(i: &str) -> IResult<&str, &str> {
    recognize(pair(satisfy(is_ident_start), take_while(is_ident_char)))(i)
}

/// A comparison operator at the start of `i`, and what follows it.
fn comparison_operator(i: &str) -> Option<(&str, CmpOp)> {
    const OPS: [(&str, CmpOp); 6] = [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        (">=", CmpOp::Ge),
        ("<=", CmpOp::Le),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ];
    OPS.iter()
        .find_map(|&(sym, op)| i.strip_prefix(sym).map(|rest| (rest, op)))
}

/// `kw` as a whole word, case-insensitively.
fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    match word(i) {
        Ok((rest, w)) if w.eq_ignore_ascii_case(kw) => Some(rest),
        _ => None,
    }
}

impl<'s> Parser<'s> {
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn fail<T>(&self, rest: &str, expected: impl Into<String>) -> Res<'s, T> {
        Err(Fail {
            offset: self.offset(rest),
            expected: expected.into(),
        })
    }

    /// 1-based character position of `rest`'s start.
    fn pos(&self, rest: &str) -> usize {
        self.src[..self.offset(rest)].chars().count() + 1
    }

    fn node(&self, at: &str, kind: ExprKind) -> Expr {
        Expr {
            kind,
            pos: self.pos(at),
        }
    }

    fn expr(&mut self, i: &'s str) -> Res<'s, Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(i, format!("at most {MAX_DEPTH} levels of nesting"));
        }
        let r = self.or(i);
        self.depth -= 1;
        r
    }

    /// One left-associative level: `next (op next)*`, where `op` recognises this level's
    /// operators at the start of its input.
    fn binary(
        &mut self,
        i: &'s str,
        next: fn(&mut Self, &'s str) -> Res<'s, Expr>,
        op: fn(&'s str) -> Option<(&'s str, Binary)>,
    ) -> Res<'s, Expr> {
        let (mut i, mut lhs) = next(self, i)?;
        loop {
            let Some((rest, which)) = op(ws(i)) else {
                return Ok((i, lhs));
            };
            let (rest, rhs) = next(self, rest)?;
            let pos = lhs.pos;
            let (l, r) = (Box::new(lhs), Box::new(rhs));
            let kind = match which {
                Binary::Or => ExprKind::Or(l, r),
                Binary::And => ExprKind::And(l, r),
                Binary::Arith(a) => ExprKind::Arith(a, l, r),
            };
            lhs = Expr { pos, kind };
            i = rest;
        }
    }

    fn or(&mut self, i: &'s str) -> Res<'s, Expr> {
        self.binary(i, Self::and, |at| {
            keyword(at, "or").map(|r| (r, Binary::Or))
        })
    }

    fn and(&mut self, i: &'s str) -> Res<'s, Expr> {
        self.binary(i, Self::not, |at| {
            keyword(at, "and").map(|r| (r, Binary::And))
        })
    }

    fn not(&mut self, i: &'s str) -> Res<'s, Expr> {
        let at = ws(i);
        let after =
            keyword(at, "not").or_else(|| at.strip_prefix('!').filter(|r| !r.starts_with('=')));
        match after {
            Some(rest) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return self.fail(at, format!("at most {MAX_DEPTH} levels of nesting"));
                }
                let (rest, e) = self.not(rest)?;
                self.depth -= 1;
                Ok((rest, self.node(at, ExprKind::Not(Box::new(e)))))
            }
            None => self.comparison(i),
        }
    }

    fn comparison(&mut self, i: &'s str) -> Res<'s, Expr> {
        let (i, lhs) = self.additive(i)?;
        let at = ws(i);
        if let Some((rest, op)) = comparison_operator(at) {
            let (rest, rhs) = self.additive(rest)?;
            let e = Expr {
                pos: lhs.pos,
                kind: ExprKind::Compare(op, Box::new(lhs), Box::new(rhs)),
            };
            return self.unchained(rest, e);
        }
        if at.starts_with('=') {
            return self.fail(at, "a comparison operator (use == for equality)");
        }
        let (negated, after) = match keyword(at, "not") {
            Some(r) => match keyword(ws(r), "in") {
                Some(r2) => (true, Some(r2)),
                None => return self.fail(ws(r), "in (after not)"),
            },
            None => (false, keyword(at, "in")),
        };
        match after {
            Some(rest) => {
                let (rest, rhs) = self.additive(rest)?;
                let e = Expr {
                    pos: lhs.pos,
                    kind: ExprKind::In {
                        negated,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                };
                self.unchained(rest, e)
            }
            None => Ok((i, lhs)),
        }
    }

    /// A comparison right after another one (`$a < $b < 5`, `$a in @l == true`) is refused
    /// where it starts, saying that comparisons do not chain (one per level, see the grammar
    /// in docs/rule-language.md).
    fn unchained(&self, rest: &'s str, e: Expr) -> Res<'s, Expr> {
        let at = ws(rest);
        let another = comparison_operator(at).is_some()
            || keyword(at, "in").is_some()
            || keyword(at, "not").is_some_and(|r| keyword(ws(r), "in").is_some());
        if another {
            return self.fail(
                at,
                "'and' or 'or' between two comparisons (comparisons do not chain: write $a < $b and $b < 5)",
            );
        }
        Ok((rest, e))
    }

    fn additive(&mut self, i: &'s str) -> Res<'s, Expr> {
        self.binary(i, Self::multiplicative, |at| match at.chars().next() {
            Some('+') => Some((&at[1..], Binary::Arith(ArithOp::Add))),
            Some('-') => Some((&at[1..], Binary::Arith(ArithOp::Sub))),
            _ => None,
        })
    }

    fn multiplicative(&mut self, i: &'s str) -> Res<'s, Expr> {
        self.binary(i, Self::unary, |at| match at.chars().next() {
            Some('*') => Some((&at[1..], Binary::Arith(ArithOp::Mul))),
            Some('/') => Some((&at[1..], Binary::Arith(ArithOp::Div))),
            Some('%') => Some((&at[1..], Binary::Arith(ArithOp::Rem))),
            _ => None,
        })
    }

    fn unary(&mut self, i: &'s str) -> Res<'s, Expr> {
        let at = ws(i);
        match at.strip_prefix('-') {
            Some(rest) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return self.fail(at, format!("at most {MAX_DEPTH} levels of nesting"));
                }
                let (rest, e) = self.unary(rest)?;
                self.depth -= 1;
                // fold negative literals right away: `-5` is a literal, as in `[-5, 3]`
                let kind = match e.kind {
                    ExprKind::Int(v) if v != i64::MIN => ExprKind::Int(-v),
                    ExprKind::Float(v) => ExprKind::Float(-v),
                    other => ExprKind::Neg(Box::new(Expr {
                        kind: other,
                        pos: e.pos,
                    })),
                };
                Ok((rest, self.node(at, kind)))
            }
            None => self.primary(at),
        }
    }

    fn primary(&mut self, at: &'s str) -> Res<'s, Expr> {
        let Some(c) = at.chars().next() else {
            return self.fail(at, "an operand ($variable, literal, function call or '(')");
        };
        match c {
            '(' => {
                let (rest, e) = self.expr(&at[1..])?;
                let rest = ws(rest);
                match rest.strip_prefix(')') {
                    Some(r) => Ok((r, e)),
                    None => self.fail(rest, "')'"),
                }
            }
            '[' => self.array(at),
            '"' => self.string(at),
            '$' | '@' => {
                let r: IResult<&str, &str> = take_while1(is_ident_char)(&at[1..]);
                match r {
                    Ok((rest, name)) => {
                        let kind = if c == '$' {
                            ExprKind::Variable(name.to_string())
                        } else {
                            ExprKind::List(name.to_string())
                        };
                        Ok((rest, self.node(at, kind)))
                    }
                    Err(_) => self.fail(
                        &at[1..],
                        if c == '$' {
                            "a variable name after '$'"
                        } else {
                            "a list name after '@'"
                        },
                    ),
                }
            }
            c if c.is_ascii_digit() => self.number(at),
            c if is_ident_start(c) => {
                let Ok((rest, w)) = word(at) else {
                    return self.fail(at, "a word");
                };
                let lower = w.to_ascii_lowercase();
                let kind = match lower.as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    "and" | "or" | "not" | "in" => {
                        return self.fail(at, format!("an operand, not the keyword {lower}"));
                    }
                    _ => return self.call(at, rest, lower),
                };
                Ok((rest, self.node(at, kind)))
            }
            _ => self.fail(at, "an operand ($variable, literal, function call or '(')"),
        }
    }

    fn call(&mut self, at: &'s str, rest: &'s str, name: String) -> Res<'s, Expr> {
        let r = ws(rest);
        let Some(mut r) = r.strip_prefix('(') else {
            return self.fail(
                r,
                format!(
                    "'(' after function name {name} (strings need double quotes, variables a $)"
                ),
            );
        };
        let mut args = Vec::new();
        let after_open = ws(r);
        if let Some(close) = after_open.strip_prefix(')') {
            return Ok((close, self.node(at, ExprKind::Call(name, args))));
        }
        loop {
            let (rest, e) = self.expr(r)?;
            args.push(e);
            let rest = ws(rest);
            if let Some(next) = rest.strip_prefix(',') {
                r = next;
            } else if let Some(close) = rest.strip_prefix(')') {
                return Ok((close, self.node(at, ExprKind::Call(name, args))));
            } else {
                return self.fail(rest, "',' or ')' in the argument list");
            }
        }
    }

    fn array(&mut self, at: &'s str) -> Res<'s, Expr> {
        let mut r = &at[1..];
        let mut items = Vec::new();
        if let Some(close) = ws(r).strip_prefix(']') {
            return Ok((close, self.node(at, ExprKind::Array(items))));
        }
        loop {
            let (rest, e) = self.expr(r)?;
            items.push(e);
            let rest = ws(rest);
            if let Some(next) = rest.strip_prefix(',') {
                r = next;
            } else if let Some(close) = rest.strip_prefix(']') {
                return Ok((close, self.node(at, ExprKind::Array(items))));
            } else {
                return self.fail(rest, "',' or ']' in the array");
            }
        }
    }

    /// `"..."`: `\"` and `\\` are escapes; any other backslash is kept as written, so regex
    /// escapes like `\.` reach the regex untouched.
    fn string(&self, at: &'s str) -> Res<'s, Expr> {
        let mut out = String::new();
        let mut chars = at[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((&at[1 + i + 1..], self.node(at, ExprKind::Str(out)))),
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.fail(at, "a closing '\"' for the string that starts here")
    }

    fn number(&self, at: &'s str) -> Res<'s, Expr> {
        let r: IResult<&str, &str> = recognize(pair(digit1, opt(preceded(char('.'), digit1))))(at);
        let Ok((rest, text)) = r else {
            return self.fail(at, "a number");
        };
        if rest.starts_with(|c: char| is_ident_char(c) || c == '.') {
            return self.fail(rest, "an operator after the number");
        }
        let kind = if text.contains('.') {
            match text.parse::<f64>() {
                Ok(f) => ExprKind::Float(f),
                Err(_) => return self.fail(at, "a number"),
            }
        } else {
            match text.parse::<i64>() {
                Ok(v) => ExprKind::Int(v),
                Err(_) => return self.fail(at, "an integer within 64 bits"),
            }
        };
        Ok((rest, self.node(at, kind)))
    }
}

/// Parses a whole expression.
pub fn parse(src: &str) -> Result<Expr, Error> {
    if src.chars().count() > MAX_EXPRESSION_LENGTH {
        return Err(Error::invalid(
            1,
            format!("expression is longer than {MAX_EXPRESSION_LENGTH} characters"),
        ));
    }
    let mut p = Parser { src, depth: 0 };
    let to_error = |p: &Parser, f: Fail| {
        let at = &src[f.offset..];
        let found = match at.chars().next() {
            None => "the end of the expression".to_string(),
            Some(_) => format!("\"{}\"", at.chars().take(12).collect::<String>()),
        };
        Error::syntax(
            p.pos(at),
            format!("syntax error: expected {}, found {found}", f.expected),
        )
    };
    match p.expr(src) {
        Ok((rest, e)) => {
            let rest = ws(rest);
            if rest.is_empty() {
                Ok(e)
            } else {
                let f = Fail {
                    offset: src.len() - rest.len(),
                    expected: "an operator or the end of the expression".into(),
                };
                Err(to_error(&p, f))
            }
        }
        Err(f) => Err(to_error(&p, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Null => "null".into(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Float(f) => format!("{f:?}"),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Variable(v) => format!("${v}"),
            ExprKind::List(l) => format!("@{l}"),
            ExprKind::Array(items) => format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Not(e) => format!("(not {})", show(e)),
            ExprKind::Neg(e) => format!("(- {})", show(e)),
            ExprKind::And(a, b) => format!("({} and {})", show(a), show(b)),
            ExprKind::Or(a, b) => format!("({} or {})", show(a), show(b)),
            ExprKind::Compare(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::Arith(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::In { negated, lhs, rhs } => {
                format!(
                    "({} {}in {})",
                    show(lhs),
                    if *negated { "not " } else { "" },
                    show(rhs)
                )
            }
            ExprKind::Call(n, args) => format!(
                "{n}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    fn p(s: &str) -> String {
        show(&parse(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn err(s: &str) -> Error {
        parse(s).expect_err(s)
    }

    #[test]
    fn precedence_levels() {
        assert_eq!(p("$a or $b and $c"), "($a or ($b and $c))");
        assert_eq!(p("not $a and $b"), "((not $a) and $b)");
        assert_eq!(p("not $a == 1"), "(not ($a == 1))");
        assert_eq!(p("!$a or !($b)"), "((not $a) or (not $b))");
        assert_eq!(p("$a + $b * $c > 10"), "(($a + ($b * $c)) > 10)");
        assert_eq!(p("$a - $b - $c"), "(($a - $b) - $c)");
        assert_eq!(p("$a * -$b % 3"), "(($a * (- $b)) % 3)");
        assert_eq!(p("$a + 1 in [2, 3]"), "(($a + 1) in [2, 3])");
        assert_eq!(p("($a or $b) and $c"), "(($a or $b) and $c)");
        assert_eq!(
            p("$x != 1 or $y >= 2 or $z <= 3 or $w < 4 or $v > 5"),
            "((((($x != 1) or ($y >= 2)) or ($z <= 3)) or ($w < 4)) or ($v > 5))"
        );
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(p("$a AND $b Or NOT $c"), "(($a and $b) or (not $c))");
        assert_eq!(p("$a NOT IN @l"), "($a not in @l)");
        assert_eq!(p("$a In @l"), "($a in @l)");
        assert_eq!(
            p("TRUE == $b or $c == NULL"),
            "((true == $b) or ($c == null))"
        );
        assert_eq!(p("REGEX_MATCH(\"a\", $s)"), "regex_match(\"a\", $s)");
    }

    #[test]
    fn literals() {
        assert_eq!(
            p("[5, 10, \"a\", 1.5, -2, true, null]"),
            "[5, 10, \"a\", 1.5, -2, true, null]"
        );
        assert_eq!(p("[]"), "[]");
        assert_eq!(p(r#""say \"hi\" \\ \. \d""#), r#""say \"hi\" \\ \\. \\d""#);
        assert_eq!(p("getcurrentdatetime()"), "getcurrentdatetime()");
    }

    #[test]
    fn regex_escapes_reach_the_pattern() {
        let e = parse(r#"regex_match(".*@gmail\.com", $email)"#).unwrap();
        let ExprKind::Call(_, args) = e.kind else {
            panic!()
        };
        assert_eq!(args[0].kind, ExprKind::Str(r".*@gmail\.com".into()));
    }

    #[test]
    fn positions_are_characters() {
        // é is two bytes but one character
        let e = parse("$a == \"é\" and $b == \"x\" and $c").unwrap();
        let ExprKind::And(left, c) = e.kind else {
            panic!()
        };
        assert_eq!(c.pos, 29);
        let ExprKind::And(_, b) = left.kind else {
            panic!()
        };
        assert_eq!(b.pos, 15);
        assert_eq!(parse("\"é\" == $x $y").unwrap_err().position, Some(11));
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        let e = err("$a == ");
        assert_eq!(e.position, Some(7));
        assert!(e.message.contains("expected an operand"), "{}", e.message);
        assert!(
            e.message.contains("found the end of the expression"),
            "{}",
            e.message
        );

        let e = err("$a = 1");
        assert_eq!(e.position, Some(4));
        assert!(e.message.contains("use == for equality"), "{}", e.message);

        let e = err("($a > 1");
        assert_eq!(e.position, Some(8));
        assert!(e.message.contains("')'"), "{}", e.message);

        assert_eq!(err("\"open").position, Some(1));
        assert_eq!(err("$a > 1 $b").position, Some(8));
        assert_eq!(err("$ > 1").position, Some(2));
        assert_eq!(err("$a not @l").position, Some(8));
        assert_eq!(err("f(1, 2").position, Some(7));
        assert_eq!(err("[1, 2").position, Some(6));
        assert_eq!(err("12abc").position, Some(3));
        assert_eq!(err("and").position, Some(1));
        assert_eq!(err("lowercase $x").position, Some(11));
        assert_eq!(err("99999999999999999999").position, Some(1));
        assert_eq!(err("é").position, Some(1));
    }

    /// docs/rule-language.md's syntax error example is what the parser and the DETAIL give
    /// (the PostgreSQL layer adds the "invalid rule expression: " prefix, src/rules.rs).
    #[test]
    fn the_documented_syntax_error() {
        const DOC: &str = include_str!("../../docs/rule-language.md");
        let example: Vec<&str> = DOC
            .lines()
            .skip_while(|l| !l.starts_with("ERROR:  invalid rule expression: "))
            .take(3)
            .collect();
        let message = example[0]
            .strip_prefix("ERROR:  invalid rule expression: ")
            .unwrap();
        let expression = example[1].strip_prefix("DETAIL:  ").unwrap();
        let e = err(expression);
        assert_eq!(e.to_string(), message);
        assert_eq!(
            e.caret(expression).unwrap(),
            format!("{expression}\n{}", example[2])
        );
    }

    #[test]
    fn comparisons_do_not_chain() {
        for (chained, at) in [
            ("$a < $b < 5", 9),
            ("$a == $b == true", 10),
            ("($a > 1 >= 2)", 9),
            ("$a in @l == true", 10),
            ("$a == 1 in @l", 9),
            ("$a == 1 not in @l", 9),
            ("$a < $b and $c > 1 <= 2", 20),
        ] {
            let e = err(chained);
            assert_eq!(e.position, Some(at), "{chained}");
            assert!(
                e.message.contains("comparisons do not chain"),
                "{chained}: {}",
                e.message
            );
        }
        // one comparison per side of and / or is fine
        assert_eq!(p("$a < $b and $b < 5"), "(($a < $b) and ($b < 5))");
        assert_eq!(p("($a < $b) == true"), "(($a < $b) == true)");
        // anything else after a comparison keeps the general message
        assert!(err("$a < $b $c")
            .message
            .contains("expected an operator or the end of the expression"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}$a{}", "(".repeat(200), ")".repeat(200));
        assert!(err(&deep).message.contains("levels of nesting"));
        let nots = format!("{}$a", "not ".repeat(200));
        assert!(err(&nots).message.contains("levels of nesting"));
        let ok = format!("{}$a{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&ok).is_ok());
    }

    /// Too deep, by parentheses or by `not`s: either way the error has the position, so the
    /// DETAIL can point at it (a long expression shows the part around it).
    #[test]
    fn nesting_errors_point_at_the_level_too_deep() {
        let parens = format!("{}$a{}", "(".repeat(65), ")".repeat(65));
        let nots = format!("{}$a", "not ".repeat(70));
        let bangs = format!("{}$a", "!".repeat(70));
        for (deep, at, there) in [(parens, 65, "("), (nots, 253, "not "), (bangs, 64, "!")] {
            let e = err(&deep);
            assert!(e.message.contains("levels of nesting"), "{}", e.message);
            assert_eq!(e.position, Some(at));
            let detail = e.caret(&deep).unwrap();
            let (line, under) = detail.split_once('\n').unwrap();
            let column = under.len() - 1;
            assert!(under[..column].trim().is_empty() && under.ends_with('^'));
            assert!(line[column..].starts_with(there), "{detail}");
        }
    }

    #[test]
    fn length_is_bounded() {
        let long = format!("$a == \"{}\"", "x".repeat(4096));
        assert!(err(&long).message.contains("longer than 4096"));
    }

    #[test]
    fn references_in_order() {
        let e =
            parse("$ip in @bad or ($amt > 1 and $ip not in @vpn) or regex_match(\"@x\", $mail)")
                .unwrap();
        assert_eq!(
            e.references(),
            (
                vec!["ip".into(), "amt".into(), "mail".into()],
                vec!["bad".into(), "vpn".into()]
            )
        );
    }
}
