//! Step-by-step record of one evaluation, for `mxref explain`. The engine reports each step
//! through [`Trace`]; evaluation uses [`NoTrace`], whose calls compile to nothing.

use super::hw::{Acc, TermIn};
use super::Small;
use crate::add::Term;
use std::fmt;

/// Receives the steps of an evaluation. `step` takes a closure so that building a step
/// costs nothing when nobody listens.
pub trait Trace {
    /// Whether steps are recorded (fast paths that skip steps run only when not).
    const ACTIVE: bool;
    fn step(&mut self, f: impl FnOnce() -> Step);
}

/// The tracer of the fast path: drops everything.
pub struct NoTrace;

impl Trace for NoTrace {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn step(&mut self, _f: impl FnOnce() -> Step) {}
}

impl Trace for Vec<Step> {
    const ACTIVE: bool = true;
    fn step(&mut self, f: impl FnOnce() -> Step) {
        self.push(f())
    }
}

/// An exact value at some point of the computation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccValue {
    /// `(-1)^neg * sig * 2^lsb` (sig may be 0).
    Finite(Term),
    /// An exact wide value given by its top 128 bits; `sticky` if lower bits are non-zero.
    Wide {
        neg: bool,
        sig: u128,
        lsb: i32,
        sticky: bool,
    },
    Inf(bool),
    Nan,
}

impl AccValue {
    pub(super) fn of(a: &Acc) -> AccValue {
        match a {
            Acc::Float(t) => AccValue::Finite(*t),
            Acc::Exact(s) => AccValue::of_small(s),
            Acc::Inf(n) => AccValue::Inf(*n),
            Acc::Nan => AccValue::Nan,
        }
    }

    pub(super) fn of_small(s: &Small) -> AccValue {
        match s.raw() {
            None => AccValue::Finite(Term::ZERO),
            Some((neg, r)) if !r.sticky => AccValue::Finite(Term {
                neg,
                sig: r.sig,
                lsb: r.exp,
            }),
            Some((neg, r)) => AccValue::Wide {
                neg,
                sig: r.sig,
                lsb: r.exp,
                sticky: true,
            },
        }
    }
}

/// One step of an evaluation.
#[derive(Clone, Debug)]
pub enum Step {
    /// A non-zero term of group `group` (a product, scales included per the numerics, or a
    /// block sum), with its alignment exponent.
    Term { group: usize, term: TermIn },
    /// The group's alignment: largest exponent, and the weight of the window's last bit.
    Align {
        group: usize,
        emax: i32,
        cut: i32,
        acc_joins: bool,
    },
    /// A term cut to the window: `kept * 2^cut`; `exact` if nothing was lost.
    Cut {
        group: usize,
        neg: bool,
        kept: u128,
        cut: i32,
        exact: bool,
    },
    /// The exact sum of the group's (cut) terms.
    GroupSum { group: usize, value: AccValue },
    /// The accumulator after folding in the group.
    Acc { group: usize, value: AccValue },
    /// The outer FP32 sum after promoting the partial sum of block `block`.
    Promote { block: usize, value: AccValue },
    /// The value rounded to the output format.
    Output { value: AccValue },
    /// The output after adding C at the end.
    AddC { value: AccValue },
}

/// `sig * 2^lsb` as text: exact form and an approximate decimal (display only).
fn show(neg: bool, sig: u128, lsb: i32) -> String {
    let s = if neg { "-" } else { "+" };
    if sig == 0 {
        return format!("{s}0");
    }
    let approx = sig as f64 * 2f64.powi(lsb);
    format!("{s}{sig:#x} * 2^{lsb} (~{s}{approx:e})")
}

impl fmt::Display for AccValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccValue::Finite(t) => f.write_str(&show(t.neg, t.sig, t.lsb)),
            AccValue::Wide { neg, sig, lsb, .. } => {
                write!(f, "{} + lower bits", show(*neg, *sig, *lsb))
            }
            AccValue::Inf(n) => f.write_str(if *n { "-Inf" } else { "+Inf" }),
            AccValue::Nan => f.write_str("NaN"),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Term { group, term } => write!(
                f,
                "group {group}: term {} (alignment exponent {})",
                show(term.neg, term.sig, term.lsb),
                term.e
            ),
            Step::Align {
                group,
                emax,
                cut,
                acc_joins,
            } => write!(
                f,
                "group {group}: Emax = {emax}{}, window keeps bits down to 2^{cut}",
                if *acc_joins {
                    " (accumulator included)"
                } else {
                    ""
                }
            ),
            Step::Cut {
                group,
                neg,
                kept,
                cut,
                exact,
            } => write!(
                f,
                "group {group}:   aligned {}{}",
                show(*neg, *kept, *cut),
                if *exact { "" } else { "  [bits shifted out]" }
            ),
            Step::GroupSum { group, value } => write!(f, "group {group}: sum {value}"),
            Step::Acc { group, value } => write!(f, "group {group}: accumulator {value}"),
            Step::Promote { block, value } => {
                write!(f, "promote after block {block}: outer FP32 sum {value}")
            }
            Step::Output { value } => write!(f, "rounded to the output format: {value}"),
            Step::AddC { value } => write!(f, "after adding C: {value}"),
        }
    }
}
