//! Independent slow references for the dot product (TestFloat's `slowfloat` idea): their own
//! decoding from the bit fields, exact rational arithmetic on big integers, their own
//! rounding. Nothing here calls the model's decode, rounding, accumulators or engine.
//!
//! [`reference`] is the `exact` semantics (spec/numerics.md section 2); [`general`] follows
//! the hardware-numerics parameters of spec/numerics.md section 3 step by step, for any
//! preset.

use mxref_model::dot::DotSpec;
use mxref_model::numerics::{
    AccZeroSign, Accumulate, Align, CEntry, GroupLayout, JoinCut, Numerics, ScaleApply, ShiftedOut,
    ZeroSign,
};
use mxref_model::{FormatId, Round};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};

/// A value of the reference: NaN, signed Inf, or `num * 2^exp` with a sign for zero.
#[derive(Clone, Debug)]
pub enum RV {
    Nan,
    Inf(bool),
    Num {
        num: BigInt,
        exp: i64,
        neg_zero: bool,
    },
}

/// (exp bits, man bits, bias, signed, specials) written out from the OCP v1.0 tables;
/// specials: 0 none, 1 all-ones NaN only, 2 IEEE.
pub fn fields(name: &str) -> (u32, u32, i64, bool, u8) {
    match name {
        "e4m3" => (4, 3, 7, true, 1),
        "e5m2" => (5, 2, 15, true, 2),
        "e2m3" => (2, 3, 1, true, 0),
        "e3m2" => (3, 2, 3, true, 0),
        "e2m1" => (2, 1, 1, true, 0),
        "ue4m3" => (4, 3, 7, false, 1),
        "ue5m3" => (5, 3, 15, false, 1),
        // Wide inputs of non-MX tensor-core paths (IEEE 754 layouts; TF32 as a 19-bit code).
        "fp16" => (5, 10, 15, true, 2),
        "bf16" => (8, 7, 127, true, 2),
        "tf32" => (8, 10, 127, true, 2),
        "fp32" => (8, 23, 127, true, 2),
        // FNUZ FP8 (AMD CDNA3): bias one more than OCP's; 0x80 the one NaN (specials 3).
        "e4m3fnuz" => (4, 3, 8, true, 3),
        "e5m2fnuz" => (5, 2, 16, true, 3),
        _ => unreachable!(),
    }
}

pub fn decode(name: &str, code: u32) -> RV {
    match name {
        "int8" => {
            let v = code as u8 as i8 as i64;
            return RV::Num {
                num: BigInt::from(v),
                exp: -6,
                neg_zero: false,
            };
        }
        "e8m0" => {
            return if code == 255 {
                RV::Nan
            } else {
                RV::Num {
                    num: BigInt::one(),
                    exp: code as i64 - 127,
                    neg_zero: false,
                }
            };
        }
        _ => {}
    }
    let (eb, mb, bias, signed, sp) = fields(name);
    let neg = signed && (code >> (eb + mb)) & 1 == 1;
    let e = ((code >> mb) & ((1 << eb) - 1)) as i64;
    let m = (code & ((1 << mb) - 1)) as i64;
    let emax_field = (1i64 << eb) - 1;
    if sp == 2 && e == emax_field {
        return if m == 0 { RV::Inf(neg) } else { RV::Nan };
    }
    if sp == 1 && e == emax_field && m == (1 << mb) - 1 {
        return RV::Nan;
    }
    if sp == 3 && code == 1 << (eb + mb) {
        return RV::Nan;
    }
    let (sig, ex) = if e == 0 {
        (m, 1 - bias - mb as i64)
    } else {
        (m + (1 << mb), e - bias - mb as i64)
    };
    let num = if neg {
        -BigInt::from(sig)
    } else {
        BigInt::from(sig)
    };
    RV::Num {
        num,
        exp: ex,
        neg_zero: neg && sig == 0,
    }
}

pub fn decode_f32(bits: u32) -> RV {
    let neg = bits >> 31 == 1;
    let e = ((bits >> 23) & 0xff) as i64;
    let m = (bits & 0x7f_ffff) as i64;
    if e == 255 {
        return if m == 0 { RV::Inf(neg) } else { RV::Nan };
    }
    let (sig, ex) = if e == 0 {
        (m, -149)
    } else {
        (m + (1 << 23), e - 150)
    };
    let num = if neg {
        -BigInt::from(sig)
    } else {
        BigInt::from(sig)
    };
    RV::Num {
        num,
        exp: ex,
        neg_zero: neg && sig == 0,
    }
}

pub fn mul(a: &RV, b: &RV) -> RV {
    match (a, b) {
        (RV::Nan, _) | (_, RV::Nan) => RV::Nan,
        (RV::Inf(x), RV::Inf(y)) => RV::Inf(x ^ y),
        (RV::Inf(x), RV::Num { num, neg_zero, .. })
        | (RV::Num { num, neg_zero, .. }, RV::Inf(x)) => {
            if num.is_zero() {
                RV::Nan
            } else {
                RV::Inf(x ^ (num.is_negative() || *neg_zero))
            }
        }
        (
            RV::Num {
                num: n1,
                exp: e1,
                neg_zero: z1,
            },
            RV::Num {
                num: n2,
                exp: e2,
                neg_zero: z2,
            },
        ) => {
            let num = n1 * n2;
            // Sign of a zero product: XOR of the factors' signs.
            let s1 = n1.is_negative() || *z1;
            let s2 = n2.is_negative() || *z2;
            let neg_zero = num.is_zero() && (s1 ^ s2);
            RV::Num {
                num,
                exp: e1 + e2,
                neg_zero,
            }
        }
    }
}

/// Round `num * 2^exp` (non-zero) to FP32 bits with RNE.
pub fn round_f32(num: &BigInt, exp: i64) -> u32 {
    let neg = num.is_negative();
    let mag = num.abs();
    let len = mag.bits() as i64;
    let top = exp + len - 1;
    let q = top.max(-126) - 23;
    let mut sig: BigInt;
    let mut q2 = q;
    if q <= exp {
        sig = &mag << (exp - q) as usize;
    } else {
        let sh = (q - exp) as usize;
        sig = &mag >> sh;
        let rem = &mag - (&sig << sh);
        let half = BigInt::one() << (sh - 1);
        if rem > half || (rem == half && (&sig & BigInt::one()) == BigInt::one()) {
            sig += 1;
        }
    }
    if sig == (BigInt::one() << 24) {
        sig = BigInt::one() << 23;
        q2 += 1;
    }
    let s = (neg as u32) << 31;
    if q2 + 23 > 127 {
        return s | 0x7f80_0000;
    }
    let sig: u32 = sig.try_into().unwrap();
    if sig < 1 << 23 {
        s | sig
    } else {
        s | (((q2 + 23 + 127) as u32) << 23) | (sig - (1 << 23))
    }
}

pub fn name(id: FormatId) -> &'static str {
    id.format().name
}

/// The reference dot product.
pub fn reference(spec: &DotSpec, a: &[u32], b: &[u32], sa: &[u32], sb: &[u32], c: u32) -> u32 {
    let mut terms = vec![decode_f32(c)];
    for i in 0..a.len() {
        let k = i / spec.block;
        let p = mul(
            &decode(name(spec.a_fmt), a[i]),
            &decode(name(spec.b_fmt), b[i]),
        );
        let s = mul(
            &decode(name(spec.scale_fmt), sa[k]),
            &decode(name(spec.scale_fmt), sb[k]),
        );
        terms.push(mul(&p, &s));
    }
    let (mut pinf, mut ninf) = (false, false);
    for t in &terms {
        match t {
            RV::Nan => return 0x7fc0_0000,
            RV::Inf(true) => ninf = true,
            RV::Inf(false) => pinf = true,
            _ => {}
        }
    }
    match (pinf, ninf) {
        (true, true) => return 0x7fc0_0000,
        (true, false) => return 0x7f80_0000,
        (false, true) => return 0xff80_0000,
        _ => {}
    }
    let min_exp = terms
        .iter()
        .map(|t| if let RV::Num { exp, .. } = t { *exp } else { 0 })
        .min()
        .unwrap();
    let mut sum = BigInt::zero();
    let mut all_neg_zero = true;
    for t in &terms {
        if let RV::Num { num, exp, neg_zero } = t {
            sum += num << (exp - min_exp) as usize;
            all_neg_zero &= *neg_zero;
        }
    }
    if sum.is_zero() {
        return if all_neg_zero { 0x8000_0000 } else { 0 };
    }
    round_f32(&sum, min_exp)
}

/// An exact dyadic rational `n * 2^e`.
#[derive(Clone, Debug)]
pub struct Q {
    pub n: BigInt,
    pub e: i64,
}

impl Q {
    pub fn zero() -> Q {
        Q {
            n: BigInt::zero(),
            e: 0,
        }
    }
    fn is_zero(&self) -> bool {
        self.n.is_zero()
    }
    fn neg(&self) -> bool {
        self.n.is_negative()
    }
    /// Exponent of the leading bit (non-zero only).
    fn top(&self) -> i64 {
        self.e + self.n.abs().bits() as i64 - 1
    }
    fn add(&self, o: &Q) -> Q {
        if self.is_zero() {
            return o.clone();
        }
        if o.is_zero() {
            return self.clone();
        }
        let e = self.e.min(o.e);
        Q {
            n: (&self.n << (self.e - e) as usize) + (&o.n << (o.e - e) as usize),
            e,
        }
    }
    fn mul(&self, o: &Q) -> Q {
        Q {
            n: &self.n * &o.n,
            e: self.e + o.e,
        }
    }
}

/// A code decoded for alignment: `(-1)^neg * sig * 2^(enom - man)`, `enom` the nominal
/// exponent (field minus bias; subnormals at the minimum exponent; INT8 at 1; E8M0 at code-127).
#[derive(Clone, Copy, Debug)]
struct Dec {
    neg: bool,
    sig: i64,
    enom: i64,
    man: i64,
    subnormal: bool,
}

/// `d` re-expressed exactly in format `to` (`Numerics::input_format`): the same value with
/// `to`'s fraction width and an exponent no lower than `to`'s emin.
fn convert(d: Dec, to: &str) -> Dec {
    if d.sig == 0 {
        return d;
    }
    let (_, mb, bias, _, _) = fields(to);
    let lsb = d.enom - d.man;
    let lead = lsb + 63 - d.sig.leading_zeros() as i64;
    let enom = lead.max(1 - bias);
    let sh = lsb - (enom - mb as i64);
    assert!((0..40).contains(&sh), "{to} holds the value exactly");
    let sig = d.sig << sh;
    Dec {
        neg: d.neg,
        sig,
        enom,
        man: mb as i64,
        subnormal: sig >> mb == 0,
    }
}

fn dec(name: &str, code: u32) -> Dec {
    match name {
        "int8" => {
            let v = code as u8 as i8 as i64;
            return Dec {
                neg: v < 0,
                sig: v.abs(),
                enom: 1,
                man: 7,
                subnormal: false,
            };
        }
        "e8m0" => {
            return Dec {
                neg: false,
                sig: 1,
                enom: code as i64 - 127,
                man: 0,
                subnormal: false,
            }
        }
        _ => {}
    }
    let (eb, mb, bias, signed, _) = fields(name);
    let neg = signed && (code >> (eb + mb)) & 1 == 1;
    let e = ((code >> mb) & ((1 << eb) - 1)) as i64;
    let m = (code & ((1 << mb) - 1)) as i64;
    let (sig, enom) = if e == 0 {
        (m, 1 - bias)
    } else {
        (m + (1 << mb), e - bias)
    };
    Dec {
        neg,
        sig,
        enom,
        man: mb as i64,
        subnormal: e == 0 && m != 0,
    }
}

/// A state of an accumulator: finite (possibly zero), Inf or NaN.
#[derive(Clone, Debug)]
enum St {
    Fin(Q),
    Inf(bool),
    Nan,
}

/// `x` rounded into an IEEE-like format of `man` fraction bits and `exp_bits` exponent bits
/// in direction `mode`. Subnormals are rounded on their grid and, without `subnormals`, then
/// flushed to zero. A rounded magnitude beyond the largest finite value is Inf in every
/// direction (spec/numerics.md: an overflowing accumulator becomes ±Inf).
fn round_into(x: &Q, man: u32, exp_bits: u32, mode: Round, subnormals: bool) -> St {
    if x.is_zero() {
        return St::Fin(Q::zero());
    }
    let neg = x.neg();
    let bias = (1i64 << (exp_bits - 1)) - 1;
    let (emin, emax) = (1 - bias, bias);
    let q = x.top().max(emin) - man as i64;
    let mag = x.n.abs();
    let mut kept = if q <= x.e {
        &mag << (x.e - q) as usize
    } else {
        let s = (q - x.e) as usize;
        let kept = &mag >> s;
        let rem = &mag - (&kept << s);
        let half = BigInt::one() << (s - 1);
        let odd = (&kept & BigInt::one()).is_one();
        let inexact = !rem.is_zero();
        let up = match mode {
            Round::Rne => rem > half || (rem == half && odd),
            Round::Rna => rem >= half,
            Round::Rz | Round::Odd => false,
            Round::Up => inexact && !neg,
            Round::Down => inexact && neg,
        };
        let mut k = kept + if up { 1 } else { 0 };
        if mode == Round::Odd && inexact {
            k |= BigInt::one();
        }
        k
    };
    // Overflow: kept * 2^q > (2^(man+1) - 1) * 2^(emax - man).
    let maxsig = (BigInt::one() << (man + 1)) - 1;
    let d = q - (emax - man as i64);
    let over = if d >= 0 {
        (&kept << d as usize) > maxsig
    } else {
        kept > (maxsig << (-d) as usize)
    };
    if over {
        return St::Inf(neg);
    }
    let lhs_top = if kept.is_zero() {
        i64::MIN
    } else {
        kept.bits() as i64 - 1 + q
    };
    if !subnormals && lhs_top < emin {
        kept = BigInt::zero();
    }
    St::Fin(Q {
        n: if neg { -kept } else { kept },
        e: q,
    })
}

/// `a + b` rounded into a format (Inf and NaN propagate; +Inf + -Inf is NaN).
fn add_into(a: &St, b: &St, f: (u32, u32, Round, bool)) -> St {
    match (a, b) {
        (St::Nan, _) | (_, St::Nan) => St::Nan,
        (St::Inf(x), St::Inf(y)) if x != y => St::Nan,
        (St::Inf(x), _) | (_, St::Inf(x)) => St::Inf(*x),
        (St::Fin(x), St::Fin(y)) => round_into(&x.add(y), f.0, f.1, f.2, f.3),
    }
}

/// FP32 bits of a finite value exactly representable in FP32 (zero: +0).
fn pack32(v: &Q) -> u32 {
    if v.is_zero() {
        return 0;
    }
    let s = (v.neg() as u32) << 31;
    let mag = v.n.abs();
    let top = v.top();
    let unit = if top < -126 { -149 } else { top - 23 };
    if v.e < unit {
        let mask: BigInt = (BigInt::one() << (unit - v.e) as usize) - 1;
        assert!((&mag & mask).is_zero(), "not an FP32 value");
    }
    let m: u64 = if v.e <= unit {
        (mag >> (unit - v.e) as usize).try_into().unwrap()
    } else {
        (mag << (v.e - unit) as usize).try_into().unwrap()
    };
    if top < -126 {
        s | m as u32
    } else {
        s | (((top + 127) as u32) << 23) | (m as u32 & 0x7f_ffff)
    }
}

/// The products of each group, in evaluation order (spec/numerics.md, `group_layout`).
fn groups(n: &Numerics, k: usize) -> Vec<Vec<usize>> {
    let g = if n.group == 0 { k.max(1) } else { n.group };
    let mut out = vec![];
    match n.group_layout {
        GroupLayout::Contiguous => {
            let mut s = 0;
            while s < k {
                out.push((s..(s + g).min(k)).collect());
                s += g;
            }
        }
        GroupLayout::Interleaved { ways, span, chunk } => {
            let mut s = 0;
            while s < k {
                let end = (s + span).min(k);
                for w in 0..ways {
                    out.push((s..end).filter(|i| ((i - s) / chunk) % ways == w).collect());
                }
                s = end;
            }
        }
    }
    out
}

/// `q` as a multiple of `2^cut`: floor (toward -Inf), truncation (toward zero) or RNE.
fn cut_q(q: &Q, cut: i64, mode: JoinCut) -> Q {
    if q.e >= cut {
        return q.clone();
    }
    let s = (cut - q.e) as usize;
    let mag = q.n.abs();
    let kept = &mag >> s;
    let exact = (&kept << s) == mag;
    let m = match mode {
        JoinCut::Truncate => kept,
        JoinCut::Floor if q.neg() && !exact => kept + 1,
        JoinCut::Floor => kept,
        JoinCut::Rne => {
            let rem = &mag - (&kept << s);
            let half = BigInt::one() << (s - 1);
            if rem > half || (rem == half && (&kept & BigInt::one()).is_one()) {
                kept + 1
            } else {
                kept
            }
        }
    };
    Q {
        n: if q.neg() { -m } else { m },
        e: cut,
    }
}

/// The hardware-numerics dot product of spec/numerics.md section 3, computed step by step on
/// exact rationals. Specials (section 2) are decided first by [`reference`]'s rules.
pub fn general(
    n: &Numerics,
    spec: &DotSpec,
    a: &[u32],
    b: &[u32],
    sa: &[u32],
    sb: &[u32],
    c: u32,
) -> u32 {
    let bs = spec.block;
    let k = a.len();
    let (an, bn, sn) = (name(spec.a_fmt), name(spec.b_fmt), name(spec.scale_fmt));
    // Specials: the exact reference's rules decide NaN and Inf; only the NaN pattern differs.
    let ex = reference(spec, a, b, sa, sb, c);
    if ex & 0x7f80_0000 == 0x7f80_0000 && ex & 0x7f_ffff != 0 {
        return n.nan_bits;
    }
    let specials = (0..k).any(|i| {
        let bad = |r: RV| !matches!(r, RV::Num { .. });
        bad(decode(an, a[i])) || bad(decode(bn, b[i]))
    }) || (0..sa.len()).any(|j| {
        !matches!(decode(sn, sa[j]), RV::Num { .. }) || !matches!(decode(sn, sb[j]), RV::Num { .. })
    }) || !matches!(decode_f32(c), RV::Num { .. });
    if specials {
        // An Inf (NaN returned above). An accumulator that the groups before the first Inf
        // product overflowed to the opposite Inf, or made NaN, meets it: NaN (chained
        // instructions).
        let plain = n.promote.is_none()
            && n.c_entry == CEntry::Accumulator
            && n.group != 0
            && n.group_layout == GroupLayout::Contiguous
            && n.acc.man_bits.is_some()
            && n.acc == n.output
            && matches!(decode_f32(c), RV::Num { .. });
        let is_inf = |r: RV| matches!(r, RV::Inf(_));
        let first = (0..k).find(|&i| is_inf(decode(an, a[i])) || is_inf(decode(bn, b[i])));
        if let (true, Some(i)) = (plain, first) {
            let p = i / n.group * n.group;
            if p > 0 {
                let pre = general(n, spec, &a[..p], &b[..p], sa, sb, c);
                // Overflowed to the opposite Inf, or already NaN (a group whose products
                // overflowed both ways): an Inf or NaN accumulator is kept (spec/numerics.md).
                let nan = pre & 0x7f80_0000 == 0x7f80_0000 && pre & 0x7f_ffff != 0;
                if nan || (pre & 0x7fff_ffff == 0x7f80_0000 && (pre ^ ex) >> 31 == 1) {
                    return n.nan_bits;
                }
            }
        }
        return ex;
    }
    let flush = n.flush_subnormal_inputs;
    let cq = match decode_f32(c) {
        RV::Num { num, exp, .. } => Q { n: num, e: exp },
        _ => unreachable!(),
    };
    // One product, unscaled or scaled, as (value, nominal exponent); None when zero.
    let input = |d: Dec| match n.input_format {
        Some(f) => convert(d, f.format().name),
        None => d,
    };
    let product = |i: usize, scaled: bool| -> Option<(Q, i64)> {
        let (x, y) = (input(dec(an, a[i])), input(dec(bn, b[i])));
        if x.sig == 0 || y.sig == 0 || (flush && (x.subnormal || y.subnormal)) {
            return None;
        }
        let mut sig = BigInt::from(x.sig) * y.sig;
        let mut e = x.enom + y.enom;
        let mut man = x.man + y.man;
        if scaled {
            let (s, t) = (dec(sn, sa[i / bs]), dec(sn, sb[i / bs]));
            if s.sig == 0 || t.sig == 0 {
                return None;
            }
            sig *= BigInt::from(s.sig) * t.sig;
            e += s.enom + t.enom;
            man += s.man + t.man;
        }
        let neg = x.neg ^ y.neg;
        Some((
            Q {
                n: if neg { -sig } else { sig },
                e: e - man,
            },
            e,
        ))
    };
    let scale_of = |blk: usize| -> Q {
        let (s, t) = (dec(sn, sa[blk]), dec(sn, sb[blk]));
        Q {
            n: BigInt::from(s.sig * t.sig),
            e: s.enom - s.man + t.enom - t.man,
        }
    };
    // The non-zero terms of a group with their alignment exponents.
    let terms = |g: &[usize]| -> Vec<(Q, i64)> {
        let mut v = vec![];
        match n.scale {
            ScaleApply::Product | ScaleApply::Promote => {
                for &i in g {
                    if let Some((q, enom)) = product(i, n.scale == ScaleApply::Product) {
                        let e = match n.align {
                            Align::Nominal => enom,
                            Align::Leading => q.top(),
                        };
                        v.push((q, e));
                    }
                }
            }
            ScaleApply::BlockSum => {
                // Chunks of `block_sum_chunk` products (default: the block) inside one block.
                let cs = n.block_sum_chunk.unwrap_or(bs);
                let mut j = 0;
                while j < g.len() {
                    let (blk, chunk) = (g[j] / bs, g[j] / cs);
                    let mut s = Q::zero();
                    while j < g.len() && g[j] / cs == chunk {
                        if let Some((q, _)) = product(g[j], false) {
                            s = s.add(&q);
                        }
                        j += 1;
                    }
                    let t = s.mul(&scale_of(blk));
                    if !t.is_zero() {
                        // Nominal: placed by the two scales' nominal exponents alone.
                        let e = match n.align {
                            Align::Nominal => dec(sn, sa[blk]).enom + dec(sn, sb[blk]).enom,
                            Align::Leading => t.top(),
                        };
                        v.push((t, e));
                    }
                }
            }
        }
        v
    };
    let acc_fmt = n
        .acc
        .man_bits
        .map(|m| (m, n.acc.exp_bits, n.acc.round, n.acc.subnormals));
    let c_in = n.c_entry == CEntry::Accumulator;
    // The accumulator: None while exact (an exact accumulator is a plain rational).
    let mut acc = if n.promote.is_none() && c_in {
        St::Fin(cq.clone())
    } else {
        St::Fin(Q::zero())
    };
    let mut outer = if c_in {
        St::Fin(cq.clone())
    } else {
        St::Fin(Q::zero())
    };
    let fp32 = |r: Round| (23u32, 8u32, r, true);
    let round_acc = |x: &Q| match acc_fmt {
        None => St::Fin(x.clone()),
        Some(f) => round_into(x, f.0, f.1, f.2, f.3),
    };
    let promote_now = |acc: &mut St, outer: &mut St, blk: usize| {
        let p = n.promote.expect("promotion configured");
        let mut v = std::mem::replace(acc, St::Fin(Q::zero()));
        if n.scale == ScaleApply::Promote {
            if let St::Fin(t) = &v {
                v = round_into(&t.mul(&scale_of(blk)), 23, 8, Round::Rne, true);
            }
        }
        *outer = add_into(outer, &v, fp32(p.round));
    };
    let (mut done, mut since) = (0usize, 0usize);
    // The exact value the last accumulator rounding took (for `acc_zero_sign = keep`).
    let mut last_acc: Option<Q> = None;
    for g in groups(n, k) {
        let ts = terms(&g);
        match n.window_bits {
            None => {
                let mut s = Q::zero();
                for (q, _) in &ts {
                    s = s.add(q);
                }
                if let St::Fin(a) = &acc {
                    last_acc = Some(a.add(&s));
                    acc = round_acc(&a.add(&s));
                }
            }
            Some(w) if n.join.is_some() => 'join: {
                let j = n.join.unwrap();
                let St::Fin(a) = acc.clone() else {
                    break 'join; // an Inf or NaN accumulator stays as it is
                };
                // Lanes: position p of the group goes to lane p % lanes.
                let lanes: Vec<Vec<(Q, i64)>> = (0..j.lanes)
                    .map(|l| {
                        let idx: Vec<usize> = g
                            .iter()
                            .copied()
                            .enumerate()
                            .filter(|(p, _)| p % j.lanes == l)
                            .map(|(_, i)| i)
                            .collect();
                        terms(&idx)
                    })
                    .collect();
                let over = |neg: bool| {
                    lanes.iter().flatten().any(|(q, _)| {
                        j.product_inf_exp.is_some_and(|x| q.top() >= x as i64) && q.neg() == neg
                    })
                };
                let (pi, ni) = (over(false), over(true));
                if pi || ni {
                    acc = if pi && ni { St::Nan } else { St::Inf(ni) };
                    break 'join;
                }
                let first = match n.shifted_out {
                    ShiftedOut::Truncate => JoinCut::Truncate,
                    ShiftedOut::Rne => JoinCut::Rne,
                };
                let mut sums: Vec<(Q, i64)> = vec![];
                for lt in &lanes {
                    if let Some(e) = lt.iter().map(|t| t.1).max() {
                        let mut s = Q::zero();
                        for (q, _) in lt {
                            s = s.add(&cut_q(q, e - w as i64, first));
                        }
                        sums.push((s, e));
                    }
                }
                let eg = sums.iter().map(|t| t.1).max();
                let gsum = match (eg, j.lane_window) {
                    (Some(e), Some(lw)) if j.lanes > 1 => {
                        let mut s = Q::zero();
                        for (q, _) in &sums {
                            s = s.add(&cut_q(q, e - lw as i64, j.shifted_out));
                        }
                        s
                    }
                    (Some(_), _) => sums[0].0.clone(),
                    (None, _) => Q::zero(),
                };
                let emin = acc_fmt.map_or(i64::MIN, |f| 2 - (1i64 << (f.1 - 1)));
                let ea = (!a.is_zero()).then(|| a.top().max(emin));
                let e2 = match (eg, ea) {
                    (Some(x), Some(y)) => x.max(y),
                    (Some(x), None) | (None, Some(x)) => x,
                    (None, None) => 0,
                };
                let mut t = cut_q(&gsum, e2 - j.sum_window as i64, j.shifted_out);
                if let Some(e) = ea {
                    if j.acc_drop_below.is_none_or(|d| e >= e2 - d as i64) {
                        t = t.add(&cut_q(&a, e2 - j.acc_window as i64, j.shifted_out));
                    }
                }
                last_acc = Some(t.clone());
                acc = round_acc(&t);
            }
            Some(w) => {
                let fused = n.accumulate == Accumulate::Fused;
                let acc_term = match &acc {
                    St::Fin(a) if fused && !a.is_zero() => Some(a.clone()),
                    _ => None,
                };
                let mut emax = ts.iter().map(|t| t.1).max();
                if let Some(a) = &acc_term {
                    // Nominal: the accumulator's exponent field, a subnormal at its emin.
                    let e = match (n.align, acc_fmt) {
                        (Align::Nominal, Some(f)) => a.top().max(2 - (1i64 << (f.1 - 1))),
                        _ => a.top(),
                    };
                    emax = Some(emax.map_or(e, |m| m.max(e)));
                }
                if let Some(emax) = emax {
                    // The alignment floor raises Emax (never creates one for an all-zero group).
                    let emax = n.align_min_exp.map_or(emax, |f| emax.max(f as i64));
                    let cut = emax - w as i64;
                    let mut sum = BigInt::zero();
                    for q in ts.iter().map(|t| &t.0).chain(acc_term.iter()) {
                        let mag = q.n.abs();
                        let m = if q.e >= cut {
                            mag << (q.e - cut) as usize
                        } else {
                            let s = (cut - q.e) as usize;
                            let kept = &mag >> s;
                            match n.shifted_out {
                                ShiftedOut::Truncate => kept,
                                ShiftedOut::Rne => {
                                    let rem = &mag - (&kept << s);
                                    let half = BigInt::one() << (s - 1);
                                    let odd = (&kept & BigInt::one()).is_one();
                                    if rem > half || (rem == half && odd) {
                                        kept + 1
                                    } else {
                                        kept
                                    }
                                }
                            }
                        };
                        sum += if q.neg() { -m } else { m };
                    }
                    let gsum = Q { n: sum, e: cut };
                    if let St::Fin(a) = &acc {
                        acc = if fused && acc_fmt.is_some() {
                            round_acc(&gsum)
                        } else {
                            round_acc(&a.add(&gsum))
                        };
                    }
                }
            }
        }
        if let Some(p) = n.promote {
            done += g.len();
            since += g.len();
            if since >= p.every {
                promote_now(&mut acc, &mut outer, (done - 1) / bs);
                since = 0;
            }
        }
    }
    let total = if n.promote.is_some() {
        if since > 0 {
            promote_now(&mut acc, &mut outer, (k.max(1) - 1) / bs);
        }
        outer
    } else {
        acc
    };
    let of = (
        n.output.man_bits.expect("finite output"),
        n.output.exp_bits,
        n.output.round,
        n.output.subnormals,
    );
    // Output rounding, then C if it enters at the end. `last` is the value the last rounding
    // took: a non-zero value that rounds to zero keeps its sign.
    let (mut r, mut last) = match &total {
        St::Fin(t) => (round_into(t, of.0, of.1, of.2, of.3), Some(t.clone())),
        other => (other.clone(), None),
    };
    if !c_in {
        last = match &r {
            St::Fin(x) => Some(x.add(&cq)),
            _ => None,
        };
        r = add_into(&r, &St::Fin(cq.clone()), of);
    }
    match r {
        St::Nan => n.nan_bits,
        St::Inf(neg) => {
            if neg {
                0xff80_0000
            } else {
                0x7f80_0000
            }
        }
        St::Fin(v) if !v.is_zero() => pack32(&v),
        St::Fin(_) => match last {
            Some(l) if !l.is_zero() => (l.neg() as u32) << 31,
            // The accumulator rounded a non-zero value to zero and keeps its sign.
            _ if n.acc_zero_sign == AccZeroSign::Keep
                && last_acc.as_ref().is_some_and(|l| !l.is_zero()) =>
            {
                (last_acc.as_ref().is_some_and(|l| l.neg()) as u32) << 31
            }
            _ if n.zero_sign == ZeroSign::Plus => 0,
            _ => zero_rule(spec, a, b, sa, sb, c, flush),
        },
    }
}

/// Sign of an exactly-zero result: -0 only if C and every product are -0.
fn zero_rule(
    spec: &DotSpec,
    a: &[u32],
    b: &[u32],
    sa: &[u32],
    sb: &[u32],
    c: u32,
    flush: bool,
) -> u32 {
    if c != 0x8000_0000 {
        return 0;
    }
    let (an, bn, sn) = (name(spec.a_fmt), name(spec.b_fmt), name(spec.scale_fmt));
    for i in 0..a.len() {
        let (x, y) = (dec(an, a[i]), dec(bn, b[i]));
        let k = i / spec.block;
        // A zero scale (UE4M3/UE5M3 code 0) makes the product zero too.
        let zero = x.sig == 0
            || y.sig == 0
            || dec(sn, sa[k]).sig == 0
            || dec(sn, sb[k]).sig == 0
            || (flush && (x.subnormal || y.subnormal));
        if !(zero && (x.neg ^ y.neg)) {
            return 0;
        }
    }
    0x8000_0000
}
