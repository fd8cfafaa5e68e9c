//! A wide fixed-point accumulator (Kulisch style) covering every value an MX dot product can
//! produce, so sums are exact whatever the exponent spread. Limbs are 32-bit digits held in
//! i64 with lazy carries: adding touches at most four limbs and never propagates.

use crate::round::{self, Raw, Round, Rounded, Target};

/// Weight of bit 0 of limb 0.
pub const LSB: i32 = -640;
/// Number of 32-bit limbs: covers 2^-640 .. 2^576, enough for FP32 x FP32 products times
/// two E8M0 scales (2^-552 .. 2^510) summed over any length.
pub const LIMBS: usize = 38;
/// Exclusive top weight.
pub const TOP: i32 = LSB + 32 * LIMBS as i32;

/// Exact accumulator. Adding a value outside `[2^LSB, 2^(TOP-32))` is a caller bug.
#[derive(Clone, Debug)]
pub struct Wide {
    limbs: [i64; LIMBS],
    /// Adds since the last carry normalisation (each limb absorbs < 2^31 adds of 32 bits).
    adds: u32,
}

impl Default for Wide {
    fn default() -> Self {
        Wide {
            limbs: [0; LIMBS],
            adds: 0,
        }
    }
}

impl Wide {
    /// Add `v * 2^exp`. `exp >= LSB` is required.
    #[inline]
    pub fn add(&mut self, v: i128, exp: i32) {
        if v == 0 {
            return;
        }
        debug_assert!(exp >= LSB, "wide accumulator underflow: 2^{exp}");
        let off = (exp - LSB) as u32;
        let mut j = (off / 32) as usize;
        let bit = off % 32;
        // v < 2^127 in magnitude; split the shifted value without losing bits.
        let lo = v << bit; // may lose top bits when |v| is huge: handled below
        if (lo >> bit) == v {
            let mut w = lo;
            loop {
                if w >= i32::MIN as i128 && w <= i32::MAX as i128 {
                    self.limbs[j] += w as i64;
                    break;
                }
                self.limbs[j] += (w & 0xffff_ffff) as i64;
                w >>= 32;
                j += 1;
            }
        } else {
            // Too wide to shift in place: add the low 32-bit digit, then the rest.
            let low = v & 0xffff_ffff;
            self.add(low, exp);
            self.add(v >> 32, exp + 32);
            return;
        }
        self.adds += 1;
        if self.adds >= 1 << 30 {
            self.normalise();
        }
    }

    /// Add another accumulator exactly.
    pub fn add_wide(&mut self, o: &Wide) {
        let mut o = o.clone();
        o.normalise();
        self.normalise();
        for (l, x) in self.limbs.iter_mut().zip(o.limbs) {
            *l += x;
        }
        self.adds = 1;
    }

    /// Propagate carries so every limb but the top is in [0, 2^32).
    fn normalise(&mut self) {
        let mut carry = 0i64;
        for l in self.limbs.iter_mut().take(LIMBS - 1) {
            let x = *l + carry;
            *l = x & 0xffff_ffff;
            carry = x >> 32;
        }
        self.limbs[LIMBS - 1] += carry;
        self.adds = 0;
    }

    pub fn is_zero(&self) -> bool {
        let mut w = self.clone();
        w.normalise();
        w.limbs.iter().all(|&l| l == 0)
    }

    /// The exact value as sign and a magnitude raw value (top 128 bits, sticky below).
    /// `None` for zero.
    pub fn to_raw(&self) -> Option<(bool, Raw)> {
        let mut w = self.clone();
        w.normalise();
        let neg = w.limbs[LIMBS - 1] < 0;
        if neg {
            // Two's complement negate across limbs.
            let mut carry = 1i64;
            for l in w.limbs.iter_mut().take(LIMBS - 1) {
                let x = (!*l & 0xffff_ffff) + carry;
                *l = x & 0xffff_ffff;
                carry = x >> 32;
            }
            w.limbs[LIMBS - 1] = -w.limbs[LIMBS - 1] - 1 + carry;
        }
        let top = (0..LIMBS).rev().find(|&i| w.limbs[i] != 0)?;
        // Take four limbs (128 bits) ending at `top`, the rest is sticky.
        let lo = top.saturating_sub(3);
        let mut sig: u128 = 0;
        for i in (lo..=top).rev() {
            sig = (sig << 32) | w.limbs[i] as u64 as u128;
        }
        let sticky = w.limbs[..lo].iter().any(|&l| l != 0);
        Some((
            neg,
            Raw {
                sig,
                exp: LSB + 32 * lo as i32,
                sticky,
            },
        ))
    }

    /// Round the exact value to `t`. Zero gives `Finite { sig: 0 }`; the sign of zero is the
    /// caller's business.
    pub fn round(&self, t: &Target, mode: Round) -> (bool, Rounded) {
        match self.to_raw() {
            None => (
                false,
                Rounded::Finite {
                    sig: 0,
                    exp: t.emin,
                    inexact: false,
                },
            ),
            Some((neg, raw)) => (neg, round::round(neg, raw, t, mode)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation_across_the_range_is_exact() {
        let mut w = Wide::default();
        w.add(1, 250);
        w.add(3, -300);
        w.add(-1, 250);
        let (neg, raw) = w.to_raw().unwrap();
        assert!(!neg);
        assert_eq!(raw.sig, 3u128 << (-300 - raw.exp));
        w.add(-5, -300);
        let (neg, raw) = w.to_raw().unwrap();
        assert!(neg);
        assert_eq!(raw.sig, 2u128 << (-300 - raw.exp));
        w.add(2, -300);
        assert!(w.is_zero());
    }

    #[test]
    fn wide_values_and_sticky() {
        let mut w = Wide::default();
        w.add(i128::MAX >> 1, 0);
        w.add(1, -200);
        let (neg, raw) = w.to_raw().unwrap();
        assert!(!neg);
        assert!(raw.sticky);
        assert_eq!(raw.exp + round::msb(raw.sig), 125);
    }
}
