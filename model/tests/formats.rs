//! Every code of every format, checked against a second derivation written from the OCP
//! Microscaling v1.0 tables (and the NVFP4 / UE5M3 definitions in spec/formats.md) rather than
//! from `FORMATS`; round trips; rounding at every midpoint between neighbouring codes.

use mxref_model::format::{decode_f32, Class, EncodeRound, Overflow, Specials};
use mxref_model::{FormatId, Raw, Round, FORMATS};

/// Value of `code` from the spec's own description of each format, as f64 (exact here).
/// `None` is NaN; infinities are f64 infinities.
fn spec_value(id: FormatId, code: u32) -> Option<f64> {
    // (sign bit position or None, exponent bits, mantissa bits, bias)
    let minifloat = |sign: Option<u32>, e_bits: u32, m_bits: u32, bias: i32| -> f64 {
        let s = match sign {
            Some(p) if (code >> p) & 1 == 1 => -1.0,
            _ => 1.0,
        };
        let e = ((code >> m_bits) & ((1 << e_bits) - 1)) as i32;
        let m = (code & ((1 << m_bits) - 1)) as f64 / (1u32 << m_bits) as f64;
        if e == 0 {
            s * m * 2f64.powi(1 - bias)
        } else {
            s * (1.0 + m) * 2f64.powi(e - bias)
        }
    };
    match id {
        // OCP v1.0 table 2: E4M3 has no Inf; S.1111.111 is NaN.
        FormatId::E4m3 => (code & 0x7f != 0x7f).then(|| minifloat(Some(7), 4, 3, 7)),
        // E5M2: IEEE-like; exponent 31 is Inf (mantissa 0) or NaN.
        FormatId::E5m2 => {
            if (code >> 2) & 0x1f == 0x1f {
                (code & 3 == 0).then_some(if code & 0x80 != 0 {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
            } else {
                Some(minifloat(Some(7), 5, 2, 15))
            }
        }
        FormatId::E2m3 => Some(minifloat(Some(5), 2, 3, 1)),
        FormatId::E3m2 => Some(minifloat(Some(5), 3, 2, 3)),
        FormatId::E2m1 => Some(minifloat(Some(3), 2, 1, 1)),
        // MXINT8: two's complement with an implicit scale of 2^-6.
        FormatId::Int8 => Some((code as u8 as i8) as f64 / 64.0),
        // E8M0: 2^(code - 127); 0xFF is NaN.
        FormatId::E8m0 => (code != 0xff).then(|| 2f64.powi(code as i32 - 127)),
        // UE4M3: E4M3 without the sign bit (7 bits), 0x7F NaN.
        FormatId::Ue4m3 => (code != 0x7f).then(|| minifloat(None, 4, 3, 7)),
        // UE5M3: 5 exponent bits, bias 15, subnormals, 0xFF the one NaN, no Inf.
        FormatId::Ue5m3 => (code != 0xff).then(|| minifloat(None, 5, 3, 15)),
        // IEEE 754 binary16: exponent 31 is Inf (mantissa 0) or NaN.
        FormatId::Fp16 => {
            if (code >> 10) & 0x1f == 0x1f {
                (code & 0x3ff == 0).then_some(if code & 0x8000 != 0 {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
            } else {
                Some(minifloat(Some(15), 5, 10, 15))
            }
        }
        // BF16 is the top half of an FP32 pattern, TF32 (19-bit code) its top 19 bits.
        FormatId::Bf16 => Some(f32::from_bits(code << 16) as f64).filter(|x| !x.is_nan()),
        FormatId::Tf32 => Some(f32::from_bits(code << 13) as f64).filter(|x| !x.is_nan()),
        // FNUZ FP8 (AMD CDNA3; the 8-bit floats of Graphcore/AMD's proposal): bias one more
        // than OCP's, 0x80 the only NaN, no -0, no Inf.
        FormatId::E4m3fnuz => (code != 0x80).then(|| minifloat(Some(7), 4, 3, 8)),
        FormatId::E5m2fnuz => (code != 0x80).then(|| minifloat(Some(7), 5, 2, 16)),
        FormatId::Fp32 => Some(f32::from_bits(code) as f64).filter(|x| !x.is_nan()),
    }
}

fn model_value(id: FormatId, code: u32) -> Option<f64> {
    let v = id.format().decode(code).unwrap();
    let s = if v.neg { -1.0 } else { 1.0 };
    match v.class {
        Class::Nan => None,
        Class::Inf => Some(s * f64::INFINITY),
        Class::Zero => Some(s * 0.0),
        Class::Finite => Some(s * v.sig as f64 * 2f64.powi(v.exp)),
    }
}

#[test]
fn decode_agrees_with_spec_derivation_for_every_code() {
    let widths = [
        (FormatId::E4m3, 8),
        (FormatId::E5m2, 8),
        (FormatId::E2m3, 6),
        (FormatId::E3m2, 6),
        (FormatId::E2m1, 4),
        (FormatId::Int8, 8),
        (FormatId::E8m0, 8),
        (FormatId::Ue4m3, 7),
        (FormatId::Ue5m3, 8),
        (FormatId::Fp16, 16),
        (FormatId::Bf16, 16),
        (FormatId::Tf32, 19),
        (FormatId::E4m3fnuz, 8),
        (FormatId::E5m2fnuz, 8),
        (FormatId::Fp32, 32),
    ];
    assert_eq!(
        widths.len(),
        FORMATS.len(),
        "a format without a spec derivation"
    );
    for (id, bits) in widths {
        let f = id.format();
        assert_eq!(f.bits(), bits, "{id}");
        if bits == 32 {
            continue; // FP32: fp32_decode_agrees_with_the_hardware_on_sampled_codes
        }
        for code in 0..1u32 << bits {
            let (a, b) = (spec_value(id, code), model_value(id, code));
            match (a, b) {
                (None, None) => {}
                (Some(x), Some(y)) => {
                    assert_eq!(x, y, "{id} code {code:#x}");
                    assert_eq!(
                        x.is_sign_negative(),
                        y.is_sign_negative(),
                        "{id} code {code:#x} sign"
                    );
                }
                _ => panic!("{id} code {code:#x}: spec {a:?} model {b:?}"),
            }
        }
        assert!(f.decode(1 << bits).is_err(), "{id}: code past the end");
    }
}

/// FP32 has 2^32 codes: every special and boundary pattern, then 2^20 spread codes, against
/// the host's own decode (`f32::from_bits`).
#[test]
fn fp32_decode_agrees_with_the_hardware_on_sampled_codes() {
    let mut codes: Vec<u32> = vec![
        0,
        1,
        0x007f_ffff,
        0x0080_0000,
        0x3f80_0000,
        0x7f7f_ffff,
        0x7f80_0000,
        0x7f80_0001,
        0x7fc0_0000,
        0x7fff_ffff,
        u32::MAX,
    ];
    codes.extend((0..1u32 << 20).map(|i| i.wrapping_mul(0x9e37_79b9) ^ (i >> 3)));
    for c in codes.iter().flat_map(|&c| [c, c ^ 0x8000_0000]) {
        let x = f32::from_bits(c);
        match model_value(FormatId::Fp32, c) {
            None => assert!(x.is_nan(), "{c:#x}"),
            Some(y) => {
                assert_eq!(y, x as f64, "{c:#x}");
                assert_eq!(y.is_sign_negative(), x.is_sign_negative(), "{c:#x}");
            }
        }
        assert_eq!(
            spec_value(FormatId::Fp32, c),
            model_value(FormatId::Fp32, c)
        );
    }
    assert!(FormatId::Fp32.format().decode(u32::MAX).is_ok());
}

#[test]
fn published_extremes() {
    // OCP v1.0 tables 1-3 (and spec/formats.md for the scales).
    let cases: [(FormatId, f64, f64, Option<f64>); 12] = [
        // FNUZ: one more binade at the top (no NaN there), bias one more than OCP's.
        (
            FormatId::E4m3fnuz,
            240.0,
            2f64.powi(-7),
            Some(2f64.powi(-10)),
        ),
        (
            FormatId::E5m2fnuz,
            57344.0,
            2f64.powi(-15),
            Some(2f64.powi(-17)),
        ),
        (
            FormatId::Fp32,
            f32::MAX as f64,
            2f64.powi(-126),
            Some(2f64.powi(-149)),
        ),
        (FormatId::E4m3, 448.0, 2f64.powi(-6), Some(2f64.powi(-9))),
        (
            FormatId::E5m2,
            57344.0,
            2f64.powi(-14),
            Some(2f64.powi(-16)),
        ),
        (FormatId::E2m3, 7.5, 1.0, Some(0.125)),
        (FormatId::E3m2, 28.0, 0.25, Some(0.0625)),
        (FormatId::E2m1, 6.0, 1.0, Some(0.5)),
        (FormatId::Int8, 127.0 / 64.0, 1.0 / 64.0, None),
        (FormatId::E8m0, 2f64.powi(127), 2f64.powi(-127), None),
        (FormatId::Ue4m3, 448.0, 2f64.powi(-6), Some(2f64.powi(-9))),
        (
            FormatId::Ue5m3,
            114688.0,
            2f64.powi(-14),
            Some(2f64.powi(-17)),
        ),
    ];
    let v = |(s, e): (u64, i32)| s as f64 * 2f64.powi(e);
    for (id, max, min_normal, min_sub) in cases {
        let f = id.format();
        assert_eq!(v(f.max_finite()), max, "{id} max");
        assert_eq!(v(f.min_normal()), min_normal, "{id} min normal");
        assert_eq!(f.min_subnormal().map(v), min_sub, "{id} min subnormal");
        assert_eq!(
            model_value(id, f.max_code(false)),
            Some(max),
            "{id} max code"
        );
    }
}

fn raw_of(bits: u32) -> (bool, Raw) {
    let v = decode_f32(bits);
    (
        v.neg,
        Raw {
            sig: v.sig as u128,
            exp: v.exp,
            sticky: false,
        },
    )
}

const DIRS: [Round; 6] = [
    Round::Rne,
    Round::Rna,
    Round::Rz,
    Round::Up,
    Round::Down,
    Round::Odd,
];

#[test]
fn encode_of_decode_is_identity_for_every_non_nan_code() {
    // FP32's codes are sampled in fp32_decode_agrees_with_the_hardware_on_sampled_codes.
    for f in FORMATS.iter().filter(|f| f.bits() <= 19) {
        for code in 0..=f.code_mask() {
            let v = f.decode(code).unwrap();
            if matches!(v.class, Class::Nan | Class::Inf) {
                continue;
            }
            // INT8 0x80 (-2) is outside the symmetric range encode produces (spec/formats.md).
            if f.id == FormatId::Int8 && code == 0x80 {
                continue;
            }
            let raw = Raw {
                sig: v.sig as u128,
                exp: v.exp,
                sticky: false,
            };
            for mode in DIRS {
                for ov in [Overflow::Saturate, Overflow::Infinity] {
                    let e = f.encode(v.neg, raw, EncodeRound::Dir(mode), ov);
                    assert_eq!(e.code, code, "{} {code:#x} {mode:?}", f.name);
                    assert!(!e.inexact);
                }
            }
            for r in [0, 1 << 31, u32::MAX] {
                let e = f.encode(v.neg, raw, EncodeRound::Stochastic(r), Overflow::Saturate);
                assert_eq!(e.code, code, "{} {code:#x} stochastic {r:#x}", f.name);
            }
        }
    }
}

/// FP32 bits of a positive f64 that must be exactly representable in FP32.
fn f32_bits(x: f64) -> u32 {
    let f = x as f32;
    assert_eq!(f as f64, x, "{x} is not an FP32 value");
    f.to_bits()
}

/// Non-negative finite values of a format in increasing order, with their codes.
fn ladder(id: FormatId) -> Vec<(f64, u32)> {
    let f = id.format();
    let mut v: Vec<(f64, u32)> = (0..=f.code_mask())
        .filter_map(|c| model_value(id, c).map(|x| (x, c)))
        .filter(|(x, _)| x.is_finite() && x.is_sign_positive())
        .filter(|&(_, c)| !(id == FormatId::Int8 && c == 0x80))
        .collect();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    v
}

#[test]
fn every_midpoint_and_one_ulp_either_side_in_every_mode() {
    let mut checked = 0;
    for f in FORMATS.iter().filter(|f| f.bits() <= 19) {
        let id = f.id;
        let signs: &[bool] = if f.signed { &[false, true] } else { &[false] };
        let neg_code = |c: u32| match f.kind {
            mxref_model::format::Kind::Int => (c as u8 as i8).wrapping_neg() as u8 as u32,
            // FNUZ has no -0 (its sign-only code is the NaN): a negative zero result is +0.
            _ if c == 0 && f.specials == Specials::Fnuz => 0,
            _ => c | 1 << (f.bits() - 1),
        };
        for w in ladder(id).windows(2) {
            let ((lo, lo_c), (hi, hi_c)) = (w[0], w[1]);
            let mid = (lo + hi) / 2.0;
            // E8M0's midpoints sit beyond FP32 at the top; they are not FP32 inputs anyway.
            if mid > f32::MAX as f64 || mid < f64::from(f32::from_bits(1)) {
                continue;
            }
            let mb = f32_bits(mid);
            // Ties go to the even code; with no fraction bits (E8M0) both significands are 1
            // and the tie goes up.
            let even_c = if f.man_bits == 0 {
                hi_c
            } else if lo_c % 2 == 0 {
                lo_c
            } else {
                hi_c
            };
            for &neg in signs {
                let sc = |c: u32| if neg { neg_code(c) } else { c };
                let enc = |bits: u32, mode: EncodeRound| {
                    let (_, raw) = raw_of(bits);
                    f.encode(neg, raw, mode, Overflow::Saturate).code
                };
                let d = EncodeRound::Dir;
                // At the midpoint.
                assert_eq!(
                    enc(mb, d(Round::Rne)),
                    sc(even_c),
                    "{id} rne mid {mid} neg={neg}"
                );
                assert_eq!(enc(mb, d(Round::Rna)), sc(hi_c), "{id} rna mid {mid}");
                assert_eq!(enc(mb, d(Round::Rz)), sc(lo_c), "{id} rz mid {mid}");
                let (toward_pos, toward_neg) = if neg { (lo_c, hi_c) } else { (hi_c, lo_c) };
                assert_eq!(enc(mb, d(Round::Up)), sc(toward_pos), "{id} up mid {mid}");
                assert_eq!(
                    enc(mb, d(Round::Down)),
                    sc(toward_neg),
                    "{id} down mid {mid}"
                );
                let odd_c = if f.man_bits == 0 || lo_c % 2 == 1 {
                    lo_c
                } else {
                    hi_c
                };
                if f.subnormals || f.man_bits > 0 {
                    assert_eq!(enc(mb, d(Round::Odd)), sc(odd_c), "{id} odd mid {mid}");
                }
                assert_eq!(enc(mb, EncodeRound::Stochastic(0)), sc(lo_c), "{id} sr 0");
                assert_eq!(enc(mb, EncodeRound::Stochastic((1 << 31) - 1)), sc(lo_c));
                assert_eq!(
                    enc(mb, EncodeRound::Stochastic(1 << 31)),
                    sc(hi_c),
                    "{id} sr half"
                );
                // One FP32 ulp either side: every nearest mode agrees.
                for (bits, want) in [(mb - 1, lo_c), (mb + 1, hi_c)] {
                    for m in [Round::Rne, Round::Rna] {
                        assert_eq!(enc(bits, d(m)), sc(want), "{id} {m:?} {bits:#x} neg={neg}");
                    }
                    assert_eq!(enc(bits, d(Round::Rz)), sc(lo_c), "{id} rz {bits:#x}");
                }
                checked += 1;
            }
        }
        // Beyond the largest value: saturation to max, or Inf/NaN when asked.
        let (ms, me) = f.max_finite();
        let big = Raw {
            sig: (ms as u128) * 4 + 3,
            exp: me - 2,
            sticky: false,
        };
        let e = f.encode(false, big, EncodeRound::Dir(Round::Rne), Overflow::Saturate);
        assert_eq!(e.code, f.max_code(false), "{id} saturates");
        assert!(e.overflow);
        let e = f.encode(false, big, EncodeRound::Dir(Round::Rne), Overflow::Infinity);
        let want = f
            .inf_code(false)
            .or(f.nan_code())
            .unwrap_or(f.max_code(false));
        assert_eq!(e.code, want, "{id} overflows");
    }
    assert!(checked > 1500, "only {checked} midpoints checked");
}
