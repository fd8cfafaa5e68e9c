//! The rule that an Inf product meeting an accumulator an earlier group overflowed to the
//! opposite Inf gives NaN (spec/numerics.md, specials), on the shapes where it applies and
//! where it does not (`Dot::inf_after_overflow`; cargo-mutants survivors of issue 9, slice s2).
//! Expected values are worked by hand and checked against the rational reference.

mod support;

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, FloatSpec, Numerics};
use mxref_model::{FormatId, Round};
use support::reference::general;

/// E5M2 codes: 57344 = 1.75 * 2^15 (0x7b), its negative (0xfb), +Inf (0x7c), 1.0 (0x3c).
const MAX: u32 = 0x7b;
const NEG_MAX: u32 = 0xfb;
const INF: u32 = 0x7c;
const ONE: u32 = 0x3c;

/// 64 E5M2 products in two blocks of 32 (E8M0 scales): block 0 holds `first` everywhere with
/// scales 2^127 each, block 1 holds `(x, y)` at position 32 (scales 1) and zeros after.
/// Each block-0 product is -1.75^2 * 2^30 * 2^254 > 2^284: a group of them overflows any
/// accumulator with FP32's exponent range to -Inf.
fn eval(n: &Numerics, x: u32, y: u32) -> (u32, u32) {
    let spec = DotSpec {
        a_fmt: FormatId::E5m2,
        b_fmt: FormatId::E5m2,
        scale_fmt: FormatId::E8m0,
        block: 32,
    };
    let (mut a, mut b) = (vec![NEG_MAX; 32], vec![MAX; 32]);
    a.extend([x].iter().chain(&[0; 31]));
    b.extend([y].iter().chain(&[0; 31]));
    let (sa, sb) = ([254, 127], [254, 127]);
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &sa,
        sb: &sb,
        c: 0,
    };
    let d = Dot::new(spec, n).unwrap().eval(&ops).unwrap();
    (d, general(n, &spec, &a, &b, &sa, &sb, 0))
}

/// `hopper-wgmma-fp8` (groups of 32, E8M13 accumulator = output): group 0 overflows the
/// accumulator to -Inf, group 1 holds +Inf x +Inf: NaN. Both factors being Inf must count
/// as an Inf position (a flags union, not a difference).
#[test]
fn inf_times_inf_after_an_opposite_overflow_is_nan() {
    let n = preset("hopper-wgmma-fp8").unwrap();
    let (d, r) = eval(&n, INF, INF);
    assert_eq!(d, n.nan_bits, "{d:#010x}");
    assert_eq!(r, n.nan_bits, "reference {r:#010x}");
    // The same with +Inf x 1.
    let (d, r) = eval(&n, INF, ONE);
    assert_eq!((d, r), (n.nan_bits, n.nan_bits));
}

/// The rule is taken only where the accumulator is the output format (spec/numerics.md's
/// chained instructions: D is the next C). With an FP32 output behind the E8M13
/// accumulator, the exact special rules decide: -finite + Inf = +Inf.
#[test]
fn the_overflow_rule_needs_the_output_to_be_the_accumulator() {
    let mut n = preset("hopper-wgmma-fp8").unwrap();
    n.output = FloatSpec {
        man_bits: Some(23),
        exp_bits: 8,
        round: Round::Rne,
        subnormals: true,
    };
    let (d, r) = eval(&n, INF, ONE);
    assert_eq!(d, 0x7f80_0000, "{d:#010x}");
    assert_eq!(r, 0x7f80_0000, "reference {r:#010x}");
}

/// With promotion (`hopper-cublas-fp8`) the rule is not taken either: +Inf.
#[test]
fn the_overflow_rule_is_not_taken_with_promotion() {
    let n = preset("hopper-cublas-fp8").unwrap();
    let (d, r) = eval(&n, INF, ONE);
    assert_eq!(d, 0x7f80_0000, "{d:#010x}");
    assert_eq!(r, 0x7f80_0000, "reference {r:#010x}");
}

/// `cdna3-mfma-bf16` (groups of 8, products >= 2^128 are Infs): group 0 holds
/// 2^127 * 2 and -2^127 * 2, both signs of Inf: a NaN accumulator (spec/numerics.md, `join`:
/// "both signs in one group: NaN", "an Inf or NaN accumulator is kept"); group 1 holds
/// +Inf * 1, which the kept NaN absorbs. (The exact rules alone would give +Inf: the two
/// finite products cancel.) `support::reference::general` agrees since it looks at a NaN
/// prefix as well as an opposite Inf one.
#[test]
fn a_nan_accumulator_meets_a_later_inf() {
    let n = preset("cdna3-mfma-bf16").unwrap();
    let spec = DotSpec {
        a_fmt: FormatId::Bf16,
        b_fmt: FormatId::Bf16,
        scale_fmt: FormatId::E8m0,
        block: 16,
    };
    let mut a = vec![0u32; 16];
    let mut b = vec![0u32; 16];
    (a[0], b[0]) = (0x7f00, 0x4000);
    (a[1], b[1]) = (0xff00, 0x4000);
    (a[8], b[8]) = (0x7f80, 0x3f80);
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &[127],
        sb: &[127],
        c: 0,
    };
    let d = Dot::new(spec, &n).unwrap().eval(&ops).unwrap();
    assert_eq!(d, n.nan_bits, "{d:#010x}");
    assert_eq!(general(&n, &spec, &a, &b, &[127], &[127], 0), n.nan_bits);
}
