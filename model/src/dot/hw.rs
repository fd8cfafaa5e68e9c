//! The generic hardware-numerics engine: groups, alignment window, accumulator, promotion.
//! Every preset but `exact` runs through here; the steps follow spec/numerics.md in order.

use super::trace::{AccValue, NoTrace, Step, Trace};
use super::{pack, scale_lsb, Dot, Operands, Out, Small};
use crate::add::{add_round, Term};
use crate::elem::{PairTable, F_INF, PAIR_BIAS, PAIR_SIG_SHIFT};
use crate::format::{decode_f32, Class};
use crate::numerics::{
    AccZeroSign, Accumulate, Align, CEntry, GroupLayout, ScaleApply, ShiftedOut,
};
use crate::round::{self, msb, Raw, Round, Rounded, Target};

mod join;
#[cfg(target_arch = "x86_64")]
mod simd;

/// One non-zero term of a group, before the window cut.
#[derive(Clone, Copy, Debug)]
pub struct TermIn {
    pub neg: bool,
    pub sig: u128,
    /// Weight of `sig`'s bit 0.
    pub lsb: i32,
    /// Alignment exponent.
    pub e: i32,
}

/// A product kept between the two passes of the i64 path.
#[derive(Clone, Copy)]
struct Compact {
    mag: u64,
    lsb: i32,
    neg: bool,
}

impl Compact {
    const ZERO: Compact = Compact {
        mag: 0,
        lsb: 0,
        neg: false,
    };
}

/// Products of a group kept between the two passes (larger groups are visited twice).
const BUF: usize = 32;

/// The products of one group: `start, start+stride, ...` below `end`, in runs of `chunk`.
#[derive(Clone, Copy, Debug)]
pub struct GroupIdx {
    pub start: usize,
    pub end: usize,
    pub chunk: usize,
    pub stride: usize,
}

impl GroupIdx {
    fn for_each(&self, mut f: impl FnMut(usize)) {
        let mut s = self.start;
        while s < self.end {
            for i in s..(s + self.chunk).min(self.end) {
                f(i);
            }
            s += self.stride;
        }
    }
    fn len(&self) -> usize {
        if self.chunk == self.stride {
            return self.end.saturating_sub(self.start);
        }
        let mut n = 0;
        self.for_each(|_| n += 1);
        n
    }
}

/// `s * 2^cut` rounded to `t` by RZ, RNE or round-to-odd when it is non-zero and lands in
/// `t`'s normal range; `None` otherwise (zero, other modes, subnormal or overflowing
/// results), for the general routine. The result is normalised as [`to_acc`] makes it.
/// One body for i64 sums (the per-group fold) and i128 ones ([`add_wide`]).
macro_rules! round_normal_fn {
    ($name:ident, $s:ty, $u:ty) => {
        fn $name(s: $s, cut: i32, t: &Target, mode: Round) -> Option<Term> {
            const BITS: i32 = <$u>::BITS as i32;
            let m = t.man_bits as i32;
            if s == 0 || m > 62 {
                return None;
            }
            let mag = s.unsigned_abs();
            let msb = BITS - 1 - mag.leading_zeros() as i32;
            let mut top = cut + msb;
            if top < t.emin || top > t.emax {
                return None;
            }
            let sig = if msb <= m {
                mag << (m - msb)
            } else {
                let sh = (msb - m) as u32;
                let kept = mag >> sh;
                let rem = mag & ((1 << sh) - 1);
                let kept = match mode {
                    Round::Rz => kept,
                    Round::Rne => {
                        let half = 1 << (sh - 1);
                        kept + (rem > half || (rem == half && kept & 1 == 1)) as $u
                    }
                    // Jamming: the last bit set when anything was lost (no carry).
                    Round::Odd => kept | (rem != 0) as $u,
                    _ => return None,
                };
                if kept >> (m + 1) != 0 {
                    // Rounded up into the next binade.
                    top += 1;
                    kept >> 1
                } else {
                    kept
                }
            } as u64;
            if top > t.emax || (top == t.emax && sig > t.max_sig) {
                return None;
            }
            Some(Term {
                neg: s < 0,
                sig: sig as u128,
                lsb: top - m,
            })
        }
    };
}
round_normal_fn!(round_normal, i64, u64);
round_normal_fn!(round_normal_wide, i128, u128);

/// `x + y` rounded to `t` by [`round_normal_wide`] when both are non-zero with significands
/// below 2^64 and exponents at most 62 apart once a far smaller one is replaced by
/// [`sticky`] (the exact sum then fits an i128); `None` otherwise. The general add, for the
/// common case of an accumulator of up to 62 bits (`accumulate = separate`). Inlined: it
/// runs once per group for `rtl`, where a call cost about a tenth of the dot.
#[inline(always)]
fn add_wide(x: &Term, y: &Term, t: &Target, mode: Round) -> Option<Term> {
    if x.is_zero() || y.is_zero() || (x.sig | y.sig) >> 64 != 0 {
        return None;
    }
    let (x, y) = sticky(x, y, t);
    let lo = x.lsb.min(y.lsb);
    let (dx, dy) = (x.lsb - lo, y.lsb - lo);
    if dx > 62 || dy > 62 {
        return None;
    }
    let signed = |t: &Term, d: i32| {
        let v = (t.sig as i128) << d;
        if t.neg {
            -v
        } else {
            v
        }
    };
    round_normal_wide(signed(&x, dx) + signed(&y, dy), lo, t, mode)
}

/// [`cut_sum`] truncating, in 32-bit lanes: products with no scale significand (`mul` is
/// `1 << l`), each < 2^31 after the shift by `l` (so a shift clamped to 31 clears it), and the
/// positive and the negative cut products each summing below 2^32 (`Dot::new` checks these).
/// Without `CLAMP` the caller knows every non-zero entry's shift is < 32.
#[inline]
fn cut_sum32<const CLAMP: bool>(entries: &[u32], base: u32, l: u32) -> i64 {
    let (mut pos, mut neg) = (0u32, 0u32);
    for &e in entries {
        let sh = base.wrapping_sub(e & 0xff);
        let sh = if CLAMP { sh.min(31) } else { sh };
        let mag = ((e >> PAIR_SIG_SHIFT) << l).wrapping_shr(sh);
        let m = ((e >> 8) & 1).wrapping_neg();
        pos = pos.wrapping_add(mag & !m);
        neg = neg.wrapping_add(mag & m);
    }
    pos as i64 - neg as i64
}

/// `x + y` rounded to FP32 by RNE with the host's binary32 addition, when both are normal
/// FP32 values and so is the sum; `None` otherwise (zeros, subnormals, Inf). IEEE 754 fixes
/// that result bit for bit (the exact sum rounded once, ties to even), and Rust's `f32` `+`
/// is that operation (it assumes the default floating-point environment). FP32 promotion
/// adds once per block; through the general integer add it took about 30% of
/// `hopper-mxfp8-sw`'s profile (perf, dev machine). Both operands must be exact in FP32.
#[inline(always)]
fn add_fp32_rne(x: &Term, y: &Term) -> Option<f32> {
    if x.is_zero() || y.is_zero() {
        return None;
    }
    let enc = |t: &Term| -> Option<f32> {
        if t.sig >> 64 != 0 {
            return None;
        }
        let top = t.top();
        // Normal, and no set bit below the 24 that FP32 keeps.
        if !(-126..=127).contains(&top) || t.lsb + (t.sig.trailing_zeros() as i32) < top - 23 {
            return None;
        }
        let sh = 23 - (top - t.lsb);
        let m = if sh >= 0 {
            (t.sig as u64) << sh
        } else {
            (t.sig as u64) >> -sh
        } as u32;
        let e = (top + 127) as u32;
        Some(f32::from_bits(
            ((t.neg as u32) << 31) | (e << 23) | (m & 0x7f_ffff),
        ))
    };
    Some(enc(x)? + enc(y)?)
}

/// [`add_fp32_rne`]'s sum as a [`Term`] when it is a normal FP32 value, normalised to 24
/// bits as [`round_normal`] leaves it.
#[inline(always)]
fn fp32_normal_term(v: f32) -> Option<Term> {
    let s = v.to_bits();
    let e = (s >> 23) & 0xff;
    if e == 0 || e == 0xff {
        return None;
    }
    Some(Term {
        neg: s >> 31 == 1,
        sig: ((s & 0x7f_ffff) | 0x80_0000) as u128,
        lsb: e as i32 - 127 - 23,
    })
}

/// `x + y` rounded to `t` by [`round_normal`] when one is zero or both are non-zero with
/// significands below 2^32 and exponents at most 30 apart once a far smaller one is replaced
/// by [`sticky`] (the exact sum then fits an i64); `None` otherwise.
fn add_near(x: &Term, y: &Term, t: &Target, mode: Round) -> Option<Term> {
    if (x.sig | y.sig) >> 32 != 0 {
        return None;
    }
    // x + 0 or 0 + y (either sign): the other rounded, as the general add does.
    let (x, y) = match (x.is_zero(), y.is_zero()) {
        (true, true) => return None,
        (false, true) | (true, false) => {
            let v = if x.is_zero() { y } else { x };
            let s = v.sig as i64;
            return round_normal(if v.neg { -s } else { s }, v.lsb, t, mode);
        }
        (false, false) => (*x, *y),
    };
    let mut lo = x.lsb.min(y.lsb);
    let (mut dx, mut dy) = (x.lsb - lo, y.lsb - lo);
    let (x, y) = if dx > 30 || dy > 30 {
        let (x, y) = sticky(&x, &y, t);
        lo = x.lsb.min(y.lsb);
        (dx, dy) = (x.lsb - lo, y.lsb - lo);
        if dx > 30 || dy > 30 {
            return None;
        }
        (x, y)
    } else {
        (x, y)
    };
    let signed = |t: &Term, d: i32| {
        let v = (t.sig as i64) << d;
        if t.neg {
            -v
        } else {
            v
        }
    };
    round_normal(signed(&x, dx) + signed(&y, dy), lo, t, mode)
}

/// `(x, y)` with a far smaller one replaced: when `y` is far below a value `x` that `t`
/// holds as a normal number (below `emax`), by a stand-in that rounds the same in `x + y`:
/// 2^(top(x) - m - 3) with `y`'s sign (and the same with the roles swapped). Both lie below a
/// quarter of x's ulp, so both sums fall strictly between `x` and its neighbour on the same
/// side, short of the midpoint (the neighbour below a power of two is half an ulp away):
/// RNE gives `x` for both, RZ the same neighbour or `x` by the sign alone, and round-to-odd
/// that one with its last bit set, both inexact.
#[inline]
fn sticky(x: &Term, y: &Term, t: &Target) -> (Term, Term) {
    let m = t.man_bits as i32;
    let (tx, ty) = (x.top(), y.top());
    let stand_in = |big: &Term, top: i32, small: &Term| {
        // `big` is a normal value of `t`: in range, at most m + 1 significant bits.
        let fits =
            top >= t.emin && top < t.emax && (big.sig >> big.sig.trailing_zeros()) >> (m + 1) == 0;
        fits.then_some(Term {
            neg: small.neg,
            sig: 1,
            lsb: top - m - 3,
        })
    };
    if ty + m + 3 <= tx {
        if let Some(y) = stand_in(x, tx, y) {
            return (*x, y);
        }
    } else if tx + m + 3 <= ty {
        if let Some(x) = stand_in(y, ty, x) {
            return (x, *y);
        }
    }
    (*x, *y)
}

/// FP32 bits of a non-zero value that FP32 holds exactly (no rounding, no range check
/// but in debug builds).
fn f32_exact(t: Term) -> u32 {
    let top = t.top();
    debug_assert!(!t.is_zero() && top <= 127);
    // The weight of the encoding's last bit: 2^(top - 23) for normals, 2^-149 below.
    let unit = if top >= -126 { top - 23 } else { -149 };
    let sh = unit - t.lsb;
    let m = if sh >= 0 { t.sig >> sh } else { t.sig << -sh };
    debug_assert!(sh <= 0 || m << sh == t.sig, "not exact in FP32");
    let e = if top >= -126 { (top + 127) as u32 } else { 0 };
    ((t.neg as u32) << 31) | (e << 23) | (m as u32 & 0x7f_ffff)
}

/// Pair-table entries of one group ([`Dot::window_sum_pair`]) at most.
pub(super) const PAIR_BUF: usize = 64;

/// Where an interleaved group's products lie, counted from its first: `offsets[..count[len]]`
/// for a group whose positions span `len`.
#[derive(Clone, Debug)]
pub(super) struct PairLayout {
    offsets: [u8; PAIR_BUF],
    count: [u8; PAIR_BUF + 1],
    /// `!0` where the group owns the position (every position of a contiguous group), else 0:
    /// the SIMD look-up's lane mask.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    lanes: [u32; PAIR_BUF],
    /// Interleaved layouts: per way, `!0` at the positions of a span (from its start) that
    /// the way's group owns, for the SIMD path, which looks a span up once for all its ways.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    ways: Vec<[u32; PAIR_BUF]>,
}

/// The per-dot quantities of [`Dot::pair_fused`].
struct PairK {
    /// The accumulator joins each group's window (else each group sum is added to it).
    fused: bool,
    /// The accumulator format and its rounding.
    t: Target,
    mode: Round,
    /// Fraction bits of a product (scale significands included when they multiply in).
    m_all: i32,
    w: i32,
    /// Products shift left by `l` before the cut, so that no shift is negative.
    l: u32,
    align_min: i32,
    /// The least alignment exponent of a non-zero accumulator.
    acc_min: i32,
}

/// Every lane live: the look-up of a whole span.
#[cfg(target_arch = "x86_64")]
const ALL_LANES: [u32; PAIR_BUF] = [!0; PAIR_BUF];

impl PairLayout {
    /// Runs of `chunk` positions every `stride` (the same for every group of a layout).
    pub(super) fn new(layout: GroupLayout) -> PairLayout {
        let mut l = PairLayout {
            offsets: [0; PAIR_BUF],
            count: [0; PAIR_BUF + 1],
            lanes: [!0; PAIR_BUF],
            ways: Vec::new(),
        };
        if let GroupLayout::Interleaved { ways, chunk, .. } = layout {
            l.ways = (0..ways)
                .map(|w| std::array::from_fn(|p| if (p / chunk) % ways == w { !0 } else { 0 }))
                .collect();
            let stride = ways * chunk;
            let mut n = 0;
            for len in 1..=PAIR_BUF {
                let p = len - 1;
                l.lanes[p] = if p % stride < chunk { !0 } else { 0 };
                if p % stride < chunk {
                    l.offsets[n] = p as u8;
                    n += 1;
                }
                l.count[len] = n as u8;
            }
        }
        l
    }
}

/// Sum of pair-table entries, each product times `mul` (the scale significands, shifted left
/// so that no cut is a left shift) cut by `base - be` bits: truncated, or rounded to nearest
/// even with `RNE`. Without `CLAMP` the caller knows every non-zero entry's shift is < 64;
/// zero entries have no bits, so any shift leaves them 0.
#[inline]
fn cut_sum<const RNE: bool, const CLAMP: bool>(entries: &[u32], base: u32, mul: u64) -> i64 {
    let mut s = 0i64;
    for &e in entries {
        // < 2^57 (window <= 53 plus 4 bits of significand products): a shift by 63 clears it.
        let v = (e >> PAIR_SIG_SHIFT) as u64 * mul;
        let sh = base.wrapping_sub(e & 0xff);
        let sh = if CLAMP { sh.min(63) } else { sh };
        let mut mag = v.wrapping_shr(sh);
        if RNE && sh > 0 {
            let half = 1u64.wrapping_shl(sh - 1);
            let rem = v & (half.wrapping_shl(1).wrapping_sub(1));
            mag += (rem > half || (rem == half && mag & 1 == 1)) as u64;
        }
        let neg = -(((e >> 8) & 1) as i64);
        s += (mag as i64 ^ neg) - neg;
    }
    s
}

/// The running accumulator.
#[derive(Clone)]
pub enum Acc {
    /// A value of the accumulator format.
    Float(Term),
    /// An exact (unbounded) accumulator.
    Exact(Small),
    Inf(bool),
    Nan,
}

/// Turn a rounding into an accumulator value of target `t`.
fn to_acc(neg: bool, r: Rounded, t: &Target, subnormals: bool) -> Acc {
    match r {
        Rounded::Overflow => Acc::Inf(neg),
        Rounded::Finite { sig, exp, .. } => {
            if sig == 0 || (!subnormals && sig >> t.man_bits == 0) {
                // A non-zero value rounded (or flushed) to zero keeps its sign.
                Acc::Float(Term { neg, ..Term::ZERO })
            } else {
                Acc::Float(Term {
                    neg,
                    sig: sig as u128,
                    lsb: exp - t.man_bits as i32,
                })
            }
        }
    }
}

/// Exact `a + b` rounded once to `t` (either may be Inf/NaN).
fn add_to(a: &Acc, b: &Acc, t: &Target, mode: Round, subnormals: bool) -> Acc {
    match (a, b) {
        (Acc::Nan, _) | (_, Acc::Nan) => Acc::Nan,
        (Acc::Inf(x), Acc::Inf(y)) if x != y => Acc::Nan,
        (Acc::Inf(x), _) | (_, Acc::Inf(x)) => Acc::Inf(*x),
        (Acc::Float(x), Acc::Float(y)) => {
            let (neg, r) = add_round(*x, *y, t, mode);
            to_acc(neg, r, t, subnormals)
        }
        (Acc::Exact(s), Acc::Float(y)) | (Acc::Float(y), Acc::Exact(s)) => {
            let mut s = s.clone();
            s.add_term(*y);
            round_small(&s, t, mode, subnormals)
        }
        (Acc::Exact(x), Acc::Exact(y)) => {
            let mut s = x.clone();
            s.add_small(y);
            round_small(&s, t, mode, subnormals)
        }
    }
}

fn round_small(s: &Small, t: &Target, mode: Round, subnormals: bool) -> Acc {
    match s.raw() {
        None => Acc::Float(Term::ZERO),
        Some((neg, raw)) => to_acc(neg, round::round(neg, raw, t, mode), t, subnormals),
    }
}

impl Dot {
    /// Alignment exponent of a non-zero accumulator joining a group: its exponent field with
    /// `nominal` (a subnormal at the accumulator's emin, as Hopper aligns a subnormal C),
    /// its leading bit with `leading`.
    #[inline]
    fn acc_align(&self, t: &Term) -> i32 {
        match (self.numerics.align, self.acc) {
            (Align::Nominal, Some(a)) => t.top().max(a.emin),
            _ => t.top(),
        }
    }

    /// `s`, the result of the exact special rules, unless `s` is an Inf that meets an
    /// accumulator an earlier group overflowed to the opposite Inf: then NaN, as when one
    /// instruction's D = -Inf is the next one's C (split-K halves, chained instructions).
    pub(super) fn inf_after_overflow(&self, ops: &Operands, s: u32) -> u32 {
        let n = &self.numerics;
        let c = decode_f32(ops.c);
        let plain = n.promote.is_none()
            && n.c_entry == CEntry::Accumulator
            && n.group != 0
            && n.group_layout == GroupLayout::Contiguous
            && self.acc.is_some()
            && n.acc == n.output
            && matches!(c.class, Class::Finite | Class::Zero);
        if s & 0x7fff_ffff != 0x7f80_0000 || !plain {
            return s;
        }
        let inf = |i: usize| (self.ta.get(ops.a[i]).flags | self.tb.get(ops.b[i]).flags) & F_INF;
        let Some(stop) = (0..ops.a.len()).find(|&i| inf(i) != 0) else {
            return s;
        };
        let mut acc = Acc::Float(Term {
            neg: c.neg,
            sig: c.sig as u128,
            lsb: c.exp,
        });
        self.groups(ops.a.len(), |g| {
            if g.end <= stop {
                self.group(ops, &g, &mut acc, 0, &mut NoTrace);
            }
        });
        match acc {
            Acc::Inf(neg) if neg != (s >> 31 == 1) => n.nan_bits,
            // An earlier group's products overflowed to both Infs (`join.product_inf_exp`).
            Acc::Nan => n.nan_bits,
            _ => s,
        }
    }

    /// Visit the non-zero terms of a group (products, or block sums with `block_sum`).
    #[inline]
    fn for_each_term(&self, ops: &Operands, g: &GroupIdx, mut f: impl FnMut(TermIn)) {
        let n = &self.numerics;
        let bs = self.spec.block;
        let (ma, mb, ms) = (
            self.ta.man_bits as i32,
            self.tb.man_bits as i32,
            self.ts.man_bits as i32,
        );
        let flush = n.flush_subnormal_inputs;
        match n.scale {
            ScaleApply::Product | ScaleApply::Promote
                if g.chunk == g.stride
                    && !self.ta.small.is_empty()
                    && !self.tb.small.is_empty() =>
            {
                // Contiguous group of table formats: walk it block by block so each block's
                // scale product is formed once, reading the packed tables.
                let scaled = n.scale == ScaleApply::Product;
                let (ta, tb) = (&self.ta.small, &self.tb.small);
                let mut i = g.start;
                while i < g.end {
                    let blk = i / bs;
                    let seg_end = ((blk + 1) * bs).min(g.end);
                    let (mut ssig, mut se, mut sm) = (1u64, 0i32, 0i32);
                    if scaled {
                        let (s, t) = (self.ts.get(ops.sa[blk]), self.ts.get(ops.sb[blk]));
                        ssig = s.sig as u64 * t.sig as u64;
                        se = s.e + t.e;
                        sm = 2 * ms;
                    }
                    if ssig != 0 {
                        for j in i..seg_end {
                            let (x, y) = (ta[ops.a[j] as usize], tb[ops.b[j] as usize]);
                            if x.sig == 0 || y.sig == 0 || (flush && (x.subnormal || y.subnormal)) {
                                continue;
                            }
                            let sig = x.sig as u64 * y.sig as u64 * ssig;
                            let e = x.e as i32 + y.e as i32 + se;
                            let lsb = e - ma - mb - sm;
                            let e = match n.align {
                                Align::Nominal => e,
                                Align::Leading => lsb + 63 - sig.leading_zeros() as i32,
                            };
                            f(TermIn {
                                neg: x.neg ^ y.neg,
                                sig: sig as u128,
                                lsb,
                                e,
                            })
                        }
                    }
                    i = seg_end;
                }
            }
            ScaleApply::Product | ScaleApply::Promote => {
                let scaled = n.scale == ScaleApply::Product;
                // The block's scale product, computed once per block.
                let (mut blk_end, mut ssig, mut se) = (0usize, 1u64, 0i32);
                g.for_each(|i| {
                    let (x, y) = (self.ta.get(ops.a[i]), self.tb.get(ops.b[i]));
                    if x.sig == 0 || y.sig == 0 || (flush && (x.subnormal || y.subnormal)) {
                        return;
                    }
                    let mut sig = x.sig as u64 * y.sig as u64;
                    let mut e = x.e + y.e;
                    let mut m = ma + mb;
                    if scaled {
                        // Indices rise within a group: divide only on entering a block.
                        if i >= blk_end || i + bs < blk_end {
                            let blk = i / bs;
                            blk_end = (blk + 1) * bs;
                            let (s, t) = (self.ts.get(ops.sa[blk]), self.ts.get(ops.sb[blk]));
                            ssig = s.sig as u64 * t.sig as u64;
                            se = s.e + t.e;
                        }
                        if ssig == 0 {
                            return;
                        }
                        sig *= ssig;
                        e += se;
                        m += 2 * ms;
                    }
                    let lsb = e - m;
                    let e = match n.align {
                        Align::Nominal => e,
                        Align::Leading => lsb + 63 - sig.leading_zeros() as i32,
                    };
                    f(TermIn {
                        neg: x.neg ^ y.neg,
                        sig: sig as u128,
                        lsb,
                        e,
                    })
                })
            }
            ScaleApply::BlockSum => {
                // Contiguous groups of whole blocks (validated), summed in chunks that divide
                // the block (validated).
                let q = self.ta.qmin + self.tb.qmin;
                let cs = n.block_sum_chunk.unwrap_or(bs);
                let mut k0 = g.start;
                while k0 < g.end {
                    let k = k0 / bs;
                    let (a, b) = (&ops.a[k0..k0 + cs], &ops.b[k0..k0 + cs]);
                    let s = if flush {
                        a.iter()
                            .zip(b)
                            .map(|(&x, &y)| {
                                let (x, y) = (self.ta.get(x), self.tb.get(y));
                                if x.subnormal || y.subnormal {
                                    0
                                } else {
                                    x.ival as i128 * y.ival as i128
                                }
                            })
                            .sum()
                    } else {
                        self.block_sum(a, b)
                    };
                    let (xa, xb) = (self.ts.get(ops.sa[k]), self.ts.get(ops.sb[k]));
                    let v = s * (xa.sig as i128 * xb.sig as i128);
                    if v != 0 {
                        let sig = v.unsigned_abs();
                        let lsb = q + scale_lsb(self.ts, xa) + scale_lsb(self.ts, xb);
                        // Nominal: the chunk sum is a fixed-point number with its binary point
                        // at 2^0, so only the scales' exponents place it (MMA-Sim's FP4 path).
                        let e = match n.align {
                            Align::Nominal => xa.e + xb.e,
                            Align::Leading => lsb + msb(sig),
                        };
                        f(TermIn {
                            neg: v < 0,
                            sig,
                            lsb,
                            e,
                        });
                    }
                    k0 += cs;
                }
            }
        }
    }

    /// One group: align, cut, sum, and fold into the accumulator.
    fn group<T: Trace>(&self, ops: &Operands, g: &GroupIdx, acc: &mut Acc, gi: usize, tr: &mut T) {
        let n = &self.numerics;
        if let Some(j) = &n.join {
            return self.group_join(j, ops, g, acc, gi, tr);
        }
        let fused = n.accumulate == Accumulate::Fused;
        let Some(w) = n.window_bits else {
            // Unbounded window: the group sum is exact, so fused and separate coincide.
            let mut s = Small::default();
            self.for_each_term(ops, g, |t| {
                tr.step(|| Step::Term { group: gi, term: t });
                s.add_term(Term {
                    neg: t.neg,
                    sig: t.sig,
                    lsb: t.lsb,
                })
            });
            tr.step(|| Step::GroupSum {
                group: gi,
                value: AccValue::of_small(&s),
            });
            *acc = match (&*acc, self.acc) {
                (Acc::Exact(a), _) => {
                    let mut a = a.clone();
                    a.add_small(&s);
                    Acc::Exact(a)
                }
                (a, Some(t)) => add_to(a, &Acc::Exact(s), &t, n.acc.round, n.acc.subnormals),
                (_, None) => unreachable!("finite accumulators only here"),
            };
            tr.step(|| Step::Acc {
                group: gi,
                value: AccValue::of(acc),
            });
            return;
        };
        if let (false, Some(pt)) = (T::ACTIVE, self.pair) {
            let (sum, cut) = self.window_sum_pair(ops, g, w, acc, fused, pt);
            if let Some(cut) = cut {
                self.fold(acc, sum, cut, fused);
            }
            return;
        }
        // Pass 1: the alignment exponent; the terms are kept for pass 2 when they fit.
        let mut emax = i32::MIN;
        // Products of <= 57 bits cut to a window of <= 53 bits sum in an i64 (32 terms of
        // < 2^(53+4) each); the compact copy made here avoids a second decode.
        let fast = w <= 53 && n.scale != ScaleApply::BlockSum && !self.force_generic;
        let mut buf = [Compact::ZERO; BUF];
        let mut nbuf = 0usize;
        self.for_each_term(ops, g, |t| {
            tr.step(|| Step::Term { group: gi, term: t });
            emax = emax.max(t.e);
            if nbuf < BUF {
                buf[nbuf] = Compact {
                    mag: t.sig as u64,
                    lsb: t.lsb,
                    neg: t.neg,
                };
            }
            nbuf += 1;
        });
        let fast = fast && nbuf <= BUF;
        let acc_term = match (&*acc, fused) {
            (Acc::Float(t), true) if !t.is_zero() => {
                emax = emax.max(self.acc_align(t));
                Some(*t)
            }
            _ => None,
        };
        if emax == i32::MIN {
            return; // nothing but zeros: the accumulator is unchanged
        }
        let emax = emax.max(n.align_min_exp.unwrap_or(i32::MIN));
        // Pass 2: cut every term to a multiple of 2^cut and sum exactly.
        let cut = emax - w as i32;
        tr.step(|| Step::Align {
            group: gi,
            emax,
            cut,
            acc_joins: acc_term.is_some(),
        });
        let mode = n.shifted_out;
        let mut sum: i128 = 0;
        if fast {
            let mut s64: i64 = 0;
            for p in &buf[..nbuf] {
                let sh = cut - p.lsb;
                let mag = if sh <= 0 {
                    p.mag << (-sh) as u32
                } else if sh >= 64 {
                    0
                } else {
                    let kept = p.mag >> sh;
                    match mode {
                        ShiftedOut::Truncate => kept,
                        ShiftedOut::Rne => {
                            let half = 1u64 << (sh - 1);
                            let rem = p.mag & ((1u64 << sh) - 1);
                            kept + (rem > half || (rem == half && kept & 1 == 1)) as u64
                        }
                    }
                };
                tr.step(|| Step::Cut {
                    group: gi,
                    neg: p.neg,
                    kept: mag as u128,
                    cut,
                    exact: sh <= 0 || (sh < 64 && mag << sh == p.mag),
                });
                s64 += if p.neg { -(mag as i64) } else { mag as i64 };
            }
            sum = s64 as i128;
        }
        let mut add = |neg: bool, sig: u128, lsb: i32| {
            let sh = cut - lsb;
            let mag = if sh <= 0 {
                sig << (-sh) as u32
            } else if sh >= 128 {
                0
            } else {
                let kept = sig >> sh;
                match mode {
                    ShiftedOut::Truncate => kept,
                    ShiftedOut::Rne => {
                        let half = 1u128 << (sh - 1);
                        let rem = sig & ((1u128 << sh) - 1);
                        kept + (rem > half || (rem == half && kept & 1 == 1)) as u128
                    }
                }
            } as i128;
            tr.step(|| Step::Cut {
                group: gi,
                neg,
                kept: mag as u128,
                cut,
                exact: (mag as u128) << (sh.max(0) as u32).min(127) == sig || sh <= 0,
            });
            sum += if neg { -mag } else { mag };
        };
        if !fast {
            self.for_each_term(ops, g, |t| add(t.neg, t.sig, t.lsb));
        }
        if let Some(t) = acc_term {
            add(t.neg, t.sig, t.lsb);
        }
        tr.step(|| Step::GroupSum {
            group: gi,
            value: AccValue::Finite(Term {
                neg: sum < 0,
                sig: sum.unsigned_abs(),
                lsb: cut,
            }),
        });
        self.fold(acc, sum, cut, fused);
        tr.step(|| Step::Acc {
            group: gi,
            value: AccValue::of(acc),
        });
    }

    /// Fold a group's cut sum `sum * 2^cut` into the accumulator.
    #[inline(always)]
    fn fold(&self, acc: &mut Acc, sum: i128, cut: i32, fused: bool) {
        let n = &self.numerics;
        // Fused, a non-zero i64 sum landing in the accumulator's normal range, RZ or RNE: the
        // common case, rounded here without the general routine.
        if let (true, false, Acc::Float(_), Some(t), Ok(s)) = (
            fused,
            self.force_generic,
            &*acc,
            self.acc,
            i64::try_from(sum),
        ) {
            if let Some(v) = round_normal(s, cut, &t, n.acc.round) {
                *acc = Acc::Float(v);
                return;
            }
        }
        let gsum = Term {
            neg: sum < 0,
            sig: sum.unsigned_abs(),
            lsb: cut,
        };
        *acc = match (&*acc, self.acc) {
            (Acc::Nan, _) => Acc::Nan,
            (Acc::Inf(s), _) => Acc::Inf(*s),
            (Acc::Exact(a), _) => {
                let mut a = a.clone();
                a.add_term(gsum);
                Acc::Exact(a)
            }
            (_, Some(t)) if fused => {
                let (neg, r) = if gsum.is_zero() {
                    (
                        false,
                        Rounded::Finite {
                            sig: 0,
                            exp: t.emin,
                            inexact: false,
                        },
                    )
                } else {
                    (
                        gsum.neg,
                        round::round(
                            gsum.neg,
                            Raw {
                                sig: gsum.sig,
                                exp: cut,
                                sticky: false,
                            },
                            &t,
                            n.acc.round,
                        ),
                    )
                };
                to_acc(neg, r, &t, n.acc.subnormals)
            }
            // Separate accumulation: the exact sum of two values rounded directly when it
            // lands in the normal range.
            (Acc::Float(x), Some(t)) if !self.force_generic => add_wide(x, &gsum, &t, n.acc.round)
                .map_or_else(
                    || add_to(&*acc, &Acc::Float(gsum), &t, n.acc.round, n.acc.subnormals),
                    Acc::Float,
                ),
            (a, Some(t)) => add_to(a, &Acc::Float(gsum), &t, n.acc.round, n.acc.subnormals),
            (_, None) => unreachable!("validated: fused needs a finite accumulator"),
        };
    }

    /// The windowed sum of a group with nominal alignment, from the pair table (`Dot::new`
    /// takes this path only where every group lies inside one block and fits the buffer): every product shares the block's scale, so the cut needs only the element
    /// exponent sums. Pass 1 looks the products up into a buffer and finds the largest
    /// biased exponent sum, pass 2 cuts and sums them in an i64. Returns the sum and the cut
    /// (None if the group has no non-zero term).
    #[inline(always)]
    fn window_sum_pair(
        &self,
        ops: &Operands,
        g: &GroupIdx,
        w: u32,
        acc: &Acc,
        fused: bool,
        pt: &PairTable,
    ) -> (i128, Option<i32>) {
        let n = &self.numerics;
        let blk = g.start / self.spec.block;
        let mut m_all = (self.ta.man_bits + self.tb.man_bits) as i32;
        // 'promote' scales the partial sums later: its products enter unscaled.
        let (ssig, se) = if n.scale == ScaleApply::Product {
            let (s, t) = (self.ts.get(ops.sa[blk]), self.ts.get(ops.sb[blk]));
            m_all += 2 * self.ts.man_bits as i32;
            (s.sig as u64 * t.sig as u64, s.e + t.e)
        } else {
            (1, 0)
        };
        // Pass 1: look the products up, their exponent bytes apart, then the largest biased
        // exponent sum (0: no non-zero product): a byte maximum vectorises.
        let mut buf = [0u32; PAIR_BUF];
        let mut nbuf = 0;
        let mut bmax = 0;
        if ssig != 0 {
            let (a, b) = (&ops.a[g.start..g.end], &ops.b[g.start..g.end]);
            if self.simd {
                // Every position from g.start, other groups' lanes zeroed.
                nbuf = a.len();
                bmax = self.lookup_simd(pt, a, b, &mut buf);
            } else {
                let mut ebuf = [0u8; PAIR_BUF];
                if g.chunk == g.stride {
                    for ((o, eo), (&x, &y)) in buf.iter_mut().zip(&mut ebuf).zip(a.iter().zip(b)) {
                        *o = pt.get(x, y);
                        *eo = *o as u8;
                    }
                    nbuf = a.len();
                } else {
                    // Interleaved: the group's positions from g.start, prepared by Dot::new.
                    let lay = &self.pair_layout;
                    nbuf = lay.count[a.len()] as usize;
                    for ((o, eo), &i) in buf.iter_mut().zip(&mut ebuf).zip(&lay.offsets[..nbuf]) {
                        *o = pt.get(a[i as usize], b[i as usize]);
                        *eo = *o as u8;
                    }
                }
                bmax = ebuf.iter().fold(0u8, |m, &e| m.max(e)) as u32;
            }
        }
        let terms = &buf[..nbuf];
        let mut emax = if bmax == 0 {
            i32::MIN
        } else {
            bmax as i32 - PAIR_BIAS + se
        };
        let acc_term = match acc {
            Acc::Float(t) if fused && !t.is_zero() => {
                emax = emax.max(self.acc_align(t));
                Some(*t)
            }
            _ => None,
        };
        if emax == i32::MIN {
            return (0, None);
        }
        let emax = emax.max(n.align_min_exp.unwrap_or(i32::MIN));
        let cut = emax - w as i32;
        let mut s64: i64 = 0;
        // A product with biased exponent sum `be` has its last bit at be - BIAS + se - m_all;
        // shifted left by `l` first (so that no shift is negative), it is cut by `base - be`.
        let l = (w as i32 - m_all).max(0) as u32;
        let base = cut - se + m_all + PAIR_BIAS + l as i32;
        // base - bmax >= m_all - w + l >= 0; at 64 or more every product is cut to zero.
        if bmax != 0 && base - (bmax as i32) < 64 {
            // Shifts reach 64 only for products below the table's smallest: clamp only then.
            let clamp = base - pt.bmin as i32 > 63;
            let (b, mul) = (base as u32, ssig << l);
            let rne = n.shifted_out == ShiftedOut::Rne;
            s64 = match (rne, clamp) {
                (false, _) if self.simd && (self.pair32 || mul >> 32 == 0) => {
                    self.cut_sum_simd(&buf, nbuf, b, l, mul)
                }
                // Narrow enough for 32-bit lanes (twice the SIMD width), every shift < 32.
                (false, _) if self.pair32 => match base - pt.bmin as i32 <= 31 {
                    true => cut_sum32::<false>(terms, b, l),
                    false => cut_sum32::<true>(terms, b, l),
                },
                (false, false) => cut_sum::<false, false>(terms, b, mul),
                (false, true) => cut_sum::<false, true>(terms, b, mul),
                (true, false) => cut_sum::<true, false>(terms, b, mul),
                (true, true) => cut_sum::<true, true>(terms, b, mul),
            };
        }
        let mut sum = s64 as i128;
        if let Some(t) = acc_term {
            let sh = cut - t.lsb;
            let mag = if sh <= 0 {
                t.sig << (-sh) as u32
            } else if sh >= 128 {
                0
            } else {
                let kept = t.sig >> sh;
                if n.shifted_out == ShiftedOut::Rne {
                    let half = 1u128 << (sh - 1);
                    let rem = t.sig & ((1u128 << sh) - 1);
                    kept + (rem > half || (rem == half && kept & 1 == 1)) as u128
                } else {
                    kept
                }
            } as i128;
            sum += if t.neg { -mag } else { mag };
        }
        (sum, Some(cut))
    }

    /// [`simd::lookup`] where the CPU has AVX2 (`self.simd`).
    #[inline]
    fn lookup_simd(&self, pt: &PairTable, a: &[u32], b: &[u32], buf: &mut [u32; PAIR_BUF]) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: `self.simd` is set only where the CPU has AVX2 (`Dot::new`), and a
            // group spans at most PAIR_BUF positions (checked there for the pair path).
            return unsafe { simd::lookup(pt, a, b, &self.pair_layout.lanes, buf) };
        }
        let _ = (pt, a, b, buf);
        unreachable!("self.simd is false off x86-64")
    }

    /// [`simd::lookup`] of every position of `a`, `b` (a whole span of interleaved groups, or
    /// a contiguous group), or [`simd::lookup_scalar`] where gathers are slow (`self.gather`).
    #[inline]
    fn lookup_span_simd(
        &self,
        pt: &PairTable,
        a: &[u32],
        b: &[u32],
        buf: &mut [u32; PAIR_BUF],
    ) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: as in `lookup_simd`: AVX2 present, a span of at most PAIR_BUF.
            return unsafe {
                if self.gather {
                    simd::lookup(pt, a, b, &ALL_LANES, buf)
                } else {
                    simd::lookup_scalar(pt, a, b, buf)
                }
            };
        }
        let _ = (pt, a, b, buf);
        unreachable!("self.simd is false off x86-64")
    }

    /// [`simd::lookup_scalar_at`]: one interleaved group's products, packed.
    #[inline]
    fn lookup_at_simd(
        &self,
        pt: &PairTable,
        a: &[u32],
        b: &[u32],
        offsets: &[u8],
        buf: &mut [u32; PAIR_BUF],
    ) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: AVX2 present; `offsets` come from the layout of a span <= PAIR_BUF,
            // cut to those below `a.len()` (`PairLayout::count`).
            return unsafe { simd::lookup_scalar_at(pt, a, b, offsets, buf) };
        }
        let _ = (pt, a, b, offsets, buf);
        unreachable!("self.simd is false off x86-64")
    }

    /// [`simd::lookup_scalar_ways2`]: both groups of a full two-way span of chunk 2.
    #[inline]
    fn lookup_ways2_simd(
        &self,
        pt: &PairTable,
        a: &[u32],
        b: &[u32],
        buf0: &mut [u32; PAIR_BUF],
        buf1: &mut [u32; PAIR_BUF],
    ) -> (u32, u32) {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: AVX2 present; a full span, a multiple of 4, at most PAIR_BUF.
            return unsafe { simd::lookup_scalar_ways2::<2>(pt, a, b, buf0, buf1) };
        }
        let _ = (pt, a, b, buf0, buf1);
        unreachable!("self.simd is false off x86-64")
    }

    /// [`simd::mask_max`]: one way's entries of a span looked up by `lookup_span_simd`.
    #[inline]
    fn mask_max_simd(
        &self,
        full: &[u32; PAIR_BUF],
        n: usize,
        way: usize,
        buf: &mut [u32; PAIR_BUF],
    ) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: as in `lookup_simd`: AVX2 present, n <= PAIR_BUF.
            return unsafe { simd::mask_max(full, n, &self.pair_layout.ways[way], buf) };
        }
        let _ = (full, n, way, buf);
        unreachable!("self.simd is false off x86-64")
    }

    /// The truncating cut sum of `buf[..n]` by [`simd::cut_sum32`] (when `pair32`) or
    /// [`simd::cut_sum64`] (`mul` below 2^32).
    #[inline]
    fn cut_sum_simd(&self, buf: &[u32; PAIR_BUF], n: usize, base: u32, l: u32, mul: u64) -> i64 {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: as in `lookup_simd`: AVX2 present, n <= PAIR_BUF.
            return unsafe {
                if self.pair32 {
                    simd::cut_sum32(buf, n, base, l)
                } else {
                    simd::cut_sum64(buf, n, base, mul as u32)
                }
            };
        }
        let _ = (buf, n, base, l, mul);
        unreachable!("self.simd is false off x86-64")
    }

    /// Every group of an FP accumulator on the pair path's SIMD form (`self.simd`),
    /// truncating: the steps of [`Dot::window_sum_pair`] and [`Dot::fold`] with the per-dot
    /// quantities computed once, plain loops (no closures, so that everything inlines), and
    /// the accumulator cut in an i64 and rounded by [`round_normal`] (else the general fold
    /// takes over for that group). `after` runs after each group (promotion).
    #[inline(always)]
    fn pair_fused(
        &self,
        ops: &Operands,
        pt: &PairTable,
        w: u32,
        acc: &mut Acc,
        mut after: impl FnMut(&GroupIdx, &mut Acc),
    ) {
        let n = &self.numerics;
        let Some(t) = self.acc else {
            unreachable!("taken only with a finite accumulator")
        };
        let scaled = n.scale == ScaleApply::Product;
        let m_all = (self.ta.man_bits + self.tb.man_bits) as i32
            + if scaled {
                2 * self.ts.man_bits as i32
            } else {
                0
            };
        let pk = PairK {
            fused: n.accumulate == Accumulate::Fused,
            t,
            mode: n.acc.round,
            m_all,
            w: w as i32,
            l: (w as i32 - m_all).max(0) as u32,
            align_min: n.align_min_exp.unwrap_or(i32::MIN),
            // `acc_align`: a subnormal accumulator aligns at emin under nominal alignment.
            acc_min: match n.align {
                Align::Nominal => t.emin,
                Align::Leading => i32::MIN,
            },
        };
        let k = ops.a.len();
        let bs = self.spec.block;
        let shift = bs.is_power_of_two().then(|| bs.trailing_zeros());
        let mut buf = [0u32; PAIR_BUF];
        match n.group_layout {
            GroupLayout::Interleaved { ways, span, chunk } => {
                // Each span looked up once; each way's group masks its positions out of it.
                let mut full = [0u32; PAIR_BUF];
                let mut s = 0;
                while s < k {
                    let end = (s + span).min(k);
                    let sc = self.pair_scale(ops, s, scaled, shift);
                    let (a, b) = (&ops.a[s..end], &ops.b[s..end]);
                    let whole = end - s == span && span.is_multiple_of(4);
                    if !self.gather && ways == 2 && chunk == 2 && whole {
                        // A whole span of two ways: both groups' products in one pass, way 0
                        // into `buf`, way 1 into `full` (span <= PAIR_BUF on the pair path).
                        let (mut nb, mut bmax) = (0, (0, 0));
                        if sc.0 != 0 {
                            nb = span / 2;
                            bmax = self.lookup_ways2_simd(pt, a, b, &mut buf, &mut full);
                        }
                        for (way, bm) in [(0, bmax.0), (1, bmax.1)] {
                            let g = GroupIdx {
                                start: s + way * chunk,
                                end,
                                chunk,
                                stride: ways * chunk,
                            };
                            let bf = if way == 0 { &buf } else { &full };
                            self.pair_finish(&pk, ops, pt, &g, acc, bf, nb, bm, sc);
                            after(&g, acc);
                        }
                        s = end;
                        continue;
                    }
                    if !self.gather {
                        // Each way's products looked up straight into its own buffer.
                        let lay = &self.pair_layout;
                        for way in 0..ways {
                            let g = GroupIdx {
                                start: s + way * chunk,
                                end,
                                chunk,
                                stride: ways * chunk,
                            };
                            let (mut nb, mut bmax) = (0, 0);
                            if sc.0 != 0 && g.start < end {
                                let (a, b) = (&ops.a[g.start..end], &ops.b[g.start..end]);
                                nb = lay.count[a.len()] as usize;
                                bmax = self.lookup_at_simd(pt, a, b, &lay.offsets[..nb], &mut buf);
                            }
                            self.pair_finish(&pk, ops, pt, &g, acc, &buf, nb, bmax, sc);
                            after(&g, acc);
                        }
                        s = end;
                        continue;
                    }
                    if sc.0 != 0 {
                        self.lookup_span_simd(pt, a, b, &mut full);
                    }
                    for way in 0..ways {
                        let g = GroupIdx {
                            start: s + way * chunk,
                            end,
                            chunk,
                            stride: ways * chunk,
                        };
                        let bmax = if sc.0 != 0 {
                            self.mask_max_simd(&full, a.len(), way, &mut buf)
                        } else {
                            0
                        };
                        self.pair_finish(&pk, ops, pt, &g, acc, &buf, a.len(), bmax, sc);
                        after(&g, acc);
                    }
                    s = end;
                }
            }
            GroupLayout::Contiguous => {
                let group = if n.group == 0 { k.max(1) } else { n.group };
                let mut s = 0;
                while s < k {
                    let end = (s + group).min(k);
                    let g = GroupIdx {
                        start: s,
                        end,
                        chunk: end - s,
                        stride: end - s,
                    };
                    let sc = self.pair_scale(ops, s, scaled, shift);
                    let (a, b) = (&ops.a[s..end], &ops.b[s..end]);
                    let bmax = if sc.0 != 0 {
                        self.lookup_span_simd(pt, a, b, &mut buf)
                    } else {
                        0
                    };
                    self.pair_finish(&pk, ops, pt, &g, acc, &buf, a.len(), bmax, sc);
                    after(&g, acc);
                    s = end;
                }
            }
        }
    }

    /// The scale significand product and exponent sum of the block holding position
    /// `start` (1, 0 unless `scaled`); `shift` is log2 of a power-of-two block size.
    #[inline(always)]
    fn pair_scale(
        &self,
        ops: &Operands,
        start: usize,
        scaled: bool,
        shift: Option<u32>,
    ) -> (u64, i32) {
        if !scaled {
            return (1, 0);
        }
        let blk = match shift {
            Some(sh) => start >> sh,
            None => start / self.spec.block,
        };
        let (s, t) = (self.ts.get(ops.sa[blk]), self.ts.get(ops.sb[blk]));
        (s.sig as u64 * t.sig as u64, s.e + t.e)
    }

    /// One group of [`Dot::pair_fused`] from its entries `buf[..nb]`, their largest biased
    /// exponent sum `bmax` and the block's scale product `ssig`, exponent sum `se`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn pair_finish(
        &self,
        pk: &PairK,
        ops: &Operands,
        pt: &PairTable,
        g: &GroupIdx,
        acc: &mut Acc,
        buf: &[u32; PAIR_BUF],
        nb: usize,
        bmax: u32,
        (ssig, se): (u64, i32),
    ) {
        let at = match acc {
            Acc::Float(at) if pk.fused => *at,
            // Separate accumulation: the accumulator stays out of the window.
            Acc::Float(_) => Term::ZERO,
            _ => {
                // Inf or NaN: the general steps.
                let (sum, cut) = self.window_sum_pair(ops, g, pk.w as u32, acc, pk.fused, pt);
                if let Some(cut) = cut {
                    self.fold(acc, sum, cut, pk.fused);
                }
                return;
            }
        };
        let acc_e = if at.is_zero() {
            i32::MIN
        } else {
            at.top().max(pk.acc_min)
        };
        let emax = match bmax {
            0 => i32::MIN,
            _ => bmax as i32 - PAIR_BIAS + se,
        }
        .max(acc_e);
        if emax == i32::MIN {
            return;
        }
        let cut = emax.max(pk.align_min) - pk.w;
        let base = cut - se + pk.m_all + PAIR_BIAS + pk.l as i32;
        let mut s = 0i64;
        // base - bmax >= m_all - w + l >= 0; at 64 or more every product is cut to zero.
        if bmax != 0 && base - (bmax as i32) < 64 {
            let mul = ssig << pk.l;
            s = if self.pair32 || mul >> 32 == 0 {
                self.cut_sum_simd(buf, nb, base as u32, pk.l, mul)
            } else {
                cut_sum::<false, true>(&buf[..nb], base as u32, mul)
            };
        }
        if !at.is_zero() {
            // The accumulator cut like a product: its top is at most emax, so it is below
            // 2^(w + 1) at the cut.
            let sh = cut - at.lsb;
            let mag = if sh <= 0 {
                (at.sig as u64) << -sh
            } else {
                (at.sig as u64).checked_shr(sh as u32).unwrap_or(0)
            } as i64;
            s += if at.neg { -mag } else { mag };
        }
        if pk.fused {
            if let Some(v) = round_normal(s, cut, &pk.t, pk.mode) {
                *acc = Acc::Float(v);
                return;
            }
        }
        self.fold(acc, s as i128, cut, pk.fused);
    }

    /// The groups of the dot product, in evaluation order.
    #[inline(always)]
    fn groups(&self, k: usize, mut f: impl FnMut(GroupIdx)) {
        let n = &self.numerics;
        let group = if n.group == 0 { k.max(1) } else { n.group };
        match n.group_layout {
            GroupLayout::Contiguous => {
                let mut s = 0;
                while s < k {
                    let end = (s + group).min(k);
                    f(GroupIdx {
                        start: s,
                        end,
                        chunk: end - s,
                        stride: end - s,
                    });
                    s = end;
                }
            }
            GroupLayout::Interleaved { ways, span, chunk } => {
                let mut s = 0;
                while s < k {
                    let end = (s + span).min(k);
                    for w in 0..ways {
                        f(GroupIdx {
                            start: s + w * chunk,
                            end,
                            chunk,
                            stride: ways * chunk,
                        });
                    }
                    s = end;
                }
            }
        }
    }

    pub(super) fn hw_dot<T: Trace>(&self, ops: &Operands, tr: &mut T) -> Out {
        #[cfg(target_arch = "x86_64")]
        if self.simd && !T::ACTIVE {
            // SAFETY: `self.simd` is set only where the CPU has AVX2 (`Dot::new`).
            return unsafe { self.hw_dot_avx2(ops) };
        }
        self.hw_dot_body(ops, tr)
    }

    /// [`Dot::hw_dot_body`] compiled for AVX2, the SIMD group kernels inlined into it.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn hw_dot_avx2(&self, ops: &Operands) -> Out {
        self.hw_dot_body(ops, &mut NoTrace)
    }

    /// The whole evaluation: groups, promotion, output rounding, C at the end.
    #[inline(always)]
    fn hw_dot_body<T: Trace>(&self, ops: &Operands, tr: &mut T) -> Out {
        let n = &self.numerics;
        let k = ops.a.len();
        let c = decode_f32(ops.c);
        let c_acc = if c.class == Class::Finite {
            Acc::Float(Term {
                neg: c.neg,
                sig: c.sig as u128,
                lsb: c.exp,
            })
        } else {
            Acc::Float(Term::ZERO)
        };
        let fresh = || match self.acc {
            Some(_) => Acc::Float(Term::ZERO),
            None => Acc::Exact(Small::default()),
        };
        let c_in = n.c_entry == CEntry::Accumulator;
        // With promotion, C starts the outer FP32 sum; otherwise the accumulator.
        let mut outer = if c_in {
            c_acc.clone()
        } else {
            Acc::Float(Term::ZERO)
        };
        let mut acc = match (n.promote, c_in, &self.acc) {
            (None, true, Some(_)) => c_acc.clone(),
            (None, true, None) => {
                let mut s = Small::default();
                if let Acc::Float(t) = &c_acc {
                    s.add_term(*t);
                }
                Acc::Exact(s)
            }
            _ => fresh(),
        };
        let mut done = 0usize;
        let mut since = 0usize;
        let promote = |acc: &mut Acc, outer: &mut Acc, block: usize, tr: &mut T| {
            let p = n.promote.expect("promotion configured");
            // The common case straight: normal FP32 values, power-of-two scales (exact), RNE.
            if let (false, Round::Rne, Acc::Float(x), Acc::Float(y)) =
                (self.force_generic, p.round, &*outer, &*acc)
            {
                let d = match n.scale {
                    ScaleApply::Promote => self.pow2_scale(ops, block),
                    _ => Some(0),
                };
                let sum = d.and_then(|d| {
                    let y = Term {
                        lsb: y.lsb + d,
                        ..*y
                    };
                    add_fp32_rne(x, &y).and_then(fp32_normal_term)
                });
                if let Some(v) = sum {
                    *outer = Acc::Float(v);
                    *acc = fresh();
                    tr.step(|| Step::Promote {
                        block,
                        value: AccValue::of(outer),
                    });
                    return;
                }
            }
            let mut v = std::mem::replace(acc, fresh());
            if n.scale == ScaleApply::Promote {
                v = self.scale_fp32(ops, block, v);
            }
            *outer = match (&*outer, &v) {
                (Acc::Float(x), Acc::Float(y)) if !self.force_generic => {
                    add_near(x, y, &Target::FP32, p.round).map_or_else(
                        || add_to(outer, &v, &Target::FP32, p.round, true),
                        Acc::Float,
                    )
                }
                _ => add_to(outer, &v, &Target::FP32, p.round, true),
            };
            tr.step(|| Step::Promote {
                block,
                value: AccValue::of(outer),
            });
        };
        let mut gi = 0;
        // After each group: promotion every `p.every` products.
        let mut after = |g: &GroupIdx, acc: &mut Acc, outer: &mut Acc, tr: &mut T| {
            if let Some(p) = n.promote {
                let len = g.len();
                done += len;
                since += len;
                if since >= p.every {
                    promote(acc, outer, (done - 1) / self.spec.block, tr);
                    since = 0;
                }
            }
        };
        // The pair-table path, its steps inlined here (see `group`).
        let pair = match (T::ACTIVE, self.pair, &n.join, n.window_bits) {
            (false, Some(pt), None, Some(w)) => Some((pt, w)),
            _ => None,
        };
        let fused = n.accumulate == Accumulate::Fused;
        if let (Some((pt, w)), true) = (
            pair,
            self.simd
                && n.shifted_out == ShiftedOut::Truncate
                && self.acc.is_some_and(|t| t.man_bits <= 62),
        ) {
            self.pair_fused(ops, pt, w, &mut acc, |g, acc| after(g, acc, &mut outer, tr));
        } else {
            self.groups(k, |g| {
                match pair {
                    Some((pt, w)) => {
                        let (sum, cut) = self.window_sum_pair(ops, &g, w, &acc, fused, pt);
                        if let Some(cut) = cut {
                            self.fold(&mut acc, sum, cut, fused);
                        }
                    }
                    None => self.group(ops, &g, &mut acc, gi, tr),
                }
                gi += 1;
                after(&g, &mut acc, &mut outer, tr);
            });
        }
        let total = if n.promote.is_some() {
            if since > 0 {
                promote(&mut acc, &mut outer, (k.max(1) - 1) / self.spec.block, tr);
            }
            outer
        } else {
            acc
        };
        // Round to the output format, then add C there if it enters at the end.
        let mode = n.output.round;
        // The accumulator holds values of the output format, unless it still holds a C that
        // no group has rounded (C starting it, every product zero): then C must be one too.
        let holds = self.out_holds_total
            && !self.force_generic
            && (!c_in || n.promote.is_some() || self.out_has(ops.c));
        let mut r = match total {
            // `acc_zero_sign = keep`: a zero the accumulator's rounding produced is its own
            // output rounding, with its sign (IEEE FMA, AMD's float64 -> float32 step).
            Acc::Float(t) if t.is_zero() && n.acc_zero_sign == AccZeroSign::Keep => Acc::Float(t),
            // Already a value of the output format: rounding it changes nothing, and adding
            // +0 turns a zero into +0.
            Acc::Float(t) if holds => Acc::Float(if t.is_zero() { Term::ZERO } else { t }),
            Acc::Inf(_) | Acc::Nan if holds => total,
            _ => add_to(
                &total,
                &Acc::Float(Term::ZERO),
                &self.out,
                mode,
                n.output.subnormals,
            ),
        };
        tr.step(|| Step::Output {
            value: AccValue::of(&r),
        });
        if !c_in {
            r = match (&r, &c_acc) {
                // Two values of <= 32 bits close enough in exponent: their exact sum is an
                // i64, rounded directly when it lands in the normal range.
                (Acc::Float(x), Acc::Float(y)) if !self.force_generic => {
                    let fp32 = (mode == Round::Rne && self.out == Target::FP32)
                        .then(|| add_fp32_rne(x, y).and_then(fp32_normal_term))
                        .flatten();
                    fp32.or_else(|| add_near(x, y, &self.out, mode))
                        .map_or_else(
                            || add_to(&r, &c_acc, &self.out, mode, n.output.subnormals),
                            Acc::Float,
                        )
                }
                _ => add_to(&r, &c_acc, &self.out, mode, n.output.subnormals),
            };
            tr.step(|| Step::AddC {
                value: AccValue::of(&r),
            });
        }
        match r {
            Acc::Nan => Out::Bits(n.nan_bits),
            Acc::Inf(neg) => Out::Bits(if neg { 0xff80_0000 } else { 0x7f80_0000 }),
            // A value that rounded to zero keeps its sign; an exact zero takes the rule.
            Acc::Float(t) if t.is_zero() && t.neg => Out::Bits(0x8000_0000),
            Acc::Float(t) if t.is_zero() => Out::Zero,
            // A value of the output format, which FP32 holds (validated): encode it as is.
            Acc::Float(t) if !self.force_generic => Out::Bits(f32_exact(t)),
            Acc::Float(t) => {
                let raw = Raw {
                    sig: t.sig,
                    exp: t.lsb,
                    sticky: false,
                };
                Out::Bits(pack(
                    t.neg,
                    round::round(t.neg, raw, &self.out, Round::Rne),
                    &self.out,
                    n.output.subnormals,
                ))
            }
            Acc::Exact(_) => unreachable!("add_to returns rounded values"),
        }
    }

    /// Whether FP32 bits `c` (finite) are zero or a normal value of the output format.
    fn out_has(&self, c: u32) -> bool {
        let t = &self.out;
        let (e, frac) = (((c >> 23) & 0xff) as i32 - 127, c & 0x7f_ffff);
        if c & 0x7fff_ffff == 0 {
            return true;
        }
        let sig = ((frac | 0x80_0000) >> (23 - t.man_bits)) as u64;
        e >= t.emin
            && e <= t.emax
            && frac & ((1 << (23 - t.man_bits)) - 1) == 0
            && (e < t.emax || sig <= t.max_sig)
    }

    /// The exponent a block's scale product adds when that product is a power of two
    /// (E8M0 scales always), else `None`.
    #[inline(always)]
    fn pow2_scale(&self, ops: &Operands, block: usize) -> Option<i32> {
        let (xa, xb) = (self.ts.get(ops.sa[block]), self.ts.get(ops.sb[block]));
        let ps = xa.sig as u64 * xb.sig as u64;
        ps.is_power_of_two()
            .then(|| scale_lsb(self.ts, xa) + scale_lsb(self.ts, xb) + ps.trailing_zeros() as i32)
    }

    /// A promoted partial sum times its block's scales, rounded to FP32 (RNE).
    fn scale_fp32(&self, ops: &Operands, block: usize, v: Acc) -> Acc {
        let Acc::Float(t) = v else { return v };
        if t.is_zero() {
            return v;
        }
        let (xa, xb) = (self.ts.get(ops.sa[block]), self.ts.get(ops.sb[block]));
        let sig = t.sig * (xa.sig as u128 * xb.sig as u128);
        if sig == 0 {
            return Acc::Float(Term::ZERO);
        }
        let lsb = t.lsb + scale_lsb(self.ts, xa) + scale_lsb(self.ts, xb);
        if let (false, Ok(s)) = (self.force_generic, i64::try_from(sig)) {
            if let Some(v) =
                round_normal(if t.neg { -s } else { s }, lsb, &Target::FP32, Round::Rne)
            {
                return Acc::Float(v);
            }
        }
        let r = round::round(
            t.neg,
            Raw {
                sig,
                exp: lsb,
                sticky: false,
            },
            &Target::FP32,
            Round::Rne,
        );
        to_acc(t.neg, r, &Target::FP32, true)
    }
}

#[cfg(test)]
mod tests_arith;
#[cfg(test)]
mod tests_pair;
#[cfg(test)]
mod tests_walk;
