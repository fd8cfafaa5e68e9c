//! The `exact` dot product against an independent slow reference: exact rational arithmetic
//! on big integers, its own decoding from the bit fields and its own round-to-FP32. Nothing
//! here calls the model's decode, rounding or accumulators (TestFloat's `slowfloat` idea).

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, Accumulate, Numerics};
use mxref_model::FormatId;
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;

/// A value of the reference: NaN, signed Inf, or `num * 2^exp` with a sign for zero.
#[derive(Clone, Debug)]
enum RV {
    Nan,
    Inf(bool),
    Num {
        num: BigInt,
        exp: i64,
        neg_zero: bool,
    },
}

/// (exp bits, man bits, bias, signed, specials) written out from the OCP v1.0 tables;
/// specials: 0 none, 1 all-ones NaN only, 2 IEEE.
fn fields(name: &str) -> (u32, u32, i64, bool, u8) {
    match name {
        "e4m3" => (4, 3, 7, true, 1),
        "e5m2" => (5, 2, 15, true, 2),
        "e2m3" => (2, 3, 1, true, 0),
        "e3m2" => (3, 2, 3, true, 0),
        "e2m1" => (2, 1, 1, true, 0),
        "ue4m3" => (4, 3, 7, false, 1),
        "ue5m3" => (5, 3, 15, false, 1),
        _ => unreachable!(),
    }
}

fn decode(name: &str, code: u32) -> RV {
    match name {
        "int8" => {
            let v = code as u8 as i8 as i64;
            return RV::Num {
                num: BigInt::from(v),
                exp: -6,
                neg_zero: false,
            };
        }
        "e8m0" => {
            return if code == 255 {
                RV::Nan
            } else {
                RV::Num {
                    num: BigInt::one(),
                    exp: code as i64 - 127,
                    neg_zero: false,
                }
            };
        }
        _ => {}
    }
    let (eb, mb, bias, signed, sp) = fields(name);
    let neg = signed && (code >> (eb + mb)) & 1 == 1;
    let e = ((code >> mb) & ((1 << eb) - 1)) as i64;
    let m = (code & ((1 << mb) - 1)) as i64;
    let emax_field = (1i64 << eb) - 1;
    if sp == 2 && e == emax_field {
        return if m == 0 { RV::Inf(neg) } else { RV::Nan };
    }
    if sp == 1 && e == emax_field && m == (1 << mb) - 1 {
        return RV::Nan;
    }
    let (sig, ex) = if e == 0 {
        (m, 1 - bias - mb as i64)
    } else {
        (m + (1 << mb), e - bias - mb as i64)
    };
    let num = if neg {
        -BigInt::from(sig)
    } else {
        BigInt::from(sig)
    };
    RV::Num {
        num,
        exp: ex,
        neg_zero: neg && sig == 0,
    }
}

fn decode_f32(bits: u32) -> RV {
    let neg = bits >> 31 == 1;
    let e = ((bits >> 23) & 0xff) as i64;
    let m = (bits & 0x7f_ffff) as i64;
    if e == 255 {
        return if m == 0 { RV::Inf(neg) } else { RV::Nan };
    }
    let (sig, ex) = if e == 0 {
        (m, -149)
    } else {
        (m + (1 << 23), e - 150)
    };
    let num = if neg {
        -BigInt::from(sig)
    } else {
        BigInt::from(sig)
    };
    RV::Num {
        num,
        exp: ex,
        neg_zero: neg && sig == 0,
    }
}

fn mul(a: &RV, b: &RV) -> RV {
    match (a, b) {
        (RV::Nan, _) | (_, RV::Nan) => RV::Nan,
        (RV::Inf(x), RV::Inf(y)) => RV::Inf(x ^ y),
        (RV::Inf(x), RV::Num { num, neg_zero, .. })
        | (RV::Num { num, neg_zero, .. }, RV::Inf(x)) => {
            if num.is_zero() {
                RV::Nan
            } else {
                RV::Inf(x ^ (num.is_negative() || *neg_zero))
            }
        }
        (
            RV::Num {
                num: n1,
                exp: e1,
                neg_zero: z1,
            },
            RV::Num {
                num: n2,
                exp: e2,
                neg_zero: z2,
            },
        ) => {
            let num = n1 * n2;
            // Sign of a zero product: XOR of the factors' signs.
            let s1 = n1.is_negative() || *z1;
            let s2 = n2.is_negative() || *z2;
            let neg_zero = num.is_zero() && (s1 ^ s2);
            RV::Num {
                num,
                exp: e1 + e2,
                neg_zero,
            }
        }
    }
}

/// Round `num * 2^exp` (non-zero) to FP32 bits with RNE.
fn round_f32(num: &BigInt, exp: i64) -> u32 {
    let neg = num.is_negative();
    let mag = num.abs();
    let len = mag.bits() as i64;
    let top = exp + len - 1;
    let q = top.max(-126) - 23;
    let mut sig: BigInt;
    let mut q2 = q;
    if q <= exp {
        sig = &mag << (exp - q) as usize;
    } else {
        let sh = (q - exp) as usize;
        sig = &mag >> sh;
        let rem = &mag - (&sig << sh);
        let half = BigInt::one() << (sh - 1);
        if rem > half || (rem == half && (&sig & BigInt::one()) == BigInt::one()) {
            sig += 1;
        }
    }
    if sig == (BigInt::one() << 24) {
        sig = BigInt::one() << 23;
        q2 += 1;
    }
    let s = (neg as u32) << 31;
    if q2 + 23 > 127 {
        return s | 0x7f80_0000;
    }
    let sig: u32 = sig.try_into().unwrap();
    if sig < 1 << 23 {
        s | sig
    } else {
        s | (((q2 + 23 + 127) as u32) << 23) | (sig - (1 << 23))
    }
}

fn name(id: FormatId) -> &'static str {
    id.format().name
}

/// The reference dot product.
fn reference(spec: &DotSpec, a: &[u32], b: &[u32], sa: &[u32], sb: &[u32], c: u32) -> u32 {
    let mut terms = vec![decode_f32(c)];
    for i in 0..a.len() {
        let k = i / spec.block;
        let p = mul(
            &decode(name(spec.a_fmt), a[i]),
            &decode(name(spec.b_fmt), b[i]),
        );
        let s = mul(
            &decode(name(spec.scale_fmt), sa[k]),
            &decode(name(spec.scale_fmt), sb[k]),
        );
        terms.push(mul(&p, &s));
    }
    let (mut pinf, mut ninf) = (false, false);
    for t in &terms {
        match t {
            RV::Nan => return 0x7fc0_0000,
            RV::Inf(true) => ninf = true,
            RV::Inf(false) => pinf = true,
            _ => {}
        }
    }
    match (pinf, ninf) {
        (true, true) => return 0x7fc0_0000,
        (true, false) => return 0x7f80_0000,
        (false, true) => return 0xff80_0000,
        _ => {}
    }
    let min_exp = terms
        .iter()
        .map(|t| if let RV::Num { exp, .. } = t { *exp } else { 0 })
        .min()
        .unwrap();
    let mut sum = BigInt::zero();
    let mut all_neg_zero = true;
    for t in &terms {
        if let RV::Num { num, exp, neg_zero } = t {
            sum += num << (exp - min_exp) as usize;
            all_neg_zero &= *neg_zero;
        }
    }
    if sum.is_zero() {
        return if all_neg_zero { 0x8000_0000 } else { 0 };
    }
    round_f32(&sum, min_exp)
}

const ELEMS: [FormatId; 6] = [
    FormatId::E4m3,
    FormatId::E5m2,
    FormatId::E2m3,
    FormatId::E3m2,
    FormatId::E2m1,
    FormatId::Int8,
];

/// A code biased toward interesting values: extremes, subnormals, zeros, rare specials.
fn elem_code(id: FormatId) -> impl Strategy<Value = u32> {
    let n = id.format().codes();
    let max_pos = id.format().max_code(false);
    let sub = id.format().man_bits.max(1);
    prop_oneof![
        12 => 0..n,
        2 => Just(max_pos),
        2 => 0..(1u32 << sub),
        1 => Just(0u32),
        1 => Just(n / 2), // -0 for sign-magnitude formats, -128 for int8
    ]
    .prop_filter("mostly finite", move |&c| {
        let v = id.format().decode_unchecked(c);
        !v.is_nan() && v.class != mxref_model::Class::Inf || c % 7 == 0
    })
}

fn scale_code(id: FormatId) -> impl Strategy<Value = u32> {
    let n = id.format().codes();
    prop_oneof![
        10 => 0..n - 1,
        2 => Just(0u32),
        2 => Just(n - 2),
        2 => (120u32..135).prop_map(move |c| c.min(n - 2)),
        1 => Just(n - 1), // NaN for every scale format here
    ]
}

#[derive(Debug, Clone)]
struct Case {
    spec: DotSpec,
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
    c: u32,
}

fn case() -> impl Strategy<Value = Case> {
    let fmts = (
        0..6usize,
        0..6usize,
        prop_oneof![6 => Just(FormatId::E8m0), 1 => Just(FormatId::Ue4m3), 1 => Just(FormatId::Ue5m3)],
    );
    let shape = (
        prop_oneof![4 => Just(32usize), 2 => Just(16usize), 2 => 1usize..9],
        1usize..4,
    );
    (fmts, shape, any::<bool>()).prop_flat_map(|((ia, ib, s), (block, nb), mirror)| {
        let (fa, fb) = (ELEMS[ia], ELEMS[ib]);
        let k = block * nb;
        let c = prop_oneof![
            3 => Just(0u32),
            3 => any::<u32>(),
            1 => Just(0x8000_0000u32),
            1 => Just(0x7f7f_ffffu32),
            1 => Just(0x0000_0001u32),
            1 => Just(0xff7f_ffffu32),
        ];
        (
            proptest::collection::vec(elem_code(fa), k),
            proptest::collection::vec(elem_code(fb), k),
            proptest::collection::vec(scale_code(s), nb),
            proptest::collection::vec(scale_code(s), nb),
            c,
        )
            .prop_map(move |(mut a, mut b, sa, sb, c)| {
                if mirror && block >= 2 && fa == fb {
                    // Cancellation: the second half of each block negates the first.
                    let fmt = fa.format();
                    for blk in 0..nb {
                        let h = block / 2;
                        for j in 0..h {
                            let (x, y) = (blk * block + j, blk * block + h + j);
                            a[y] = negate(fmt, a[x]);
                            b[y] = b[x];
                        }
                    }
                }
                Case {
                    spec: DotSpec {
                        a_fmt: fa,
                        b_fmt: fb,
                        scale_fmt: s,
                        block,
                    },
                    a,
                    b,
                    sa,
                    sb,
                    c,
                }
            })
    })
}

fn negate(f: &mxref_model::Format, code: u32) -> u32 {
    match f.kind {
        mxref_model::format::Kind::Int => (code as u8 as i8).wrapping_neg() as u8 as u32,
        _ => code ^ (1 << (f.bits() - 1)),
    }
}

fn eval(n: &Numerics, c: &Case) -> u32 {
    let dot = Dot::new(c.spec, n).unwrap();
    dot.eval(&Operands {
        a: &c.a,
        b: &c.b,
        sa: &c.sa,
        sb: &c.sb,
        c: c.c,
    })
    .unwrap()
}

fn cases() -> u32 {
    std::env::var("MXREF_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn exact_matches_rational_reference(c in case()) {
        let want = reference(&c.spec, &c.a, &c.b, &c.sa, &c.sb, c.c);
        let got = eval(&preset("exact").unwrap(), &c);
        prop_assert_eq!(got, want, "got {:#010x} want {:#010x}", got, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 10, failure_persistence: None, ..ProptestConfig::default() })]

    /// Permuting elements within and across blocks (with their scales' products kept) leaves
    /// `exact` unchanged: here blocks are permuted, and elements within each block.
    #[test]
    fn exact_is_permutation_invariant(c in case(), seed in any::<u64>()) {
        let base = eval(&preset("exact").unwrap(), &c);
        let bs = c.spec.block;
        let nb = c.a.len() / bs;
        let mut order: Vec<usize> = (0..nb).collect();
        let mut s = seed;
        for i in (1..nb).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut p = c.clone();
        for (dst, &src) in order.iter().enumerate() {
            p.sa[dst] = c.sa[src];
            p.sb[dst] = c.sb[src];
            for j in 0..bs {
                let jj = (j + (seed as usize % bs)) % bs;
                p.a[dst * bs + j] = c.a[src * bs + jj];
                p.b[dst * bs + j] = c.b[src * bs + jj];
            }
        }
        prop_assert_eq!(eval(&preset("exact").unwrap(), &p), base);
    }

    /// Adding k to every E8M0 scale multiplies D by 2^(2k) exactly when nothing over- or
    /// underflows: checked when D and the shifted D are both normal.
    #[test]
    fn scale_shift_multiplies_exactly(c in case(), k in -20i32..20) {
        let mut c = c;
        c.spec.scale_fmt = FormatId::E8m0;
        c.c = 0;
        for x in c.sa.iter_mut().chain(c.sb.iter_mut()) { *x = 107 + *x % 40; }
        let d = eval(&preset("exact").unwrap(), &c);
        let mut s = c.clone();
        for x in s.sa.iter_mut().chain(s.sb.iter_mut()) { *x = (*x as i32 + k) as u32; }
        let e = ((d >> 23) & 0xff) as i32;
        if !(e > 0 && e < 255 && e + 2 * k > 0 && e + 2 * k < 255) {
            return Ok(()); // zero, subnormal, special or pushed out of range: nothing to check
        }
        let want = (d & 0x807f_ffff) | (((e + 2 * k) as u32) << 23);
        prop_assert_eq!(eval(&preset("exact").unwrap(), &s), want);
    }

    /// Hardware numerics with an unbounded window and exact accumulator equal `exact`,
    /// whatever the grouping: the engine's generic path against its fast path.
    #[test]
    fn unbounded_window_equals_exact(c in case(), group in 1usize..40, fused in any::<bool>()) {
        let mut n = preset("exact").unwrap();
        n.group = group;
        n.accumulate = if fused { Accumulate::Fused } else { Accumulate::Separate };
        n.name = "unbounded".into();
        prop_assert!(!n.is_exact());
        prop_assert_eq!(eval(&n, &c), eval(&preset("exact").unwrap(), &c));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 20, failure_persistence: None, ..ProptestConfig::default() })]

    /// `explain` runs the traced generic engine; its result must be `eval`'s, for `exact`
    /// (fast path vs generic path) and for `rtl`.
    #[test]
    fn explain_agrees_with_eval(c in case(), rtl in any::<bool>()) {
        let n = preset(if rtl { "rtl" } else { "exact" }).unwrap();
        let dot = Dot::new(c.spec, &n).unwrap();
        let ops = Operands { a: &c.a, b: &c.b, sa: &c.sa, sb: &c.sb, c: c.c };
        let e = dot.explain(&ops).unwrap();
        prop_assert_eq!(e.d, dot.eval(&ops).unwrap());
        prop_assert!(e.special || !e.steps.is_empty() || c.a.is_empty());
    }
}
