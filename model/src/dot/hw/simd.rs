//! AVX2 forms of the pair-table group sum ([`super::Dot::window_sum_pair`]): the same
//! integers as the portable loops, eight products a step. Baseline x86-64 has no per-lane
//! variable shift (the compiler emulates one, about 8 instructions a product) and no gather;
//! AVX2 has both. Chosen at run time (`Dot::new`), so one binary runs everywhere.

use std::arch::x86_64::*;

use super::PAIR_BUF;
use crate::elem::PairTable;

/// Pass 1: the pair-table entries of positions `0..a.len()` (<= [`PAIR_BUF`]) into `buf`,
/// lanes whose `lanes` word is 0 (another interleaved group's positions) and lanes past the
/// end zeroed up to the next multiple of 8; returns the largest biased exponent sum (0: every
/// product is zero).
///
/// # Safety
/// The CPU must have AVX2; `a.len() == b.len() <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn lookup(
    pt: &PairTable,
    a: &[u32],
    b: &[u32],
    lanes: &[u32; PAIR_BUF],
    buf: &mut [u32; PAIR_BUF],
) -> u32 {
    let n = a.len();
    debug_assert!(n == b.len() && n <= PAIR_BUF);
    let table = pt.entries.as_ptr() as *const i32;
    let byte = _mm256_set1_epi32(0xff);
    let mut emax = _mm256_setzero_si256();
    let mut i = 0;
    while i < n {
        let rest = n - i;
        // Lane j is live when j < rest and the group owns position i + j.
        let live = _mm256_loadu_si256(lanes.as_ptr().add(i) as *const __m256i);
        let (va, vb, live) = if rest >= 8 {
            (
                _mm256_loadu_si256(a.as_ptr().add(i) as *const __m256i),
                _mm256_loadu_si256(b.as_ptr().add(i) as *const __m256i),
                live,
            )
        } else {
            // Masked loads read nothing past the slices' ends.
            let inside = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(rest as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            );
            (
                _mm256_maskload_epi32(a.as_ptr().add(i) as *const i32, inside),
                _mm256_maskload_epi32(b.as_ptr().add(i) as *const i32, inside),
                _mm256_and_si256(live, inside),
            )
        };
        // (a & 0xff) << 8 | (b & 0xff): below 65536, inside the 256 x 256 table.
        let idx = _mm256_or_si256(
            _mm256_slli_epi32(_mm256_and_si256(va, byte), 8),
            _mm256_and_si256(vb, byte),
        );
        let e = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), table, idx, live, 4);
        _mm256_storeu_si256(buf.as_mut_ptr().add(i) as *mut __m256i, e);
        emax = _mm256_max_epu32(emax, _mm256_and_si256(e, byte));
        i += 8;
    }
    hmax32(emax)
}

/// [`lookup`] by scalar loads (every lane live): the same entries and maximum. On cores
/// where `vpgatherdd` is microcoded (AMD Zen) eight plain loads are cheaper than one gather.
///
/// # Safety
/// The CPU must have AVX2; `a.len() == b.len() <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn lookup_scalar(
    pt: &PairTable,
    a: &[u32],
    b: &[u32],
    buf: &mut [u32; PAIR_BUF],
) -> u32 {
    let n = a.len();
    debug_assert!(n == b.len() && n <= PAIR_BUF);
    let mut emax = 0u32;
    for i in 0..n {
        let e = pt.get(*a.get_unchecked(i), *b.get_unchecked(i));
        *buf.get_unchecked_mut(i) = e;
        emax = emax.max(e & 0xff);
    }
    zero_tail(buf, n);
    emax
}

/// [`lookup_scalar`] of the positions `offsets` of `a`, `b` (one interleaved group), packed
/// into `buf[..offsets.len()]`.
///
/// # Safety
/// The CPU must have AVX2; `a.len() == b.len()`, every offset below it, and
/// `offsets.len() <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn lookup_scalar_at(
    pt: &PairTable,
    a: &[u32],
    b: &[u32],
    offsets: &[u8],
    buf: &mut [u32; PAIR_BUF],
) -> u32 {
    let n = offsets.len();
    debug_assert!(a.len() == b.len() && n <= PAIR_BUF);
    let mut emax = 0u32;
    for (j, &o) in offsets.iter().enumerate() {
        let i = o as usize;
        debug_assert!(i < a.len());
        let e = pt.get(*a.get_unchecked(i), *b.get_unchecked(i));
        *buf.get_unchecked_mut(j) = e;
        emax = emax.max(e & 0xff);
    }
    zero_tail(buf, n);
    emax
}

/// [`lookup_scalar_at`] of both groups of a two-way interleaved span in one pass: runs of
/// `CHUNK` positions alternate between `buf0` (way 0) and `buf1` (way 1), each packed, with
/// each way's largest biased exponent sum. One loop instead of two halves the loop and
/// offset-table overhead of the layout that pays its per-group cost twice per block.
///
/// # Safety
/// The CPU must have AVX2; `a.len() == b.len()`, a multiple of `2 * CHUNK`, at most
/// [`PAIR_BUF`].
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn lookup_scalar_ways2<const CHUNK: usize>(
    pt: &PairTable,
    a: &[u32],
    b: &[u32],
    buf0: &mut [u32; PAIR_BUF],
    buf1: &mut [u32; PAIR_BUF],
) -> (u32, u32) {
    let n = a.len();
    debug_assert!(n == b.len() && n <= PAIR_BUF && n.is_multiple_of(2 * CHUNK));
    let (mut m0, mut m1) = (0u32, 0u32);
    let (mut i, mut j) = (0, 0);
    while i < n {
        for c in 0..CHUNK {
            let e = pt.get(*a.get_unchecked(i + c), *b.get_unchecked(i + c));
            *buf0.get_unchecked_mut(j + c) = e;
            m0 = m0.max(e & 0xff);
            let e = pt.get(
                *a.get_unchecked(i + CHUNK + c),
                *b.get_unchecked(i + CHUNK + c),
            );
            *buf1.get_unchecked_mut(j + c) = e;
            m1 = m1.max(e & 0xff);
        }
        i += 2 * CHUNK;
        j += CHUNK;
    }
    zero_tail(buf0, j);
    zero_tail(buf1, j);
    (m0, m1)
}

/// The cut reads whole vectors: zero `buf` from `n` up to the next multiple of 8.
#[inline(always)]
fn zero_tail(buf: &mut [u32; PAIR_BUF], n: usize) {
    let mut i = n;
    while !i.is_multiple_of(8) {
        buf[i] = 0;
        i += 1;
    }
}

/// `out = full & mask` over `n` entries rounded up to whole vectors, and the largest biased
/// exponent sum among them (0: none is non-zero): one way's group of a span.
///
/// # Safety
/// The CPU must have AVX2; `n <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn mask_max(
    full: &[u32; PAIR_BUF],
    n: usize,
    mask: &[u32; PAIR_BUF],
    out: &mut [u32; PAIR_BUF],
) -> u32 {
    debug_assert!(n <= PAIR_BUF);
    let byte = _mm256_set1_epi32(0xff);
    let mut emax = _mm256_setzero_si256();
    let mut i = 0;
    while i < n {
        let e = _mm256_and_si256(
            _mm256_loadu_si256(full.as_ptr().add(i) as *const __m256i),
            _mm256_loadu_si256(mask.as_ptr().add(i) as *const __m256i),
        );
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, e);
        emax = _mm256_max_epu32(emax, _mm256_and_si256(e, byte));
        i += 8;
    }
    hmax32(emax)
}

/// [`super::cut_sum32`] over `buf[..n]` rounded up to whole vectors (the extra lanes are
/// zero), under the same conditions; AVX2's shift by 32 or more gives 0, so no clamp.
///
/// # Safety
/// The CPU must have AVX2; `n <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn cut_sum32(buf: &[u32; PAIR_BUF], n: usize, base: u32, l: u32) -> i64 {
    debug_assert!(n <= PAIR_BUF);
    let vbase = _mm256_set1_epi32(base as i32);
    let byte = _mm256_set1_epi32(0xff);
    let lv = _mm_cvtsi32_si128(l as i32);
    let (mut pos, mut neg) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    let mut i = 0;
    while i < n {
        let e = _mm256_loadu_si256(buf.as_ptr().add(i) as *const __m256i);
        let sh = _mm256_sub_epi32(vbase, _mm256_and_si256(e, byte));
        let sig = _mm256_sll_epi32(_mm256_srli_epi32(e, 9), lv);
        let mag = _mm256_srlv_epi32(sig, sh);
        // Bit 8 (the sign) spread over the lane.
        let m = _mm256_srai_epi32(_mm256_slli_epi32(e, 23), 31);
        pos = _mm256_add_epi32(pos, _mm256_andnot_si256(m, mag));
        neg = _mm256_add_epi32(neg, _mm256_and_si256(m, mag));
        i += 8;
    }
    // Wrapping u32 sums: each true sum is below 2^32, so the residues are the sums.
    let (p, q) = (hsum32(pos), hsum32(neg));
    p as i64 - q as i64
}

/// [`super::cut_sum`] truncating, over `buf[..n]` rounded up to whole vectors, with a `mul`
/// below 2^32 (a 32 x 32-bit multiply per lane); shifts of 64 or more give 0, so no clamp.
///
/// # Safety
/// The CPU must have AVX2; `n <= PAIR_BUF`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn cut_sum64(buf: &[u32; PAIR_BUF], n: usize, base: u32, mul: u32) -> i64 {
    debug_assert!(n <= PAIR_BUF);
    let vbase = _mm256_set1_epi64x(base as i64);
    let vmul = _mm256_set1_epi64x(mul as i64);
    let byte = _mm256_set1_epi64x(0xff);
    let one = _mm256_set1_epi64x(1);
    let mut s = _mm256_setzero_si256();
    let mut i = 0;
    while i < n {
        let e8 = _mm256_loadu_si256(buf.as_ptr().add(i) as *const __m256i);
        for e in [
            _mm256_cvtepu32_epi64(_mm256_castsi256_si128(e8)),
            _mm256_cvtepu32_epi64(_mm256_extracti128_si256(e8, 1)),
        ] {
            let v = _mm256_mul_epu32(_mm256_srli_epi64(e, 9), vmul);
            let mag = _mm256_srlv_epi64(v, _mm256_sub_epi64(vbase, _mm256_and_si256(e, byte)));
            // 0 or -1 from the sign bit; (mag ^ m) - m negates where it is set.
            let m = _mm256_sub_epi64(
                _mm256_setzero_si256(),
                _mm256_and_si256(_mm256_srli_epi64(e, 8), one),
            );
            s = _mm256_add_epi64(s, _mm256_sub_epi64(_mm256_xor_si256(mag, m), m));
        }
        i += 8;
    }
    let h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    let h = _mm_add_epi64(h, _mm_unpackhi_epi64(h, h));
    _mm_cvtsi128_si64(h)
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hsum32(v: __m256i) -> u32 {
    let h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    let h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0b01_00_11_10));
    let h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0b10_11_00_01));
    _mm_cvtsi128_si32(h) as u32
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hmax32(v: __m256i) -> u32 {
    let m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    let m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0b01_00_11_10));
    let m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0b10_11_00_01));
    _mm_cvtsi128_si32(m) as u32
}
