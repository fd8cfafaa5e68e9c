//! `add::add_round` against the exact sum: the two terms are added with num-bigint, the exact
//! value is cut to a 128-bit raw value plus sticky (exactly what it is), and rounded once by
//! `round::round`. `add_round` must give the same sign and result for every target and mode,
//! including operands far apart (its one-bit stand-in), partly below its 125-bit frame (its
//! lost bits) and cancelling. Written for the cargo-mutants survivors of add.rs
//! (docs/reliability.md).

use mxref_model::add::{add_round, Term, MAX_BITS};
use mxref_model::round::{self, Raw, Round, Rounded, Target};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use proptest::prelude::*;

const MODES: [Round; 6] = [
    Round::Rne,
    Round::Rna,
    Round::Rz,
    Round::Up,
    Round::Down,
    Round::Odd,
];

fn targets() -> Vec<Target> {
    let mut no_sub = Target::ieee(5, 3);
    no_sub.subnormals = false;
    let mut e4m3 = Target::ieee(4, 3);
    e4m3.emax = 8;
    e4m3.max_sig = 0b1110;
    vec![
        Target::FP32,
        Target::ieee(8, 40),
        Target::ieee(10, 47),
        Target::ieee(11, 52),
        Target::ieee(15, 62),
        Target::ieee(5, 10),
        no_sub,
        e4m3,
    ]
}

fn exact(x: Term, y: Term) -> BigInt {
    let base = x.lsb.min(y.lsb);
    let v = |t: Term| {
        let m = BigInt::from(t.sig) << (t.lsb - base) as usize;
        if t.neg {
            -m
        } else {
            m
        }
    };
    v(x) + v(y)
}

/// The exact sum as `round::round` takes it, and its sign.
fn expected(x: Term, y: Term, t: &Target, mode: Round) -> (bool, Rounded) {
    let base = x.lsb.min(y.lsb);
    let s = exact(x, y);
    if s.is_zero() {
        let raw = Raw {
            sig: 0,
            exp: t.emin,
            sticky: false,
        };
        return (false, round::round(false, raw, t, mode));
    }
    let neg = s.is_negative();
    let m = s.abs();
    let shift = (m.bits() as i64 - 128).max(0) as usize;
    let sig = &m >> shift;
    let sticky = (&sig << shift) != m;
    let (_, d) = sig.to_u64_digits();
    let sig = d.iter().rev().fold(0u128, |a, &w| (a << 64) | w as u128);
    let raw = Raw {
        sig,
        exp: base + shift as i32,
        sticky,
    };
    (neg, round::round(neg, raw, t, mode))
}

fn check(x: Term, y: Term) {
    for t in targets() {
        for mode in MODES {
            assert_eq!(
                add_round(x, y, &t, mode),
                expected(x, y, &t, mode),
                "x {x:?} y {y:?} target {t:?} {mode:?}"
            );
        }
    }
}

fn cases() -> u32 {
    std::env::var("MXREF_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
        / 4
}

/// Significands of up to MAX_BITS bits, often with trailing zeros or all ones.
fn sig() -> impl Strategy<Value = u128> {
    let max = 1u128 << MAX_BITS;
    prop_oneof![
        1u128..max,
        1u128..1 << 30,
        (0u32..MAX_BITS as u32, 0u32..40)
            .prop_map(|(k, z)| ((1u128 << k) | 1) << z)
            .prop_filter("fits", move |s| *s < max),
        (1u32..=MAX_BITS as u32).prop_map(|k| (1u128 << k) - 1),
        (1u128..max, 0u32..60)
            .prop_map(move |(s, z)| (s << z) & (max - 1))
            .prop_filter("non-zero", |s| *s != 0),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    (any::<bool>(), sig(), -200i32..200).prop_map(|(neg, sig, lsb)| Term { neg, sig, lsb })
}

/// y placed relative to x: overlapping, just under x's frame, under the stand-in threshold,
/// and cancelling x up to a small difference.
fn pair() -> impl Strategy<Value = (Term, Term)> {
    prop_oneof![
        (term(), term()),
        (term(), any::<bool>(), sig(), 90i32..140).prop_map(|(x, neg, sig, below)| {
            let top = x.lsb + 127 - x.sig.leading_zeros() as i32;
            let ytop = top - below;
            let lsb = ytop - (127 - sig.leading_zeros() as i32);
            (x, Term { neg, sig, lsb })
        }),
        (term(), -3i128..=3, 0u32..8)
            .prop_map(|(x, d, z)| {
                // y = -(x + d * 2^(x.lsb - z)), in units of 2^(x.lsb - z).
                let s = (x.sig << z) as i128 + d;
                let y = Term {
                    neg: !x.neg,
                    sig: s.unsigned_abs(),
                    lsb: x.lsb - z as i32,
                };
                (x, y)
            })
            .prop_filter("fits", |(_, y)| y.sig != 0 && y.sig >> MAX_BITS == 0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn add_round_is_the_exact_sum_rounded_once((x, y) in pair()) {
        check(x, y);
        check(y, x);
    }
}

fn t(neg: bool, sig: u128, lsb: i32) -> Term {
    Term { neg, sig, lsb }
}

#[test]
fn zero_operands() {
    check(Term::ZERO, Term::ZERO);
    check(Term::ZERO, t(true, 5, -3));
    check(t(true, 5, -3), Term::ZERO);
    assert!(Term::ZERO.is_zero() && !t(false, 1, 0).is_zero());
    assert_eq!(t(false, 0b1011, -4).top(), -1);
    // An exact zero sum is +0 whatever the mode (the caller applies its own sign rule).
    for mode in MODES {
        let (neg, r) = add_round(t(true, 3, 1), t(false, 6, 0), &Target::FP32, mode);
        assert!(!neg);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: 0,
                exp: -126,
                inexact: false
            }
        );
    }
}

/// Operands at the exact margins of the stand-in (y.top = x.top - 102, -103) and of the frame
/// (y.lsb = x.top - 124, -125), with every low-bit pattern that decides a sticky bit.
#[test]
fn margins() {
    // below 26..=70 with a long y: y's lowest bits fall under the frame while its kept part
    // puts the sum exactly on a rounding boundary of the 52- and 62-bit targets, where the
    // sticky direction (r + f or r - 1 + f) decides directed roundings.
    for xsig in [1u128, (1 << 99) | 1, (1 << 100) - 1] {
        let x = t(false, xsig, 0);
        let top = 127 - xsig.leading_zeros() as i32;
        for below in (1..=70).chain(95..=135) {
            for ysig in [
                1u128,
                2,
                3,
                5,
                0b1000,
                (1 << 40) | 1,
                (1 << 99) | 2,
                (1 << 100) - 1,
            ] {
                let ytop = top - below;
                let ylsb = ytop - (127 - ysig.leading_zeros() as i32);
                for neg in [false, true] {
                    check(x, t(neg, ysig, ylsb));
                    check(t(true, xsig, 0), t(neg, ysig, ylsb));
                }
            }
        }
    }
}
