//! The one rounding routine. Every conversion (FP32 -> element, FP32 -> scale) and the
//! final rounding of every dot product goes through [`round`], the way HardFloat routes all
//! rounding through `RoundAnyRawFNToRecFN`: one place to get ties, subnormals and overflow right.

use serde::{Deserialize, Serialize};

/// Rounding direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Round {
    /// Round to nearest, ties to even (IEEE 754 default).
    Rne,
    /// Round to nearest, ties away from zero (microxcaling's "nearest").
    Rna,
    /// Round toward zero (truncate the magnitude).
    Rz,
    /// Round toward +infinity.
    Up,
    /// Round toward -infinity.
    Down,
    /// Round to odd (jamming): truncate, then set the last bit if anything was lost. Keeps
    /// enough information that a later RNE to >= 2 fewer bits is correctly rounded.
    Odd,
}

/// A finite magnitude to be rounded: `sig * 2^exp`, plus `sticky` meaning "something
/// non-zero lies below bit 0 of `sig`" (used when the caller had more bits than 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw {
    pub sig: u128,
    pub exp: i32,
    pub sticky: bool,
}

/// The finite range of a rounding target, in the shape of a binary floating-point format.
/// Values are `m * 2^(e - man_bits)` with `m < 2^(man_bits+1)`, `emin <= e`; with
/// `subnormals` the quantum never falls below `emin - man_bits`, without them results under
/// `2^emin` are flushed to zero (or, for formats without zero, left to the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub man_bits: u32,
    /// Smallest normal exponent.
    pub emin: i32,
    /// Largest finite exponent.
    pub emax: i32,
    /// Largest significand (hidden bit included) at `emax`; less than all ones when the top
    /// codes are taken by NaN (E4M3) or the format is asymmetric.
    pub max_sig: u64,
    pub subnormals: bool,
}

impl Target {
    /// IEEE binary32.
    pub const FP32: Target = Target {
        man_bits: 23,
        emin: -126,
        emax: 127,
        max_sig: (1 << 24) - 1,
        subnormals: true,
    };

    /// An IEEE-like target with `man_bits` fraction bits and `exp_bits` exponent bits.
    pub const fn ieee(exp_bits: u32, man_bits: u32) -> Target {
        let bias = (1i32 << (exp_bits - 1)) - 1;
        Target {
            man_bits,
            emin: 1 - bias,
            emax: bias,
            max_sig: (1u64 << (man_bits + 1)) - 1,
            subnormals: true,
        }
    }
}

/// The result of rounding a magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounded {
    /// `sig * 2^(exp - man_bits)`, `sig < 2^(man_bits+1)`; `sig == 0` is zero. `exp` is the
    /// encoded exponent (>= emin; for subnormal results `exp == emin` and `sig < 2^man_bits`).
    Finite { sig: u64, exp: i32, inexact: bool },
    /// The rounded value exceeds the largest finite value of the target.
    Overflow,
}

impl Rounded {
    pub fn inexact(&self) -> bool {
        match *self {
            Rounded::Finite { inexact, .. } => inexact,
            Rounded::Overflow => true,
        }
    }
}

/// Position of the most significant set bit (0-based). `x` must be non-zero.
#[inline]
pub fn msb(x: u128) -> i32 {
    127 - x.leading_zeros() as i32
}

/// Round `neg ? -raw : raw` to `t` in direction `mode`. `random` supplies the bits for
/// stochastic rounding (see [`round_stochastic`]); here it is ignored.
///
/// With `mode == Up/Down` the sign decides the direction, which is why the sign is passed.
pub fn round(neg: bool, raw: Raw, t: &Target, mode: Round) -> Rounded {
    round_inner(neg, raw, t, mode, None)
}

/// Stochastic rounding: with `f` the part of the magnitude below the result's quantum,
/// expressed as a 32-bit binary fraction of that quantum (truncated), the magnitude rounds
/// away from zero iff `f + random >= 2^32`. For a uniform `random` the probability of
/// rounding up is `f / 2^32`, so the rounding is unbiased to 32 bits.
pub fn round_stochastic(neg: bool, raw: Raw, t: &Target, random: u32) -> Rounded {
    round_inner(neg, raw, t, Round::Rz, Some(random))
}

fn round_inner(neg: bool, raw: Raw, t: &Target, mode: Round, random: Option<u32>) -> Rounded {
    if raw.sig == 0 {
        // Only sticky bits: a magnitude smaller than any quantum. Treat it as a tiny
        // non-zero value at the bottom of the range.
        if !raw.sticky {
            return Rounded::Finite {
                sig: 0,
                exp: t.emin,
                inexact: false,
            };
        }
        return round_inner(
            neg,
            Raw {
                sig: 1,
                exp: raw.exp.min(t.emin - t.man_bits as i32 - 2) - 1,
                sticky: false,
            },
            t,
            mode,
            random,
        );
    }
    let top = raw.exp + msb(raw.sig); // exponent of the leading bit
    let e = if t.subnormals { top.max(t.emin) } else { top };
    if !t.subnormals && top < t.emin {
        // No subnormals: anything under the smallest normal goes to zero or the smallest
        // normal according to the direction (RNE: halfway is the smallest normal / 2).
        let up = match mode {
            Round::Rz | Round::Odd => false,
            Round::Up => !neg,
            Round::Down => neg,
            Round::Rne | Round::Rna => {
                top == t.emin - 1 && (raw.sig.count_ones() > 1 || raw.sticky || mode == Round::Rna)
            }
        };
        return if up {
            Rounded::Finite {
                sig: 1 << t.man_bits,
                exp: t.emin,
                inexact: true,
            }
        } else {
            Rounded::Finite {
                sig: 0,
                exp: t.emin,
                inexact: true,
            }
        };
    }
    let quantum = e - t.man_bits as i32; // weight of the result's last bit
    let shift = quantum - raw.exp; // bits of raw.sig below the quantum
    let (mut q, inexact, up) = if shift <= 0 {
        // Exact: the magnitude already sits on the quantum grid.
        let s = (-shift) as u32;
        (raw.sig << s, raw.sticky, false)
    } else {
        let s = shift as u32;
        let (q, rem_top, rem_rest) = split(raw.sig, s);
        let rest = rem_rest || raw.sticky;
        let inexact = rem_top || rest;
        let up = if let Some(r) = random {
            // 32-bit fraction of the quantum, truncated.
            let frac32 = frac_bits32(raw.sig, s);
            (frac32 as u64 + r as u64) >= (1u64 << 32)
        } else {
            match mode {
                Round::Rne => rem_top && (rest || (q & 1) == 1),
                Round::Rna => rem_top,
                Round::Rz => false,
                Round::Up => inexact && !neg,
                Round::Down => inexact && neg,
                Round::Odd => false,
            }
        };
        (q, inexact, up)
    };
    if up {
        q += 1;
    }
    if mode == Round::Odd && inexact && random.is_none() {
        q |= 1;
    }
    let mut e = e;
    // Renormalise a carry out of the significand (or a subnormal rounding up to normal).
    if q >> (t.man_bits + 1) != 0 {
        q >>= 1;
        e += 1;
    }
    if e > t.emax || (e == t.emax && q > t.max_sig as u128) {
        return Rounded::Overflow;
    }
    Rounded::Finite {
        sig: q as u64,
        exp: e,
        inexact,
    }
}

/// Split `x` at bit `s`: the kept part, the bit just below (round bit), and whether any
/// lower bit is set (sticky).
#[inline]
fn split(x: u128, s: u32) -> (u128, bool, bool) {
    if s > 128 {
        (0, false, x != 0)
    } else if s == 128 {
        (0, x >> 127 == 1, x << 1 != 0)
    } else {
        let kept = x >> s;
        let round = (x >> (s - 1)) & 1 == 1;
        let rest = s > 1 && (x << (129 - s)) != 0;
        (kept, round, rest)
    }
}

/// The top 32 bits of the discarded part of `x` (below bit `s`), as a fraction.
#[inline]
fn frac_bits32(x: u128, s: u32) -> u32 {
    if s >= 160 {
        return 0;
    }
    let below = if s >= 128 { x } else { x & ((1u128 << s) - 1) };
    if s >= 32 {
        let sh = s - 32;
        if sh >= 128 {
            0
        } else {
            (below >> sh) as u32
        }
    } else {
        (below << (32 - s)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp32(neg: bool, raw: Raw, mode: Round) -> u32 {
        match round(neg, raw, &Target::FP32, mode) {
            Rounded::Finite { sig, exp, .. } => {
                let s = (neg as u32) << 31;
                if sig >> 23 == 0 {
                    s | sig as u32
                } else {
                    s | (((exp + 127) as u32) << 23) | (sig as u32 & 0x7f_ffff)
                }
            }
            Rounded::Overflow => ((neg as u32) << 31) | 0x7f80_0000,
        }
    }

    #[test]
    fn exact_values_round_trip() {
        for bits in [
            0x3f80_0000u32,
            0x0000_0001,
            0x007f_ffff,
            0x0080_0000,
            0x7f7f_ffff,
        ] {
            let e = ((bits >> 23) & 0xff) as i32;
            let m = bits & 0x7f_ffff;
            let (sig, exp) = if e == 0 {
                (m, -149)
            } else {
                (m | 1 << 23, e - 150)
            };
            let raw = Raw {
                sig: sig as u128,
                exp,
                sticky: false,
            };
            assert_eq!(fp32(false, raw, Round::Rne), bits, "{bits:#x}");
        }
    }

    #[test]
    fn ties_and_directions() {
        // 1 + 2^-24 is halfway between 1 and 1 + 2^-23.
        let tie = Raw {
            sig: (1 << 24) | 1,
            exp: -24,
            sticky: false,
        };
        assert_eq!(fp32(false, tie, Round::Rne), 0x3f80_0000);
        assert_eq!(fp32(false, tie, Round::Rna), 0x3f80_0001);
        assert_eq!(fp32(false, tie, Round::Rz), 0x3f80_0000);
        assert_eq!(fp32(false, tie, Round::Up), 0x3f80_0001);
        assert_eq!(fp32(true, tie, Round::Up), 0xbf80_0000);
        assert_eq!(fp32(false, tie, Round::Odd), 0x3f80_0001);
        // Just above the tie rounds up under RNE.
        let above = Raw {
            sticky: true,
            ..tie
        };
        assert_eq!(fp32(false, above, Round::Rne), 0x3f80_0001);
        // 1 + 3*2^-24 is a tie with an odd neighbour below: rounds up to even.
        let tie_odd = Raw {
            sig: (1 << 24) | 3,
            exp: -24,
            sticky: false,
        };
        assert_eq!(fp32(false, tie_odd, Round::Rne), 0x3f80_0002);
    }

    #[test]
    fn overflow_and_subnormals() {
        let big = Raw {
            sig: u128::MAX,
            exp: 0,
            sticky: false,
        };
        assert_eq!(fp32(false, big, Round::Rne), 0x7f80_0000);
        // Half the smallest subnormal ties to zero; a hair more rounds to it.
        let half = Raw {
            sig: 1,
            exp: -150,
            sticky: false,
        };
        assert_eq!(fp32(false, half, Round::Rne), 0);
        assert_eq!(
            fp32(
                false,
                Raw {
                    sticky: true,
                    ..half
                },
                Round::Rne
            ),
            1
        );
        // Largest subnormal plus a carry becomes the smallest normal.
        let r = Raw {
            sig: (1 << 24) - 1,
            exp: -150,
            sticky: false,
        };
        assert_eq!(fp32(false, r, Round::Rne), 0x0080_0000);
    }

    #[test]
    fn stochastic_probability_follows_fraction() {
        // 1 + 2^-25: a quarter of the way to the next float.
        let raw = Raw {
            sig: (1 << 25) | 1,
            exp: -25,
            sticky: false,
        };
        let mut ups = 0u32;
        for r in (0..1024u32).map(|i| i.wrapping_mul(4_194_304)) {
            if let Rounded::Finite { sig, .. } = round_stochastic(false, raw, &Target::FP32, r) {
                ups += (sig & 1) as u32;
            }
        }
        assert_eq!(ups, 256);
    }

    /// A target without subnormals (an E4M3-like range): values under the smallest normal
    /// 2^-6 go to 0 or to 2^-6 by direction; exactly half of it is a tie that RNE sends to 0.
    #[test]
    fn no_subnormal_target() {
        let t = Target {
            man_bits: 3,
            emin: -6,
            emax: 8,
            max_sig: 15,
            subnormals: false,
        };
        let raw = |sig: u128, exp: i32| Raw {
            sig,
            exp,
            sticky: false,
        };
        let min = Rounded::Finite {
            sig: 8,
            exp: -6,
            inexact: true,
        };
        let zero = Rounded::Finite {
            sig: 0,
            exp: -6,
            inexact: true,
        };
        // 2^-7: the tie.
        assert_eq!(round(false, raw(1, -7), &t, Round::Rne), zero);
        assert_eq!(round(false, raw(1, -7), &t, Round::Rna), min);
        // 1.5 * 2^-7: above the tie.
        assert_eq!(round(false, raw(3, -8), &t, Round::Rne), min);
        assert_eq!(
            round(
                false,
                Raw {
                    sticky: true,
                    ..raw(1, -7)
                },
                &t,
                Round::Rne
            ),
            min
        );
        // 2^-8: below the tie.
        assert_eq!(round(false, raw(1, -8), &t, Round::Rne), zero);
        assert_eq!(round(false, raw(1, -8), &t, Round::Rna), zero);
        assert_eq!(round(false, raw(1, -8), &t, Round::Up), min);
        assert_eq!(round(true, raw(1, -8), &t, Round::Up), zero);
        assert_eq!(round(true, raw(1, -8), &t, Round::Down), min);
        assert_eq!(round(false, raw(1, -8), &t, Round::Down), zero);
        assert_eq!(round(false, raw(3, -8), &t, Round::Rz), zero);
        assert_eq!(round(false, raw(3, -8), &t, Round::Odd), zero);
        // The smallest normal itself is exact.
        assert_eq!(
            round(false, raw(1, -6), &t, Round::Rne),
            Rounded::Finite {
                sig: 8,
                exp: -6,
                inexact: false
            }
        );
    }

    /// A magnitude that is only a sticky bit far below FP32's range: a tiny non-zero value.
    #[test]
    fn sticky_only_magnitude() {
        let tiny = Raw {
            sig: 0,
            exp: -300,
            sticky: true,
        };
        let zero = Rounded::Finite {
            sig: 0,
            exp: -126,
            inexact: true,
        };
        let min = Rounded::Finite {
            sig: 1,
            exp: -126,
            inexact: true,
        };
        assert_eq!(round(false, tiny, &Target::FP32, Round::Rne), zero);
        assert_eq!(round(false, tiny, &Target::FP32, Round::Rz), zero);
        assert_eq!(round(false, tiny, &Target::FP32, Round::Rna), zero);
        assert_eq!(round(false, tiny, &Target::FP32, Round::Up), min);
        assert_eq!(round(true, tiny, &Target::FP32, Round::Up), zero);
        assert_eq!(round(true, tiny, &Target::FP32, Round::Down), min);
        assert_eq!(round(false, tiny, &Target::FP32, Round::Odd), min);
        let nothing = Raw {
            sticky: false,
            ..tiny
        };
        assert_eq!(
            round(false, nothing, &Target::FP32, Round::Up),
            Rounded::Finite {
                sig: 0,
                exp: -126,
                inexact: false
            }
        );
    }

    /// Rounding points 128 or more bits above the significand's last bit.
    #[test]
    fn splits_at_128_bits_and_beyond() {
        let half_min = 1u128 << 127; // with exp -277: 2^-150, half the smallest subnormal
        let r = |sig: u128, exp: i32, mode: Round| {
            fp32(
                false,
                Raw {
                    sig,
                    exp,
                    sticky: false,
                },
                mode,
            )
        };
        assert_eq!(r(half_min, -277, Round::Rne), 0); // tie to even
        assert_eq!(r(half_min + 1, -277, Round::Rne), 1); // just above the tie
        assert_eq!(r(half_min, -277, Round::Rna), 1);
        assert_eq!(r(half_min, -277, Round::Rz), 0);
        assert_eq!(r(half_min - 1, -277, Round::Rna), 0); // just below the tie
                                                          // 151 bits above: the round bit is 0, the rest is sticky.
        assert_eq!(r(half_min + 1, -300, Round::Rne), 0);
        assert_eq!(r(half_min + 1, -300, Round::Up), 1);
        assert_eq!(r(half_min + 1, -300, Round::Odd), 1);
    }
}
