//! The two-stage alignment of `join` (spec/numerics.md, "join"): products aligned per lane,
//! lanes aligned with each other, then the group sum aligned with the accumulator, each stage
//! with its own window. AMD CDNA3 `mfma` (MMA-Sim's `amd_fused_dot_rd_add`) is one instance.

use super::{Acc, GroupIdx, TermIn};
use crate::add::Term;
use crate::dot::trace::{AccValue, Step, Trace};
use crate::dot::{Dot, Operands};
use crate::numerics::{Join, JoinCut, ShiftedOut};
use crate::round::msb;

/// `v * 2^lsb` re-expressed as a multiple of `2^cut`, dropping bits as `mode` says. Callers
/// keep `lsb - cut` small when it is positive (validated windows), so the shift cannot overflow.
fn cut_signed(v: i128, lsb: i32, cut: i32, mode: JoinCut) -> i128 {
    if cut <= lsb {
        return v << (lsb - cut) as u32;
    }
    let sh = (cut - lsb) as u32;
    if sh >= 127 {
        return if mode == JoinCut::Floor && v < 0 {
            -1
        } else {
            0
        };
    }
    match mode {
        JoinCut::Floor => v >> sh,
        JoinCut::Truncate => {
            let m = (v.unsigned_abs() >> sh) as i128;
            if v < 0 {
                -m
            } else {
                m
            }
        }
        JoinCut::Rne => {
            let a = v.unsigned_abs();
            let (kept, rem, half) = (a >> sh, a & ((1u128 << sh) - 1), 1u128 << (sh - 1));
            let m = (kept + (rem > half || (rem == half && kept & 1 == 1)) as u128) as i128;
            if v < 0 {
                -m
            } else {
                m
            }
        }
    }
}

/// Up to `N` items in place, the rest on the heap: a group's terms and lane sums without an
/// allocation per group in the common sizes.
struct StackVec<T: Copy, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy, const N: usize> StackVec<T, N> {
    fn new(fill: T) -> Self {
        StackVec {
            inline: [fill; N],
            len: 0,
            spill: Vec::new(),
        }
    }
    fn push(&mut self, x: T) {
        if self.len < N {
            self.inline[self.len] = x;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(x);
        }
        self.len += 1;
    }
    fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }
    fn as_slice(&self) -> &[T] {
        if self.len <= N {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

fn signed(t: &Term) -> i128 {
    if t.neg {
        -(t.sig as i128)
    } else {
        t.sig as i128
    }
}

impl Dot {
    /// One group under `join`: lanes, lane join, accumulator join, then the rounding into `acc`.
    pub(super) fn group_join<T: Trace>(
        &self,
        j: &Join,
        ops: &Operands,
        g: &GroupIdx,
        acc: &mut Acc,
        gi: usize,
        tr: &mut T,
    ) {
        let n = &self.numerics;
        let w = n.window_bits.expect("validated: join needs a window") as i32;
        let first = match n.shifted_out {
            ShiftedOut::Truncate => JoinCut::Truncate,
            ShiftedOut::Rne => JoinCut::Rne,
        };
        // Stage 1: each lane's products aligned to the lane's largest exponent and cut.
        let (mut pinf, mut ninf) = (false, false);
        let mut lanes = StackVec::<(i128, i32, i32), 8>::new((0, 0, 0)); // (sum, lsb, emax)
        let zero = TermIn {
            neg: false,
            sig: 0,
            lsb: 0,
            e: 0,
        };
        let mut terms = StackVec::<TermIn, 16>::new(zero);
        for l in 0..j.lanes {
            let lg = if j.lanes == 1 {
                *g
            } else {
                GroupIdx {
                    start: g.start + l,
                    end: g.end,
                    chunk: 1,
                    stride: j.lanes,
                }
            };
            terms.clear();
            self.for_each_term(ops, &lg, |t| {
                tr.step(|| Step::Term { group: gi, term: t });
                terms.push(t);
            });
            let terms = terms.as_slice();
            if let Some(x) = j.product_inf_exp {
                for t in terms.iter().filter(|t| t.lsb + msb(t.sig) >= x) {
                    *(if t.neg { &mut ninf } else { &mut pinf }) = true;
                }
            }
            let Some(emax) = terms.iter().map(|t| t.e).max() else {
                continue; // a lane of zeros takes no part
            };
            let cut = emax - w;
            let s = terms
                .iter()
                .map(|t| {
                    cut_signed(
                        signed(&Term {
                            neg: t.neg,
                            sig: t.sig,
                            lsb: t.lsb,
                        }),
                        t.lsb,
                        cut,
                        first,
                    )
                })
                .sum();
            lanes.push((s, cut, emax));
        }
        // An Inf or NaN accumulator stays as it is (it is decided before the products).
        let acc_t = match acc {
            Acc::Float(t) => (!t.is_zero()).then_some(*t),
            _ => return,
        };
        if pinf || ninf {
            *acc = if pinf && ninf {
                Acc::Nan
            } else {
                Acc::Inf(ninf)
            };
            tr.step(|| Step::Acc {
                group: gi,
                value: AccValue::of(acc),
            });
            return;
        }
        // Stage 1b: the lane sums aligned with each other.
        let lanes = lanes.as_slice();
        let e_grp = lanes.iter().map(|l| l.2).max();
        let (gsum, glsb) = match (e_grp, j.lane_window) {
            (None, _) => (0, 0),
            (Some(e), Some(lw)) if j.lanes > 1 => {
                let cut = e - lw as i32;
                let s = lanes
                    .iter()
                    .map(|&(s, lsb, _)| cut_signed(s, lsb, cut, j.shifted_out))
                    .sum();
                (s, cut)
            }
            (Some(_), _) => (lanes[0].0, lanes[0].1),
        };
        // Stage 2: the group sum and the accumulator aligned to their joint maximum.
        let ea = acc_t.map(|t| self.acc_align(&t));
        let e2 = match (e_grp, ea) {
            (Some(x), Some(y)) => x.max(y),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => 0,
        };
        let gcut = e2 - j.sum_window as i32;
        let gs = if e_grp.is_some() {
            cut_signed(gsum, glsb, gcut, j.shifted_out)
        } else {
            0
        };
        let acut = e2 - j.acc_window as i32;
        let a = match (acc_t, ea) {
            (Some(t), Some(e)) if j.acc_drop_below.is_none_or(|d| e >= e2 - d as i32) => {
                cut_signed(signed(&t), t.lsb, acut, j.shifted_out)
            }
            _ => 0,
        };
        let lsb = gcut.min(acut);
        let total = (gs << (gcut - lsb) as u32) + (a << (acut - lsb) as u32);
        tr.step(|| Step::GroupSum {
            group: gi,
            value: AccValue::Finite(Term {
                neg: total < 0,
                sig: total.unsigned_abs(),
                lsb,
            }),
        });
        self.fold(acc, total, lsb, true);
        tr.step(|| Step::Acc {
            group: gi,
            value: AccValue::of(acc),
        });
    }
}

#[cfg(test)]
mod tests;
