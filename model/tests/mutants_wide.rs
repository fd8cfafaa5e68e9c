//! The wide accumulator (`wide::Wide`) against exact big-integer sums: the value, sign, sticky
//! bit and limb alignment of `to_raw`, `is_zero`, `add_wide` and `round`. Written for the
//! cargo-mutants survivors of wide.rs (docs/reliability.md); every expected value comes from
//! num-bigint arithmetic on the same additions, not from the model.

use mxref_model::round::{self, Raw, Round, Rounded, Target};
use mxref_model::wide::{Wide, LIMBS, LSB, TOP};
use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;

/// The exact value of the additions, in units of 2^LSB.
fn exact(terms: &[(i128, i32)]) -> BigInt {
    terms.iter().fold(BigInt::zero(), |s, &(v, e)| {
        s + (BigInt::from(v) << (e - LSB) as usize)
    })
}

/// What `to_raw` must return for the exact value `s` (units of 2^LSB): the sign, and the
/// magnitude cut at a limb boundary so that the 128-bit significand holds its top non-zero limb
/// as the highest of four, everything below as sticky.
fn expected_raw(s: &BigInt) -> Option<(bool, Raw)> {
    if s.is_zero() {
        return None;
    }
    let m = s.abs();
    let bits = m.bits() as i64; // the top non-zero bit is bits - 1
    let top_limb = (bits - 1) / 32;
    let lo = (top_limb - 3).max(0);
    let shift = (32 * lo) as usize;
    let sig = &m >> shift;
    let sticky = (&sig << shift) != m;
    let (_, digits) = sig.to_u64_digits();
    let sig = digits
        .iter()
        .rev()
        .fold(0u128, |acc, &d| (acc << 64) | d as u128);
    Some((
        s.sign() == Sign::Minus,
        Raw {
            sig,
            exp: LSB + shift as i32,
            sticky,
        },
    ))
}

fn wide_of(terms: &[(i128, i32)]) -> Wide {
    let mut w = Wide::default();
    for &(v, e) in terms {
        w.add(v, e);
    }
    w
}

fn check(terms: &[(i128, i32)]) {
    let w = wide_of(terms);
    let s = exact(terms);
    let want = expected_raw(&s);
    let got = w.to_raw();
    assert_eq!(
        got.map(|(n, r)| (n, r.sig, r.exp, r.sticky)),
        want.map(|(n, r)| (n, r.sig, r.exp, r.sticky)),
        "terms {terms:?}"
    );
    assert_eq!(w.is_zero(), s.is_zero(), "terms {terms:?}");
}

fn cases() -> u32 {
    std::env::var("MXREF_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// Magnitudes that make carries and borrows: all-ones digits, powers of two, full-width values.
fn value() -> impl Strategy<Value = i128> {
    prop_oneof![
        any::<i64>().prop_map(|v| v as i128),
        (-(1i128 << 126)..(1i128 << 126)),
        (0u32..127, any::<bool>()).prop_map(|(k, n)| if n { -(1i128 << k) } else { 1i128 << k }),
        (1u32..127, any::<bool>()).prop_map(|(k, n)| {
            let v = (1i128 << k) - 1;
            if n {
                -v
            } else {
                v
            }
        }),
        Just(i128::MAX),
        Just(-i128::MAX),
    ]
}

/// Exponents over the whole range, and near the bottom, near the top and clustered so terms
/// overlap; every term stays below 2^(TOP-32) as `add` requires.
fn exponent() -> impl Strategy<Value = i32> {
    prop_oneof![
        LSB..(TOP - 32 - 128),
        LSB..(LSB + 70),
        (TOP - 32 - 200)..(TOP - 32 - 128),
        -40..40,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn to_raw_is_the_exact_sum(terms in prop::collection::vec((value(), exponent()), 1..12)) {
        check(&terms);
    }

    /// Terms and their exact negation split differently: the sum is exactly zero.
    #[test]
    fn cancellation_is_exact(terms in prop::collection::vec((value(), exponent()), 1..8), k in 0u32..60) {
        let mut all = terms.clone();
        for &(v, e) in terms.iter().rev() {
            // -v * 2^e as -(v >> k) * 2^(e+k) plus the low k bits, when it fits.
            if e + k as i32 + 128 < TOP - 32 {
                let hi = v >> k;
                let low = v - (hi << k);
                all.push((-hi, e + k as i32));
                all.push((-low, e));
            } else {
                all.push((-v, e));
            }
        }
        check(&all);
        prop_assert!(wide_of(&all).is_zero());
        prop_assert!(wide_of(&all).to_raw().is_none());
    }

    #[test]
    fn add_wide_is_the_exact_sum(
        a in prop::collection::vec((value(), exponent()), 0..6),
        b in prop::collection::vec((value(), exponent()), 0..6),
    ) {
        let mut w = wide_of(&a);
        w.add_wide(&wide_of(&b));
        // And more additions after the merge still land exactly.
        w.add(3, -7);
        let mut all = a.clone();
        all.extend(&b);
        all.push((3, -7));
        let s = exact(&all);
        let want = expected_raw(&s).map(|(n, r)| (n, r.sig, r.exp, r.sticky));
        prop_assert_eq!(w.to_raw().map(|(n, r)| (n, r.sig, r.exp, r.sticky)), want);
        prop_assert_eq!(w.is_zero(), s.is_zero());
    }

    /// `round` is `round::round` of the exact raw value, and a positive FP32 zero for zero.
    #[test]
    fn round_rounds_the_exact_value(terms in prop::collection::vec((value(), exponent()), 1..6)) {
        let w = wide_of(&terms);
        let s = exact(&terms);
        for mode in [Round::Rne, Round::Rz, Round::Rna] {
            let got = w.round(&Target::FP32, mode);
            match expected_raw(&s) {
                None => prop_assert_eq!(got, (false, Rounded::Finite { sig: 0, exp: Target::FP32.emin, inexact: false })),
                Some((neg, raw)) => prop_assert_eq!(got, (neg, round::round(neg, raw, &Target::FP32, mode))),
            }
        }
    }
}

/// The documented range: limbs of 32 bits from 2^-640, 38 of them, up to 2^576 exclusive.
#[test]
fn range_constants() {
    assert_eq!((LSB, LIMBS, TOP), (-640, 38, 576));
}

/// Hand-worked cases at the limb edges.
#[test]
fn directed_limb_edges() {
    // A carry out of every limb: 2^32-1 in each limb, then one unit at the bottom.
    let mut t: Vec<(i128, i32)> = (0..LIMBS as i32 - 2)
        .map(|i| (0xffff_ffff, LSB + 32 * i))
        .collect();
    t.push((1, LSB));
    check(&t);
    // The sum is 2^(32*(LIMBS-2)) units: one bit in limb LIMBS-2, nothing below.
    let (neg, raw) = wide_of(&t).to_raw().unwrap();
    assert!(!neg && !raw.sticky);
    assert_eq!(
        BigInt::from(raw.sig) << (raw.exp - LSB) as usize,
        BigInt::one() << (32 * (LIMBS - 2))
    );
    // A borrow through every limb: the top term minus one unit at the bottom.
    check(&[(1, TOP - 64), (-1, LSB)]);
    // -1 unit: negative, all in limb 0.
    check(&[(-1, LSB)]);
    check(&[(-1, LSB), (0, 5)]);
    // Values that do not fit shifted in place (|v| near 2^127 at an unaligned exponent).
    for bit in [1, 17, 31] {
        check(&[(i128::MAX, LSB + bit)]);
        check(&[(-i128::MAX, LSB + bit)]);
        check(&[(i128::MAX, 100 + bit), (-(1i128 << 120) + 7, 3)]);
    }
    // Exactly representable in one limb at both ends of i32 after shifting.
    check(&[(i32::MIN as i128, LSB)]);
    check(&[(i32::MAX as i128, LSB)]);
    check(&[(i32::MAX as i128 + 1, LSB)]);
    check(&[(i32::MIN as i128 - 1, LSB)]);
    // The top of the range: a value just below 2^(TOP-32), negative too.
    check(&[((1i128 << 126) + 1, TOP - 32 - 127)]);
    check(&[(-(1i128 << 126) - 1, TOP - 32 - 127)]);
    // Sticky: a unit far below a value that fills four limbs.
    check(&[(i128::MAX >> 1, 0), (1, -200)]);
    check(&[(i128::MAX >> 1, 0), (-1, -200)]);
    // A value whose top sits in limb 3 or lower: the significand starts at limb 0, no sticky.
    check(&[(1, LSB + 3 * 32 + 5), (1, LSB)]);
    check(&[(1, LSB + 4 * 32), (1, LSB)]);
}

/// Zero rounds to +0 at the target's emin, exactly.
#[test]
fn zero_rounds_to_plus_zero() {
    let t = Target::ieee(5, 10);
    let w = wide_of(&[(5, 0), (-5, 0)]);
    assert_eq!(
        w.round(&t, Round::Rne),
        (
            false,
            Rounded::Finite {
                sig: 0,
                exp: t.emin,
                inexact: false
            }
        )
    );
    // -1.25 = -5 * 2^-2 into a 1-fraction-bit target lies halfway between -1 and -1.5: RNE
    // gives the even significand, -1.0 (sig 2 at exponent 0, value sig * 2^(exp - 1)).
    let w = wide_of(&[(-5, -2)]);
    assert_eq!(
        w.round(&Target::ieee(5, 1), Round::Rne),
        (
            true,
            Rounded::Finite {
                sig: 2,
                exp: 0,
                inexact: true
            }
        )
    );
}
