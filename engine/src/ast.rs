//! The parsed form of a DETECTORPL expression. Every node keeps its 1-based character position
//! so later stages can point at the offending part.

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    /// 1-based character position of the node's first character.
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `$name`
    Variable(String),
    /// `@name`
    List(String),
    /// `[e, ...]`
    Array(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `lhs in rhs` / `lhs not in rhs`
    In {
        negated: bool,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// function name (lowercased) and arguments
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

impl Expr {
    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Array(items) | ExprKind::Call(_, items) => {
                items.iter().for_each(|e| e.walk(f))
            }
            ExprKind::Not(e) | ExprKind::Neg(e) => e.walk(f),
            ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::In { lhs: a, rhs: b, .. } => {
                a.walk(f);
                b.walk(f);
            }
            _ => {}
        }
    }

    /// The `$variables` and `@lists` the expression names, in order of first appearance.
    pub fn references(&self) -> (Vec<String>, Vec<String>) {
        let (mut vars, mut lists) = (Vec::<String>::new(), Vec::<String>::new());
        self.walk(&mut |e| match &e.kind {
            ExprKind::Variable(n) if !vars.contains(n) => vars.push(n.clone()),
            ExprKind::List(n) if !lists.contains(n) => lists.push(n.clone()),
            _ => {}
        });
        (vars, lists)
    }
}
