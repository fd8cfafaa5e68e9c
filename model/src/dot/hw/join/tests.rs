//! Unit tests of join.rs (cut_signed, group_join), for the cargo-mutants survivors of issue 9.

use super::cut_signed;
use crate::numerics::JoinCut;

/// `cut_signed(v, 0, sh, mode)`: `v` as a multiple of `2^sh`, each expected value worked by
/// hand from `v / 2^sh` (no preset cuts by `rne` or `truncate` in the join stages, so only
/// these cases and user numerics reach those arms).
fn cut(v: i128, sh: i32, mode: JoinCut) -> i128 {
    cut_signed(v, 0, sh, mode)
}

#[test]
fn rne_cut_rounds_to_nearest_ties_to_even() {
    // (v, sh, v / 2^sh, nearest with ties to the even multiple)
    let cases: [(i128, i32, i128); 14] = [
        (0b1011, 2, 3), // 2.75: above the half -> 3
        (0b1001, 2, 2), // 2.25: below the half -> 2
        (0b1101, 2, 3), // 3.25: below the half, odd kept part stays -> 3
        (0b1010, 2, 2), // 2.5: tie, 2 is even -> 2
        (0b1110, 2, 4), // 3.5: tie, 3 is odd -> 4
        (0b0110, 2, 2), // 1.5: tie, 1 is odd -> 2
        (0b0010, 2, 0), // 0.5: tie, 0 is even -> 0
        (0b0011, 2, 1), // 0.75 -> 1
        (3, 1, 2),      // 1.5: tie at a one-bit cut -> 2
        (5, 1, 2),      // 2.5: tie at a one-bit cut -> 2
        (0x180, 8, 2),  // 1.5 -> 2
        (0x280, 8, 2),  // 2.5 -> 2
        (0x281, 8, 3),  // 2.50390625 -> 3
        (0x27f, 8, 2),  // 2.49609375 -> 2
    ];
    for (v, sh, want) in cases {
        assert_eq!(cut(v, sh, JoinCut::Rne), want, "rne {v:#x} / 2^{sh}");
        // Sign-magnitude: a negative value rounds as its magnitude does.
        assert_eq!(cut(-v, sh, JoinCut::Rne), -want, "rne -{v:#x} / 2^{sh}");
    }
    assert_eq!(cut(0, 4, JoinCut::Rne), 0);
}

#[test]
fn truncate_and_floor_cuts() {
    // -11 / 4 = -2.75: toward zero -2, toward -Inf -3; 11 / 4: 2 both ways.
    assert_eq!(cut(-11, 2, JoinCut::Truncate), -2);
    assert_eq!(cut(11, 2, JoinCut::Truncate), 2);
    assert_eq!(cut(-11, 2, JoinCut::Floor), -3);
    assert_eq!(cut(11, 2, JoinCut::Floor), 2);
    // A cut at or below the value's own lsb keeps it whole, re-expressed: 3 * 2^4 = 48 * 2^0.
    assert_eq!(cut_signed(-3, 4, 0, JoinCut::Rne), -48);
    // Past 126 bits everything is shifted out: 0, or -1 for a negative value under floor.
    assert_eq!(cut_signed(-5, 0, 200, JoinCut::Floor), -1);
    assert_eq!(cut_signed(-5, 0, 200, JoinCut::Rne), 0);
}
