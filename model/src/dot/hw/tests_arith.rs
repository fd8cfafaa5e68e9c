//! Unit tests of the exact adds and roundings of hw.rs (add_fp32_rne, add_near, add_wide, sticky, f32_exact, fp32_normal_term, cut_sum, add_to, to_acc), for the cargo-mutants survivors of issue 9.
//! Expected values are worked by hand in the comments (binary expansions of exact sums); the
//! few property checks compare against `add::add_round`, the general add, which shares no code
//! with the fast paths tested here. The verdict per mutant: mutation/survivors/s1.md.

use super::*;

fn term(neg: bool, sig: u128, lsb: i32) -> Term {
    Term { neg, sig, lsb }
}

/// `add_round`'s result in the normalised form of the fast paths (normal results only).
fn general(x: Term, y: Term, t: &Target, mode: Round) -> Term {
    match add_round(x, y, t, mode) {
        (neg, Rounded::Finite { sig, exp, .. }) => {
            assert!(sig >> t.man_bits == 1, "not a normal result");
            term(neg, sig as u128, exp - t.man_bits as i32)
        }
        (_, Rounded::Overflow) => panic!("overflow"),
    }
}

/// A target of 27 fraction bits (FP32's exponent range): the one width where `add_near`'s
/// stand-in lands exactly 30 bits below a one-bit `x` (m + 3 = 30), its limit.
const T27: Target = Target::ieee(8, 27);

#[test]
fn add_wide_adds_small_operands() {
    // 1.5 + 0.25 = 1.75 = 0b1.11: 24-bit significand 0b111 << 21 at 2^-23.
    let r = add_wide(
        &term(false, 3, -1),
        &term(false, 1, -2),
        &Target::FP32,
        Round::Rne,
    );
    assert_eq!(r, Some(term(false, 0b111 << 21, -23)));
    // -1.5 + 0.25 = -1.25 = -0b1.01.
    let r = add_wide(
        &term(true, 3, -1),
        &term(false, 1, -2),
        &Target::FP32,
        Round::Rne,
    );
    assert_eq!(r, Some(term(true, 0b101 << 21, -23)));
}

#[test]
fn add_wide_refuses_significands_of_64_bits() {
    let t = &Target::FP32;
    // Either significand at or above 2^64 (the other small, or both the same) gives None.
    let (big, one) = (term(false, 1 << 64, 0), term(false, 1, 0));
    assert_eq!(add_wide(&big, &one, t, Round::Rne), None);
    assert_eq!(add_wide(&one, &big, t, Round::Rne), None);
    assert_eq!(add_wide(&big, &big, t, Round::Rne), None);
    // Zero operands are left to the general add.
    assert_eq!(add_wide(&Term::ZERO, &one, t, Round::Rne), None);
    assert_eq!(add_wide(&one, &Term::ZERO, t, Round::Rne), None);
}

#[test]
fn add_wide_takes_operands_62_apart() {
    // x = 2^62 and y = 2^63 - 1 (63 ones): tops equal, so no stand-in; the lsbs are exactly
    // 62 apart. Sum 3 * 2^62 - 1 lies in [2^63, 2^64), FP32 ulp 2^40 there; it is 1 below the
    // FP32 value 3 * 2^62 = 0b11 << 62, so RNE gives 0b11 << 22 at 2^40, and RZ one ulp
    // less: 2^63 + 2^62 - 1 truncated at 2^40 keeps bit 63, a clear bit 62 and 22 ones.
    let (x, y) = (term(false, 1, 62), term(false, (1 << 63) - 1, 0));
    let want = term(false, 0b11 << 22, 40);
    assert_eq!(add_wide(&x, &y, &Target::FP32, Round::Rne), Some(want));
    assert_eq!(add_wide(&y, &x, &Target::FP32, Round::Rne), Some(want));
    let rz = term(false, (1 << 23) + (1 << 22) - 1, 40);
    assert_eq!(add_wide(&x, &y, &Target::FP32, Round::Rz), Some(rz));
    assert_eq!(general(x, y, &Target::FP32, Round::Rz), rz);
}

#[test]
fn add_fp32_rne_adds_normal_values() {
    // 1.5 (0b11 at 2^-1) + 0.25 (1 at 2^-2) = 1.75.
    assert_eq!(
        add_fp32_rne(&term(false, 3, -1), &term(false, 1, -2)),
        Some(1.75)
    );
    // -1.0 with its significand spread to 24 bits (2^23 at 2^-23) + 0.25 = -0.75.
    assert_eq!(
        add_fp32_rne(&term(true, 1 << 23, -23), &term(false, 1, -2)),
        Some(-0.75)
    );
    // 1 + 2^-23 (24 significant bits: the last one FP32 keeps) + 2^-24: the exact sum is the
    // tie between 1 + 2^-23 (odd) and 1 + 2^-22 (even): RNE gives 1 + 2^-22.
    let one_ulp = term(false, (1 << 23) + 1, -23);
    let r = add_fp32_rne(&one_ulp, &term(false, 1, -24)).map(f32::to_bits);
    assert_eq!(r, Some(0x3f80_0002));
    // The same with the 24-bit operand spread over 40 bits (16 trailing zeros).
    let wide = term(false, ((1 << 23) + 1) << 16, -39);
    let r = add_fp32_rne(&wide, &term(false, 1, -24)).map(f32::to_bits);
    assert_eq!(r, Some(0x3f80_0002));
    // 1 + 2^-23 + 2^-2 = 1.25 + 2^-23, exact: 0x3fa0_0001.
    let r = add_fp32_rne(&term(false, 1, -2), &one_ulp).map(f32::to_bits);
    assert_eq!(r, Some(0x3fa0_0001));
}

#[test]
fn add_fp32_rne_refuses_what_fp32_does_not_hold() {
    let one = term(false, 1, 0);
    for bad in [
        Term::ZERO,
        term(false, 1 << 64, -64), // 1.0, but a significand of 65 bits
        term(false, 1, -127),      // subnormal
        term(false, 1, 128),       // above the range
        term(false, (1 << 24) + 1, -24), // 25 significant bits
        term(true, ((1 << 24) + 1) << 30, -54), // the same, spread
    ] {
        assert_eq!(add_fp32_rne(&bad, &one), None, "{bad:?}");
        assert_eq!(add_fp32_rne(&one, &bad), None, "{bad:?}");
    }
}

#[test]
fn fp32_normal_term_decodes_normals_only() {
    // 1.75 = 0x3fe0_0000: fraction 0b11 << 21, hidden bit 2^23, exponent 0.
    assert_eq!(fp32_normal_term(1.75), Some(term(false, 0b111 << 21, -23)));
    // -2^-126 (the least normal) = 0x8080_0000.
    assert_eq!(
        fp32_normal_term(f32::from_bits(0x8080_0000)),
        Some(term(true, 1 << 23, -149))
    );
    // The largest finite: 0x7f7f_ffff = (2^24 - 1) * 2^104.
    assert_eq!(
        fp32_normal_term(f32::MAX),
        Some(term(false, (1 << 24) - 1, 104))
    );
    for v in [0.0, -0.0, f32::from_bits(1), f32::INFINITY, f32::NAN] {
        assert_eq!(fp32_normal_term(v), None, "{v}");
    }
}

#[test]
fn add_near_adds_small_operands() {
    let t = &Target::FP32;
    // 1.5 + 0.25 = 1.75; 1.5 - 0.25 = 1.25.
    let r = add_near(&term(false, 3, -1), &term(false, 1, -2), t, Round::Rne);
    assert_eq!(r, Some(term(false, 0b111 << 21, -23)));
    let r = add_near(&term(false, 3, -1), &term(true, 1, -2), t, Round::Rne);
    assert_eq!(r, Some(term(false, 0b101 << 21, -23)));
    // x + 0: x itself.
    let r = add_near(&term(true, 3, -1), &Term::ZERO, t, Round::Rne);
    assert_eq!(r, Some(term(true, 0b11 << 22, -23)));
}

#[test]
fn add_near_refuses_significands_of_32_bits() {
    let t = &Target::FP32;
    let (big, one) = (term(false, 1 << 32, 0), term(false, 1, 0));
    assert_eq!(add_near(&big, &one, t, Round::Rne), None);
    assert_eq!(add_near(&one, &big, t, Round::Rne), None);
    assert_eq!(add_near(&big, &big, t, Round::Rne), None);
    assert_eq!(add_near(&Term::ZERO, &Term::ZERO, t, Round::Rne), None);
}

#[test]
fn add_near_takes_operands_30_apart_after_the_stand_in() {
    // x = 2^40, y = 1 with 27 fraction bits: y's stand-in is 2^(40 - 27 - 3) = 2^10, exactly
    // 30 bits under x. The exact 2^40 + 1 has ulp 2^13 at 2^40: RNE gives 2^40 (2^27 at
    // 2^13), round-to-odd the truncation 2^40 with its last bit set (2^27 + 1 at 2^13).
    let (x, y) = (term(false, 1, 40), term(false, 1, 0));
    let rne = term(false, 1 << 27, 13);
    let odd = term(false, (1 << 27) + 1, 13);
    assert_eq!(add_near(&x, &y, &T27, Round::Rne), Some(rne));
    assert_eq!(add_near(&y, &x, &T27, Round::Rne), Some(rne));
    assert_eq!(add_near(&x, &y, &T27, Round::Odd), Some(odd));
    assert_eq!(add_near(&y, &x, &T27, Round::Odd), Some(odd));
    assert_eq!(general(x, y, &T27, Round::Odd), odd);
}

#[test]
fn add_near_equals_the_general_add() {
    // Operand pairs around the 30-bit limit and the stand-in threshold (m + 3 bits), both
    // signs, three modes, two targets: whenever the fast path answers, add_round agrees.
    let mut answered = 0;
    for t in [Target::FP32, Target::ieee(8, 7)] {
        for mode in [Round::Rne, Round::Rz, Round::Odd] {
            for d in 0..45 {
                for (xs, ys) in [(1u128, 1u128), (0b1011, 0b111), ((1 << 24) - 1, 3)] {
                    for (xn, yn) in [(false, false), (false, true), (true, false)] {
                        let (x, y) = (term(xn, xs, d), term(yn, ys, 0));
                        if let Some(r) = add_near(&x, &y, &t, mode) {
                            assert_eq!(r, general(x, y, &t, mode), "{x:?} {y:?} {mode:?}");
                            answered += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(answered > 500, "{answered}");
}

#[test]
fn sticky_replaces_a_far_smaller_operand() {
    let t = &Target::FP32;
    // FP32 keeps m = 23 fraction bits: a stand-in is 2^(top - 26), signed as the small one.
    let cases = [
        // x = 2^40 (one bit), y = -1: 40 >= 0 + 26.
        (term(false, 1, 40), term(true, 1, 0), 14),
        // x = 2^40 written as 2^20 at 2^20 (trailing zeros do not count as bits).
        (term(false, 1 << 20, 20), term(false, 1, 0), 14),
        // x of exactly 24 significant bits, top 40.
        (term(false, (1 << 24) - 1, 17), term(true, 1, 0), 14),
        // y = 2^14 with x = 2^40: exactly m + 3 = 26 below.
        (term(true, 1, 40), term(false, 1, 14), 14),
    ];
    for (x, y, lsb) in cases {
        let stand = term(y.neg, 1, lsb);
        assert_eq!(sticky(&x, &y, t), (x, stand), "{x:?} {y:?}");
        assert_eq!(sticky(&y, &x, t), (stand, x), "{x:?} {y:?}");
        // The stand-in's contract: the sum rounds as the original one, in each mode.
        for mode in [Round::Rne, Round::Rz, Round::Odd] {
            assert_eq!(general(x, y, t, mode), general(x, stand, t, mode));
        }
    }
}

#[test]
fn sticky_keeps_operands_it_may_not_replace() {
    let t = &Target::FP32;
    let cases = [
        // Not far enough: 2^22 and 1 (22 < 26): 2^22 + 1 is exact in FP32.
        (term(false, 1, 22), term(false, 1, 0)),
        // x below the normal range (top -140 < -126).
        (term(false, 1, -140), term(false, 1, -200)),
        // x at emax (top 127): rounding could overflow.
        (term(false, 1, 127), term(false, 1, 0)),
        // x of 25 significant bits: not an FP32 value.
        (term(false, (1 << 24) + 1, 0), term(false, 1, -10)),
    ];
    for (x, y) in cases {
        assert_eq!(sticky(&x, &y, t), (x, y), "{x:?} {y:?}");
        assert_eq!(sticky(&y, &x, t), (y, x), "{x:?} {y:?}");
    }
}

#[test]
fn f32_exact_encodes() {
    // 1 + 2^-23 written as (2^24 + 2) at 2^-24 (one bit below FP32's last): 0x3f80_0001.
    assert_eq!(f32_exact(term(false, (1 << 24) + 2, -24)), 0x3f80_0001);
    // -(1 + 2^-23) at its own width.
    assert_eq!(f32_exact(term(true, (1 << 23) + 1, -23)), 0xbf80_0001);
    // 0.75 as a single 0b11 at 2^-2: 0x3f40_0000.
    assert_eq!(f32_exact(term(false, 3, -2)), 0x3f40_0000);
    // The least subnormal, as 2 at 2^-150: 0x0000_0001; 3 * 2^-149 negative: 0x8000_0003.
    assert_eq!(f32_exact(term(false, 2, -150)), 1);
    assert_eq!(f32_exact(term(true, 3, -149)), 0x8000_0003);
}

/// A pair-table entry: significand product, sign, biased exponent (elem::PAIR_SIG_SHIFT).
fn entry(sig: u32, neg: bool, be: u32) -> u32 {
    (sig << PAIR_SIG_SHIFT) | (neg as u32) << 8 | be
}

#[test]
fn cut_sum_rne_breaks_ties_to_even() {
    // Cut by one bit (base = be + 1): 7/2 = 3.5 -> 4, 5/2 = 2.5 -> 2, 1/2 -> 0, 3/2 -> 2.
    for (sig, want) in [(7, 4), (5, 2), (1, 0), (3, 2), (6, 3)] {
        let e = [entry(sig, false, 10)];
        assert_eq!(cut_sum::<true, false>(&e, 11, 1), want, "{sig}");
        assert_eq!(cut_sum::<true, true>(&e, 11, 1), want, "{sig}");
        let e = [entry(sig, true, 10)];
        assert_eq!(cut_sum::<true, false>(&e, 11, 1), -want, "-{sig}");
    }
    // Cut by two bits: 0b1110 / 4 = 3.5 -> 4; 0b1010 / 4 = 2.5 -> 2; 0b1011 / 4 = 2.75 -> 3.
    let e = [
        entry(0b1110, false, 5),
        entry(0b1010, false, 5),
        entry(0b1011, true, 5),
    ];
    assert_eq!(cut_sum::<true, false>(&e, 7, 1), 4 + 2 - 3);
}

#[test]
fn to_acc_flushes_subnormals_when_asked() {
    let t = &Target::FP32;
    let fin = |sig, exp| Rounded::Finite {
        sig,
        exp,
        inexact: false,
    };
    let float = |a: Acc| match a {
        Acc::Float(x) => x,
        _ => panic!("not a float"),
    };
    // Subnormal 2^-149 (sig 1 at emin): kept with subnormals, flushed to -0 without.
    assert_eq!(
        float(to_acc(false, fin(1, -126), t, true)),
        term(false, 1, -149)
    );
    assert_eq!(
        float(to_acc(true, fin(1, -126), t, false)),
        term(true, 0, 0)
    );
    // The least normal 2^-126 is kept either way.
    let n = term(true, 1 << 23, -149);
    assert_eq!(float(to_acc(true, fin(1 << 23, -126), t, false)), n);
    assert_eq!(float(to_acc(true, fin(1 << 23, -126), t, true)), n);
    // A zero keeps its sign, as the canonical zero term.
    assert_eq!(float(to_acc(true, fin(0, -126), t, true)), term(true, 0, 0));
    assert!(matches!(
        to_acc(true, Rounded::Overflow, t, true),
        Acc::Inf(true)
    ));
}

#[test]
fn add_to_infinities() {
    let t = &Target::FP32;
    let add = |a: Acc, b: Acc| add_to(&a, &b, t, Round::Rne, true);
    // Inf - Inf is NaN; Inf + Inf of one sign is that Inf; Inf + finite is the Inf.
    assert!(matches!(add(Acc::Inf(false), Acc::Inf(true)), Acc::Nan));
    assert!(matches!(add(Acc::Inf(true), Acc::Inf(false)), Acc::Nan));
    assert!(matches!(
        add(Acc::Inf(false), Acc::Inf(false)),
        Acc::Inf(false)
    ));
    assert!(matches!(
        add(Acc::Inf(true), Acc::Inf(true)),
        Acc::Inf(true)
    ));
    let one = Acc::Float(term(false, 1, 0));
    assert!(matches!(add(one.clone(), Acc::Inf(true)), Acc::Inf(true)));
    assert!(matches!(add(Acc::Inf(false), one), Acc::Inf(false)));
}
