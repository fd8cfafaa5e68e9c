//! The format table (`format`): every derived property against values written out from the
//! OCP MX v1.0 tables, IEEE 754 and spec/formats.md; decode of every code against the
//! independent decoder of tests/support; and `encode` of the 8-bit-or-narrower formats, under
//! every rounding direction and both overflow policies, against a brute-force reference that
//! picks the neighbours of the exact value among all codes (big integers, its own tie and
//! overflow rules). Written for the cargo-mutants survivors of format.rs
//! (docs/reliability.md).

mod support;

use mxref_model::format::{
    decode_f32, pack_f32, Class, EncodeRound, Format, FormatError, Kind, Overflow,
};
use mxref_model::round::{Raw, Round, Rounded, Target};
use mxref_model::{FormatId, FORMATS};
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};
use support::reference::{decode, decode_f32 as ref_f32, RV};

use FormatId as F;

/// (format, bits, emin, emax, max_sig, max_finite, min_normal, min_subnormal, NaN code,
/// +Inf code, largest positive code, largest negative code), written out by hand.
type Row = (
    F,
    u32,
    i32,
    i32,
    u64,
    (u64, i32),
    (u64, i32),
    Option<(u64, i32)>,
    Option<u32>,
    Option<u32>,
    u32,
    u32,
);

#[rustfmt::skip]
const TABLE: [Row; 12] = [
    (F::E4m3, 8, -6, 8, 14, (14, 5), (8, -9), Some((1, -9)), Some(0x7f), None, 0x7e, 0xfe),
    (F::E5m2, 8, -14, 15, 7, (7, 13), (4, -16), Some((1, -16)), Some(0x7e), Some(0x7c), 0x7b, 0xfb),
    (F::E2m3, 6, 0, 2, 15, (15, -1), (8, -3), Some((1, -3)), None, None, 0x1f, 0x3f),
    (F::E3m2, 6, -2, 4, 7, (7, 2), (4, -4), Some((1, -4)), None, None, 0x1f, 0x3f),
    (F::E2m1, 4, 0, 2, 3, (3, 1), (2, -1), Some((1, -1)), None, None, 0x7, 0xf),
    // INT8: 127 * 2^-6 at most, symmetric (-127 is 0x81; 0x80 = -2 decodes but is not produced).
    (F::Int8, 8, 1, 1, 127, (127, -6), (1, -6), None, None, None, 0x7f, 0x81),
    // E8M0: 2^-127 .. 2^127, 0xff NaN, no sign (a negative max is the positive one).
    (F::E8m0, 8, -127, 127, 1, (1, 127), (1, -127), None, Some(0xff), None, 0xfe, 0xfe),
    (F::Ue4m3, 7, -6, 8, 14, (14, 5), (8, -9), Some((1, -9)), Some(0x7f), None, 0x7e, 0x7e),
    (F::Ue5m3, 8, -14, 16, 14, (14, 13), (8, -17), Some((1, -17)), Some(0xff), None, 0xfe, 0xfe),
    (F::Fp16, 16, -14, 15, 2047, (2047, 5), (1024, -24), Some((1, -24)), Some(0x7e00), Some(0x7c00), 0x7bff, 0xfbff),
    (F::Bf16, 16, -126, 127, 255, (255, 120), (128, -133), Some((1, -133)), Some(0x7fc0), Some(0x7f80), 0x7f7f, 0xff7f),
    (F::Tf32, 19, -126, 127, 2047, (2047, 117), (1024, -136), Some((1, -136)), Some(0x3fe00), Some(0x3fc00), 0x3fbff, 0x7fbff),
];

#[test]
fn derived_properties() {
    for (id, bits, emin, emax, max_sig, max_fin, min_n, min_s, nan, inf, maxp, maxn) in TABLE {
        let f = id.format();
        let n = f.name;
        assert_eq!(f.bits(), bits, "{n}");
        assert_eq!(f.codes(), 1 << bits, "{n}");
        assert_eq!(
            (f.emin(), f.emax(), f.max_sig()),
            (emin, emax, max_sig),
            "{n}"
        );
        assert_eq!(f.max_finite(), max_fin, "{n}");
        assert_eq!(f.min_normal(), min_n, "{n}");
        assert_eq!(f.min_subnormal(), min_s, "{n}");
        assert_eq!(f.nan_code(), nan, "{n}");
        assert_eq!(f.inf_code(false), inf, "{n}");
        // -Inf: the sign bit on top of +Inf.
        assert_eq!(f.inf_code(true), inf.map(|c| c | 1 << (bits - 1)), "{n}");
        assert_eq!((f.max_code(false), f.max_code(true)), (maxp, maxn), "{n}");
        let t = f.target();
        match f.kind {
            Kind::Int => assert_eq!(
                t,
                Target {
                    man_bits: 6,
                    emin: 0,
                    emax: 0,
                    max_sig: 127,
                    subnormals: true
                }
            ),
            Kind::Float => assert_eq!(
                t,
                Target {
                    man_bits: f.man_bits,
                    emin,
                    emax,
                    max_sig,
                    subnormals: id != F::E8m0
                },
                "{n}"
            ),
        }
        // The codes named above decode to what they are.
        let v = f.decode(maxp).unwrap();
        assert_eq!((v.class, v.neg), (Class::Finite, false), "{n}");
        assert_eq!((v.sig as u64, v.exp), max_fin, "{n}");
        if let Some(c) = nan {
            assert!(f.decode(c).unwrap().is_nan(), "{n}");
        }
        if let Some(c) = inf {
            assert_eq!(f.decode(c).unwrap().class, Class::Inf, "{n}");
        }
    }
}

#[test]
fn names_errors_and_lists() {
    for f in FORMATS.iter() {
        assert_eq!(f.name.parse::<FormatId>(), Ok(f.id));
        assert_eq!(f.id.to_string(), f.name);
        assert_eq!(f.id.format().name, f.name);
    }
    let e = "e9m9".parse::<FormatId>().unwrap_err();
    assert_eq!(e, FormatError::UnknownFormat("e9m9".into()));
    assert_eq!(
        e.to_string(),
        "unknown format 'e9m9' (known: e4m3, e5m2, e2m3, e3m2, e2m1, int8, e8m0, ue4m3, ue5m3, fp16, bf16, tf32, e4m3fnuz, e5m2fnuz, fp32)"
    );
    let e = F::E2m1.format().decode(16).unwrap_err();
    assert_eq!(
        e,
        FormatError::CodeOutOfRange {
            format: "e2m1",
            code: 16
        }
    );
    assert_eq!(e.to_string(), "code 16 is out of range for e2m1");
    assert!(F::E2m1.format().decode(15).is_ok());
    assert!(F::Tf32.format().decode(1 << 19).is_err());
    assert!(F::Tf32.format().decode((1 << 19) - 1).is_ok());
    let ids = |it: &mut dyn Iterator<Item = FormatId>| it.collect::<Vec<_>>();
    assert_eq!(
        ids(&mut FormatId::elements()),
        [F::E4m3, F::E5m2, F::E2m3, F::E3m2, F::E2m1, F::Int8]
    );
    assert_eq!(
        ids(&mut FormatId::wide_elements()),
        [F::Fp16, F::Bf16, F::Tf32, F::E4m3fnuz, F::E5m2fnuz, F::Fp32]
    );
    assert_eq!(ids(&mut FormatId::scales()), [F::E8m0, F::Ue4m3, F::Ue5m3]);
    assert_eq!(FormatId::all().count(), 15);
}

/// Every code (TF32: every 7th) decodes to the value of the independent decoder.
#[test]
fn decode_matches_the_reference() {
    for f in FORMATS.iter() {
        // TF32: every 7th code; FP32: every 65521st (its full check is tests/formats.rs).
        let step = match f.bits() {
            32 => 65521,
            17.. => 7,
            _ => 1,
        };
        for code in (0..=f.code_mask()).step_by(step) {
            let v = f.decode(code).unwrap();
            let what = format!("{} {code:#x}: {v:?}", f.name);
            match decode(f.name, code) {
                RV::Nan => assert!(v.is_nan(), "{what}"),
                RV::Inf(neg) => assert_eq!((v.class, v.neg), (Class::Inf, neg), "{what}"),
                RV::Num { num, exp, neg_zero } => {
                    if num.is_zero() {
                        assert_eq!((v.class, v.neg), (Class::Zero, neg_zero), "{what}");
                    } else {
                        assert_eq!(v.class, Class::Finite, "{what}");
                        assert_eq!(v.neg, num.is_negative(), "{what}");
                        let got = BigInt::from(v.sig);
                        let b = exp.min(v.exp as i64);
                        assert_eq!(
                            got << (v.exp as i64 - b) as usize,
                            num.abs() << (exp - b) as usize,
                            "{what}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn fp32_decode_and_pack() {
    let codes = [
        0u32,
        0x8000_0000,
        1,
        0x8000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x3f80_0000,
        0xbf80_0001,
        0x7f7f_ffff,
        0xff7f_ffff,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x7f80_0001,
        0x4049_0fdb,
    ];
    for &c in &codes {
        let v = decode_f32(c);
        match ref_f32(c) {
            RV::Nan => assert!(v.is_nan(), "{c:#x}"),
            RV::Inf(neg) => assert_eq!((v.class, v.neg), (Class::Inf, neg)),
            RV::Num { num, exp, neg_zero } => {
                if num.is_zero() {
                    assert_eq!((v.class, v.neg), (Class::Zero, neg_zero), "{c:#x}");
                } else {
                    assert_eq!(
                        (v.neg, v.class),
                        (num.is_negative(), Class::Finite),
                        "{c:#x}"
                    );
                    assert_eq!(
                        (BigInt::from(v.sig), v.exp as i64),
                        (num.abs(), exp),
                        "{c:#x}"
                    );
                }
            }
        }
    }
    // pack_f32: sig * 2^(exp - 23) with the sign; subnormals (sig < 2^23) keep a zero field.
    let fin = |sig, exp| Rounded::Finite {
        sig,
        exp,
        inexact: false,
    };
    assert_eq!(pack_f32(false, fin(1 << 23, 0)), 0x3f80_0000);
    assert_eq!(pack_f32(true, fin((1 << 24) - 1, 127)), 0xff7f_ffff);
    assert_eq!(pack_f32(false, fin(1, -126)), 0x0000_0001);
    assert_eq!(pack_f32(true, fin((1 << 23) - 1, -126)), 0x807f_ffff);
    assert_eq!(pack_f32(false, fin(1 << 23, -126)), 0x0080_0000);
    assert_eq!(pack_f32(true, fin(0, -126)), 0x8000_0000);
    assert_eq!(pack_f32(false, Rounded::Overflow), 0x7f80_0000);
    assert_eq!(pack_f32(true, Rounded::Overflow), 0xff80_0000);
}

/// Finite non-negative values of a format with their codes, in units of 2^q, sorted.
fn positives(f: &Format, q: i64) -> Vec<(BigInt, u32, BigInt)> {
    let mut v = vec![];
    for code in 0..=f.code_mask() {
        if let RV::Num { num, exp, neg_zero } = decode(f.name, code) {
            if num.is_negative() || neg_zero {
                continue;
            }
            // (value in units, code, significand at the value's own quantum: its parity is the
            // parity ties-to-even and round-to-odd look at).
            v.push((num.clone() << (exp - q) as usize, code, num));
        }
    }
    v.sort();
    v.dedup_by(|a, b| a.0 == b.0);
    v
}

#[derive(Debug, PartialEq)]
struct Want {
    code: u32,
    inexact: bool,
    overflow: bool,
}

/// The reference encode of `m + (sticky ? tiny : 0)` (units of 2^q) with sign `neg`.
/// `None` where the contract leaves the answer to the format's special rules not modelled
/// here (see the callers).
#[allow(clippy::too_many_arguments)]
fn reference_encode(
    f: &Format,
    vals: &[(BigInt, u32, BigInt)],
    q: i64,
    neg: bool,
    m: &BigInt,
    sticky: bool,
    mode: Round,
    ov: Overflow,
) -> Option<Want> {
    let (max, max_code, max_sig) = vals.last().cloned().unwrap();
    // Quantum at the top: the last step of the largest binade, from the decoder's exponent.
    let top_q = {
        let RV::Num { exp, .. } = decode(f.name, max_code) else {
            unreachable!()
        };
        BigInt::one() << (exp - q) as usize
    };
    // Magnitude direction: true = away from zero.
    let up = match mode {
        Round::Up => Some(!neg),
        Round::Down => Some(neg),
        Round::Rz => Some(false),
        _ => None,
    };
    let beyond = *m > max || (*m == max && sticky);
    if beyond && neg && !f.signed {
        // Negative beyond max in an unsigned format: not modelled (see docs/reliability.md).
        return None;
    }
    let mag_code: u32;
    let inexact;
    if beyond {
        // Did rounding leave the finite range?
        let mid = &max + (&top_q >> 1usize);
        let overflowed = match mode {
            Round::Odd => false, // round to odd never rounds up past a value it could keep
            Round::Rne | Round::Rna => {
                *m > mid
                    || (*m == mid && sticky)
                    || (*m == mid && (mode == Round::Rna || max_sig.bit(0)))
            }
            _ => up.unwrap(),
        };
        inexact = true;
        mag_code = max_code;
        if overflowed {
            let toward_zero = match mode {
                Round::Rz | Round::Odd => true,
                Round::Up => neg,
                Round::Down => !neg,
                _ => false,
            };
            let code = if ov == Overflow::Infinity && !toward_zero {
                f.inf_code(neg)
                    .or(f.nan_code())
                    .unwrap_or_else(|| f.max_code(neg))
            } else {
                f.max_code(neg)
            };
            return Some(Want {
                code,
                inexact: true,
                overflow: true,
            });
        }
    } else {
        let lo = vals.iter().rev().find(|v| v.0 <= *m);
        let Some(lo) = lo else {
            // Below E8M0's smallest value: code 0 (it has no zero), inexact.
            if neg {
                return None;
            }
            return Some(Want {
                code: 0,
                inexact: true,
                overflow: false,
            });
        };
        let exact = lo.0 == *m && !sticky;
        if exact {
            mag_code = lo.1;
            inexact = false;
        } else {
            let hi = vals.iter().find(|v| v.0 > *m).unwrap();
            let lo_odd = lo.2.bit(0);
            let take_hi = match mode {
                Round::Odd => !lo_odd,
                Round::Rne | Round::Rna => {
                    let twice = m * 2u32;
                    let sum = &lo.0 + &hi.0;
                    if twice > sum || (twice == sum && sticky) {
                        true
                    } else if twice < sum {
                        false
                    } else {
                        mode == Round::Rna || lo_odd
                    }
                }
                _ => up.unwrap(),
            };
            mag_code = if take_hi { hi.1 } else { lo.1 };
            inexact = true;
        }
    }
    let is_zero = mag_code == 0 && f.id != F::E8m0;
    let code = if !neg {
        mag_code
    } else if !f.signed {
        if is_zero {
            0
        } else {
            return Some(Want {
                code: f.nan_code().unwrap_or(0),
                inexact: true,
                overflow: beyond,
            });
        }
    } else if f.kind == Kind::Int {
        ((-(mag_code as i32)) as u32) & 0xff
    } else {
        mag_code | 1 << (f.bits() - 1)
    };
    Some(Want {
        code,
        inexact,
        overflow: beyond,
    })
}

/// `m + sticky` as the Raw `encode` takes (cut to 127 bits; the cut bits join sticky).
fn raw(m: &BigInt, q: i64, sticky: bool) -> (Raw, BigInt, bool) {
    let bits = m.bits() as i64;
    let shift = (bits - 120).max(0) as usize;
    let kept = m >> shift;
    let lost = (&kept << shift) != *m;
    let r = Raw {
        sig: kept.to_u128().unwrap(),
        exp: (q + shift as i64) as i32,
        sticky: sticky || lost,
    };
    (r, kept << shift, sticky || lost)
}

#[test]
fn encode_matches_the_brute_force_reference() {
    let modes = [
        Round::Rne,
        Round::Rna,
        Round::Rz,
        Round::Up,
        Round::Down,
        Round::Odd,
    ];
    let mut checked = 0usize;
    for f in FORMATS.iter().filter(|f| f.mx) {
        // Units of 2^q: an eighth of the smallest quantum, so midpoints and their neighbours
        // are whole units.
        let qmin = (0..=f.code_mask())
            .filter_map(|c| match decode(f.name, c) {
                RV::Num { exp, .. } => Some(exp),
                _ => None,
            })
            .min()
            .unwrap();
        let q = qmin - 3;
        let vals = positives(f, q);
        let max = vals.last().unwrap().0.clone();
        let mut points: Vec<(BigInt, bool)> = vec![(BigInt::zero(), false), (BigInt::one(), false)];
        for w in vals.windows(2) {
            let (lo, hi) = (&w[0].0, &w[1].0);
            let mid = (lo + hi) >> 1usize;
            for p in [lo.clone(), &mid - 1, mid.clone(), &mid + 1, hi - 1] {
                points.push((p.clone(), false));
                points.push((p, true));
            }
        }
        let top_q = &max - &vals[vals.len() - 2].0;
        for p in [
            max.clone(),
            &max + (&top_q >> 1usize) - 1,
            &max + (&top_q >> 1usize),
            &max + (&top_q >> 1usize) + 1,
            &max + &top_q,
            &max * 64u32,
        ] {
            points.push((p.clone(), false));
            points.push((p, true));
        }
        for (m, sticky) in &points {
            let (r, m, sticky) = raw(m, q, *sticky);
            for neg in [false, true] {
                for mode in modes {
                    for ov in [Overflow::Saturate, Overflow::Infinity] {
                        let Some(want) = reference_encode(f, &vals, q, neg, &m, sticky, mode, ov)
                        else {
                            continue;
                        };
                        let got = f.encode(neg, r, EncodeRound::Dir(mode), ov);
                        assert_eq!(
                            (got.code, got.inexact, got.overflow),
                            (want.code, want.inexact, want.overflow),
                            "{} {}{m} * 2^{q} sticky {sticky} {mode:?} {ov:?}",
                            f.name,
                            if neg { "-" } else { "" }
                        );
                        checked += 1;
                    }
                }
            }
        }
        // encode_rne_sat is encode with RNE and saturation.
        for (m, sticky) in points.iter().filter(|p| !p.1 && p.0.bits() < 120) {
            let _ = sticky;
            let sig = m.to_u128().unwrap();
            for neg in [false, true] {
                let want = f.encode(
                    neg,
                    Raw {
                        sig,
                        exp: q as i32,
                        sticky: false,
                    },
                    EncodeRound::Dir(Round::Rne),
                    Overflow::Saturate,
                );
                assert_eq!(f.encode_rne_sat(neg, sig, q as i32), want.code);
            }
        }
    }
    assert!(checked > 50_000, "{checked}");
    // Spot checks by hand: E4M3 464 (448 + 16, the midpoint to the missing 480) ties to even,
    // 448 (sig 14), under RNE; RNA goes to NaN under Infinity; 1000 saturates to 448 (0x7e).
    let e4 = F::E4m3.format();
    let enc = |neg, sig: u128, exp, mode, ov| {
        e4.encode(
            neg,
            Raw {
                sig,
                exp,
                sticky: false,
            },
            EncodeRound::Dir(mode),
            ov,
        )
    };
    assert_eq!(
        enc(false, 464, 0, Round::Rne, Overflow::Infinity).code,
        0x7e
    );
    assert_eq!(
        enc(false, 464, 0, Round::Rna, Overflow::Infinity).code,
        0x7f
    );
    assert_eq!(
        enc(true, 1000, 0, Round::Rne, Overflow::Saturate).code,
        0xfe
    );
    assert!(enc(true, 1000, 0, Round::Rne, Overflow::Saturate).overflow);
    // E5M2: 61440 (57344 + 4096, the midpoint to 65536) ties to even: 65536 has the even
    // significand, so it overflows to Inf.
    let e5 = F::E5m2.format();
    let r = e5.encode(
        false,
        Raw {
            sig: 61440,
            exp: 0,
            sticky: false,
        },
        EncodeRound::Dir(Round::Rne),
        Overflow::Infinity,
    );
    assert_eq!((r.code, r.overflow, r.inexact), (0x7c, true, true));
}

/// Values already on a format's grid, given with the significand at its own quantum and with
/// trailing zeros moved into the exponent: encoded exactly, no overflow, under every rounding
/// direction and overflow policy. Written for `is_beyond_max`'s same-binade comparison, which
/// the brute-force test above (all raws at a quantum below the format's smallest) never takes
/// with a raw exponent at or above max's quantum.
#[test]
fn exact_values_near_the_top_are_not_overflow() {
    let modes = [
        Round::Rne,
        Round::Rna,
        Round::Rz,
        Round::Up,
        Round::Down,
        Round::Odd,
    ];
    let mut top_binade = 0;
    for f in FORMATS.iter().filter(|f| f.mx) {
        for code in 0..=f.code_mask() {
            let RV::Num { num, exp, neg_zero } = decode(f.name, code) else {
                continue;
            };
            if num.is_zero() || num.is_negative() || neg_zero {
                continue;
            }
            let sig = num.to_u128().unwrap();
            let tz = sig.trailing_zeros();
            for (s, e) in [(sig, exp as i32), (sig >> tz, exp as i32 + tz as i32)] {
                for mode in modes {
                    for ov in [Overflow::Saturate, Overflow::Infinity] {
                        let raw = Raw {
                            sig: s,
                            exp: e,
                            sticky: false,
                        };
                        let got = f.encode(false, raw, EncodeRound::Dir(mode), ov);
                        assert_eq!(
                            (got.code, got.inexact, got.overflow),
                            (code, false, false),
                            "{} {s} * 2^{e} {mode:?} {ov:?}",
                            f.name
                        );
                    }
                }
            }
            let (mf, me) = f.max_finite();
            if s_top(sig, exp) == s_top(mf as u128, me as i64) {
                top_binade += 1;
            }
        }
    }
    // Codes of max's binade were among them (E2M1: 4, 6; E4M3: 256 .. 448; ...).
    assert!(top_binade > 20, "{top_binade}");
    // By hand: E4M3 448 = 7 * 2^6 and 256 = 1 * 2^8 (exponent field 15: 0x7e, 0x78); E5M2
    // 57344 = 7 * 2^13 (0x7b) and 32768 = 2^15 (0x78).
    let enc = |id: F, sig, exp| {
        let r = id.format().encode(
            false,
            Raw {
                sig,
                exp,
                sticky: false,
            },
            EncodeRound::Dir(Round::Rne),
            Overflow::Infinity,
        );
        (r.code, r.inexact, r.overflow)
    };
    assert_eq!(enc(F::E4m3, 7, 6), (0x7e, false, false));
    assert_eq!(enc(F::E4m3, 1, 8), (0x78, false, false));
    assert_eq!(enc(F::E5m2, 7, 13), (0x7b, false, false));
    assert_eq!(enc(F::E5m2, 1, 15), (0x78, false, false));
}

/// Exponent of the leading bit of `sig * 2^exp`.
fn s_top(sig: u128, exp: i64) -> i64 {
    exp + 127 - sig.leading_zeros() as i64
}

/// `fp32_to_fp16` on values worked out from IEEE 754 binary16 (bias 15, 10 fraction bits) and
/// on the NaN rule of its documentation (sign and top 10 payload bits kept; a payload whose
/// top 10 bits are 0 becomes the quiet bit 0x200).
#[test]
fn fp32_to_fp16_by_hand() {
    use mxref_model::format::fp32_to_fp16;
    let cases: [(u32, Option<u32>); 24] = [
        (0x0000_0000, Some(0x0000)),
        (0x8000_0000, Some(0x8000)),
        (0x3f80_0000, Some(0x3c00)), // 1.0
        (0xc000_0000, Some(0xc000)), // -2.0
        (0x477f_e000, Some(0x7bff)), // 65504, the largest finite
        (0xc77f_e000, Some(0xfbff)),
        (0x477f_f000, None),         // 65520: between 65504 and 2^16
        (0x4780_0000, None),         // 65536: beyond the range
        (0x3f80_2000, Some(0x3c01)), // 1 + 2^-10
        (0x3f80_1000, None),         // 1 + 2^-11: needs 11 fraction bits
        (0x3880_0000, Some(0x0400)), // 2^-14, the smallest normal
        (0x3380_0000, Some(0x0001)), // 2^-24, the smallest subnormal
        (0xb440_0000, Some(0x8003)), // -3 * 2^-24
        (0x3300_0000, None),         // 2^-25
        (0xb3c0_0000, None),         // -1.5 * 2^-24
        (0x0000_0001, None),         // an FP32 subnormal
        (0x7f80_0000, Some(0x7c00)), // +Inf
        (0xff80_0000, Some(0xfc00)), // -Inf
        (0x7fc0_0000, Some(0x7e00)), // quiet NaN, payload 0x200
        (0xffc0_0000, Some(0xfe00)),
        (0x7f80_0001, Some(0x7e00)), // payload only below the top 10 bits
        (0x7f80_2000, Some(0x7c01)), // payload 1
        (0xffff_e000, Some(0xffff)),
        (0x7fff_e000, Some(0x7fff)), // FP16 0x7fff widened, back again
    ];
    for (bits, want) in cases {
        assert_eq!(fp32_to_fp16(bits), want, "{bits:#010x}");
    }
}
