//! Golden-vector case generators (issue 5, spec/vectors.md): pure and seeded.
//!
//! Each suite is a function from its parameters (numerics, seed, count, level) to a list of
//! cases; the same parameters give the same cases on every platform (a counter-based
//! SplitMix64, no hash-map order, no floating point). The expected results are not computed
//! here: the caller evaluates each case with [`crate::dot::Dot`] or
//! [`crate::quantize::Quantizer`], and the tests re-derive them with an independent reference.

pub mod dots;
pub mod quant;

use crate::dot::DotSpec;
use crate::quantize::QuantSpec;

/// Version of the generators; bumped whenever any suite's cases change for the same inputs.
pub const GENERATOR_VERSION: u32 = 4;

/// A counter-based SplitMix64 stream: output `i` depends on `(seed, i)` only.
#[derive(Clone, Debug)]
pub struct Rng {
    seed: u64,
    ctr: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { seed, ctr: 0 }
    }
    /// A stream derived from this seed for sub-stream `k`, independent of the others.
    pub fn fork(seed: u64, k: u64) -> Rng {
        Rng::new(mix(seed ^ mix(k.wrapping_add(0x5851_f42d_4c95_7f2d))))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.ctr = self.ctr.wrapping_add(1);
        mix(self
            .seed
            .wrapping_add(self.ctr.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    }
    /// Uniform in `0..n` (modulo bias is irrelevant for test stimulus).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One dot-product case. `tag` names the corner it exercises (part of the vector's id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DotCase {
    pub tag: String,
    pub spec: DotSpec,
    pub a: Vec<u32>,
    pub b: Vec<u32>,
    pub sa: Vec<u32>,
    pub sb: Vec<u32>,
    /// FP32 bits.
    pub c: u32,
}

/// One quantize case: `x` is FP32 bits; `tensor_scale` is given for `nvfp4` cases whose
/// tensor scale is pinned rather than computed from `x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantCase {
    pub tag: String,
    pub spec: QuantSpec,
    pub x: Vec<u32>,
    pub tensor_scale: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_counter_based_and_seeded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], xs[1]);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        assert_ne!(Rng::fork(7, 1).next_u64(), Rng::fork(7, 2).next_u64());
        // SplitMix64's published first output for seed 0.
        assert_eq!(Rng::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }
}
