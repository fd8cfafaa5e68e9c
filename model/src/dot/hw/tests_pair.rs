//! Unit tests of the pair-table paths of hw.rs (pair_fused, pair_finish, pair_scale, window_sum_pair) and their entry checks (out_has, pow2_scale, inf_after_overflow), for the cargo-mutants survivors of issue 9.

use crate::dot::{Dot, DotSpec, Operands};
use crate::format::FormatId;
use crate::numerics::{self, Accumulate, FloatSpec, GroupLayout, Numerics, Promote, ShiftedOut};
use crate::round::Round;

/// A small deterministic generator (xorshift64*), so that every run sees the same cases.
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

fn spec(a: FormatId, b: FormatId, s: FormatId, block: usize) -> DotSpec {
    DotSpec {
        a_fmt: a,
        b_fmt: b,
        scale_fmt: s,
        block,
    }
}

fn fmt(man: u32, exp: u32, round: Round) -> FloatSpec {
    FloatSpec {
        man_bits: Some(man),
        exp_bits: exp,
        round,
        subnormals: true,
    }
}

/// The pair-path fast forms (SIMD with either look-up, portable) against the general engine,
/// which shares none of the pair-table code (`force_generic` clears `pair`).
fn same_as_general(dot: &Dot, ops: &Operands, what: &str) {
    let general = dot.clone().force_generic().eval(ops).unwrap();
    for (form, d) in [
        ("default", dot.clone()),
        ("gather", dot.clone().force_gather(true)),
        ("loads", dot.clone().force_gather(false)),
        ("portable", dot.clone().force_portable()),
    ] {
        let got = d.eval(ops).unwrap();
        assert_eq!(
            got, general,
            "{what} {form}: {got:#010x} general {general:#010x} a={:?} b={:?} sa={:?} sb={:?} c={:#010x}",
            ops.a, ops.b, ops.sa, ops.sb, ops.c
        );
    }
}

/// Element codes: random, small magnitudes only, or large ones only (no NaN/Inf codes for
/// the FP8 formats: 0x7f/0xff and the E5M2 top exponent are avoided by the masks used).
fn elem_code(r: &mut Rng, f: FormatId, mode: u64) -> u32 {
    let bits = f.format().exp_bits + f.format().man_bits + 1;
    let n = 1u32 << bits;
    let sign = (r.below(2) as u32) << (bits - 1);
    let mag_bits = bits - 1;
    let top = (1u32 << mag_bits) - 1;
    let mag = match mode {
        // Small: low exponent fields (subnormals and the first binades).
        0 => r.below(u64::from(top.min(15)) + 1) as u32,
        // Large: the top quarter (a NaN or Inf code is replaced by zero below).
        1 => top - (top / 4) + r.below(u64::from(top / 4).max(1)) as u32,
        // Zero.
        2 => 0,
        _ => r.below(u64::from(top)) as u32,
    };
    let code = (sign | mag) % n;
    let v = f.format().decode(code).unwrap();
    if matches!(
        v.class,
        crate::format::Class::Finite | crate::format::Class::Zero
    ) {
        code
    } else {
        sign
    }
}

fn scale_code(r: &mut Rng, s: FormatId, mode: u64) -> u32 {
    match (s, mode) {
        (FormatId::E8m0, 0) => 127 - 10 + r.below(21) as u32,
        (FormatId::E8m0, 1) => 254 - r.below(4) as u32,
        (FormatId::E8m0, 3) => 127,
        (FormatId::E8m0, _) => r.below(40) as u32,
        // UE4M3: 0x7f is NaN; 0x38 is 1.0.
        (_, 0) => 0x30 + r.below(0x10) as u32,
        (_, 1) => 0x70 + r.below(0x0f) as u32,
        // Zero scales now and then (a zero scale product).
        (_, 3) => [0, 0x38][r.below(2) as usize],
        _ => r.below(0x7f) as u32,
    }
}

/// C values that sit on the edges of FP16, BF16 and E8M13 outputs (and FP32's).
const CS: [u32; 16] = [
    0x0000_0000,
    0x8000_0000,
    0x3f80_0000, // 1
    0x3f80_0001, // 1 + 2^-23: no narrower format holds it
    0x3f80_2000, // 1 + 2^-10: FP16 and E8M13 hold it, BF16 does not
    0xbf81_0000, // -(1 + 2^-7): BF16 and FP16 hold it
    0x477f_e000, // 65504: FP16's largest
    0x4780_0000, // 65536: above FP16
    0x477f_f000, // 65520: above FP16's largest, below 2^16
    0x3880_0000, // 2^-14: FP16's smallest normal
    0x3800_0000, // 2^-15: FP16 subnormal
    0x0080_0000, // 2^-126
    0x0000_0001, // 2^-149
    0x7f7f_ffff, // FP32's largest
    0xc2f6_0000, // -123
    0x4b80_0001, // 2^24 + 2: FP32 only
];

/// Numerics variants of a preset that keep it on the pair-table path (where `Dot::new`
/// takes it): narrower accumulators and outputs, the other accumulation, RNE cuts, small
/// windows, promotion per block, two-way interleaving in chunks of two.
fn variants(base: &Numerics, block: usize) -> Vec<Numerics> {
    let mut out = vec![base.clone()];
    let mut v = |f: &dyn Fn(&mut Numerics)| {
        let mut n = base.clone();
        f(&mut n);
        if n.validate().is_ok() {
            out.push(n);
        }
    };
    v(&|n| {
        n.acc = fmt(10, 5, Round::Rne);
        n.output = fmt(10, 5, Round::Rne);
        n.promote = None;
        n.scale = numerics::ScaleApply::Product;
    });
    v(&|n| {
        n.acc = fmt(7, 8, Round::Rz);
        n.output = fmt(7, 8, Round::Rz);
        n.promote = None;
        n.scale = numerics::ScaleApply::Product;
    });
    v(&|n| {
        n.acc = fmt(13, 8, Round::Rz);
        n.output = fmt(13, 8, Round::Rz);
        n.promote = None;
        n.scale = numerics::ScaleApply::Product;
        n.accumulate = Accumulate::Separate;
    });
    v(&|n| {
        n.accumulate = match n.accumulate {
            Accumulate::Fused => Accumulate::Separate,
            Accumulate::Separate => Accumulate::Fused,
        }
    });
    v(&|n| n.shifted_out = ShiftedOut::Rne);
    v(&|n| n.window_bits = Some(3));
    v(&|n| n.align_min_exp = Some(-4));
    v(&|n| {
        n.group = 8;
        n.group_layout = GroupLayout::Interleaved {
            ways: 2,
            span: 16,
            chunk: 2,
        };
    });
    v(&|n| {
        n.group = 4;
        n.group_layout = GroupLayout::Interleaved {
            ways: 2,
            span: 8,
            chunk: 1,
        };
    });
    v(&|n| {
        n.group = 4;
        n.group_layout = GroupLayout::Interleaved {
            ways: 4,
            span: 16,
            chunk: 2,
        };
    });
    v(&|n| {
        n.group = block / 2;
        n.group_layout = GroupLayout::Interleaved {
            ways: 2,
            span: block,
            chunk: 2,
        };
    });
    v(&|n| {
        n.group = 8;
        n.group_layout = GroupLayout::Contiguous;
    });
    // An exact accumulator (separate accumulation) with a wide window: the pair sums leave
    // the fused SIMD form; with FP4 and UE4M3 the scale product shifted by the window
    // (`mul`) passes 2^32.
    v(&|n| {
        n.group = 32;
        n.group_layout = GroupLayout::Contiguous;
        n.window_bits = Some(48);
        n.acc.man_bits = None;
        n.accumulate = Accumulate::Separate;
        n.promote = None;
        n.scale = numerics::ScaleApply::Product;
        n.join = None;
    });
    v(&|n| {
        n.group = block;
        n.scale = numerics::ScaleApply::Promote;
        n.promote = Some(Promote {
            every: block,
            round: Round::Rne,
        });
    });
    out
}

/// Sweep: every preset the pair path takes, its variants, several format pairs, E8M0 and
/// UE4M3 scales, operands random / small / large / zero, C on the output formats' edges.
fn sweep(presets: &[&str], blocks: &[usize], seed: u64, cases: usize) -> usize {
    let mut r = Rng(seed);
    let pairs = [
        (FormatId::E4m3, FormatId::E4m3),
        (FormatId::E5m2, FormatId::E5m2),
        (FormatId::E2m1, FormatId::E2m1),
        (FormatId::E3m2, FormatId::E2m3),
        (FormatId::E4m3, FormatId::E5m2),
    ];
    let mut checked = 0;
    for name in presets {
        let base = numerics::preset(name).unwrap();
        for &block in blocks {
            for n in variants(&base, block) {
                for &(fa, fb) in &pairs {
                    for sf in [FormatId::E8m0, FormatId::Ue4m3] {
                        let Ok(dot) = Dot::new(spec(fa, fb, sf, block), &n) else {
                            continue;
                        };
                        if dot.pair.is_none() {
                            continue;
                        }
                        for _ in 0..cases {
                            let k = block * (1 + r.below(2) as usize);
                            let mode = r.below(4);
                            let smode = r.below(4);
                            let a: Vec<u32> = (0..k).map(|_| elem_code(&mut r, fa, mode)).collect();
                            let bm = if mode == 2 { r.below(4) } else { mode };
                            let b: Vec<u32> = (0..k).map(|_| elem_code(&mut r, fb, bm)).collect();
                            let nb = k / block;
                            let sa: Vec<u32> =
                                (0..nb).map(|_| scale_code(&mut r, sf, smode)).collect();
                            let sb: Vec<u32> =
                                (0..nb).map(|_| scale_code(&mut r, sf, smode)).collect();
                            let c = if r.below(3) == 0 {
                                r.next() as u32 & 0x7f7f_ffff
                            } else {
                                CS[r.below(CS.len() as u64) as usize]
                            };
                            let ops = Operands {
                                a: &a,
                                b: &b,
                                sa: &sa,
                                sb: &sb,
                                c,
                            };
                            same_as_general(
                                &dot,
                                &ops,
                                &format!("{name} {n:?} {fa:?}x{fb:?}/{sf:?}"),
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    checked
}

#[test]
fn pair_paths_equal_general_path_fp8_presets() {
    let n = sweep(
        &["rtl", "hopper-wgmma-fp8", "hopper-cublas-fp8"],
        &[32, 16, 24, 64],
        1,
        3,
    );
    assert!(n > 500, "{n} cases");
}

#[test]
fn pair_paths_equal_general_path_all_presets() {
    let names: Vec<&str> = numerics::preset_names()
        .filter(|n| !["rtl", "hopper-wgmma-fp8", "hopper-cublas-fp8"].contains(n))
        .collect();
    let n = sweep(&names, &[32, 24], 2, 1);
    assert!(n > 500, "{n} cases");
}

/// A `Dot` whose output format is `out` (the accumulator too, so that the numerics validate).
fn dot_out(out: FloatSpec, scale: FormatId) -> Dot {
    let mut n = numerics::preset("hopper-wgmma-fp8").unwrap();
    n.acc = out;
    n.output = out;
    Dot::new(spec(FormatId::E4m3, FormatId::E4m3, scale, 32), &n).unwrap()
}

/// `out_has`: zero, or a normal value of the output format. The FP32 patterns are worked by
/// hand: sign | biased exponent (8 bits) | 23 fraction bits.
#[test]
fn out_has_takes_zeros_and_normals_of_the_output_only() {
    // FP16: emin -14, emax 15, 10 fraction bits (the 13 low FP32 fraction bits must be 0).
    let fp16 = dot_out(fmt(10, 5, Round::Rne), FormatId::E8m0);
    for (c, want, what) in [
        (0x0000_0000, true, "+0"),
        (0x8000_0000, true, "-0"),
        (0x3f80_0000, true, "1"),
        (0xbf80_0000, true, "-1"),
        (0x3f80_2000, true, "1 + 2^-10"),
        (0x3f80_1000, false, "1 + 2^-11"),
        (0x3f80_0001, false, "1 + 2^-23"),
        (0x477f_e000, true, "65504 = (2 - 2^-10) * 2^15"),
        (0xc77f_e000, true, "-65504"),
        (0x477f_f000, false, "65520 = (2 - 2^-11) * 2^15"),
        (0x4780_0000, false, "2^16"),
        (0x4740_0000, true, "1.5 * 2^15"),
        (0x3880_0000, true, "2^-14"),
        (0xb880_0000, true, "-2^-14"),
        (0x3800_0000, false, "2^-15 (an FP16 subnormal)"),
        (0x0000_0001, false, "2^-149"),
        (0x7f7f_ffff, false, "FP32's largest"),
    ] {
        assert_eq!(fp16.out_has(c), want, "fp16 {what} {c:#010x}");
    }
    // BF16: FP32's exponent range, 7 fraction bits.
    let bf16 = dot_out(fmt(7, 8, Round::Rne), FormatId::E8m0);
    for (c, want, what) in [
        (0x7f7f_0000, true, "(2 - 2^-7) * 2^127"),
        (0x7f7f_8000, false, "(2 - 2^-8) * 2^127"),
        (0x0080_0000, true, "2^-126"),
        (0x0040_0000, false, "2^-127 (subnormal)"),
        (0xbf81_0000, true, "-(1 + 2^-7)"),
        (0x3f80_8000, false, "1 + 2^-8"),
        (0x4780_0000, true, "2^16"),
    ] {
        assert_eq!(bf16.out_has(c), want, "bf16 {what} {c:#010x}");
    }
    // FP32 itself: every normal, no subnormal.
    let fp32 = dot_out(fmt(23, 8, Round::Rne), FormatId::E8m0);
    for (c, want, what) in [
        (0x7f7f_ffff, true, "FP32's largest"),
        (0xff7f_ffff, true, "-FP32's largest"),
        (0x0080_0000, true, "2^-126"),
        (0x3f80_0001, true, "1 + 2^-23"),
        (0x0000_0001, false, "2^-149"),
        (0x807f_ffff, false, "a negative subnormal"),
    ] {
        assert_eq!(fp32.out_has(c), want, "fp32 {what} {c:#010x}");
    }
}

/// `pow2_scale`: the exponent of `scale_a * scale_b` when that product is a power of two.
/// E8M0 code `x` is 2^(x - 127); UE4M3 0x38 is 1.0 (exponent field 7 = bias), 0x40 is 2.0,
/// 0x30 is 0.5, 0x3c is 1.5, 0x01 is the smallest subnormal 2^-6 * 2^-3 = 2^-9.
#[test]
fn pow2_scale_is_the_exponent_of_a_power_of_two_scale_product() {
    let case = |scale: FormatId, sa: u32, sb: u32| {
        let d = dot_out(fmt(23, 8, Round::Rne), scale);
        let (a, b) = ([0u32; 32], [0u32; 32]);
        let ops = Operands {
            a: &a,
            b: &b,
            sa: &[sa],
            sb: &[sb],
            c: 0,
        };
        d.pow2_scale(&ops, 0)
    };
    assert_eq!(case(FormatId::E8m0, 127 + 3, 127 - 5), Some(-2));
    assert_eq!(case(FormatId::E8m0, 127, 127), Some(0));
    assert_eq!(case(FormatId::Ue4m3, 0x38, 0x38), Some(0));
    assert_eq!(case(FormatId::Ue4m3, 0x40, 0x30), Some(0));
    assert_eq!(case(FormatId::Ue4m3, 0x40, 0x40), Some(2));
    assert_eq!(case(FormatId::Ue4m3, 0x01, 0x38), Some(-9));
    assert_eq!(case(FormatId::Ue4m3, 0x3c, 0x38), None, "1.5 * 1");
    assert_eq!(case(FormatId::Ue4m3, 0x3c, 0x3c), None, "1.5 * 1.5");
}

/// 32 E4M3 products (E8M0 scales `s` each) with `terms` at their positions, zeros elsewhere.
fn eval_e4m3(n: &Numerics, terms: &[(usize, u32, u32)], s: u32, c: u32) -> [u32; 3] {
    let (mut a, mut b) = ([0u32; 32], [0u32; 32]);
    for &(i, x, y) in terms {
        (a[i], b[i]) = (x, y);
    }
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &[s],
        sb: &[s],
        c,
    };
    let d = Dot::new(spec(FormatId::E4m3, FormatId::E4m3, FormatId::E8m0, 32), n).unwrap();
    [
        d.eval(&ops).unwrap(),
        d.clone().force_portable().eval(&ops).unwrap(),
        d.force_generic().eval(&ops).unwrap(),
    ]
}

/// `hopper-wgmma-fp8` with RNE cuts (`shifted_out = rne`): the accumulator C joins the
/// window of 1 * 1 (Emax 0, 13 fraction bits: units of 2^-13) and is cut by RNE; the sum is
/// exact in E8M13 (RZ changes nothing). FP32 patterns: 1 + 2^-13 = 0x3f800400, 1 + 2^-12 =
/// 0x3f800800.
#[test]
fn rne_cut_of_the_accumulator_ties_to_even() {
    let mut n = numerics::preset("hopper-wgmma-fp8").unwrap();
    n.shifted_out = ShiftedOut::Rne;
    let one = [(0, 0x38, 0x38)];
    for (c, want, what) in [
        // 2^-14 = 0.5 unit: a tie, to the even 0.
        (0x3880_0000, 0x3f80_0000, "C = 2^-14"),
        // 1.5 units: a tie, to the even 2.
        (0x3940_0000, 0x3f80_0800, "C = 3 * 2^-14"),
        // 2.5 units: a tie, to the even 2.
        (0x39a0_0000, 0x3f80_0800, "C = 5 * 2^-14"),
        // 0.5 unit + 2^-20: above the tie, up to 1.
        (0x3882_0000, 0x3f80_0400, "C = 2^-14 + 2^-20"),
        // 0.5 unit - 2^-21: below it, down to 0.
        (0x387f_0000, 0x3f80_0000, "C = 2^-14 - 2^-22"),
    ] {
        assert_eq!(eval_e4m3(&n, &one, 127, c), [want; 3], "{what}");
    }
}

/// No non-zero product in a block of huge scales (2^127 each): the group has no Emax of its
/// own, so C = 1 keeps its own alignment and passes the E8M13 accumulator whole: D = 1.
#[test]
fn a_group_without_products_keeps_the_accumulator() {
    let n = numerics::preset("hopper-wgmma-fp8").unwrap();
    assert_eq!(eval_e4m3(&n, &[], 254, 0x3f80_0000), [0x3f80_0000; 3]);
    // And with a product far below: 2^-9 * 2^-9 * 2^254 = 2^236 is not below; use scales 1
    // and C = 2^100, a product 1 * 1 wholly below C's window: D = 2^100 (RZ).
    assert_eq!(
        eval_e4m3(&n, &[(5, 0x38, 0x38)], 127, 0x7180_0000),
        [0x7180_0000; 3]
    );
}

/// Three ways in chunks of two (`hopper-wgmma-fp8` over spans of 6, groups of 2 products),
/// looked up by gathers. E5M2 with scales 2^127 each: 57344 = 1.75 * 2^15, 49152 = 1.5 *
/// 2^15. Span 0 is zeros. In span 1, way 0 (positions 6, 7) sums (-1.75 + 1.5) * 1.75 *
/// 2^284 = -1.75 * 2^282: the E8M13 accumulator overflows to -Inf. Ways 1 (8, 9) and 2 (10,
/// 11) hold zeros, so -Inf stays: D = -Inf (an Inf accumulator is kept by every later group).
#[test]
fn three_ways_in_chunks_of_two_keep_an_overflowed_accumulator() {
    let mut n = numerics::preset("hopper-wgmma-fp8").unwrap();
    n.group = 2;
    n.group_layout = GroupLayout::Interleaved {
        ways: 3,
        span: 6,
        chunk: 2,
    };
    let d = Dot::new(spec(FormatId::E5m2, FormatId::E5m2, FormatId::E8m0, 12), &n).unwrap();
    assert!(d.pair.is_some());
    let (mut a, mut b) = ([0u32; 12], [0u32; 12]);
    for (i, x) in [(6, 0xfb), (7, 0x7a)] {
        (a[i], b[i]) = (x, 0x7b);
    }
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &[254],
        sb: &[254],
        c: 0,
    };
    for (form, d) in [
        ("gather", d.clone().force_gather(true)),
        ("loads", d.clone().force_gather(false)),
        ("portable", d.clone().force_portable()),
        ("general", d.clone().force_generic()),
    ] {
        assert_eq!(d.eval(&ops).unwrap(), 0xff80_0000, "{form}");
    }
}

/// A zero scale (UE4M3 code 0) makes every product of its block zero: under two ways of
/// single products (`hopper-wgmma-fp8`, groups of 4 interleaved over spans of 8) with 448 *
/// 448 everywhere, no group has an Emax, and C = 1 + 2^-10 (0x3f802000, held by E8M13)
/// passes whole. (Products looked up anyway would raise Emax to about 2^11 and cut C.)
#[test]
fn a_zero_scale_block_leaves_the_accumulator_whole() {
    let mut n = numerics::preset("hopper-wgmma-fp8").unwrap();
    n.group = 4;
    n.group_layout = GroupLayout::Interleaved {
        ways: 2,
        span: 8,
        chunk: 1,
    };
    let d = Dot::new(
        spec(FormatId::E4m3, FormatId::E4m3, FormatId::Ue4m3, 32),
        &n,
    )
    .unwrap();
    assert!(d.pair.is_some());
    let a = [0x7eu32; 32];
    let ops = Operands {
        a: &a,
        b: &a,
        sa: &[0],
        sb: &[0x38],
        c: 0x3f80_2000,
    };
    for (form, d) in [
        ("gather", d.clone().force_gather(true)),
        ("loads", d.clone().force_gather(false)),
        ("portable", d.clone().force_portable()),
        ("general", d.clone().force_generic()),
    ] {
        assert_eq!(d.eval(&ops).unwrap(), 0x3f80_2000, "{form}");
    }
}
