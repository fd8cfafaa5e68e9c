//! Survivors of cargo-mutants on dot.rs and dot/hw/join.rs (issue 9, slice s4,
//! mutation/survivors/s4.md): special values, the sign of zero, the output flush of the exact
//! path, the form of the exact sums `explain` shows, and the `join` stages that no preset
//! reaches (rounding cuts, swapped windows, one lane with a lane window). Expected values are
//! worked by hand in the comments or come from the independent reference
//! (tests/support/reference.rs).

mod support;

use mxref_model::add::Term;
use mxref_model::dot::trace::{AccValue, Step};
use mxref_model::dot::{Dot, DotSpec, Explanation, Operands};
use mxref_model::numerics::{preset, JoinCut, Numerics, ShiftedOut, ZeroSign};
use mxref_model::FormatId;

fn spec(fmt: FormatId) -> DotSpec {
    DotSpec {
        a_fmt: fmt,
        b_fmt: fmt,
        scale_fmt: FormatId::E8m0,
        block: 32,
    }
}

/// Blocks of 32 whose leading elements are given (the rest zero), with E8M0 scale codes.
struct Case {
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
    c: u32,
}

fn case(blocks: &[(&[u32], &[u32], u32, u32)], pad_b: u32, c: u32) -> Case {
    let (mut a, mut b, mut sa, mut sb) = (vec![], vec![], vec![], vec![]);
    for (x, y, s, t) in blocks {
        let mut xa = x.to_vec();
        let mut yb = y.to_vec();
        xa.resize(32, 0);
        yb.resize(32, pad_b);
        a.extend(xa);
        b.extend(yb);
        sa.push(*s);
        sb.push(*t);
    }
    Case { a, b, sa, sb, c }
}

fn ops(k: &Case) -> Operands<'_> {
    Operands {
        a: &k.a,
        b: &k.b,
        sa: &k.sa,
        sb: &k.sb,
        c: k.c,
    }
}

/// D under `n`, checked against the independent general reference as well.
fn d(n: &Numerics, fmt: FormatId, k: &Case) -> u32 {
    let got = Dot::new(spec(fmt), n).unwrap().eval(&ops(k)).unwrap();
    let want = support::reference::general(n, &spec(fmt), &k.a, &k.b, &k.sa, &k.sb, k.c);
    assert_eq!(got, want, "engine {got:#010x} vs reference {want:#010x}");
    got
}

fn exact() -> Numerics {
    preset("exact").unwrap()
}

/// E5M2 Inf (0x7C) times Inf: both factors carry the Inf flag, which must survive their
/// union (an exclusive-or of the two would cancel it and send the dot down the finite path).
/// +Inf·+Inf = +Inf, -Inf·+Inf = -Inf, NaN·NaN = NaN (the preset's 0x7FC00000).
#[test]
fn specials_in_both_factors_of_one_product() {
    let e = exact();
    let inf = |x, y| case(&[(&[x], &[y], 127, 127)], 0, 0);
    assert_eq!(d(&e, FormatId::E5m2, &inf(0x7c, 0x7c)), 0x7f80_0000);
    assert_eq!(d(&e, FormatId::E5m2, &inf(0xfc, 0x7c)), 0xff80_0000);
    assert_eq!(d(&e, FormatId::E5m2, &inf(0x7e, 0x7e)), 0x7fc0_0000);
    let hw = preset("hopper-mma-fp8").unwrap();
    assert_eq!(d(&hw, FormatId::E5m2, &inf(0x7c, 0x7c)), 0x7f80_0000);
}

/// A NaN C makes D NaN even beside an Inf product (which alone would give Inf): Inf·1 with
/// C = NaN is NaN, not +Inf.
#[test]
fn nan_c_beside_an_inf_product() {
    let k = case(&[(&[0x7c], &[0x3c], 127, 127)], 0, 0x7fc0_0000);
    assert_eq!(d(&exact(), FormatId::E5m2, &k), 0x7fc0_0000);
    let hw = preset("hopper-mma-fp8").unwrap();
    assert_eq!(d(&hw, FormatId::E5m2, &k), hw.nan_bits);
}

/// `output.subnormals = false` on the exact path flushes subnormal results to a zero of their
/// sign and keeps normal ones: 1·1 scaled by 2^-70·2^-70 is 2^-140 (FP32 subnormal
/// 2^9·2^-149 = 0x00000200 when kept), scaled by 2^-60·2^-60 it is 2^-120, normal:
/// exponent field 7, 0x03800000. E4M3 1.0 = 0x38, -1.0 = 0xB8.
#[test]
fn exact_output_flush_of_subnormals() {
    let mut n = exact();
    let tiny = |b| case(&[(&[0x38], &[b], 127 - 70, 127 - 70)], 0, 0);
    let small = case(&[(&[0x38], &[0x38], 127 - 60, 127 - 60)], 0, 0);
    assert_eq!(d(&n, FormatId::E4m3, &tiny(0x38)), 0x0000_0200);
    n.output.subnormals = false;
    assert_eq!(d(&n, FormatId::E4m3, &tiny(0x38)), 0);
    assert_eq!(d(&n, FormatId::E4m3, &tiny(0xb8)), 0x8000_0000);
    assert_eq!(d(&n, FormatId::E4m3, &small), 0x0380_0000);
}

/// The IEEE zero-sign rule gives -0 only when C and every product are -0. Under
/// `blackwell-tcgen05-f8f6f4` (E4M3 taken as is, C in the FP32 accumulator) with that rule,
/// C = -0 and products 2^-9 · -1 · 2^-127 · 2^-127 = -2^-263 (a subnormal E4M3 element, not
/// flushed) and +0 · -1 (= -0), the accumulator rounds -2^-263 toward zero; that zero is
/// unsigned (`acc_zero_sign = plus`) and the exact sum was not zero: +0. With the subnormal
/// element replaced by +0 every product is -0: -0.
#[test]
fn zero_sign_sees_a_subnormal_product_as_non_zero() {
    let mut n = preset("blackwell-tcgen05-f8f6f4").unwrap();
    n.zero_sign = ZeroSign::Ieee;
    let k = case(&[(&[0x01], &[0xb8], 0, 0)], 0xb8, 0x8000_0000);
    assert_eq!(d(&n, FormatId::E4m3, &k), 0);
    let zeros = case(&[(&[0x00], &[0xb8], 0, 0)], 0xb8, 0x8000_0000);
    assert_eq!(d(&n, FormatId::E4m3, &zeros), 0x8000_0000);
}

/// `explain` of an exact dot shows the group's exact sum in the units of its smallest term, so
/// a reader adds the terms' integers as shown: products 1·1 (scales 2^0) and 1·1 (scales
/// 2^-15·2^-15) give 1 + 2^-30, at the lsb of the second term. Both terms and the sum are far
/// inside the i128 accumulator's headroom (about 40 bits of 124).
#[test]
fn explain_shows_exact_sums_in_the_terms_units() {
    let k = case(
        &[
            (&[0x38], &[0x38], 127, 127),
            (&[0x38], &[0x38], 127 - 15, 127 - 15),
        ],
        0,
        0,
    );
    let dot = Dot::new(spec(FormatId::E4m3), &exact()).unwrap();
    let ex = dot.explain(&ops(&k)).unwrap();
    let terms: Vec<_> = ex
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Term { term, .. } => Some(*term),
            _ => None,
        })
        .collect();
    assert_eq!(terms.len(), 2);
    let lsb = terms.iter().map(|t| t.lsb).min().unwrap();
    let sig: u128 = terms.iter().map(|t| t.sig << (t.lsb - lsb)).sum();
    // The value: sig * 2^lsb = 1 + 2^-30.
    assert_eq!(sig, (1u128 << -lsb) + (1u128 << (-30 - lsb)));
    let sums = group_sums(&ex);
    assert_eq!(
        sums,
        [AccValue::Finite(Term {
            neg: false,
            sig,
            lsb
        })]
    );
    assert_eq!(ex.d, 0x3f80_0000); // RNE(1 + 2^-30) = 1.0
}

/// `cdna3-mfma-f16` with a `lane_window` but one lane: the window applies only where lanes
/// meet (lanes > 1), so 1·1 + 1·2^-10 (FP16 0x3C00, 0x1400) is kept whole: 1 + 2^-10 =
/// 0x3F802000. Cut to 2 fraction bits below 2^0 it would be 1.0.
#[test]
fn join_one_lane_ignores_the_lane_window() {
    let mut n = preset("cdna3-mfma-f16").unwrap();
    let j = n.join.as_mut().unwrap();
    assert_eq!(j.lanes, 1);
    j.lane_window = Some(2);
    let k = case(&[(&[0x3c00, 0x3c00], &[0x3c00, 0x1400], 127, 127)], 0, 0);
    assert_eq!(d(&n, FormatId::Fp16, &k), 0x3f80_2000);
}

/// The group sum's window narrower than the accumulator's (the presets have 31 > 24): the
/// sum is cut at 2^(E2-24), the accumulator at 2^(E2-31), and the two meet at the lower.
/// 1·1 + 1·2^-10 with C = 2^-30 (0x30800000): E2 = 0, the sum 1 + 2^-10 and C are kept
/// whole; RNE(1 + 2^-10 + 2^-30) = 1 + 2^-10 = 0x3F802000. With C = -2^-30 (0xB0800000)
/// floored at 2^-31 it stays -2^-30: RNE(1 + 2^-10 - 2^-30) = 0x3F802000 too; with C = 1.5
/// (0x3FC00000): E2 = 0 still, 2.5 + 2^-10 = 0x40201000.
#[test]
fn join_sum_window_below_acc_window() {
    let mut n = preset("cdna3-mfma-f16").unwrap();
    let j = n.join.as_mut().unwrap();
    (j.sum_window, j.acc_window) = (24, 31);
    for (c, want) in [
        (0, 0x3f80_2000),
        (0x3080_0000, 0x3f80_2000),
        (0xb080_0000, 0x3f80_2000),
        (0x3fc0_0000, 0x4020_1000),
    ] {
        let k = case(&[(&[0x3c00, 0x3c00], &[0x3c00, 0x1400], 127, 127)], 0, c);
        assert_eq!(d(&n, FormatId::Fp16, &k), want, "C = {c:#010x}");
    }
}

/// `explain` under `join` reports each group's exact total with its sign: 1·(-1) is -1,
/// 1·1 is +1, 1·1 + 1·(-1) is an unsigned 0 (shown +0). FP16 -1.0 = 0xBC00.
#[test]
fn join_explain_group_sum_sign() {
    let dot = Dot::new(spec(FormatId::Fp16), &preset("cdna3-mfma-f16").unwrap()).unwrap();
    for (a, b, neg, value) in [
        (&[0x3c00][..], &[0xbc00][..], true, 1.0),
        (&[0x3c00][..], &[0x3c00][..], false, 1.0),
        (&[0x3c00, 0x3c00][..], &[0x3c00, 0xbc00][..], false, 0.0),
    ] {
        let k = case(&[(a, b, 127, 127)], 0, 0);
        let ex = dot.explain(&ops(&k)).unwrap();
        let sums = group_sums(&ex);
        // 32 products in groups of 8: the first group holds the non-zero ones.
        let AccValue::Finite(t) = &sums[0] else {
            panic!("finite group sum expected: {sums:?}")
        };
        assert_eq!(t.neg, neg, "{a:x?} x {b:x?}: {t:?}");
        assert_eq!(t.sig as f64 * 2f64.powi(t.lsb), value, "{t:?}");
    }
}

/// The exact group sums an explanation shows, in order.
fn group_sums(ex: &Explanation) -> Vec<AccValue> {
    ex.steps
        .iter()
        .filter_map(|s| match s {
            Step::GroupSum { value, .. } => Some(value.clone()),
            _ => None,
        })
        .collect()
}

/// Deterministic pseudo-random operands (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The `join` cuts by `truncate` and `rne` (no preset uses them; every preset floors), in
/// the lanes and the accumulator stage, with the first stage truncating or rounding: the
/// engine against the independent reference on random E4M3 dots (two blocks, products from
/// 2^-18 to 2^17, so every window cuts) and BF16 dots (exponents within 2^±12).
#[test]
fn join_rounding_cuts_match_the_reference() {
    let mut r = Rng(0x5eed_0004);
    for (p, fmt) in [
        ("cdna3-mfma-fp8", FormatId::E4m3),
        ("cdna3-mfma-bf16", FormatId::Bf16),
    ] {
        for cut in [JoinCut::Truncate, JoinCut::Rne] {
            for first in [ShiftedOut::Truncate, ShiftedOut::Rne] {
                let mut n = preset(p).unwrap();
                n.shifted_out = first;
                n.join.as_mut().unwrap().shifted_out = cut;
                for _ in 0..25 {
                    let code = |r: &mut Rng| match fmt {
                        FormatId::E4m3 => r.below(0x7f) as u32 | (r.below(2) as u32) << 7,
                        _ => {
                            let e = 127 - 12 + r.below(25) as u32;
                            (r.below(2) as u32) << 15 | e << 7 | r.below(128) as u32
                        }
                    };
                    let k = Case {
                        a: (0..64).map(|_| code(&mut r)).collect(),
                        b: (0..64).map(|_| code(&mut r)).collect(),
                        sa: (0..2).map(|_| 124 + r.below(7) as u32).collect(),
                        sb: (0..2).map(|_| 124 + r.below(7) as u32).collect(),
                        c: match r.below(3) {
                            0 => 0,
                            _ => {
                                (r.below(2) as u32) << 31
                                    | (100 + r.below(50) as u32) << 23
                                    | r.below(1 << 23) as u32
                            }
                        },
                    };
                    d(&n, fmt, &k);
                }
            }
        }
    }
}
