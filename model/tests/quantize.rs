//! Quantization invariants (spec/quantize.md) against references written here with f64
//! arithmetic and a nearest-value search over each format's code table, independent of the
//! model's integer path.

use mxref_model::quantize::{random_bits, ElemRound, QuantSpec, Quantizer, ScaleRule};
use mxref_model::{Class, FormatId};
use proptest::prelude::*;

const ELEMS: [FormatId; 6] = [
    FormatId::E4m3,
    FormatId::E5m2,
    FormatId::E2m3,
    FormatId::E3m2,
    FormatId::E2m1,
    FormatId::Int8,
];

fn value(id: FormatId, code: u32) -> f64 {
    let v = id.format().decode(code).unwrap();
    let m = match v.class {
        Class::Finite => v.sig as f64 * 2f64.powi(v.exp),
        Class::Zero => 0.0,
        Class::Inf => f64::INFINITY,
        Class::Nan => f64::NAN,
    };
    if v.neg {
        -m
    } else {
        m
    }
}

/// Largest finite value of a format, from its code table.
fn max_value(id: FormatId) -> f64 {
    (0..=id.format().code_mask())
        .map(|c| value(id, c))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// Reference RNE-with-saturation: the nearest finite code to `y` by search, ties to the even
/// code; `None` when `y` is within 1e-9 (relative) of a tie, where an inexact `y` cannot decide.
fn nearest_code(id: FormatId, y: f64) -> Option<u32> {
    let f = id.format();
    let max = max_value(id);
    let y = y.clamp(-max, max);
    let mut best: Option<(f64, u32)> = None;
    let mut tie = false;
    for c in 0..=f.code_mask() {
        if id == FormatId::Int8 && c == 0x80 {
            continue;
        }
        let v = value(id, c);
        if !v.is_finite() {
            continue;
        }
        let d = (v - y).abs();
        match best {
            None => best = Some((d, c)),
            Some((bd, bc)) => {
                if (d - bd).abs() <= 1e-9 * y.abs().max(1e-300) && value(id, bc) != v {
                    tie = true;
                    if d < bd || (d == bd && c % 2 == 0) {
                        best = Some((d, c));
                    }
                } else if d < bd {
                    best = Some((d, c));
                    tie = false;
                }
            }
        }
    }
    let (bd, bc) = best.unwrap();
    if tie {
        // Exact ties resolve to the even code; near-ties are left undecided.
        let exact_tie = (0..=f.code_mask())
            .any(|c| c != bc && value(id, c).is_finite() && (value(id, c) - y).abs() == bd);
        return exact_tie.then_some(bc);
    }
    Some(bc)
}

fn f32v(bits: u32) -> f64 {
    f32::from_bits(bits) as f64
}

/// FP32 inputs: mostly finite values across the whole range, some zeros and subnormals.
fn fp32() -> impl Strategy<Value = u32> {
    prop_oneof![
        8 => (any::<bool>(), 1u32..255, any::<u32>()).prop_map(|(s, e, m)| (s as u32) << 31 | e << 23 | (m & 0x7f_ffff)),
        // A narrow band of exponents so blocks have a realistic spread.
        8 => (any::<bool>(), 120u32..136, any::<u32>()).prop_map(|(s, e, m)| (s as u32) << 31 | e << 23 | (m & 0x7f_ffff)),
        1 => (any::<bool>(), any::<u32>()).prop_map(|(s, m)| (s as u32) << 31 | (m & 0x7f_ffff)),
        1 => Just(0u32),
        1 => Just(0x8000_0000u32),
    ]
}

fn block_of(n: usize) -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(fp32(), n)
}

fn amax(x: &[u32]) -> f64 {
    x.iter().map(|&b| f32v(b).abs()).fold(0.0, f64::max)
}

fn quantize(spec: QuantSpec, x: &[u32], ts: u32) -> (Vec<u32>, Vec<u32>) {
    let q = Quantizer::new(spec).unwrap();
    let mut s = vec![0; x.len() / spec.block];
    let mut c = vec![0; x.len()];
    q.quantize(x, ts, 0, &mut s, &mut c).unwrap();
    (s, c)
}

fn spec(elem: FormatId, rule: ScaleRule, block: usize) -> QuantSpec {
    QuantSpec {
        elem,
        scale_fmt: if rule.is_pow2() {
            FormatId::E8m0
        } else {
            FormatId::Ue4m3
        },
        block,
        rule,
        round: ElemRound::Rne,
    }
}

fn e8m0_exp(code: u32) -> i32 {
    code as i32 - 127
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// floor: scale = 2^(floor(log2 amax) - emax_elem) clamped to E8M0; elements are RNE of
    /// x / scale saturated to max normal, so no element exceeds max normal.
    #[test]
    fn floor_rule(ei in 0usize..6, blk in prop::sample::select(vec![16usize, 32]), x in block_of(32)) {
        let elem = ELEMS[ei];
        let (s, c) = quantize(spec(elem, ScaleRule::Floor, blk), &x, 0);
        let max = max_value(elem);
        let emax = max.log2().floor() as i32;
        for (k, xb) in x.chunks(blk).enumerate() {
            let a = amax(xb);
            let want = if a == 0.0 { -127 } else { (a.log2().floor() as i32 - emax).clamp(-127, 127) };
            prop_assert_eq!(e8m0_exp(s[k]), want, "amax {}", a);
            let scale = 2f64.powi(want);
            for (i, &v) in xb.iter().enumerate() {
                let code = c[k * blk + i];
                prop_assert!(value(elem, code).abs() <= max);
                if let Some(r) = nearest_code(elem, f32v(v) / scale) {
                    prop_assert_eq!(value(elem, code), value(elem, r), "x {} scale 2^{}", f32v(v), want);
                }
            }
        }
    }

    /// ceil: the smallest power-of-two scale with amax / scale <= max_elem; nothing saturates.
    #[test]
    fn ceil_rule(ei in 0usize..6, x in block_of(32)) {
        let elem = ELEMS[ei];
        let (s, c) = quantize(spec(elem, ScaleRule::Ceil, 32), &x, 0);
        let max = max_value(elem);
        let a = amax(&x);
        let k = e8m0_exp(s[0]);
        let scale = 2f64.powi(k);
        // Only the E8M0 ceiling (2^127) can force saturation: INT8 with amax > 127/64 * 2^127.
        prop_assert!(a / scale <= max || k == 127, "saturates: amax {} scale 2^{}", a, k);
        if a != 0.0 && k > -127 {
            prop_assert!(a / (scale / 2.0) > max, "not the smallest: amax {} scale 2^{}", a, k);
        }
        for (i, &v) in x.iter().enumerate() {
            if let Some(r) = nearest_code(elem, f32v(v) / scale) {
                prop_assert_eq!(value(elem, c[i]), value(elem, r));
            }
        }
    }

    /// rceil: amax * (1 / max_elem) in FP32, rounded up to a power of two.
    #[test]
    fn rceil_rule(ei in 0usize..6, x in block_of(32)) {
        let elem = ELEMS[ei];
        let (s, _) = quantize(spec(elem, ScaleRule::Rceil, 32), &x, 0);
        let q = (amax(&x) as f32) * (1.0f32 / max_value(elem) as f32);
        let want = if q == 0.0 { -127 } else { (q as f64).log2().ceil() as i32 };
        prop_assert_eq!(e8m0_exp(s[0]), want.clamp(-127, 127), "q {}", q);
    }

    /// nvfp4: tensor scale = amax / 2688 in FP32; block scale = UE4M3 RNE of
    /// amax_b / (6 * tensor_scale) saturated to 448; elements RNE of x / (scale * tensor_scale).
    #[test]
    fn nvfp4_rule(x in prop::collection::vec(fp32(), 64)) {
        let sp = QuantSpec { elem: FormatId::E2m1, scale_fmt: FormatId::Ue4m3, block: 16, rule: ScaleRule::Nvfp4, round: ElemRound::Rne };
        let q = Quantizer::new(sp).unwrap();
        let ts = q.tensor_scale(&x);
        let a = amax(&x);
        let tsv = f32v(ts);
        if a == 0.0 {
            prop_assert_eq!(ts, 0x3f80_0000);
        } else {
            let exact = a / 2688.0;
            let (below, above) = (f32::from_bits(ts - 1) as f64, f32::from_bits(ts + 1) as f64);
            prop_assert!(tsv > 0.0);
            // Nearest FP32 (or the smallest subnormal when the quotient is below half of it).
            prop_assert!((tsv - exact).abs() <= (below - exact).abs() || ts == 1, "ts {} exact {}", tsv, exact);
            prop_assert!((tsv - exact).abs() <= (above - exact).abs(), "ts {} exact {}", tsv, exact);
        }
        let (s, c) = quantize(sp, &x, ts);
        for (k, xb) in x.chunks(16).enumerate() {
            let want = nearest_code(FormatId::Ue4m3, amax(xb) / (6.0 * tsv));
            if let Some(w) = want {
                prop_assert_eq!(s[k], w, "block amax {}", amax(xb));
            }
            let sv = value(FormatId::Ue4m3, s[k]);
            for (i, &v) in xb.iter().enumerate() {
                let code = c[k * 16 + i];
                if sv == 0.0 {
                    prop_assert_eq!(value(FormatId::E2m1, code), 0.0);
                } else if let Some(r) = nearest_code(FormatId::E2m1, f32v(v) / (sv * tsv)) {
                    prop_assert_eq!(value(FormatId::E2m1, code), value(FormatId::E2m1, r));
                }
            }
        }
    }

    /// Stochastic results depend on (seed, index) only: converting in two calls with the
    /// right first index gives the same codes as one call.
    #[test]
    fn stochastic_is_reproducible_across_batching(ei in 0usize..6, seed in any::<u64>(), x in block_of(64)) {
        let sp = QuantSpec { round: ElemRound::Stochastic { seed }, ..spec(ELEMS[ei], ScaleRule::Floor, 32) };
        let q = Quantizer::new(sp).unwrap();
        let (mut s1, mut c1) = (vec![0; 2], vec![0; 64]);
        q.quantize(&x, 0, 0, &mut s1, &mut c1).unwrap();
        let (mut s2, mut c2) = (vec![0; 2], vec![0; 64]);
        q.quantize(&x[..32], 0, 0, &mut s2[..1], &mut c2[..32]).unwrap();
        q.quantize(&x[32..], 0, 32, &mut s2[1..], &mut c2[32..]).unwrap();
        prop_assert_eq!(&s1, &s2);
        prop_assert_eq!(&c1, &c2);
        // Every stochastic code is one of the two neighbours of the exact value: the
        // truncated one (RZ) or the next magnitude up, with the input's sign.
        let elem = ELEMS[ei];
        let sz = quantize(QuantSpec { round: ElemRound::Rz, ..spec(elem, ScaleRule::Floor, 32) }, &x, 0);
        prop_assert_eq!(&s1, &sz.0);
        let mags: Vec<f64> = (0..=elem.format().code_mask()).map(|c| value(elem, c).abs()).filter(|v| v.is_finite()).collect();
        for i in 0..64 {
            let (v, lo) = (value(elem, c1[i]), value(elem, sz.1[i]).abs());
            let next = mags.iter().copied().filter(|&m| m > lo).fold(f64::INFINITY, f64::min);
            let exact = f32v(x[i]).abs() / 2f64.powi(e8m0_exp(s1[i / 32]));
            prop_assert!(v.abs() == lo || (v.abs() == next && exact > lo), "code {} vs rz {}", c1[i], sz.1[i]);
            prop_assert!(v == 0.0 || (v < 0.0) == (f32v(x[i]) < 0.0));
        }
    }
}

#[test]
fn rceil_at_the_element_maximum() {
    // amax = max_elem: ceil gives scale 1; rceil gives what FP32 makes of max * (1/max).
    let mut differ = 0;
    for elem in ELEMS {
        let max = max_value(elem) as f32;
        let x = vec![max.to_bits(); 32];
        let (c, _) = quantize(spec(elem, ScaleRule::Ceil, 32), &x, 0);
        let (r, _) = quantize(spec(elem, ScaleRule::Rceil, 32), &x, 0);
        assert_eq!(c[0], 127, "{elem}");
        let q = max * (1.0f32 / max);
        let want = if q > 1.0 { 128 } else { 127 };
        assert_eq!(r[0], want, "{elem}: q = {q}");
        differ += (r[0] != c[0]) as u32;
    }
    println!("rceil differs from ceil at amax = max for {differ} element formats");
}

#[test]
fn stochastic_rounding_is_unbiased() {
    // 1.125 in E2M1 lies a quarter of the way from 1 to 1.5: over many indices about a
    // quarter of the elements round up. Block amax 4 (floor scale 2^0) keeps the scale at 1.
    let n = 32 * 2048;
    let mut x = vec![0x3f90_0000u32; n]; // 1.125
    for b in x.chunks_mut(32) {
        b[0] = 0x4080_0000; // 4.0
    }
    let sp = QuantSpec {
        round: ElemRound::Stochastic { seed: 42 },
        ..spec(FormatId::E2m1, ScaleRule::Floor, 32)
    };
    let q = Quantizer::new(sp).unwrap();
    let mut s = vec![0; n / 32];
    let mut c = vec![0; n];
    q.quantize(&x, 0, 0, &mut s, &mut c).unwrap();
    assert!(s.iter().all(|&s| s == 127));
    let ups = c
        .chunks(32)
        .flat_map(|b| &b[1..])
        .filter(|&&c| value(FormatId::E2m1, c) == 1.5)
        .count();
    let downs = c
        .chunks(32)
        .flat_map(|b| &b[1..])
        .filter(|&&c| value(FormatId::E2m1, c) == 1.0)
        .count();
    let m = (n / 32) * 31;
    assert_eq!(ups + downs, m);
    // Binomial(m, 1/4): sd = sqrt(m * 3/16) ~ 110; allow 6 sd.
    let expect = m as f64 / 4.0;
    let sd = (m as f64 * 3.0 / 16.0).sqrt();
    assert!(
        (ups as f64 - expect).abs() < 6.0 * sd,
        "{ups} ups of {m}, expected {expect}"
    );
    // Another seed gives a different pattern, the same seed the same one.
    let mut c2 = vec![0; n];
    Quantizer::new(QuantSpec {
        round: ElemRound::Stochastic { seed: 43 },
        ..sp
    })
    .unwrap()
    .quantize(&x, 0, 0, &mut s, &mut c2)
    .unwrap();
    assert_ne!(c, c2);
    let mut c3 = vec![0; n];
    q.quantize(&x, 0, 0, &mut s, &mut c3).unwrap();
    assert_eq!(c, c3);
}

#[test]
fn random_bits_are_uniform_enough() {
    // Mean of the top bit and of the bits over 2^16 indices.
    let n = 1 << 16;
    let top = (0..n).filter(|&i| random_bits(7, i) >> 31 == 1).count() as f64;
    assert!((top - n as f64 / 2.0).abs() < 6.0 * (n as f64 / 4.0).sqrt());
}

#[test]
fn specials_and_edges() {
    let q = |rule, elem| Quantizer::new(spec(elem, rule, 4)).unwrap();
    let run = |q: &Quantizer, x: [u32; 4]| {
        let mut s = [0u32; 1];
        let mut c = [9u32; 4];
        q.quantize(&x, 0x3f80_0000, 0, &mut s, &mut c).unwrap();
        (s[0], c)
    };
    for rule in [ScaleRule::Floor, ScaleRule::Ceil, ScaleRule::Rceil] {
        for elem in ELEMS {
            let qq = q(rule, elem);
            // NaN or Inf anywhere: NaN scale, zero codes.
            for sp in [0x7fc0_0000, 0x7f80_0000, 0xff80_0000, 0xffc0_0001] {
                assert_eq!(
                    run(&qq, [0x3f80_0000, sp, 0, 0]),
                    (0xff, [0; 4]),
                    "{rule:?} {elem}"
                );
            }
            // All zero: the smallest scale, signed zeros.
            let (s, c) = run(&qq, [0, 0x8000_0000, 0, 0]);
            assert_eq!(s, 0);
            assert_eq!(value(elem, c[0]), 0.0);
            assert_eq!(value(elem, c[1]), 0.0);
            // Smallest subnormal input: the scale clamps at 2^-127.
            let (s, _) = run(&qq, [1, 0, 0, 0]);
            assert_eq!(s, 0, "{rule:?} {elem}");
            // Largest FP32: the scale stays finite and the block does not overflow.
            let (s, c) = run(&qq, [0x7f7f_ffff, 0, 0, 0]);
            assert!((127..0xff).contains(&s), "{rule:?} {elem}");
            assert!(value(elem, c[0]).is_finite());
        }
    }
    // Floor at FP32's top: 2^127.99 with E2M1 gives 2^(127-2).
    let (s, c) = run(&q(ScaleRule::Floor, FormatId::E2m1), [0x7f7f_ffff, 0, 0, 0]);
    assert_eq!((s, c[0]), (125 + 127, 0x7));
}

#[test]
fn bad_specs_name_their_field() {
    let base = spec(FormatId::E4m3, ScaleRule::Floor, 32);
    let e = Quantizer::new(QuantSpec {
        elem: FormatId::E8m0,
        ..base
    })
    .unwrap_err();
    assert_eq!(e.field, "elem");
    let e = Quantizer::new(QuantSpec {
        scale_fmt: FormatId::E4m3,
        ..base
    })
    .unwrap_err();
    assert_eq!(e.field, "scale_fmt");
    let e = Quantizer::new(QuantSpec { block: 0, ..base }).unwrap_err();
    assert_eq!(e.field, "block");
    let e = Quantizer::new(QuantSpec {
        rule: ScaleRule::Nvfp4,
        ..base
    })
    .unwrap_err();
    assert_eq!(e.field, "scale_rule");
    let q = Quantizer::new(spec(FormatId::E2m1, ScaleRule::Nvfp4, 16)).unwrap();
    let (mut s, mut c) = ([0u32; 1], [0u32; 16]);
    for bad in [0u32, 0x8000_0000 | 0x3f80_0000, 0x7f80_0000, 0x7fc0_0000] {
        let e = q.quantize(&[0; 16], bad, 0, &mut s, &mut c).unwrap_err();
        assert_eq!(e.field, "tensor_scale");
    }
    let e = q
        .quantize(&[0; 15], 0x3f80_0000, 0, &mut s, &mut c)
        .unwrap_err();
    assert_eq!(e.field, "x");
}

#[test]
fn ue5m3_block_scales() {
    // Power-of-two rules clamp to UE5M3's powers of two (2^-17 .. 2^16); two-level rounds.
    let sp = QuantSpec {
        scale_fmt: FormatId::Ue5m3,
        ..spec(FormatId::E4m3, ScaleRule::Floor, 32)
    };
    let x = vec![0x4f80_0000u32; 32]; // 2^32
    let (s, c) = quantize(sp, &x, 0);
    assert_eq!(value(FormatId::Ue5m3, s[0]), 2f64.powi(16));
    assert_eq!(value(FormatId::E4m3, c[0]), 448.0); // 2^16 saturates
    let sp = QuantSpec {
        scale_fmt: FormatId::Ue5m3,
        ..spec(FormatId::E2m1, ScaleRule::Nvfp4, 16)
    };
    let x: Vec<u32> = (0..16)
        .map(|i| (1.0f32 + i as f32 / 3.0).to_bits())
        .collect();
    let q = Quantizer::new(sp).unwrap();
    let ts = q.tensor_scale(&x);
    // amax 6 / (6 * 114688): UE5M3's max at the top.
    assert_eq!(f32v(ts), (6.0f64 / (6.0 * 114688.0)) as f32 as f64);
    let (s, _) = quantize(sp, &x, ts);
    assert_eq!(value(FormatId::Ue5m3, s[0]), 114688.0);
}

#[test]
fn wide_formats_are_not_mx_elements() {
    for elem in FormatId::wide_elements() {
        let e = Quantizer::new(spec(elem, ScaleRule::Floor, 32)).unwrap_err();
        assert_eq!(e.field, "elem");
    }
}
