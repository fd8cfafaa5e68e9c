//! Dot-product suites: `formats` (decode of every code through a one-product dot),
//! `products` (exhaustive element pairs), `dot-directed` (corners placed at the rounding points
//! of a numerics description) and `dot-random` (seeded, weighted toward corners).

use super::{DotCase, Rng};
use crate::dot::DotSpec;
use crate::format::{Class, Format, FormatId, Kind};
use crate::numerics::Numerics;

/// The element formats, in table order.
pub const ELEMS: [FormatId; 6] = [
    FormatId::E4m3,
    FormatId::E5m2,
    FormatId::E2m3,
    FormatId::E3m2,
    FormatId::E2m1,
    FormatId::Int8,
];

const E4: FormatId = FormatId::E4m3;
const E5: FormatId = FormatId::E5m2;
const E8M0: FormatId = FormatId::E8m0;
/// E8M0 code of 1.0.
const S1: u32 = 127;
const F32_ONE: u32 = 0x3f80_0000;

fn spec(a_fmt: FormatId, b_fmt: FormatId, scale_fmt: FormatId, block: usize) -> DotSpec {
    DotSpec {
        a_fmt,
        b_fmt,
        scale_fmt,
        block,
    }
}

/// The code of the exact value `(-1)^neg * m * 2^e` (must be representable).
pub fn code(f: FormatId, neg: bool, m: u32, e: i32) -> u32 {
    let fmt = f.format();
    let c = fmt.encode_rne_sat(neg, m as u128, e);
    let v = fmt.decode_unchecked(c);
    let exact = m == 0
        || (v.class == Class::Finite
            && (v.sig as u128) << (v.exp - e).max(0) == (m as u128) << (e - v.exp).max(0));
    assert!(exact, "{m}*2^{e} is not a {} value", fmt.name);
    c
}

/// The code of `-x` (two's complement for INT8, the sign bit otherwise).
pub fn negate(f: FormatId, c: u32) -> u32 {
    let fmt = f.format();
    match fmt.kind {
        Kind::Int => (c as u8 as i8).wrapping_neg() as u8 as u32,
        Kind::Float => c ^ (1 << (fmt.bits() - 1)),
    }
}

/// E8M0 scale codes whose product is `2^t` (`-254 <= t <= 254`).
fn pow2_scales(t: i32) -> (u32, u32) {
    assert!((-254..=254).contains(&t), "scale exponent {t} out of range");
    ((127 + t - t / 2) as u32, (127 + t / 2) as u32)
}

/// One block of a case under construction: its scales and its (a, b) pairs (zero-padded).
struct Blk {
    sa: u32,
    sb: u32,
    pairs: Vec<(u32, u32)>,
}

fn blk(sa: u32, sb: u32, pairs: &[(u32, u32)]) -> Blk {
    Blk {
        sa,
        sb,
        pairs: pairs.to_vec(),
    }
}

/// A block holding one product `a * b * 2^t`.
fn pow2_blk(a: u32, b: u32, t: i32) -> Blk {
    let (sa, sb) = pow2_scales(t);
    blk(sa, sb, &[(a, b)])
}

fn build(tag: impl Into<String>, spec: DotSpec, c: u32, blocks: Vec<Blk>) -> DotCase {
    let bs = spec.block;
    let (mut a, mut b, mut sa, mut sb) = (vec![], vec![], vec![], vec![]);
    for bl in blocks {
        assert!(bl.pairs.len() <= bs, "block overfull");
        for j in 0..bs {
            let (x, y) = bl.pairs.get(j).copied().unwrap_or((0, 0));
            a.push(x);
            b.push(y);
        }
        sa.push(bl.sa);
        sb.push(bl.sb);
    }
    DotCase {
        tag: tag.into(),
        spec,
        a,
        b,
        sa,
        sb,
        c,
    }
}

/// Code of the smallest positive magnitude: 1 in every element format (a subnormal, or
/// INT8's 1/64).
fn min_code(_f: FormatId) -> u32 {
    1
}

/// `formats`: every code of every element and scale format, decoded through a one-product
/// dot (the other factor 1.0), on both operand sides. Numerics-independent for finite values.
pub fn formats_decode() -> Vec<DotCase> {
    let one = code(E4, false, 1, 0);
    let mut out = vec![];
    for f in ELEMS {
        let fmt = f.format();
        for c in 0..=fmt.code_mask() {
            out.push(build(
                format!("decode-a-{}-{c:02x}", fmt.name),
                spec(f, E4, E8M0, 1),
                0,
                vec![blk(S1, S1, &[(c, one)])],
            ));
            out.push(build(
                format!("decode-b-{}-{c:02x}", fmt.name),
                spec(E4, f, E8M0, 1),
                0,
                vec![blk(S1, S1, &[(one, c)])],
            ));
        }
    }
    for s in [FormatId::E8m0, FormatId::Ue4m3, FormatId::Ue5m3] {
        let fmt = s.format();
        let unit = code(s, false, 1, 0);
        for c in 0..=fmt.code_mask() {
            out.push(build(
                format!("decode-sa-{}-{c:02x}", fmt.name),
                spec(E4, E4, s, 1),
                0,
                vec![blk(c, unit, &[(one, one)])],
            ));
            out.push(build(
                format!("decode-sb-{}-{c:02x}", fmt.name),
                spec(E4, E4, s, 1),
                0,
                vec![blk(unit, c, &[(one, one)])],
            ));
        }
    }
    out
}

/// Scale pairs the `products` suite cycles through: unity, both extremes, overflow and
/// underflow of the FP32 result, and asymmetric splits.
const PRODUCT_SCALES: [(u32, u32); 8] = [
    (127, 127),
    (254, 127),
    (0, 127),
    (254, 254),
    (0, 0),
    (127, 0),
    (200, 180),
    (40, 60),
];

/// `products`: every (a, b) code pair of every element-format pair in `pairs`, one product
/// per vector (block 1), scales cycling through [`PRODUCT_SCALES`].
pub fn products(level: u32) -> Vec<DotCase> {
    let mut out = vec![];
    let mut i = 0usize;
    for fa in ELEMS {
        for fb in ELEMS {
            let (na, nb) = (fa.format().codes() as u32, fb.format().codes() as u32);
            // Level 1: the FP4 and FP6 pairs (committed); level 2 adds every FP8 and INT8 pair.
            if level < 2 && (na > 64 || nb > 64) {
                continue;
            }
            for x in 0..na {
                for y in 0..nb {
                    let (sa, sb) = PRODUCT_SCALES[i % PRODUCT_SCALES.len()];
                    i += 1;
                    out.push(build(
                        format!("{}x{}-{x:02x}-{y:02x}", fa.format().name, fb.format().name),
                        spec(fa, fb, E8M0, 1),
                        0,
                        vec![blk(sa, sb, &[(x, y)])],
                    ));
                }
            }
        }
    }
    out
}

/// `dot-directed`: corners for numerics `n`. Each case is tagged with the corner it aims at;
/// the rounding-point families are placed from `n`'s parameters (output, accumulator and
/// window widths, group size), swept a few bits either side so that both alignment
/// conventions land on them.
pub fn directed(n: &Numerics) -> Vec<DotCase> {
    let mut out = vec![];
    specials(&mut out);
    signed_zero(&mut out);
    cancellation(&mut out);
    spread(&mut out);
    fp32_range(&mut out);
    output_ties(n, &mut out);
    if let Some(ma) = n.acc.man_bits {
        acc_ties(n, ma, &mut out);
    }
    if let Some(w) = n.window_bits {
        window_cuts(w, &mut out);
    }
    nvfp4_scales(&mut out);
    out
}

fn specials(out: &mut Vec<DotCase>) {
    let mx = spec(E4, E4, E8M0, 32);
    let m5 = spec(E5, E5, E8M0, 32);
    let one4 = code(E4, false, 1, 0);
    let one5 = code(E5, false, 1, 0);
    let nan4 = E4.format().nan_code().unwrap();
    let nan5 = E5.format().nan_code().unwrap();
    let inf = E5.format().inf_code(false).unwrap();
    let ninf = E5.format().inf_code(true).unwrap();
    let fin = [(one4, one4), (code(E4, false, 3, 2), one4)];
    let mut push =
        |tag: &str, s: DotSpec, c: u32, blocks: Vec<Blk>| out.push(build(tag, s, c, blocks));
    push(
        "nan-a",
        mx,
        0,
        vec![blk(S1, S1, &[(nan4, one4), (one4, one4)])],
    );
    push(
        "nan-a-neg",
        mx,
        0,
        vec![blk(S1, S1, &[(nan4 | 0x80, one4)])],
    );
    push("nan-b-e5m2", m5, 0, vec![blk(S1, S1, &[(one5, nan5)])]);
    push("nan-times-zero", mx, 0, vec![blk(S1, S1, &[(nan4, 0)])]);
    push("inf-a", m5, 0, vec![blk(S1, S1, &[(inf, one5)])]);
    push("inf-a-neg", m5, 0, vec![blk(S1, S1, &[(ninf, one5)])]);
    push(
        "inf-times-neg",
        m5,
        0,
        vec![blk(S1, S1, &[(inf, negate(E5, one5))])],
    );
    push("inf-times-zero", m5, 0, vec![blk(S1, S1, &[(inf, 0)])]);
    push(
        "inf-times-neg-zero",
        m5,
        0,
        vec![blk(S1, S1, &[(inf, 0x80)])],
    );
    push(
        "inf-plus-neg-inf",
        m5,
        0,
        vec![blk(S1, S1, &[(inf, one5), (ninf, one5)])],
    );
    push(
        "inf-plus-neg-inf-blocks",
        m5,
        0,
        vec![blk(S1, S1, &[(inf, one5)]), blk(3, 250, &[(one5, ninf)])],
    );
    push(
        "inf-same-sign-twice",
        m5,
        0,
        vec![blk(S1, S1, &[(inf, one5), (ninf, ninf)])],
    );
    push(
        "inf-and-c-neg-inf",
        m5,
        0xff80_0000,
        vec![blk(S1, S1, &[(inf, one5)])],
    );
    push(
        "inf-and-c-pos-inf",
        m5,
        0x7f80_0000,
        vec![blk(S1, S1, &[(inf, one5)])],
    );
    push("inf-tiny-scales", m5, 0, vec![blk(0, 0, &[(inf, one5)])]);
    push("c-inf", mx, 0x7f80_0000, vec![blk(S1, S1, &fin)]);
    push("c-neg-inf", mx, 0xff80_0000, vec![blk(S1, S1, &fin)]);
    push("c-nan", mx, 0x7fc0_0000, vec![blk(S1, S1, &fin)]);
    push("c-snan-neg", mx, 0xff80_0001, vec![blk(S1, S1, &fin)]);
    push("c-nan-payload", mx, 0x7fab_cdef, vec![blk(S1, S1, &[])]);
    push("nan-scale-a-zero-elems", mx, 0, vec![blk(255, S1, &[])]);
    push("nan-scale-b", mx, 0, vec![blk(S1, 255, &fin)]);
    push(
        "nan-scale-second-block",
        mx,
        0,
        vec![blk(S1, S1, &fin), blk(255, S1, &fin)],
    );
    push(
        "nan-scale-with-inf",
        m5,
        0,
        vec![blk(255, S1, &[(inf, one5)])],
    );
    push("nan-scale-c-inf", mx, 0x7f80_0000, vec![blk(S1, 255, &fin)]);
    let nv = spec(FormatId::E2m1, FormatId::E2m1, FormatId::Ue4m3, 16);
    let one_f4 = code(FormatId::E2m1, false, 1, 0);
    let u1 = code(FormatId::Ue4m3, false, 1, 0);
    push(
        "nan-scale-ue4m3",
        nv,
        0,
        vec![blk(0x7f, u1, &[(one_f4, one_f4)]), blk(u1, u1, &[])],
    );
    let e5_ue = spec(E5, E5, FormatId::Ue4m3, 16);
    push(
        "inf-times-zero-scale",
        e5_ue,
        0,
        vec![blk(0, u1, &[(inf, one5)]), blk(u1, u1, &[])],
    );
    push(
        "inf-unit-scale-ue4m3",
        e5_ue,
        0,
        vec![blk(u1, u1, &[(inf, one5)]), blk(u1, u1, &[])],
    );
    let max5 = E5.format().max_code(false);
    push(
        "overflow-max-scales",
        m5,
        0,
        vec![blk(254, 254, &[(max5, max5)])],
    );
    push(
        "overflow-max-scales-neg",
        m5,
        0,
        vec![blk(254, 254, &[(max5 | 0x80, max5)])],
    );
}

fn signed_zero(out: &mut Vec<DotCase>) {
    let mx = spec(E4, E4, E8M0, 32);
    let one = code(E4, false, 1, 0);
    let nz = 0x80; // E4M3 -0
    let all = |a: u32, b: u32| -> Vec<(u32, u32)> { vec![(a, b); 32] };
    let mut push =
        |tag: &str, s: DotSpec, c: u32, blocks: Vec<Blk>| out.push(build(tag, s, c, blocks));
    push("zero-c-pos", mx, 0, vec![blk(S1, S1, &[])]);
    push(
        "zero-c-neg-prods-pos",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &[])],
    );
    push(
        "zero-c-neg-prods-neg",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &all(nz, 0))],
    );
    push(
        "zero-c-neg-prods-neg-2blocks",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &all(0, nz)), blk(3, 254, &all(nz, one))],
    );
    let mut one_pos = all(nz, 0);
    one_pos[17] = (0, 0);
    push(
        "zero-c-neg-one-prod-pos",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &one_pos)],
    );
    push(
        "zero-c-pos-prods-neg",
        mx,
        0,
        vec![blk(S1, S1, &all(nz, 0))],
    );
    push(
        "zero-neg-times-neg",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &all(nz, nz))],
    );
    let i8 = spec(FormatId::Int8, E4, E8M0, 32);
    push(
        "zero-int8-times-neg-zero",
        i8,
        0x8000_0000,
        vec![blk(S1, S1, &all(0, nz))],
    );
    push(
        "zero-int8-times-pos-zero",
        i8,
        0x8000_0000,
        vec![blk(S1, S1, &all(0, 0))],
    );
    push(
        "zero-cancel-c-neg",
        mx,
        0x8000_0000,
        vec![blk(S1, S1, &[(one, one), (negate(E4, one), one)])],
    );
    push(
        "zero-cancel-c-pos",
        mx,
        0,
        vec![blk(S1, S1, &[(negate(E4, one), one), (one, one)])],
    );
    let tiny = code(E4, false, 1, -9);
    push("underflow-pos", mx, 0, vec![blk(0, 0, &[(tiny, tiny)])]);
    push(
        "underflow-neg",
        mx,
        0,
        vec![blk(0, 0, &[(negate(E4, tiny), tiny)])],
    );
    push(
        "underflow-neg-c-neg",
        mx,
        0x8000_0000,
        vec![blk(0, 0, &[(negate(E4, tiny), tiny)])],
    );
    push(
        "underflow-neg-plus-zero-block",
        mx,
        0,
        vec![
            blk(0, 0, &[(tiny, negate(E4, tiny))]),
            blk(S1, S1, &all(nz, 0)),
        ],
    );
}

fn cancellation(out: &mut Vec<DotCase>) {
    let mut r = Rng::fork(0xca9c, 0);
    for f in ELEMS {
        let s = spec(f, f, E8M0, 32);
        // Mirror: the upper half repeats the lower half negated.
        let mut pairs = vec![];
        for _ in 0..16 {
            pairs.push((finite_code(&mut r, f), finite_code(&mut r, f)));
        }
        for j in 0..16 {
            let (x, y) = pairs[j];
            pairs.push((negate(f, x), y));
        }
        let name = f.format().name;
        out.push(build(
            format!("cancel-mirror-{name}"),
            s,
            0,
            vec![blk(130, 120, &pairs)],
        ));
        out.push(build(
            format!("cancel-mirror-{name}-c-neg"),
            s,
            0x8000_0000,
            vec![blk(130, 120, &pairs)],
        ));
    }
    let one = code(E4, false, 1, 0);
    let mx = spec(E4, E4, E8M0, 32);
    out.push(build(
        "cancel-c",
        mx,
        0xbf80_0000,
        vec![blk(S1, S1, &[(one, one)])],
    ));
    out.push(build(
        "cancel-c-neg-result",
        mx,
        F32_ONE,
        vec![blk(S1, S1, &[(negate(E4, one), one)])],
    ));
    // 1 * 2^3 in block 0 against -4 * 2^1 in block 1: equal values under different scales.
    let four = code(E4, false, 1, 2);
    out.push(build(
        "cancel-across-blocks",
        mx,
        0,
        vec![
            blk(130, S1, &[(one, one)]),
            blk(128, S1, &[(negate(E4, four), one)]),
        ],
    ));
    // An overflowing partial sum that cancels later: exact is 0, an FP32 partial sum is Inf.
    out.push(build(
        "cancel-after-overflow",
        mx,
        0,
        vec![
            blk(254, 128, &[(one, one), (one, one)]),
            blk(254, 128, &[(negate(E4, one), one), (negate(E4, one), one)]),
        ],
    ));
    // C cancels a product exactly at the bottom of FP32's range.
    out.push(build(
        "cancel-c-subnormal",
        mx,
        0x8000_0001,
        vec![pow2_blk(one, one, -149)],
    ));
}

/// A random finite code of `f`.
fn finite_code(r: &mut Rng, f: FormatId) -> u32 {
    loop {
        let c = r.below(f.format().codes()) as u32;
        if matches!(
            f.format().decode_unchecked(c).class,
            Class::Finite | Class::Zero
        ) {
            return c;
        }
    }
}

/// Maximum exponent spread inside a block: the largest and smallest products side by side,
/// with and without the largest ones cancelling.
fn spread(out: &mut Vec<DotCase>) {
    for fa in ELEMS {
        for fb in [fa, E4, FormatId::E2m1] {
            let (ma, mb) = (fa.format().max_code(false), fb.format().max_code(false));
            let (na, nb) = (min_code(fa), min_code(fb));
            let s = spec(fa, fb, E8M0, 32);
            let tag = format!("{}x{}", fa.format().name, fb.format().name);
            out.push(build(
                format!("spread-{tag}"),
                s,
                0,
                vec![blk(S1, S1, &[(ma, mb), (na, nb)])],
            ));
            out.push(build(
                format!("spread-cancel-{tag}"),
                s,
                0,
                vec![blk(S1, S1, &[(ma, mb), (negate(fa, ma), mb), (na, nb)])],
            ));
            out.push(build(
                format!("spread-cancel-neg-{tag}"),
                s,
                0,
                vec![blk(
                    S1,
                    S1,
                    &[(ma, mb), (na, negate(fb, nb)), (negate(fa, ma), mb)],
                )],
            ));
            out.push(build(
                format!("spread-many-small-{tag}"),
                s,
                0,
                vec![blk(140, 100, &{
                    let mut p = vec![(ma, mb), (negate(fa, ma), mb)];
                    p.extend(std::iter::repeat_n((na, nb), 30));
                    p
                })],
            ));
            if fb == fa {
                out.push(build(
                    format!("spread-blocks-{tag}"),
                    s,
                    0,
                    vec![
                        blk(200, 200, &[(ma, mb)]),
                        blk(200, 200, &[(negate(fa, ma), mb)]),
                        blk(60, 60, &[(na, nb)]),
                    ],
                ));
            }
        }
    }
}

/// Results at the edges of FP32's range: every power of two from below the smallest
/// subnormal to above the smallest normal, ties there, and overflow.
fn fp32_range(out: &mut Vec<DotCase>) {
    let mx = spec(E4, E4, E8M0, 32);
    let one = code(E4, false, 1, 0);
    let m15 = code(E4, false, 3, -1);
    let m175 = code(E4, false, 7, -2);
    for t in -153..=-124 {
        for (m, a) in [("1", one), ("1.5", m15), ("1.75", m175)] {
            out.push(build(
                format!("fp32-sub-{m}x2^{t}"),
                mx,
                0,
                vec![pow2_blk(a, one, t)],
            ));
        }
        out.push(build(
            format!("fp32-sub-neg-1x2^{t}"),
            mx,
            0,
            vec![pow2_blk(negate(E4, one), one, t)],
        ));
    }
    let mut push = |tag: &str, c: u32, b: Vec<Blk>| out.push(build(tag, mx, c, b));
    push(
        "fp32-max-subnormal",
        0x0080_0000,
        vec![pow2_blk(negate(E4, one), one, -149)],
    );
    push(
        "fp32-min-normal-from-sub",
        0x007f_ffff,
        vec![pow2_blk(one, one, -149)],
    );
    push(
        "fp32-sub-tie-to-even-up",
        0x0000_0001,
        vec![pow2_blk(one, one, -150)],
    );
    push(
        "fp32-sub-tie-to-even-down",
        0x0000_0002,
        vec![pow2_blk(one, one, -150)],
    );
    push(
        "fp32-sub-tie-neg",
        0x8000_0003,
        vec![pow2_blk(negate(E4, one), one, -150)],
    );
    push(
        "fp32-sub-to-normal-carry",
        0x007f_ffff,
        vec![pow2_blk(one, one, -150)],
    );
    for (tag, t) in [
        ("fp32-ovf-2^128", 128),
        ("fp32-2^127", 127),
        ("fp32-ovf-2^200", 200),
    ] {
        push(tag, 0, vec![pow2_blk(one, one, t)]);
    }
    push("fp32-1.75x2^127", 0, vec![pow2_blk(m175, one, 127)]);
    push(
        "fp32-ovf-neg",
        0,
        vec![pow2_blk(negate(E4, m175), m175, 127)],
    );
    // FP32 max plus half an ulp (2^103): a tie with an odd significand rounds up to overflow.
    push(
        "fp32-max-plus-half-ulp",
        0x7f7f_ffff,
        vec![pow2_blk(one, one, 103)],
    );
    push(
        "fp32-max-plus-quarter-ulp",
        0x7f7f_ffff,
        vec![pow2_blk(one, one, 102)],
    );
    push(
        "fp32-max-plus-3-quarter-ulp",
        0x7f7f_ffff,
        vec![blk(
            pow2_scales(102).0,
            pow2_scales(102).1,
            &[(one, one), (code(E4, false, 1, 1), one)],
        )],
    );
    push(
        "fp32-neg-max-minus-half-ulp",
        0xff7f_ffff,
        vec![pow2_blk(negate(E4, one), one, 103)],
    );
    push(
        "fp32-max-minus-tiny",
        0x7f7f_ffff,
        vec![pow2_blk(negate(E4, one), one, 60)],
    );
    let max5 = E5.format().max_code(false);
    push(
        "fp32-ovf-products",
        0,
        vec![blk(200, 200, &[(one, one)]), blk(220, 220, &[(one, one)])],
    );
    let m5 = spec(E5, E5, E8M0, 32);
    out.push(build(
        "fp32-ovf-e5m2-sum",
        m5,
        0,
        vec![blk(160, 160, &[(max5, max5); 32])],
    ));
}

/// Ties and near-ties at the output's rounding point: C holds the high part, one or two
/// products the bits below its last place.
fn output_ties(n: &Numerics, out: &mut Vec<DotCase>) {
    let mo = n.output.man_bits.unwrap_or(23) as i32;
    let mx = spec(E4, E4, E8M0, 32);
    let one = code(E4, false, 1, 0);
    let h = -mo - 1; // half an ulp of 1.0
    let low = code(E4, false, 1, -6); // 2^-6: with b = 2^-6, a product 2^-12 below the first
    for (cname, c) in [
        ("1", F32_ONE),
        ("1+ulp", F32_ONE + (1 << (23 - mo))),
        ("1.5", 0x3fc0_0000),
    ] {
        for neg in [false, true] {
            let cb = c | (neg as u32) << 31;
            let sg = |x: u32| if neg { negate(E4, x) } else { x };
            let (sa, sb) = pow2_scales(h);
            let s = if neg { "neg-" } else { "" };
            out.push(build(
                format!("out-tie-{s}c{cname}"),
                mx,
                cb,
                vec![blk(sa, sb, &[(sg(one), one)])],
            ));
            out.push(build(
                format!("out-above-tie-{s}c{cname}"),
                mx,
                cb,
                vec![blk(sa, sb, &[(sg(one), one), (sg(low), low)])],
            ));
            out.push(build(
                format!("out-below-tie-{s}c{cname}"),
                mx,
                cb,
                vec![blk(sa, sb, &[(sg(one), one), (negate(E4, sg(low)), low)])],
            ));
            out.push(build(
                format!("out-quarter-{s}c{cname}"),
                mx,
                cb,
                vec![pow2_blk(sg(one), one, h - 1)],
            ));
            out.push(build(
                format!("out-3quarter-{s}c{cname}"),
                mx,
                cb,
                vec![pow2_blk(sg(code(E4, false, 3, -1)), one, h)],
            ));
            // The tie built from products alone (C = 0): 1 + 2^h in two blocks.
            out.push(build(
                format!("out-tie-products-{s}c{cname}"),
                mx,
                0,
                vec![blk(S1, S1, &[(sg(one), one)]), pow2_blk(sg(one), one, h)],
            ));
        }
    }
}

/// Where each of `terms` (a block each) lands in its own accumulation group.
fn own_groups(n: &Numerics, block: usize, blocks: Vec<Blk>) -> Vec<Blk> {
    let per = if n.group > block {
        n.group.div_ceil(block)
    } else {
        1
    };
    let mut v = vec![];
    for (i, b) in blocks.into_iter().enumerate() {
        if i > 0 {
            for _ in 1..per {
                v.push(blk(S1, S1, &[]));
            }
        }
        v.push(b);
    }
    v
}

/// Ties and near-ties at the accumulator's rounding point: a value is added to a running
/// 1.0 at 1 to 3 bits below the accumulator's last place, then 1.0 is taken away again,
/// which leaves exactly what the accumulator kept. Once with C as the running value, once
/// with a product.
fn acc_ties(n: &Numerics, ma: u32, out: &mut Vec<DotCase>) {
    let mx = spec(E4, E4, E8M0, 32);
    let one = code(E4, false, 1, 0);
    let m15 = code(E4, false, 3, -1);
    let m175 = code(E4, false, 7, -2);
    let ma = ma as i32;
    for d in -1..=3 {
        let t = -ma - d;
        if t < -254 {
            continue;
        }
        for (mname, m) in [("1", one), ("1.5", m15), ("1.75", m175)] {
            for neg in [false, true] {
                let s = if neg { "neg-" } else { "" };
                let sg = |x: u32| if neg { negate(E4, x) } else { x };
                let c1 = F32_ONE | (neg as u32) << 31;
                out.push(build(
                    format!("acc-{s}c1-plus-{mname}x2^{t}-minus-1"),
                    mx,
                    c1,
                    own_groups(
                        n,
                        32,
                        vec![
                            pow2_blk(sg(m), one, t),
                            blk(S1, S1, &[(negate(E4, sg(one)), one)]),
                        ],
                    ),
                ));
                out.push(build(
                    format!("acc-{s}1-plus-{mname}x2^{t}-minus-1"),
                    mx,
                    0,
                    own_groups(
                        n,
                        32,
                        vec![
                            blk(S1, S1, &[(sg(one), one)]),
                            pow2_blk(sg(m), one, t),
                            blk(S1, S1, &[(negate(E4, sg(one)), one)]),
                        ],
                    ),
                ));
                // Opposite signs: the accumulator must round a value just under 1.0.
                out.push(build(
                    format!("acc-{s}c1-minus-{mname}x2^{t}"),
                    mx,
                    c1,
                    own_groups(n, 32, vec![pow2_blk(negate(E4, sg(m)), one, t)]),
                ));
            }
        }
    }
    // Many groups: the accumulator's rounding error compounds (round to odd keeps a sticky bit).
    let mut blocks = vec![blk(S1, S1, &[(one, one)])];
    for _ in 0..6 {
        blocks.push(pow2_blk(one, one, -ma - 2));
    }
    blocks.push(blk(S1, S1, &[(negate(E4, one), one)]));
    out.push(build(
        "acc-repeated-quarter-ulp",
        mx,
        0,
        own_groups(n, 32, blocks),
    ));
}

/// Cuts at the window's edge: a large product sets the alignment exponent and a small one
/// sits `w - 2 ..= w + 3` bits below it; with and without the large one cancelled, with the
/// small one of either sign and with 1, 1.5 or 1.75 as significand (a tie at the cut).
fn window_cuts(w: u32, out: &mut Vec<DotCase>) {
    let w = w as i32;
    let s = spec(E5, E5, E8M0, 32);
    // E5M2 normal products span 2^-28 .. 2^30; the large product 2^h is split across a and b.
    let h = (w - 25).max(0);
    if h > 30 {
        return;
    }
    let split = |e: i32| (e - e / 2, e / 2);
    let pow = |neg: bool, m: u32, e: i32| code(E5, neg, m, e);
    for d in -2..=3 {
        let lo = h - w - d;
        if lo < -28 {
            continue;
        }
        let (h1, h2) = split(h);
        let (l1, l2) = split(lo);
        for (mname, m, me) in [("1", 1u32, 0i32), ("1.5", 3, -1), ("1.75", 7, -2)] {
            for neg in [false, true] {
                let sn = if neg { "neg-" } else { "" };
                let big = (pow(false, 1, h1), pow(false, 1, h2));
                let nbig = (pow(true, 1, h1), pow(false, 1, h2));
                let small = (pow(neg, m, l1 + me), pow(false, 1, l2));
                let tag = format!("{mname}x2^{lo}-under-2^{h}");
                out.push(build(
                    format!("window-{sn}{tag}"),
                    s,
                    0,
                    vec![blk(S1, S1, &[big, small])],
                ));
                out.push(build(
                    format!("window-cancel-{sn}{tag}"),
                    s,
                    0,
                    vec![blk(S1, S1, &[big, small, nbig])],
                ));
            }
        }
        // A large product of 1.75 * 1.75 (or 1.5 * 1.5): its leading bit is one above its
        // nominal exponent, so nominal and leading-bit alignment cut one bit apart.
        let (l1, l2) = split(lo);
        let small = (pow(false, 1, l1), pow(false, 1, l2));
        let b175 = (pow(false, 7, h1 - 2), pow(false, 7, h2 - 2));
        let nb175 = (pow(true, 7, h1 - 2), pow(false, 7, h2 - 2));
        out.push(build(
            format!("window-leading-1x2^{lo}-under-3.06x2^{h}"),
            s,
            0,
            vec![blk(S1, S1, &[b175, small, nb175])],
        ));
        for (bname, bm, be) in [("3.06", 7u32, -2i32), ("2.25", 3, -1)] {
            for (mname, m, me) in [("1.5", 3u32, -1i32), ("1.75", 7, -2)] {
                for neg in [false, true] {
                    let sn = if neg { "neg-" } else { "" };
                    let big = (pow(false, bm, h1 + be), pow(false, bm, h2 + be));
                    let nbig = (pow(true, bm, h1 + be), pow(false, bm, h2 + be));
                    let sm = (pow(neg, m, l1 + me), pow(false, 1, l2));
                    let tag = format!("{mname}x2^{lo}-under-{bname}x2^{h}");
                    out.push(build(
                        format!("window-leading-{sn}{tag}"),
                        s,
                        0,
                        vec![blk(S1, S1, &[big, sm])],
                    ));
                    out.push(build(
                        format!("window-leading-cancel-{sn}{tag}"),
                        s,
                        0,
                        vec![blk(S1, S1, &[big, sm, nbig])],
                    ));
                }
            }
        }
        // Many small terms under a cancelled large one.
        let mut p = vec![big_pair(h, false), big_pair(h, true)];
        p.extend(std::iter::repeat_n(small, 30));
        out.push(build(
            format!("window-many-1x2^{lo}-under-2^{h}"),
            s,
            0,
            vec![blk(S1, S1, &p)],
        ));
    }
}

fn big_pair(h: i32, neg: bool) -> (u32, u32) {
    (code(E5, neg, 1, h - h / 2), code(E5, false, 1, h / 2))
}

/// NVFP4-style blocks (E2M1 elements, UE4M3 scales, block 16) at the scale format's extremes.
fn nvfp4_scales(out: &mut Vec<DotCase>) {
    let f4 = FormatId::E2m1;
    let u = FormatId::Ue4m3;
    let s = spec(f4, f4, u, 16);
    let six = f4.format().max_code(false);
    let half = code(f4, false, 1, -1);
    let umax = u.format().max_code(false);
    let u1 = code(u, false, 1, 0);
    let usub = 1; // 2^-9
    for (tag, sa, sb) in [
        ("max-max", umax, umax),
        ("max-minsub", umax, usub),
        ("minsub-minsub", usub, usub),
        ("zero", 0, umax),
        ("1.875", code(u, false, 15, -3), u1),
        ("sub-7", 7, 0x7e),
    ] {
        out.push(build(
            format!("nvfp4-scale-{tag}"),
            s,
            0,
            vec![
                blk(sa, sb, &[(six, six); 16]),
                blk(sb, sa, &[(half, negate(f4, half)), (six, half)]),
            ],
        ));
    }
    let u5 = FormatId::Ue5m3;
    let s5 = spec(f4, f4, u5, 16);
    let u5max = u5.format().max_code(false);
    out.push(build(
        "ue5m3-scale-max",
        s5,
        0,
        vec![blk(u5max, u5max, &[(six, six); 16])],
    ));
    out.push(build(
        "ue5m3-scale-minsub",
        s5,
        0,
        vec![blk(1, 1, &[(half, half)])],
    ));
}

/// `dot-random`: `count` seeded dots of 1..=`max_blocks` blocks, weighted toward corners.
/// Numerics-independent: the same inputs are evaluated under every preset.
pub fn random(seed: u64, count: usize, max_blocks: usize) -> Vec<DotCase> {
    (0..count)
        .map(|i| random_case(&mut Rng::fork(seed, i as u64), max_blocks))
        .collect()
}

fn random_case(r: &mut Rng, max_blocks: usize) -> DotCase {
    let fa = r.pick(&ELEMS);
    let fb = if r.chance(1, 3) { fa } else { r.pick(&ELEMS) };
    // E8M0 with block 32 (MX), or UE4M3 with block 16 in whole 32-element beats (NVFP4).
    let nvfp4 = r.chance(1, 5);
    let (sf, bs) = if nvfp4 {
        (FormatId::Ue4m3, 16)
    } else {
        (E8M0, 32)
    };
    let mut nb = 1 + r.below(max_blocks as u64) as usize;
    if r.chance(1, 2) {
        nb = 1 + r.below(2) as usize; // short dots are the common case
    }
    if nvfp4 {
        nb = nb.div_ceil(2) * 2;
    }
    let specials = r.chance(1, 25);
    let mode = r.below(100);
    let k = nb * bs;
    let mut a = Vec::with_capacity(k);
    let mut b = Vec::with_capacity(k);
    for _ in 0..k {
        a.push(elem_code(r, fa, mode, specials));
        b.push(elem_code(r, fb, mode, specials));
    }
    if mode >= 85 {
        // Mirror within each block: exact cancellation of every product pair.
        for blk in 0..nb {
            for j in 0..bs / 2 {
                let (x, y) = (blk * bs + j, blk * bs + bs / 2 + j);
                a[y] = negate(fa, a[x]);
                b[y] = b[x];
            }
        }
    }
    let mut sa = vec![];
    let mut sb = vec![];
    let centre = 117 + r.below(21) as u32;
    for _ in 0..nb {
        sa.push(scale_code(r, sf, centre, specials));
        sb.push(scale_code(r, sf, centre, specials));
    }
    let c = c_bits(r);
    DotCase {
        tag: format!(
            "{}x{}-{}-{nb}",
            fa.format().name,
            fb.format().name,
            sf.format().name
        ),
        spec: spec(fa, fb, sf, bs),
        a,
        b,
        sa,
        sb,
        c,
    }
}

fn elem_code(r: &mut Rng, f: FormatId, mode: u64, specials: bool) -> u32 {
    let fmt: &Format = f.format();
    let n = fmt.codes();
    let sign = |r: &mut Rng, c: u32| if r.chance(1, 2) { negate(f, c) } else { c };
    let c = match mode {
        // Uniform codes.
        0..=39 => r.below(n) as u32,
        // Corner-heavy: zeros, extremes, subnormals.
        40..=69 => match r.below(10) {
            0..=2 => 0,
            3..=4 => sign(r, fmt.max_code(false)),
            5..=6 => {
                let small = 1 + r.below(1 << fmt.man_bits.min(7)) as u32 % (n as u32 / 2 - 1);
                sign(r, small)
            }
            _ => r.below(n) as u32,
        },
        // Narrow: magnitudes in [1/4, 4), so that sums carry and round.
        70..=84 => loop {
            let c = r.below(n) as u32;
            let v = fmt.decode_unchecked(c);
            let top = v.exp + 31 - v.sig.leading_zeros() as i32;
            if v.class == Class::Finite && (-2..2).contains(&top) {
                break c;
            }
        },
        _ => r.below(n) as u32,
    };
    let special = matches!(fmt.decode_unchecked(c).class, Class::Nan | Class::Inf);
    if special && !specials {
        // Replace by a zero of the same sign (only float formats have specials).
        return c & (1 << (fmt.bits() - 1));
    }
    c
}

fn scale_code(r: &mut Rng, s: FormatId, centre: u32, specials: bool) -> u32 {
    let fmt = s.format();
    if specials && r.chance(1, 8) {
        return fmt.nan_code().expect("scale formats have NaN");
    }
    if s == E8M0 {
        match r.below(20) {
            0..=13 => centre + r.below(17) as u32 - 8,
            14..=17 => r.below(255) as u32,
            _ => r.pick(&[0, 1, 253, 254]),
        }
    } else {
        let nan = fmt.nan_code().unwrap();
        match r.below(20) {
            0 => 0,
            1 => fmt.max_code(false),
            _ => {
                let c = r.below(nan as u64) as u32;
                if c == nan {
                    0
                } else {
                    c
                }
            }
        }
    }
}

fn c_bits(r: &mut Rng) -> u32 {
    let sign = (r.below(2) as u32) << 31;
    match r.below(100) {
        0..=29 => 0,
        30..=34 => 0x8000_0000,
        35..=74 => sign | ((117 + r.below(31) as u32) << 23) | r.below(1 << 23) as u32,
        75..=86 => {
            let b = r.next_u64() as u32;
            if b & 0x7f80_0000 == 0x7f80_0000 {
                b & 0xff7f_ffff
            } else {
                b
            }
        }
        87..=93 => sign | r.below(1 << 23) as u32,
        94..=97 => sign | 0x7f80_0000,
        _ => 0x7f80_0000 | (1 + r.below((1 << 23) - 1) as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::preset;

    #[test]
    fn suites_are_well_formed() {
        for n in ["exact", "rtl"] {
            let n = preset(n).unwrap();
            for c in directed(&n)
                .iter()
                .chain(&random(1, 500, 8))
                .chain(&formats_decode())
            {
                let k = c.a.len();
                assert!(k > 0 && k % c.spec.block == 0, "{}", c.tag);
                assert_eq!(c.b.len(), k, "{}", c.tag);
                assert_eq!(c.sa.len(), k / c.spec.block, "{}", c.tag);
                assert_eq!(c.sb.len(), c.sa.len(), "{}", c.tag);
                let dot = crate::dot::Dot::new(c.spec, &n).unwrap();
                dot.eval(&crate::dot::Operands {
                    a: &c.a,
                    b: &c.b,
                    sa: &c.sa,
                    sb: &c.sb,
                    c: c.c,
                })
                .unwrap_or_else(|e| panic!("{}: {e}", c.tag));
            }
        }
    }

    #[test]
    fn random_is_deterministic_and_seeded() {
        assert_eq!(random(5, 50, 4), random(5, 50, 4));
        assert_ne!(random(5, 50, 4), random(6, 50, 4));
        // Case i does not depend on how many cases are drawn.
        assert_eq!(random(5, 10, 4)[..], random(5, 50, 4)[..10]);
    }

    #[test]
    fn products_level1_is_the_fp4_fp6_pairs() {
        let p = products(1);
        assert_eq!(p.len(), (64 + 64 + 16) * (64 + 64 + 16));
    }
}
