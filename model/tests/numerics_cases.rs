//! The hand-worked cases of spec/numerics.md ("Worked cases"): each hardware parameter, changed
//! alone, changes the result. Expected bits were derived by hand in the spec, not by the model.

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, Align, CEntry, FloatSpec, JoinCut, Numerics, ShiftedOut};
use mxref_model::{FormatId, Round};

/// Evaluate with `n` on blocks of 32 whose leading elements are given (rest zero), scales 1.0.
fn d(n: &Numerics, fmt: FormatId, blocks: &[(&[u32], &[u32])], c: u32) -> u32 {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (x, y) in blocks {
        let mut xa = x.to_vec();
        let mut yb = y.to_vec();
        xa.resize(32, 0);
        yb.resize(32, 0);
        a.extend(xa);
        b.extend(yb);
    }
    let s = vec![127u32; blocks.len()];
    let dot = Dot::new(
        DotSpec {
            a_fmt: fmt,
            b_fmt: fmt,
            scale_fmt: FormatId::E8m0,
            block: 32,
        },
        n,
    )
    .unwrap();
    dot.eval(&Operands {
        a: &a,
        b: &b,
        sa: &s,
        sb: &s,
        c,
    })
    .unwrap()
}

fn exact() -> Numerics {
    preset("exact").unwrap()
}
fn rtl() -> Numerics {
    preset("rtl").unwrap()
}

/// W: 4 - 4 + 2^-32 in one block. rtl's window ends at 2^(2-32) = 2^-30: the tiny product is
/// truncated away and cancellation leaves +0; a 34-bit window keeps it.
#[test]
fn window_truncation() {
    let (a, b) = (&[0x44, 0xc4, 0x01][..], &[0x3c, 0x3c, 0x01][..]);
    assert_eq!(d(&exact(), FormatId::E5m2, &[(a, b)], 0), 0x2f80_0000);
    assert_eq!(d(&rtl(), FormatId::E5m2, &[(a, b)], 0), 0x0000_0000);
    let mut wide = rtl();
    wide.window_bits = Some(34);
    assert_eq!(d(&wide, FormatId::E5m2, &[(a, b)], 0), 0x2f80_0000);
}

/// S: 4 - 4 + 3*2^-32: truncation drops 3*2^-32 (0); RNE at 2^-30 rounds 0.75 up to 2^-30.
#[test]
fn shifted_out_rounding() {
    let (a, b) = (&[0x44, 0xc4, 0x01][..], &[0x3c, 0x3c, 0x03][..]);
    assert_eq!(d(&exact(), FormatId::E5m2, &[(a, b)], 0), 0x3040_0000);
    assert_eq!(d(&rtl(), FormatId::E5m2, &[(a, b)], 0), 0);
    let mut rne = rtl();
    rne.shifted_out = ShiftedOut::Rne;
    assert_eq!(d(&rne, FormatId::E5m2, &[(a, b)], 0), 0x3080_0000);
}

/// N: 1.75*1.75 - 1.75*1.75 + 2^-5*2^-5 with a 10-bit window. Nominal exponent of 3.0625 is
/// 0 (window to 2^-10 keeps 2^-10); its leading bit is 2^1 (window to 2^-9 drops it).
#[test]
fn alignment_reference() {
    let (a, b) = (&[0x3e, 0xbe, 0x10][..], &[0x3e, 0x3e, 0x10][..]);
    let mut n = rtl();
    n.window_bits = Some(10);
    assert_eq!(d(&exact(), FormatId::E4m3, &[(a, b)], 0), 0x3a80_0000);
    assert_eq!(d(&n, FormatId::E4m3, &[(a, b)], 0), 0x3a80_0000);
    n.align = Align::Leading;
    assert_eq!(d(&n, FormatId::E4m3, &[(a, b)], 0), 0);
}

/// A: beat 1 sums to 1 + 2^-24 (an FP32 tie), beat 2 adds 2^-32. rtl's 48-bit round-to-odd
/// accumulator keeps both and the final RNE rounds up; an FP32 RNE accumulator rounds the tie
/// to even after beat 1 and never recovers.
#[test]
fn accumulator_width() {
    let blocks: [(&[u32], &[u32]); 2] = [(&[0x3c, 0x01], &[0x3c, 0x1c]), (&[0x01], &[0x01])];
    assert_eq!(d(&exact(), FormatId::E5m2, &blocks, 0), 0x3f80_0001);
    assert_eq!(d(&rtl(), FormatId::E5m2, &blocks, 0), 0x3f80_0001);
    let mut n = rtl();
    n.acc = FloatSpec {
        man_bits: Some(23),
        exp_bits: 8,
        round: Round::Rne,
        subnormals: true,
    };
    assert_eq!(d(&n, FormatId::E5m2, &blocks, 0), 0x3f80_0000);
}

/// C: C = 1, products 2^-24 and 2^-25. Fused with C in a 24-bit window (FP32 RZ accumulator):
/// 2^-25 is cut and RZ gives 1.0. C added at the end (RNE): 1 + 1.5*2^-24 rounds up.
#[test]
fn c_entry() {
    let (a, b) = (&[0x01, 0x01][..], &[0x1c, 0x18][..]);
    let c = 0x3f80_0000;
    assert_eq!(d(&exact(), FormatId::E5m2, &[(a, b)], c), 0x3f80_0001);
    let mut n = rtl();
    n.accumulate = mxref_model::numerics::Accumulate::Fused;
    n.window_bits = Some(24);
    n.acc = FloatSpec {
        man_bits: Some(23),
        exp_bits: 8,
        round: Round::Rz,
        subnormals: true,
    };
    assert_eq!(d(&n, FormatId::E5m2, &[(a, b)], c), 0x3f80_0000);
    n.c_entry = CEntry::End;
    assert_eq!(d(&n, FormatId::E5m2, &[(a, b)], c), 0x3f80_0001);
}

/// O: 1 + 2^-20 with the output cut to 13 fraction bits (E8M13, RZ) loses the 2^-20.
#[test]
fn output_cut() {
    let (a, b) = (&[0x3c, 0x01][..], &[0x3c, 0x2c][..]);
    assert_eq!(d(&rtl(), FormatId::E5m2, &[(a, b)], 0), 0x3f80_0008);
    let mut n = rtl();
    n.output = FloatSpec {
        man_bits: Some(13),
        exp_bits: 8,
        round: Round::Rz,
        subnormals: true,
    };
    assert_eq!(d(&n, FormatId::E5m2, &[(a, b)], 0), 0x3f80_0000);
}

/// G: group size. Products 1, 2^-24, 2^-24 with an FP32 RNE accumulator fused per group:
/// one group of 32 sums 1 + 2^-23 exactly; groups of 2 round 1 + 2^-24 to 1 (tie to even) first.
#[test]
fn group_size() {
    let (a, b) = (&[0x3c, 0x01, 0x01][..], &[0x3c, 0x1c, 0x1c][..]);
    let mut n = rtl();
    n.accumulate = mxref_model::numerics::Accumulate::Fused;
    n.acc = FloatSpec {
        man_bits: Some(23),
        exp_bits: 8,
        round: Round::Rne,
        subnormals: true,
    };
    assert_eq!(d(&n, FormatId::E5m2, &[(a, b)], 0), 0x3f80_0001);
    n.group = 2;
    assert_eq!(d(&n, FormatId::E5m2, &[(a, b)], 0), 0x3f80_0000);
}

/// Z: sign of zero. -0 only when C and every product are -0.
#[test]
fn sign_of_zero() {
    // e4m3: 0x80 is -0. (-0)*(+0) = -0 products, C = -0 -> -0.
    let a = [0x80u32; 32];
    let b = [0x00u32; 32];
    for n in [exact(), rtl()] {
        assert_eq!(d(&n, FormatId::E4m3, &[(&a, &b)], 0x8000_0000), 0x8000_0000);
        assert_eq!(d(&n, FormatId::E4m3, &[(&a, &b)], 0), 0);
        // Exact cancellation gives +0 even with C = -0.
        assert_eq!(
            d(
                &n,
                FormatId::E4m3,
                &[(&[0x38, 0xb8], &[0x38, 0x38])],
                0x8000_0000
            ),
            0
        );
    }
}

/// I: input conversion (E4M3, 10-bit window). 2^-9 (an E4M3 subnormal) * 448 + 2^-5 * 2^-5.
/// As E4M3 the first product's nominal exponent is -6 + 8 = 2 and the window (to 2^-8) drops
/// 2^-10; converted to FP16 first, 2^-9 is a normal with exponent -9, the product's is -1, the
/// window reaches 2^-11 and keeps it.
#[test]
fn input_format() {
    let (a, b) = (&[0x01, 0x10][..], &[0x7e, 0x10][..]);
    let mut n = rtl();
    n.window_bits = Some(10);
    assert_eq!(d(&exact(), FormatId::E4m3, &[(a, b)], 0), 0x3f60_4000);
    assert_eq!(d(&n, FormatId::E4m3, &[(a, b)], 0), 0x3f60_0000);
    n.input_format = Some(FormatId::Fp16);
    assert_eq!(d(&n, FormatId::E4m3, &[(a, b)], 0), 0x3f60_4000);
    // A format that cannot hold the elements exactly is refused, naming the field.
    n.input_format = Some(FormatId::E2m1);
    let err = Dot::new(
        DotSpec {
            a_fmt: FormatId::E4m3,
            b_fmt: FormatId::E4m3,
            scale_fmt: FormatId::E8m0,
            block: 32,
        },
        &n,
    )
    .unwrap_err();
    assert_eq!(err.field(), "a_fmt");
}

/// F: alignment floor (BF16). 2^-74 * 2^-74 - 2^-80 * 2^-79: without a floor the window (to
/// 2^-173) keeps -2^-159 and RZ gives 1 * 2^-149; with align_min_exp = -133 the cut is at
/// 2^-158, -2^-159 is truncated away and 2^-148 remains.
#[test]
fn align_min_exp() {
    let (a, b) = (&[0x1a80, 0x1780][..], &[0x1a80, 0x9800][..]);
    let mut n = preset("hopper-mma-bf16").unwrap();
    assert_eq!(d(&exact(), FormatId::Bf16, &[(a, b)], 0), 0x0000_0002);
    assert_eq!(n.align_min_exp, Some(-133));
    assert_eq!(d(&n, FormatId::Bf16, &[(a, b)], 0), 0x0000_0002);
    n.align_min_exp = None;
    assert_eq!(d(&n, FormatId::Bf16, &[(a, b)], 0), 0x0000_0001);
}

/// J — join (cdna3-mfma-f16): 1·1 with C = -2^-30. Stage 1 keeps the product; stage 2 aligns it
/// with C at their joint maximum 2^0 and floors C to 2^-24 (two's complement): -2^-24, so
/// 1 - 2^-24 = 0x3F7FFFFF. Truncating C toward zero instead (or one stage with C in the
/// products' window) drops it: 1.0; exact: RNE(1 - 2^-30) = 1.0.
#[test]
fn join_floors_the_accumulator() {
    let (a, b) = (&[0x3c00][..], &[0x3c00][..]);
    let n = preset("cdna3-mfma-f16").unwrap();
    assert_eq!(d(&n, FormatId::Fp16, &[(a, b)], 0xb080_0000), 0x3f7f_ffff);
    let mut t = n.clone();
    t.join.as_mut().unwrap().shifted_out = JoinCut::Truncate;
    assert_eq!(d(&t, FormatId::Fp16, &[(a, b)], 0xb080_0000), 0x3f80_0000);
    let mut one = n.clone();
    one.join = None;
    assert_eq!(d(&one, FormatId::Fp16, &[(a, b)], 0xb080_0000), 0x3f80_0000);
    assert_eq!(
        d(&exact(), FormatId::Fp16, &[(a, b)], 0xb080_0000),
        0x3f80_0000
    );
}

/// L — lanes (cdna3-mfma-fp8, E5M2FNUZ): 1·1 in lane 0 and (-2^-17)·2^-17 = -2^-34 in lane 1.
/// Each lane keeps its own product whole; joining the lanes floors -2^-34 to -2^-24 at the
/// larger lane's window: 1 - 2^-24 = 0x3F7FFFFF. As one lane, -2^-34 is truncated toward zero
/// inside the 24-bit window of 1: 1.0.
#[test]
fn join_lanes() {
    let (a, b) = (&[0x40, 0x81][..], &[0x40, 0x01][..]);
    let n = preset("cdna3-mfma-fp8").unwrap();
    assert_eq!(d(&n, FormatId::E5m2fnuz, &[(a, b)], 0), 0x3f7f_ffff);
    let mut one = n.clone();
    let j = one.join.as_mut().unwrap();
    j.lanes = 1;
    j.lane_window = None;
    assert_eq!(d(&one, FormatId::E5m2fnuz, &[(a, b)], 0), 0x3f80_0000);
    assert_eq!(d(&exact(), FormatId::E5m2fnuz, &[(a, b)], 0), 0x3f80_0000);
}

/// D — accumulator dropped (cdna3-mfma-fp8, E4M3FNUZ 1.0 = 0x40): 1·1 with C = -2^-40. C is
/// 40 binades below the joint maximum 2^0, more than `acc_drop_below = 25`: dropped, 1.0.
/// Cut instead, C floors to -2^-24: 0x3F7FFFFF.
#[test]
fn join_drops_a_far_accumulator() {
    let (a, b) = (&[0x40][..], &[0x40][..]);
    let n = preset("cdna3-mfma-fp8").unwrap();
    assert_eq!(
        d(&n, FormatId::E4m3fnuz, &[(a, b)], 0xab80_0000),
        0x3f80_0000
    );
    let mut cut = n.clone();
    cut.join.as_mut().unwrap().acc_drop_below = None;
    assert_eq!(
        d(&cut, FormatId::E4m3fnuz, &[(a, b)], 0xab80_0000),
        0x3f7f_ffff
    );
}

/// P — product overflow (cdna3-mfma-bf16): 2^100·2^100 = 2^200 is beyond FP32, so with
/// `product_inf_exp = 128` it is +Inf; with -2^200 beside it, NaN. Exact products: 2^200 rounds
/// to +Inf in FP32 too, but 2^200 - 2^200 cancels to 0.
#[test]
fn join_product_overflow() {
    let n = preset("cdna3-mfma-bf16").unwrap();
    let one = (&[0x7180][..], &[0x7180][..]);
    assert_eq!(d(&n, FormatId::Bf16, &[one], 0), 0x7f80_0000);
    let both = (&[0x7180, 0xf180][..], &[0x7180, 0x7180][..]);
    assert_eq!(d(&n, FormatId::Bf16, &[both], 0), 0x7fc0_0000);
    assert_eq!(d(&exact(), FormatId::Bf16, &[both], 0), 0);
    let mut exact_products = n.clone();
    exact_products.join.as_mut().unwrap().product_inf_exp = None;
    assert_eq!(d(&exact_products, FormatId::Bf16, &[both], 0), 0);
}
