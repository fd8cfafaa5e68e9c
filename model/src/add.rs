//! Correctly rounded addition of two exact binary values of any exponent distance: the
//! accumulator update of `separate` accumulation, the promotion add and the C-at-the-end add.

use crate::round::{self, msb, Raw, Round, Rounded, Target};

/// A signed exact value `(-1)^neg * sig * 2^lsb` with at most [`MAX_BITS`] significant bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub neg: bool,
    pub sig: u128,
    pub lsb: i32,
}

/// Widest operand [`add_round`] accepts: windowed group sums (<= 64 + 20 bits), accumulators
/// (<= 65 bits) and FP32 values all fit.
pub const MAX_BITS: i32 = 100;

impl Term {
    pub const ZERO: Term = Term {
        neg: false,
        sig: 0,
        lsb: 0,
    };

    pub fn is_zero(&self) -> bool {
        self.sig == 0
    }

    /// Exponent of the leading bit (meaningless for zero).
    pub fn top(&self) -> i32 {
        self.lsb + msb(self.sig)
    }
}

/// `round(x + y)` to `t` with `mode`: the exact sum, rounded once. Returns the sign and the
/// rounding result; a zero sum gives `Finite { sig: 0 }` with sign false (the caller applies
/// its sign-of-zero rule). `t.man_bits` must be below 90.
pub fn add_round(x: Term, y: Term, t: &Target, mode: Round) -> (bool, Rounded) {
    debug_assert!(x.sig >> MAX_BITS == 0 && y.sig >> MAX_BITS == 0);
    let (neg, raw) = match (x.is_zero(), y.is_zero()) {
        (true, true) => (
            false,
            Raw {
                sig: 0,
                exp: t.emin,
                sticky: false,
            },
        ),
        (true, false) => (
            y.neg,
            Raw {
                sig: y.sig,
                exp: y.lsb,
                sticky: false,
            },
        ),
        (false, true) => (
            x.neg,
            Raw {
                sig: x.sig,
                exp: x.lsb,
                sticky: false,
            },
        ),
        (false, false) => sum(x, y),
    };
    if raw.sig == 0 && !raw.sticky {
        return (false, round::round(false, raw, t, mode));
    }
    (neg, round::round(neg, raw, t, mode))
}

/// Exact sum of two non-zero terms as sign and magnitude, where bits far below every
/// possible rounding position may be folded into sticky.
fn sum(x: Term, y: Term) -> (bool, Raw) {
    let (x, mut y) = if x.top() >= y.top() { (x, y) } else { (y, x) };
    // x has no bits below x.top - 99. If y lies wholly under 2^(x.top - 102), x + y sits
    // strictly inside (x, x + 2^(x.top-102)) (or the mirror), an interval holding no multiple
    // of 2^(x.top - 99) and so no rounding boundary of any target of <= 90 bits: any value in
    // it rounds the same. Use a one-bit stand-in there so the frame below stays small.
    if y.top() < x.top() - 102 {
        y = Term {
            neg: y.neg,
            sig: 1,
            lsb: x.top() - 110,
        };
    }
    // Frame: x's leading bit at bit 124 of an i128.
    let up = 124 - msb(x.sig);
    let base = x.lsb - up;
    let xs = (x.sig << up) as i128;
    // Bits of y below the frame are lost (y then lies >= 24 bits under x, so no cancellation
    // can bring them near a rounding position); they make the sticky bit below.
    let (ys, lost) = if y.lsb >= base {
        ((y.sig << (y.lsb - base) as u32) as i128, false)
    } else {
        let d = (base - y.lsb) as u32;
        ((y.sig >> d) as i128, y.sig & ((1u128 << d) - 1) != 0)
    };
    let r = (if x.neg { -xs } else { xs }) + (if y.neg { -ys } else { ys });
    let mag = r.unsigned_abs();
    if !lost {
        return (
            r < 0,
            Raw {
                sig: mag,
                exp: base,
                sticky: false,
            },
        );
    }
    // True value r + f, f in (0, 1) frame units with y's sign.
    if r == 0 || (r < 0) == y.neg {
        (
            if r == 0 { y.neg } else { r < 0 },
            Raw {
                sig: mag,
                exp: base,
                sticky: true,
            },
        )
    } else {
        // |r| - f = (|r| - 1) + (1 - f)
        (
            r < 0,
            Raw {
                sig: mag - 1,
                exp: base,
                sticky: true,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(neg: bool, sig: u128, lsb: i32) -> Term {
        Term { neg, sig, lsb }
    }

    fn fp32(x: Term, y: Term, mode: Round) -> u32 {
        let (neg, r) = add_round(x, y, &Target::FP32, mode);
        crate::format::pack_f32(neg, r)
    }

    #[test]
    fn far_apart_operands_round_by_sticky() {
        // 1 + 2^-200: rounds to 1 under RNE, to next-up under Up.
        let one = t(false, 1, 0);
        let tiny = t(false, 1, -200);
        assert_eq!(fp32(one, tiny, Round::Rne), 0x3f80_0000);
        assert_eq!(fp32(one, tiny, Round::Up), 0x3f80_0001);
        // 1 - 2^-200: RNE gives 1, RZ gives the float below 1.
        let mtiny = t(true, 1, -200);
        assert_eq!(fp32(one, mtiny, Round::Rne), 0x3f80_0000);
        assert_eq!(fp32(one, mtiny, Round::Rz), 0x3f7f_ffff);
        assert_eq!(fp32(mtiny, one, Round::Rz), 0x3f7f_ffff);
    }

    #[test]
    fn cancellation_is_exact() {
        let a = t(false, (1 << 90) + 3, -90);
        let b = t(true, 1 << 90, -90);
        // 3 * 2^-90 exactly.
        let (neg, r) = add_round(a, b, &Target::FP32, Round::Rne);
        assert!(!neg);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: 3 << 22,
                exp: -89,
                inexact: false
            }
        );
        let (_, z) = add_round(a, Term { neg: true, ..a }, &Target::FP32, Round::Rne);
        assert_eq!(
            z,
            Rounded::Finite {
                sig: 0,
                exp: -126,
                inexact: false
            }
        );
    }

    /// y partly below x's frame. Its dropped bits decide the rounding only through sticky:
    /// 1 + 2^-41 rounded to 40 fraction bits is a tie (to even: 1) when the dropped bits are
    /// zero, and rounds up when one of them is set.
    #[test]
    fn bits_below_the_frame_are_sticky_only_when_set() {
        let t = Target::ieee(8, 40);
        let one = Term {
            neg: false,
            sig: 1,
            lsb: 0,
        };
        let clean = Term {
            neg: false,
            sig: 1 << 99,
            lsb: -140,
        }; // 2^-41, low bits below the frame zero
        let dirty = Term {
            sig: (1 << 99) | 1,
            ..clean
        }; // 2^-41 + 2^-140
        let (_, r) = add_round(one, clean, &t, Round::Rne);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: 1 << 40,
                exp: 0,
                inexact: true
            }
        );
        let (_, r) = add_round(one, dirty, &t, Round::Rne);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: (1 << 40) + 1,
                exp: 0,
                inexact: true
            }
        );
        // Subtracting: 1 - 2^-41 - 2^-140 truncates below 1 - 2^-41 (RZ), a tie otherwise.
        let (neg, r) = add_round(one, Term { neg: true, ..dirty }, &t, Round::Rz);
        assert!(!neg);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: (1 << 41) - 2,
                exp: -1,
                inexact: true
            }
        );
        let (_, r) = add_round(one, Term { neg: true, ..clean }, &t, Round::Rz);
        assert_eq!(
            r,
            Rounded::Finite {
                sig: (1 << 41) - 1,
                exp: -1,
                inexact: false
            }
        );
    }
}
