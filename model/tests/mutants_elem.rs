//! The engine's decode tables (`elem`) code by code against the independent decoder of
//! tests/support (its own bit-field decoding from the OCP tables, exact big integers): value,
//! sign, flags, subnormal flag, nominal exponent, `ival` in quanta, the packed `small` column,
//! the special-code mask, and the tables re-expressed in a wider input format. Written for the
//! cargo-mutants survivors of elem.rs (docs/reliability.md).

mod support;

use mxref_model::elem::{table, table_as, Table, F_INF, F_NAN, TABLE_BITS, ZERO_E};
use mxref_model::format::{Kind, Role};
use mxref_model::{FormatId, FORMATS};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use support::reference::{decode, RV};

/// `num * 2^exp` as `num' * 2^q` (None unless exact).
fn in_units(num: &BigInt, exp: i64, q: i64) -> Option<BigInt> {
    if exp >= q {
        Some(num << (exp - q) as usize)
    } else {
        let d = (q - exp) as usize;
        let r = num >> d;
        (&r << d == *num).then_some(r)
    }
}

fn name(id: FormatId) -> &'static str {
    id.format().name
}

/// Check one entry of `t` against the reference value of `code` in format `src`, with the
/// table's values expressed in format `as_fmt` (`src` itself, or the `to` of `table_as`).
fn check_entry(t: &Table, src: FormatId, as_fmt: FormatId, code: u32) {
    let f = as_fmt.format();
    let el = t.get(code);
    let what = format!("{} as {} code {code:#x}", name(src), name(as_fmt));
    match decode(name(src), code) {
        RV::Nan => {
            assert_eq!(el.flags, F_NAN, "{what}");
            assert_eq!(el.sig, 0, "{what}");
        }
        RV::Inf(neg) => {
            assert_eq!(el.flags, F_INF, "{what}");
            assert_eq!(el.neg, neg, "{what}");
            assert_eq!(el.sig, 0, "{what}");
        }
        RV::Num { num, exp, neg_zero } => {
            assert_eq!(el.flags, 0, "{what}");
            assert_eq!(el.neg, num.is_negative() || neg_zero, "{what}");
            // value = sig * 2^(e - man_bits) exactly.
            let got = BigInt::from(el.sig);
            let want = in_units(&num.abs(), exp, el.e as i64 - f.man_bits as i64);
            assert_eq!(Some(got), want, "{what}: {el:?}");
            assert!(el.sig < 1 << (f.man_bits + 1), "{what}");
            if f.kind == Kind::Float {
                // E8M0 has no subnormals: its zero exponent field is an ordinary 2^-127.
                let emin = if f.subnormals { 1 - f.bias } else { -f.bias };
                if num.is_zero() {
                    // A zero keeps its own format's emin (it is not re-expressed).
                    let sf = src.format();
                    let src_emin = match sf.kind {
                        Kind::Int => 1,
                        Kind::Float => 1 - sf.bias,
                    };
                    assert_eq!(el.e, src_emin, "{what}");
                    assert!(!el.subnormal, "{what}");
                } else if el.sig >> f.man_bits == 0 {
                    assert!(el.subnormal && el.e == emin, "{what}: {el:?}");
                } else {
                    assert!(!el.subnormal && el.e >= emin, "{what}: {el:?}");
                }
            } else {
                assert!(!el.subnormal, "{what}");
                assert_eq!(el.e, 1, "{what}");
            }
            // ival: the signed value in units of 2^qmin, when it fits 63 bits; 0 otherwise
            // and for scale formats.
            let q =
                in_units(&num, exp, t.qmin as i64).expect("every value is a multiple of 2^qmin");
            let fits = q.abs() < (BigInt::one() << 63);
            if src.format().role == Role::Element && fits {
                assert_eq!(BigInt::from(el.ival), q, "{what}");
            } else {
                assert_eq!(el.ival, 0, "{what}");
            }
        }
    }
}

#[test]
fn tables_match_the_reference_decoder() {
    for f in FORMATS.iter() {
        let t = table(f.id);
        assert_eq!(t.id, f.id);
        assert_eq!(t.man_bits, f.man_bits);
        assert_eq!(t.codes, 1u64 << f.bits(), "{}", f.name);
        // qmin: the smallest positive value is 2^qmin (every format here has subnormals or,
        // for INT8 and E8M0, a smallest value of one unit).
        let mut min_pos: Option<(BigInt, i64)> = None;
        let mut max_ival = BigInt::zero();
        // u64: FP32 has 2^32 codes. Formats wider than the tables are sampled (~2^16 codes).
        let n = 1u64 << f.bits();
        let step = if f.bits() > TABLE_BITS {
            ((n >> 16) | 1).max(97) as usize
        } else {
            1
        };
        for code in (0..n).step_by(step).map(|c| c as u32) {
            check_entry(t, f.id, f.id, code);
            if let RV::Num { num, exp, .. } = decode(f.name, code) {
                if num.is_positive() {
                    let smaller = match &min_pos {
                        None => true,
                        Some((m, e)) => {
                            let b = exp.min(*e);
                            (&num << (exp - b) as usize) < (m << (e - b) as usize)
                        }
                    };
                    if smaller {
                        min_pos = Some((num.clone(), exp));
                    }
                }
                let q = in_units(&num.abs(), exp, t.qmin as i64).unwrap();
                max_ival = max_ival.max(q);
            }
        }
        if f.bits() <= TABLE_BITS {
            let (m, e) = min_pos.unwrap();
            assert_eq!(
                in_units(&m, e, t.qmin as i64),
                Some(BigInt::one()),
                "{}: qmin {}",
                f.name,
                t.qmin
            );
            let want_bits = if f.role == Role::Element && max_ival < (BigInt::one() << 63) {
                max_ival.bits() as u32
            } else {
                u32::MAX
            };
            if f.role == Role::Element {
                assert_eq!(t.ival_bits, want_bits, "{}", f.name);
            } else {
                assert_eq!(t.ival_bits, 0, "{}: scales carry no ival", f.name);
            }
            assert_eq!(t.entries.len(), n as usize);
        } else {
            assert!(t.entries.is_empty());
            assert_eq!(t.ival_bits, u32::MAX);
        }
    }
    // Hand-worked: E4M3 448 = 7 * 2^6 at qmin -9 is 229376 (18 bits); E2M1 6 at qmin -1 is
    // 12 (4 bits); FP16 65504 at qmin -24 is 2047 * 2^29 (40 bits); INT8 -128 at qmin -6.
    assert_eq!(table(FormatId::E4m3).ival_bits, 18);
    assert_eq!(table(FormatId::E2m1).ival_bits, 4);
    assert_eq!(table(FormatId::Fp16).ival_bits, 40);
    assert_eq!(table(FormatId::Int8).ival_bits, 8);
    assert_eq!(table(FormatId::Int8).get(0x80).ival, -128);
    assert_eq!(table(FormatId::Int8).qmin, -6);
}

#[test]
fn packed_columns() {
    for f in FORMATS.iter() {
        let t = table(f.id);
        if f.bits() > 8 {
            assert!(t.small.is_empty() && t.ival_pad.is_empty() && t.ival256().is_none());
            continue;
        }
        assert_eq!(t.small.len(), 256);
        let pad = t.ival256().expect("256 entries");
        for code in 0..256u32 {
            let s = t.small[code as usize];
            if code >= 1 << f.bits() {
                assert_eq!(s, Default::default());
                assert_eq!(pad[code as usize], 0);
                continue;
            }
            let el = t.get(code);
            assert_eq!(pad[code as usize], el.ival);
            let sig = if el.flags == 0 { el.sig } else { 0 };
            assert_eq!(s.sig, sig, "{} {code:#x}", f.name);
            assert_eq!(s.e as i32, el.e);
            assert_eq!(s.ez, if sig != 0 { el.e as i16 } else { ZERO_E });
            assert_eq!((s.neg, s.subnormal), (el.neg, el.subnormal));
        }
    }
    // A sentinel plus the largest nominal exponent of any format (BF16/TF32: 127) stays below
    // the smallest sum of two real ones (2 * -133, BF16's smallest quantum).
    assert!((ZERO_E as i32) + 127 < -266);
}

#[test]
fn special_mask_is_exact() {
    for f in FORMATS.iter().filter(|f| f.bits() <= TABLE_BITS) {
        let t = table(f.id);
        let mut finite = vec![];
        let mut special = vec![];
        for code in 0..(1u32 << f.bits()) {
            let is_special = t.get(code).flags != 0;
            // A code passes the mask exactly when it is NaN or Inf.
            assert_eq!(
                t.may_have_special(&[code]),
                is_special,
                "{} {code:#x}",
                f.name
            );
            if is_special {
                special.push(code);
            } else {
                finite.push(code);
            }
        }
        assert!(!t.may_have_special(&finite), "{}", f.name);
        assert!(!t.may_have_special(&[]));
        for &s in &special {
            let mut v = finite.clone();
            v.insert(v.len() / 2, s);
            assert!(t.may_have_special(&v), "{} {s:#x}", f.name);
        }
        assert_eq!(t.special_mask.is_none(), special.is_empty(), "{}", f.name);
    }
    // Hand-written masks: E4M3 NaN is S.1111.111, E5M2 specials S.11111.xx, FP16 S.11111.x{10}.
    assert_eq!(table(FormatId::E4m3).special_mask, Some(0x7f));
    assert_eq!(table(FormatId::E5m2).special_mask, Some(0x7c));
    assert_eq!(table(FormatId::Fp16).special_mask, Some(0x7c00));
    assert_eq!(table(FormatId::Bf16).special_mask, Some(0x7f80));
    assert_eq!(table(FormatId::E2m1).special_mask, None);
}

/// Whether every finite value of `src` is exactly a value of the IEEE-layout format `to`, and
/// (what the engine's integer path also needs, for element formats) is below 2^63 units of
/// `to`'s smallest quantum.
fn holds(src: FormatId, to: FormatId) -> bool {
    let tf = to.format();
    let (m, emin, emax) = (tf.man_bits as i64, 1 - tf.bias as i64, tf.bias as i64);
    (0..(1u32 << src.format().bits())).all(|code| match decode(name(src), code) {
        RV::Num { num, exp, .. } if !num.is_zero() => {
            let a = num.abs();
            let lead = exp + a.bits() as i64 - 1;
            let e = lead.max(emin);
            let q = in_units(&a, exp, emin - m);
            lead <= emax
                && in_units(&a, exp, e - m).is_some()
                && (src.format().role == Role::Scale || q.is_some_and(|q| q < BigInt::one() << 63))
        }
        _ => true,
    })
}

#[test]
fn tables_in_a_wider_input_format() {
    let wide = [FormatId::Fp16, FormatId::Bf16, FormatId::Tf32];
    let mut some = 0;
    for src in FormatId::all() {
        for &to in &wide {
            let bits = src.format().bits();
            let t = table_as(src, to);
            // Sources wider than the table width or with values beyond i64 quanta are refused.
            let expect = bits <= TABLE_BITS && table(src).ival_bits != u32::MAX && holds(src, to);
            assert_eq!(t.is_some(), expect, "{} as {}", name(src), name(to));
            let Some(t) = t else { continue };
            some += 1;
            assert_eq!(t.man_bits, to.format().man_bits);
            assert_eq!(t.qmin, 1 - to.format().bias - to.format().man_bits as i32);
            for code in 0..(1u32 << bits) {
                check_entry(t, src, to, code);
            }
            // Cached: the same table twice.
            assert!(std::ptr::eq(t, table_as(src, to).unwrap()));
        }
    }
    assert!(some >= 5, "only {some} conversions held");
    // Hand-checked: FP16's 11-bit significands do not fit BF16's 8; BF16's range does not fit
    // FP16; E4M3 fits FP16 (448 is 7 * 2^39 quanta of 2^-24). E4M3 values are BF16 values too,
    // but 448 is 7 * 2^148 quanta of BF16's 2^-133, beyond i64: refused.
    assert!(table_as(FormatId::Fp16, FormatId::Bf16).is_none());
    assert!(table_as(FormatId::Bf16, FormatId::Fp16).is_none());
    assert!(table_as(FormatId::E4m3, FormatId::Fp16).is_some());
    assert!(table_as(FormatId::E4m3, FormatId::Bf16).is_none());
    assert!(table_as(FormatId::E5m2, FormatId::Fp16).is_some());
    // Every MX element format and FP16 itself fit FP16.
    assert!(table_as(FormatId::Int8, FormatId::Fp16).is_some());
    assert!(table_as(FormatId::Fp16, FormatId::Fp16).is_some());
    // Scales (no ival): UE5M3's 114688 is beyond FP16's 65504; UE4M3 fits FP16; E8M0's 2^-127
    // is BF16's subnormal 64 * 2^-133 and 2^127 its normal range.
    assert!(table_as(FormatId::Ue5m3, FormatId::Fp16).is_none());
    assert!(table_as(FormatId::Ue4m3, FormatId::Fp16).is_some());
    assert!(table_as(FormatId::E8m0, FormatId::Bf16).is_some());
}

/// `(sig, e)` of a non-zero finite value `num * 2^exp` in the layout of `Elem` for format `f`:
/// value = sig * 2^(e - man_bits), e the nominal exponent (clamped at emin for subnormals).
fn sig_e(f: &mxref_model::Format, num: &BigInt, exp: i64) -> (BigInt, i64) {
    let a = num.abs();
    let m = f.man_bits as i64;
    let e = match f.kind {
        Kind::Int => 1,
        Kind::Float => {
            let emin = if f.subnormals { 1 - f.bias } else { -f.bias } as i64;
            (exp + a.bits() as i64 - 1).max(emin)
        }
    };
    (in_units(&a, exp, e - m).unwrap(), e)
}

/// The product tables of every pair of formats of <= 8 bits (scales included), with and
/// without flushing: each entry against the product of the reference values, `bmin`, and
/// whether a table exists at all (every product's significand below 2^23 and biased exponent
/// sum in 1..=255, as the entry layout holds).
#[test]
fn pair_tables_hold_every_product() {
    use mxref_model::elem::{pair_table, PAIR_BIAS, PAIR_SIG_SHIFT};
    assert_eq!((PAIR_BIAS, PAIR_SIG_SHIFT), (128, 9));
    // Per code of a format: (sig, e, neg, subnormal) of the non-zero finite values, from the
    // reference decoder (value = sig * 2^(e - man_bits)); None for zeros, NaN, Inf and codes
    // beyond the format.
    type Dec = Vec<Option<(u64, i64, bool, bool)>>;
    let dec = |f: &mxref_model::Format| -> Dec {
        (0..256u32)
            .map(|c| match (c < 1 << f.bits()).then(|| decode(f.name, c)) {
                Some(RV::Num { num, exp, .. }) if !num.is_zero() => {
                    let (sig, e) = sig_e(f, &num, exp);
                    let sub = f.kind == Kind::Float && sig.bits() as u32 <= f.man_bits;
                    Some((sig.to_u64_digits().1[0], e, num.is_negative(), sub))
                }
                _ => None,
            })
            .collect()
    };
    let narrow: Vec<_> = FORMATS.iter().filter(|f| f.bits() <= 8).collect();
    let decs: Vec<Dec> = narrow.iter().map(|f| dec(f)).collect();
    let mut built = 0;
    for (fa, va) in narrow.iter().zip(&decs) {
        for (fb, vb) in narrow.iter().zip(&decs) {
            for flush in [false, true] {
                let live = |a: &Option<(u64, i64, bool, bool)>| a.filter(|a| !(flush && a.3));
                // Expected: does every product fit the entry layout?
                let mut fits = true;
                let mut bmin = 255i64;
                let mut pmax = 0u64;
                for a in va.iter().filter_map(live) {
                    for b in vb.iter().filter_map(live) {
                        let be = a.1 + b.1 + 128;
                        fits &= (a.0 * b.0) < 1 << 23 && (1..256).contains(&be);
                        bmin = bmin.min(be);
                        pmax = pmax.max(a.0 * b.0);
                    }
                }
                let t = pair_table(table(fa.id), table(fb.id), flush);
                assert_eq!(t.is_some(), fits, "{} x {} flush {flush}", fa.name, fb.name);
                let Some(t) = t else { continue };
                built += 1;
                assert_eq!(t.bmin as i64, bmin, "{} x {}", fa.name, fb.name);
                assert_eq!(t.pmax as u64, pmax, "{} x {}", fa.name, fb.name);
                // Its Debug form is the short one (not 64 K entries).
                assert_eq!(format!("{t:?}"), format!("PairTable {{ bmin: {bmin} }}"));
                // Cached: the same table twice.
                assert!(std::ptr::eq(
                    t,
                    pair_table(table(fa.id), table(fb.id), flush).unwrap()
                ));
                for (x, ax) in va.iter().enumerate() {
                    for (y, by) in vb.iter().enumerate() {
                        let got = t.get(x as u32, y as u32);
                        // Only the low 8 bits of a code are read.
                        assert_eq!(t.get(x as u32 | 0x100, y as u32 | 0x7700), got);
                        let want = match (live(ax), live(by)) {
                            (Some(a), Some(b)) => {
                                ((a.0 * b.0) << 9) as u32
                                    | ((a.2 != b.2) as u32) << 8
                                    | (a.1 + b.1 + 128) as u32
                            }
                            _ => 0,
                        };
                        assert_eq!(
                            got, want,
                            "{} {x:#x} x {} {y:#x} flush {flush}",
                            fa.name, fb.name
                        );
                    }
                }
            }
        }
    }
    // Every pair of MX element formats has a table, flushed or not; E8M0 (exponents to
    // +-127) has none.
    assert!(built >= 2 * 36, "{built}");
    assert!(pair_table(table(FormatId::E8m0), table(FormatId::E8m0), false).is_none());
    assert!(pair_table(table(FormatId::Fp16), table(FormatId::E4m3), false).is_none());
    assert!(pair_table(table(FormatId::E4m3), table(FormatId::E2m1), true).is_some());
}
