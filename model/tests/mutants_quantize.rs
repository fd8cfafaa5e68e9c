//! Quantization (`quantize`) against values worked out by hand from spec/quantize.md, for the
//! cargo-mutants survivors of quantize.rs (docs/reliability.md, mutation/qf-results.md): names
//! and parsing, error text, buffer checks, SplitMix64's published outputs, the NVFP4 tensor
//! scale at a subnormal tie, exact element ties under two-level scaling, signed zeros of zero
//! and negligible blocks, and stochastic rounding's element index on both paths.
//!
//! Every expected code is written out from the E2M1 grid {0, 0.5, 1, 1.5, 2, 3, 4, 6} (sign
//! bit 0x8), UE4M3 1.0 = 0x38 (exponent field 7 << 3), E8M0 2^0 = 0x7f; stochastic results from
//! the rule of spec/quantize.md ("away from zero iff f + r >= 2^32") with `f` exact in a few
//! bits and `r` from `random_bits`, itself pinned to the published SplitMix64 sequence below.

use mxref_model::quantize::{random_bits, ElemRound, QuantSpec, Quantizer, ScaleRule};
use mxref_model::FormatId as F;

/// FP32 bits of a value that FP32 holds exactly.
fn b(x: f32) -> u32 {
    x.to_bits()
}

fn quantizer(elem: F, scale_fmt: F, block: usize, rule: ScaleRule, round: ElemRound) -> Quantizer {
    Quantizer::new(QuantSpec {
        elem,
        scale_fmt,
        block,
        rule,
        round,
    })
    .unwrap()
}

/// (scales, codes) of `x` with one call.
fn run(q: &Quantizer, x: &[u32], ts: u32, first: u64) -> (Vec<u32>, Vec<u32>) {
    let mut s = vec![0; x.len() / q.spec().block];
    let mut c = vec![0; x.len()];
    q.quantize(x, ts, first, &mut s, &mut c).unwrap();
    (s, c)
}

#[test]
fn rule_and_rounding_names() {
    let rules = [
        (ScaleRule::Floor, "floor"),
        (ScaleRule::Ceil, "ceil"),
        (ScaleRule::Rceil, "rceil"),
        (ScaleRule::Nvfp4, "nvfp4"),
    ];
    for (r, n) in rules {
        assert_eq!(r.name(), n);
        assert_eq!(n.parse::<ScaleRule>(), Ok(r));
    }
    assert_eq!(
        "round".parse::<ScaleRule>(),
        Err("unknown scale rule \"round\" (known: floor, ceil, rceil, nvfp4)".to_string())
    );
    assert_eq!(ElemRound::parse("rne", 9), Ok(ElemRound::Rne));
    assert_eq!(ElemRound::parse("rna", 9), Ok(ElemRound::Rna));
    assert_eq!(ElemRound::parse("rz", 9), Ok(ElemRound::Rz));
    assert_eq!(
        ElemRound::parse("stochastic", 9),
        Ok(ElemRound::Stochastic { seed: 9 })
    );
    assert_eq!(
        ElemRound::parse("RNE", 0),
        Err("unknown rounding \"RNE\" (known: rne, rna, rz, stochastic)".to_string())
    );
}

#[test]
fn errors_print_field_and_message() {
    let e = Quantizer::new(QuantSpec {
        elem: F::E4m3,
        scale_fmt: F::E8m0,
        block: 0,
        rule: ScaleRule::Floor,
        round: ElemRound::Rne,
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "block: 0 is outside 1..=65536");
}

#[test]
fn output_buffers_must_both_match() {
    let q = quantizer(F::E4m3, F::E8m0, 2, ScaleRule::Floor, ElemRound::Rne);
    let x = [b(1.0); 4];
    // Either buffer of the wrong length alone is refused.
    for (ns, nc) in [(2, 3), (1, 4), (3, 4), (2, 5)] {
        let (mut s, mut c) = (vec![0; ns], vec![0; nc]);
        let e = q.quantize(&x, 0, 0, &mut s, &mut c).unwrap_err();
        assert_eq!(e.field, "x", "{ns} {nc}");
        assert_eq!(e.msg, "output buffers do not match the input length");
    }
    let (mut s, mut c) = (vec![0; 2], vec![0; 4]);
    assert!(q.quantize(&x, 0, 0, &mut s, &mut c).is_ok());
}

#[test]
fn random_bits_are_splitmix64() {
    // High halves of SplitMix64's first eight outputs. Seed 0: the published sequence
    // (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec, ...);
    // both seeds by a Python transcription of spec/quantize.md's five lines:
    //   M=(1<<64)-1; z=(seed+(i+1)*0x9e3779b97f4a7c15)&M; z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M;
    //   z=((z^(z>>27))*0x94d049bb133111eb)&M; hex((z^(z>>31))>>32)
    let want: [(u64, [u32; 8]); 2] = [
        (
            0,
            [
                0xe220a839, 0x6e789e6a, 0x06c45d18, 0xf88bb8a8, 0x1b39896a, 0x53cb9f0c, 0x2c829abe,
                0xc584133a,
            ],
        ),
        (
            0x0123_4567_89ab_cdef,
            [
                0x157a3807, 0xd573529b, 0x2f90b72e, 0xa2d41933, 0x01404ce9, 0x14bc574c, 0xb8fc5b10,
                0x8931545f,
            ],
        ),
    ];
    for (seed, outs) in want {
        for (i, w) in outs.into_iter().enumerate() {
            assert_eq!(random_bits(seed, i as u64), w, "seed {seed:#x} i {i}");
        }
    }
}

#[test]
fn nvfp4_tensor_scale_rounds_once() {
    // E2M1 with UE4M3: tensor_scale = RNE_fp32(T / 2688), 2688 = 6 * 448 = 21 * 2^7.
    let q = quantizer(F::E2m1, F::Ue4m3, 16, ScaleRule::Nvfp4, ElemRound::Rne);
    // T = 6720 * 2^-149 (FP32 bits 6720): T / 2688 = 2.5 * 2^-149, an exact tie between the
    // subnormals 2 and 3 (* 2^-149): to even, 2.
    assert_eq!(q.tensor_scale(&[6720]), 2);
    // 9408 * 2^-149 / 2688 = 3.5 * 2^-149: to even, 4. 4032 -> 1.5 -> 2.
    assert_eq!(q.tensor_scale(&[9408]), 4);
    assert_eq!(q.tensor_scale(&[4032, 0x8000_0001]), 2);
    // Just off the tie: 6721 / 2688 * 2^-149 is above 2.5 * 2^-149: 3.
    assert_eq!(q.tensor_scale(&[6721]), 3);
    // 2688 itself: exactly 1.0. Non-finite inputs do not count.
    assert_eq!(q.tensor_scale(&[b(-2688.0), 0x7fc0_0000]), b(1.0));
    // All zero: 1.0; a quotient that rounds to 0: the smallest subnormal.
    assert_eq!(q.tensor_scale(&[0, 0x8000_0000]), b(1.0));
    assert_eq!(q.tensor_scale(&[1]), 1);
}

/// One block of 16 for the two-level tests. The test multiplies it by the tensor scale `ts`
/// (exactly, in FP32), so the block scale is 6 * ts / (6 * ts) = 1.0 (UE4M3 0x38).
const TIES: [f32; 16] = [
    6.0, 2.5, -2.5, 0.75, 1.25, 5.0, 0.25, -0.0, 0.0, -5.0, 3.5, -0.75, 1.75, 0.5, 4.0, -6.0,
];

#[test]
fn nvfp4_exact_ties() {
    // Elements are x / (1.0 * ts) exactly: ties of the E2M1 grid. RNE: 2.5 -> 2, 0.75 -> 1
    // (0.5 has the odd significand), 1.25 -> 1, 5 -> 4, 0.25 -> 0, 3.5 -> 4, 1.75 -> 2.
    // RNA: every tie away from zero. RZ: toward zero.
    #[rustfmt::skip]
    let want = [
        (ElemRound::Rne, [0x7, 0x4, 0xc, 0x2, 0x2, 0x6, 0x0, 0x8, 0x0, 0xe, 0x6, 0xa, 0x4, 0x1, 0x6, 0xf]),
        (ElemRound::Rna, [0x7, 0x5, 0xd, 0x2, 0x3, 0x7, 0x1, 0x8, 0x0, 0xf, 0x6, 0xa, 0x4, 0x1, 0x6, 0xf]),
        (ElemRound::Rz,  [0x7, 0x4, 0xc, 0x1, 0x2, 0x6, 0x0, 0x8, 0x0, 0xe, 0x5, 0x9, 0x3, 0x1, 0x6, 0xf]),
    ];
    // Tensor scales 1.0 and 0.75 (the divisor 1.0 * 0.75 has significand 8 * 0xc00000).
    for ts in [1.0f32, 0.75] {
        let x: Vec<u32> = TIES.iter().map(|&v| b(v * ts)).collect();
        for (round, codes) in want {
            let q = quantizer(F::E2m1, F::Ue4m3, 16, ScaleRule::Nvfp4, round);
            let (s, c) = run(&q, &x, b(ts), 0);
            assert_eq!(s, [0x38], "{round:?} ts {ts}");
            assert_eq!(c, codes, "{round:?} ts {ts}");
        }
    }
}

#[test]
fn nvfp4_zero_and_negligible_blocks_keep_signs() {
    let x = [
        0.0f32, -0.0, -0.0, 0.0, 1.0, -1.0, 0.5, -6.0, 0.0, -0.0, 3.0, -3.0, 2.0, -2.0, 0.25, -0.25,
    ];
    // Signed zeros: +0 -> 0x0, -0 -> 0x8 (spec/quantize.md: "signed zeros keep their sign").
    let signs: Vec<u32> = x
        .iter()
        .map(|v| if v.is_sign_negative() { 8 } else { 0 })
        .collect();
    let zeros: Vec<u32> = x.iter().map(|&v| b(v) & 0x8000_0000).collect();
    for round in [ElemRound::Rne, ElemRound::Stochastic { seed: 3 }] {
        let q = quantizer(F::E2m1, F::Ue4m3, 16, ScaleRule::Nvfp4, round);
        // All zero: scale 0 and signed zero elements.
        let (s, c) = run(&q, &zeros, b(1.0), 0);
        assert_eq!((s[0], &c), (0, &signs), "{round:?}");
        // Negligible next to the tensor: 6 / (6 * 2^20) = 2^-20 is below half of UE4M3's
        // smallest subnormal (2^-10), so the scale is 0 and every element a signed zero.
        let x: Vec<u32> = x.iter().map(|&v| b(v)).collect();
        let (s, c) = run(&q, &x, b(1048576.0), 0);
        assert_eq!((s[0], &c), (0, &signs), "{round:?}");
    }
}

/// Stochastic rounding of a magnitude between grid codes `lo` and `hi` whose discarded part
/// is `f` (a 32-bit fraction of the gap): `hi` iff `f + r >= 2^32` (spec/quantize.md).
fn stoch(lo: u32, hi: u32, f: u64, r: u32) -> u32 {
    if f + r as u64 >= 1 << 32 {
        hi
    } else {
        lo
    }
}

/// Elements with exact quotients (x / 1.0) and their E2M1 neighbours (codes with sign) and
/// discarded fractions, for an amax-6 block whose scale is 1.
const Q: u64 = 1 << 30; // a quarter of the gap
#[rustfmt::skip]
const STOCH: [(f32, u32, u32, u64); 16] = [
    (6.0, 0x7, 0x7, 0),
    (2.25, 0x4, 0x5, Q),
    (-2.25, 0xc, 0xd, Q),
    (0.25, 0x0, 0x1, 2 * Q),
    (-0.25, 0x8, 0x9, 2 * Q),
    (5.0, 0x6, 0x7, 2 * Q),
    (1.75, 0x3, 0x4, 2 * Q),
    (-0.0, 0x8, 0x8, 0),
    (0.75, 0x1, 0x2, 2 * Q),
    (-1.25, 0xa, 0xb, 2 * Q),
    (3.5, 0x5, 0x6, 2 * Q),
    (0.125, 0x0, 0x1, Q),
    (-4.5, 0xe, 0xf, Q),
    (2.75, 0x4, 0x5, 3 * Q),
    (0.0, 0x0, 0x0, 0),
    (-3.0, 0xd, 0xd, 0),
];

fn stoch_want(seed: u64, first: u64) -> Vec<u32> {
    STOCH
        .iter()
        .enumerate()
        .map(|(i, &(_, lo, hi, f))| stoch(lo, hi, f, random_bits(seed, first + i as u64)))
        .collect()
}

#[test]
fn stochastic_power_of_two_uses_the_element_index() {
    // Floor with E8M0: amax 6 gives k = floor(log2 6) - 2 = 0, scale 2^0 = 0x7f. Blocks of 8:
    // the second block's elements are indices first + 8 ..= first + 15.
    let x: Vec<u32> = STOCH.iter().map(|s| b(s.0)).collect();
    let mut ups = 0;
    for seed in 0..40u64 {
        let q = quantizer(
            F::E2m1,
            F::E8m0,
            8,
            ScaleRule::Floor,
            ElemRound::Stochastic { seed },
        );
        for first in [0u64, 1000] {
            let want = stoch_want(seed, first);
            let (s, c) = run(&q, &x, 0, first);
            assert_eq!(s, [0x7f, 0x7f]);
            assert_eq!(c, want, "seed {seed} first {first}");
            ups += want
                .iter()
                .zip(&STOCH)
                .filter(|(w, s)| **w == s.2 && s.3 > 0)
                .count();
        }
    }
    // Both outcomes occurred (the test sees the random bits, not a constant).
    assert!(ups > 200 && ups < 800, "{ups}");
}

#[test]
fn stochastic_two_level_uses_the_element_index() {
    // NVFP4: block scale 6 * ts / (6 * ts) = 1.0 (0x38); elements x / ts exactly, rounded
    // with the random bits of index first + i (the two-level path without lookup tables).
    for ts in [1.0f32, 0.75] {
        let x: Vec<u32> = STOCH.iter().map(|s| b(s.0 * ts)).collect();
        for seed in 0..40u64 {
            let q = quantizer(
                F::E2m1,
                F::Ue4m3,
                16,
                ScaleRule::Nvfp4,
                ElemRound::Stochastic { seed },
            );
            for first in [0u64, 16, 1000] {
                let (s, c) = run(&q, &x, b(ts), first);
                assert_eq!(s, [0x38]);
                assert_eq!(
                    c,
                    stoch_want(seed, first),
                    "seed {seed} first {first} ts {ts}"
                );
            }
        }
    }
}
