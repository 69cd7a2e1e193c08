//! Constant folding: a node whose children are all constants is evaluated when the rule is
//! compiled, so `1 + 2` or `lowercase("X")` is paid for once, not once per event. The compiler
//! calls [`fold`] on each node as it builds the tree bottom-up, so looking one level down is
//! enough to fold whole constant sub-trees.

use crate::eval::{eval, Context};
use crate::node::Node;

/// `node`, or the constant it always evaluates to.
pub fn fold(node: Node) -> Node {
    let constant = |n: &Node| matches!(n, Node::Const(_));
    let foldable = match &node {
        // already a constant, read from the event, or read from the clock
        Node::Const(_) | Node::Slot(_) | Node::CompareSlot { .. } | Node::Now => false,
        Node::Not(a)
        | Node::Neg(a)
        | Node::Lowercase(a)
        | Node::Uppercase(a)
        | Node::EpochMillis(a)
        | Node::RegexMatch(_, a) => constant(a),
        Node::IsNull { operand, .. }
        | Node::InSet { operand, .. }
        | Node::InValues { operand, .. } => constant(operand),
        Node::And(a, b)
        | Node::Or(a, b)
        | Node::Compare(_, a, b)
        | Node::Arith(_, a, b)
        | Node::IsBefore(a, b)
        | Node::IsAfter(a, b) => constant(a) && constant(b),
    };
    if foldable {
        // no slots and no clock: a foldable node reads neither (Node::Now is never folded)
        let ctx = Context { now_millis: 0 };
        Node::Const(eval(&node, &[], &ctx).into_owned())
    } else {
        node
    }
}
