//! Conversion of FP32 vectors to MX blocks: one scale per block of `block` elements and one
//! element code per input. The rules are specified in spec/quantize.md; this file follows it.
//!
//! Everything is integer arithmetic on FP32 bit patterns. Scales and elements are produced by
//! [`Format::encode`], hence by the one rounding routine; where a scale is not a power of two
//! (NVFP4), the exact quotient is formed with integer division and its remainder becomes the
//! sticky bit, so that one rounding of the exact value is still all that happens.
//! Nothing allocates: callers pass the output slices.

use crate::format::{EncodeRound, Format, FormatId, Overflow, Role};
use crate::round::{self, Raw, Round};
use std::fmt;
use std::str::FromStr;

/// How a block's scale is chosen (spec/quantize.md gives the sources).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScaleRule {
    /// OCP MX v1.0 §6.3: `2^(floor(log2(amax)) - emax_elem)`; elements may saturate.
    Floor,
    /// The smallest power of two `X` with `amax / X <= max_elem`: nothing saturates.
    Ceil,
    /// `amax * (1 / max_elem)` in FP32 (the reciprocal and the product each rounded to nearest
    /// even), then rounded up to a power of two: what `cvt.rp.satfinite.ue8m0x2.f32` makes of
    /// the value the cuBLAS / Transformer Engine MXFP8 recipes feed it. Like `ceil`, except
    /// where the FP32 arithmetic lands just above a power of two.
    Rceil,
    /// Two-level NVFP4 scaling: an FP32 per-tensor scale and a UE4M3 (or UE5M3) per-block
    /// scale `amax / (max_elem * tensor_scale)` rounded to nearest even.
    Nvfp4,
}

impl ScaleRule {
    pub const ALL: [ScaleRule; 4] = [
        ScaleRule::Floor,
        ScaleRule::Ceil,
        ScaleRule::Rceil,
        ScaleRule::Nvfp4,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ScaleRule::Floor => "floor",
            ScaleRule::Ceil => "ceil",
            ScaleRule::Rceil => "rceil",
            ScaleRule::Nvfp4 => "nvfp4",
        }
    }
    /// Whether the rule produces power-of-two scales (and needs no tensor scale).
    pub fn is_pow2(self) -> bool {
        self != ScaleRule::Nvfp4
    }
}

impl FromStr for ScaleRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ScaleRule::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown scale rule {s:?} (known: floor, ceil, rceil, nvfp4)"))
    }
}

/// How elements are rounded after division by the scale. Overflow always saturates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElemRound {
    /// Nearest, ties to even (OCP's conversion).
    Rne,
    /// Nearest, ties away from zero (microxcaling's "nearest").
    Rna,
    /// Toward zero.
    Rz,
    /// Stochastic; the random bits of element `i` are [`random_bits`]`(seed, i)`.
    Stochastic { seed: u64 },
}

impl ElemRound {
    /// Parse a mode name; `seed` is used by `stochastic` only.
    pub fn parse(s: &str, seed: u64) -> Result<ElemRound, String> {
        match s {
            "rne" => Ok(ElemRound::Rne),
            "rna" => Ok(ElemRound::Rna),
            "rz" => Ok(ElemRound::Rz),
            "stochastic" => Ok(ElemRound::Stochastic { seed }),
            _ => Err(format!(
                "unknown rounding {s:?} (known: rne, rna, rz, stochastic)"
            )),
        }
    }
}

/// Random bits for stochastic rounding of element `index` (its position in the vector):
/// the high 32 bits of SplitMix64's output for state `seed + (index + 1) * 0x9e3779b97f4a7c15`,
/// i.e. the `index`-th output of a SplitMix64 generator seeded with `seed`. Counter-based, so a
/// result depends on (seed, index) only, never on how the vector is split into calls.
#[inline]
pub fn random_bits(seed: u64, index: u64) -> u32 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 32) as u32
}

/// What to convert to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuantSpec {
    pub elem: FormatId,
    pub scale_fmt: FormatId,
    pub block: usize,
    pub rule: ScaleRule,
    pub round: ElemRound,
}

/// Why a conversion could not be done; `field` names the offending input field
/// ("elem", "scale_fmt", "block", "scale_rule", "x", "tensor_scale").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantError {
    pub field: &'static str,
    pub msg: String,
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.msg)
    }
}

impl std::error::Error for QuantError {}

fn err<T>(field: &'static str, msg: impl Into<String>) -> Result<T, QuantError> {
    Err(QuantError {
        field,
        msg: msg.into(),
    })
}

/// The largest block size accepted.
pub const MAX_BLOCK: usize = 1 << 16;

/// A finite FP32 magnitude split as `sig * 2^exp` (`sig < 2^24`).
#[inline]
fn split_f32(bits: u32) -> (u32, i32) {
    let e = ((bits >> 23) & 0xff) as i32;
    let f = bits & 0x7f_ffff;
    if e == 0 {
        (f, -149)
    } else {
        (f | 1 << 23, e - 150)
    }
}

#[inline]
fn is_finite(bits: u32) -> bool {
    bits & 0x7f80_0000 != 0x7f80_0000
}

/// `floor(log2(x))` of a non-zero finite FP32 magnitude, from its bits.
#[inline]
pub fn floor_log2_f32(bits: u32) -> i32 {
    let (sig, exp) = split_f32(bits & 0x7fff_ffff);
    exp + round::msb(sig as u128)
}

/// The exact quotient `(n_sig * 2^n_exp) / (d_sig * 2^d_exp)` as a [`Raw`] with at least 64
/// significant bits; the division's remainder is the sticky bit, so one rounding of the Raw is
/// a correct rounding of the quotient. `n_sig` non-zero, `d_sig < 2^62`.
#[inline]
fn div_raw(n_sig: u64, n_exp: i32, d_sig: u64, d_exp: i32) -> Raw {
    let sh = 126 - round::msb(n_sig as u128);
    let num = (n_sig as u128) << sh;
    let d = d_sig as u128;
    Raw {
        sig: num / d,
        exp: n_exp - sh - d_exp,
        sticky: !num.is_multiple_of(d),
    }
}

/// A prepared converter for one [`QuantSpec`].
#[derive(Clone, Debug)]
pub struct Quantizer {
    spec: QuantSpec,
    elem: &'static Format,
    scale: &'static Format,
    /// Exponent of the element format's largest value (`emax_elem` in OCP's rule).
    emax_elem: i32,
    /// Largest element magnitude as (sig, exp).
    max_elem: (u64, i32),
    /// Largest scale magnitude as (sig, exp).
    max_scale: (u64, i32),
    /// `1 / max_elem` rounded to FP32 (RNE), as (sig, exp), for `rceil`.
    rcp_max_elem: (u32, i32),
    /// Exponents of the smallest and largest powers of two the scale format holds.
    kmin: i32,
    kmax: i32,
    nan_scale: u32,
    /// Element codes for power-of-two scales (see [`ElemLut`]).
    fast: Fast,
}

/// Cached element encodings for the power-of-two rules.
#[derive(Clone, Debug)]
enum Fast {
    Dir(ElemLut),
    Stochastic(StochLut),
}

/// The codes `Format::encode` gives for `x / 2^k` under one directed rounding, cached by what
/// that rounding can depend on: the sign, `t = floor(log2(x)) - k`, the fraction bits down to
/// the round bit, and whether any lower bit is set. Filled by calling `Format::encode` (so it
/// is the one rounding routine's answers); it only saves recomputing them per element.
#[derive(Clone, Debug)]
struct ElemLut {
    /// Table rows are `t = tlo ..= thi`; `t` outside is clamped to the end rows, which hold
    /// the values beyond rounding's reach: 0 below half the smallest subnormal, max normal at
    /// `2^(emax + 1)` and above (for the nearest and toward-zero roundings).
    tlo: i32,
    thi: i32,
    /// Fraction bits kept in the index: the element's fraction bits plus the round bit.
    pbits: u32,
    table: Vec<u8>,
    zero: [u32; 2],
    max: [u32; 2],
}

impl ElemLut {
    /// `pos` and `neg` are the roundings of positive and negative values.
    fn new(elem: &Format, pos: Round, neg: Round) -> ElemLut {
        let t = elem.target();
        let pbits = t.man_bits + 1;
        // Below half the smallest subnormal (row tlo) the nearest and toward-zero modes give
        // 0; at or above 2^(emax+1) (row thi) every mode saturates.
        let (tlo, thi) = (t.emin - t.man_bits as i32 - 2, t.emax + 1);
        let enc = |is_neg: bool, raw: Raw| {
            let mode = if is_neg { neg } else { pos };
            elem.encode(is_neg, raw, EncodeRound::Dir(mode), Overflow::Saturate)
                .code
        };
        let mut table = Vec::new();
        for neg in [false, true] {
            for tt in tlo..=thi {
                for p in 0..1u128 << pbits {
                    for sticky in 0..2u128 {
                        let raw = Raw {
                            sig: (((1 << pbits) | p) << 1) | sticky,
                            exp: tt - pbits as i32 - 1,
                            sticky: false,
                        };
                        table.push(enc(neg, raw) as u8);
                    }
                }
            }
        }
        let zero = |neg| {
            enc(
                neg,
                Raw {
                    sig: 0,
                    exp: 0,
                    sticky: false,
                },
            )
        };
        let max = |neg| {
            let (s, e) = elem.max_finite();
            enc(
                neg,
                Raw {
                    sig: (s as u128) << 2 | 3,
                    exp: e - 1,
                    sticky: false,
                },
            )
        };
        ElemLut {
            tlo,
            thi,
            pbits,
            table,
            zero: [zero(false), zero(true)],
            max: [max(false), max(true)],
        }
    }

    /// Code of FP32 `v` divided by `2^k`.
    #[inline]
    fn code(&self, v: u32, k: i32) -> u32 {
        let neg = (v >> 31) as usize;
        let m = v & 0x7fff_ffff;
        if m == 0 {
            return self.zero[neg];
        }
        let (sig, exp) = split_f32(m);
        self.code_parts(neg, sig as u64, exp - k, false)
    }

    /// Code of `(-1)^neg * (sig + sticky) * 2^exp`, `sig` non-zero, `sticky` meaning "a
    /// non-zero amount below bit 0 of `sig`".
    #[inline]
    fn code_parts(&self, neg: usize, sig: u64, exp: i32, sticky: bool) -> u32 {
        let lead = 63 - sig.leading_zeros() as i32;
        // Branch-free: out-of-range exponents land on the end rows.
        let t = (exp + lead).clamp(self.tlo, self.thi);
        let below = lead - self.pbits as i32; // bits under the round bit
        let (prefix, low) = if below >= 0 {
            let rest = sig & ((1u64 << below) - 1);
            (sig >> below, rest != 0 || sticky)
        } else {
            (sig << -below, sticky)
        };
        let prefix = prefix as usize & ((1 << self.pbits) - 1);
        let span = (self.thi - self.tlo + 1) as usize;
        let idx = ((neg * span + (t - self.tlo) as usize) << (self.pbits + 1))
            | prefix << 1
            | low as usize;
        self.table[idx] as u32
    }
}

/// Stochastic rounding of `x / 2^k` from two [`ElemLut`]s. `round_stochastic` keeps the
/// truncated value unless `f + r >= 2^32` (`f`: the discarded part as a 32-bit fraction of the
/// result's last bit), and then takes the next value away from zero; those two candidates are
/// exactly the RZ and the away-from-zero directed results, read from the tables. Only `f` is
/// computed here.
#[derive(Clone, Debug)]
struct StochLut {
    rz: ElemLut,
    away: ElemLut,
    emin: i32,
    emax: i32,
    man_bits: u32,
    min_sub: [u32; 2],
    seed: u64,
}

impl StochLut {
    fn new(elem: &Format, seed: u64) -> StochLut {
        let t = elem.target();
        let min_sub = |neg| {
            elem.encode(
                neg,
                Raw {
                    sig: 1,
                    exp: t.emin - t.man_bits as i32,
                    sticky: false,
                },
                EncodeRound::Dir(Round::Rne),
                Overflow::Saturate,
            )
            .code
        };
        StochLut {
            rz: ElemLut::new(elem, Round::Rz, Round::Rz),
            away: ElemLut::new(elem, Round::Up, Round::Down),
            emin: t.emin,
            emax: t.emax,
            man_bits: t.man_bits,
            min_sub: [min_sub(false), min_sub(true)],
            seed,
        }
    }

    #[inline]
    fn code(&self, v: u32, k: i32, index: u64) -> u32 {
        let neg = (v >> 31) as usize;
        let m = v & 0x7fff_ffff;
        if m == 0 {
            return self.rz.zero[neg];
        }
        let (sig, exp) = split_f32(m);
        let lead = 31 - sig.leading_zeros() as i32;
        let t = exp + lead - k;
        if t > self.emax {
            return self.rz.max[neg];
        }
        // Bits of `sig` below the result's last bit (subnormal results keep emin's quantum).
        let s = t.max(self.emin) - self.man_bits as i32 - (exp - k);
        if s <= 0 {
            return self.rz.code(v, k);
        }
        let below = sig as u64 & ((1u64 << s.min(63)) - 1);
        let f = if s <= 32 {
            (below << (32 - s)) as u32
        } else if s < 64 {
            (below >> (s - 32)) as u32
        } else {
            0
        };
        let up = f as u64 + random_bits(self.seed, index) as u64 >= 1 << 32;
        // Under half the smallest subnormal the candidates are 0 and the smallest subnormal.
        match (t < self.emin - self.man_bits as i32 - 1, up) {
            (true, false) => self.rz.zero[neg],
            (true, true) => self.min_sub[neg],
            (false, false) => self.rz.code(v, k),
            (false, true) => self.away.code(v, k),
        }
    }
}

impl Quantizer {
    pub fn new(spec: QuantSpec) -> Result<Quantizer, QuantError> {
        let elem = spec.elem.format();
        let scale = spec.scale_fmt.format();
        if elem.role != Role::Element {
            return err(
                "elem",
                format!("{} is a scale format, not an element format", elem.name),
            );
        }
        if !FormatId::elements().any(|e| e == spec.elem) {
            return err(
                "elem",
                format!(
                    "{} is not an MX element format (e4m3, e5m2, e2m3, e3m2, e2m1, int8)",
                    elem.name
                ),
            );
        }
        if scale.role != Role::Scale {
            return err(
                "scale_fmt",
                format!("{} is an element format, not a scale format", scale.name),
            );
        }
        if spec.block == 0 || spec.block > MAX_BLOCK {
            return err(
                "block",
                format!("{} is outside 1..={MAX_BLOCK}", spec.block),
            );
        }
        if spec.rule == ScaleRule::Nvfp4 && scale.man_bits == 0 {
            return err(
                "scale_rule",
                format!(
                    "nvfp4 needs a scale format with a mantissa (ue4m3 or ue5m3), not {}; \
                     for power-of-two scales use floor, ceil or rceil",
                    scale.name
                ),
            );
        }
        let kmin = match scale.min_subnormal() {
            Some((_, e)) => e,
            None => scale.min_normal().1,
        };
        let max_elem = elem.max_finite();
        let rcp = div_raw(1, 0, max_elem.0, max_elem.1);
        let rcp_bits = crate::format::pack_f32(
            false,
            round::round(false, rcp, &round::Target::FP32, Round::Rne),
        );
        Ok(Quantizer {
            rcp_max_elem: split_f32(rcp_bits),
            spec,
            elem,
            scale,
            emax_elem: elem.target().emax,
            max_elem: elem.max_finite(),
            max_scale: scale.max_finite(),
            kmin,
            kmax: scale.emax(),
            nan_scale: scale.nan_code().unwrap_or(0),
            fast: match spec.round {
                ElemRound::Rne => Fast::Dir(ElemLut::new(elem, Round::Rne, Round::Rne)),
                ElemRound::Rna => Fast::Dir(ElemLut::new(elem, Round::Rna, Round::Rna)),
                ElemRound::Rz => Fast::Dir(ElemLut::new(elem, Round::Rz, Round::Rz)),
                ElemRound::Stochastic { seed } => Fast::Stochastic(StochLut::new(elem, seed)),
            },
        })
    }

    pub fn spec(&self) -> &QuantSpec {
        &self.spec
    }

    /// Whether [`Quantizer::quantize`] uses a tensor scale.
    pub fn needs_tensor_scale(&self) -> bool {
        !self.spec.rule.is_pow2()
    }

    /// The NVFP4 per-tensor (decode) scale for a whole tensor `x`: `amax / (max_elem *
    /// max_scale)` rounded to FP32 by RNE (2688 for FP4 with UE4M3), where amax is over the
    /// finite inputs; 1.0 when that amax is 0, and the smallest FP32 subnormal when the
    /// quotient would round to 0. Returned as FP32 bits.
    pub fn tensor_scale(&self, x: &[u32]) -> u32 {
        let amax = x
            .iter()
            .map(|b| b & 0x7fff_ffff)
            .filter(|&b| is_finite(b))
            .max()
            .unwrap_or(0);
        if amax == 0 {
            return 0x3f80_0000;
        }
        let (s, e) = split_f32(amax);
        let d_sig = self.max_elem.0 * self.max_scale.0;
        let raw = div_raw(s as u64, e, d_sig, self.max_elem.1 + self.max_scale.1);
        let bits = crate::format::pack_f32(
            false,
            round::round(false, raw, &round::Target::FP32, Round::Rne),
        );
        bits.max(1)
    }

    /// Convert `x` (FP32 bits; length a multiple of the block size) into one scale code per
    /// block and one element code per input. `tensor_scale` (FP32 bits, positive and finite)
    /// is used by the `nvfp4` rule only. Element indices for stochastic rounding count from
    /// `first_index`.
    pub fn quantize(
        &self,
        x: &[u32],
        tensor_scale: u32,
        first_index: u64,
        scales: &mut [u32],
        codes: &mut [u32],
    ) -> Result<(), QuantError> {
        let b = self.spec.block;
        if !x.len().is_multiple_of(b) {
            return err(
                "x",
                format!("length {} is not a multiple of block {b}", x.len()),
            );
        }
        if scales.len() != x.len() / b || codes.len() != x.len() {
            return err("x", "output buffers do not match the input length");
        }
        if self.needs_tensor_scale()
            && (tensor_scale & 0x8000_0000 != 0 || !is_finite(tensor_scale) || tensor_scale == 0)
        {
            return err(
                "tensor_scale",
                format!("0x{tensor_scale:08x} is not a positive finite FP32 value"),
            );
        }
        for (k, ((xb, cb), s)) in x
            .chunks_exact(b)
            .zip(codes.chunks_exact_mut(b))
            .zip(scales.iter_mut())
            .enumerate()
        {
            *s = self.block(xb, tensor_scale, first_index + (k * b) as u64, cb);
        }
        Ok(())
    }

    /// Convert one block; returns its scale code and writes the element codes.
    pub fn block(&self, x: &[u32], tensor_scale: u32, first_index: u64, codes: &mut [u32]) -> u32 {
        let mut amax = 0u32;
        let mut special = false;
        for &v in x {
            let m = v & 0x7fff_ffff;
            special |= !is_finite(m);
            amax = amax.max(m);
        }
        if special {
            // A NaN or Inf input: the scale is NaN, so the whole block decodes as NaN.
            codes.fill(0);
            return self.nan_scale;
        }
        if self.spec.rule.is_pow2() {
            let k = self.pow2_exponent(amax);
            match &self.fast {
                Fast::Dir(lut) => {
                    for (&v, c) in x.iter().zip(codes.iter_mut()) {
                        *c = lut.code(v, k);
                    }
                }
                Fast::Stochastic(lut) => {
                    for (i, (&v, c)) in x.iter().zip(codes.iter_mut()).enumerate() {
                        *c = lut.code(v, k, first_index + i as u64);
                    }
                }
            }
            self.scale.encode_rne_sat(false, 1, k)
        } else {
            self.two_level(x, amax, tensor_scale, first_index, codes)
        }
    }

    /// The scale exponent `k` (scale = 2^k) of a power-of-two rule, clamped to the scale
    /// format's powers of two. `amax` is a finite FP32 magnitude.
    fn pow2_exponent(&self, amax: u32) -> i32 {
        if amax == 0 {
            return self.kmin;
        }
        let k = match self.spec.rule {
            ScaleRule::Floor => floor_log2_f32(amax) - self.emax_elem,
            ScaleRule::Ceil => {
                let (s, e) = split_f32(amax);
                ceil_log2_ratio(s as u64, e, self.max_elem.0, self.max_elem.1)
            }
            ScaleRule::Rceil => {
                let (s, e) = split_f32(amax);
                let (r, re) = self.rcp_max_elem;
                let q = Raw {
                    sig: s as u128 * r as u128,
                    exp: e + re,
                    sticky: false,
                };
                match round::round(false, q, &round::Target::FP32, Round::Rne) {
                    round::Rounded::Finite { sig: 0, .. } => self.kmin,
                    round::Rounded::Finite { sig, exp, .. } => {
                        // sig * 2^(exp - 23) rounded up to a power of two.
                        let (qs, qe) = (sig as u128, exp - 23);
                        let top = qe + round::msb(qs);
                        if qs.is_power_of_two() {
                            top
                        } else {
                            top + 1
                        }
                    }
                    round::Rounded::Overflow => self.kmax,
                }
            }
            ScaleRule::Nvfp4 => unreachable!("two-level rule has no power-of-two exponent"),
        };
        k.clamp(self.kmin, self.kmax)
    }

    fn two_level(
        &self,
        x: &[u32],
        amax: u32,
        tensor_scale: u32,
        first: u64,
        codes: &mut [u32],
    ) -> u32 {
        let zeros = |codes: &mut [u32]| {
            for (&v, c) in x.iter().zip(codes.iter_mut()) {
                *c = self.elem.encode_rne_sat(v >> 31 == 1, 0, 0);
            }
        };
        if amax == 0 {
            zeros(codes);
            return 0;
        }
        let (ts, te) = split_f32(tensor_scale);
        let (as_, ae) = split_f32(amax);
        // Block scale: amax / (max_elem * tensor_scale), rounded once to the scale format.
        let raw = div_raw(
            as_ as u64,
            ae,
            self.max_elem.0 * ts as u64,
            self.max_elem.1 + te,
        );
        let scode = self
            .scale
            .encode(false, raw, EncodeRound::Dir(Round::Rne), Overflow::Saturate)
            .code;
        let sv = self.scale.decode_unchecked(scode);
        if sv.sig == 0 {
            // The block is negligible next to the tensor: a zero scale, every element zero.
            zeros(codes);
            return scode;
        }
        // Elements: x / (scale * tensor_scale), the exact quotient rounded once.
        let d_sig = sv.sig as u64 * ts as u64;
        let d_exp = sv.exp + te;
        if let Fast::Dir(lut) = &self.fast {
            // The divisor has at most 4 + 24 bits, so a 63-bit dividend leaves a quotient of
            // 34 or more bits: far more than the table's round bit needs; the remainder is
            // the sticky bit.
            for (&v, c) in x.iter().zip(codes.iter_mut()) {
                let m = v & 0x7fff_ffff;
                let neg = (v >> 31) as usize;
                *c = if m == 0 {
                    lut.zero[neg]
                } else {
                    let (s, e) = split_f32(m);
                    let sh = s.leading_zeros() as i32 + 31; // s << sh has its top bit at 62
                    let num = (s as u64) << sh;
                    lut.code_parts(neg, num / d_sig, e - sh - d_exp, !num.is_multiple_of(d_sig))
                };
            }
            return scode;
        }
        for (i, (&v, c)) in x.iter().zip(codes.iter_mut()).enumerate() {
            let m = v & 0x7fff_ffff;
            let neg = v >> 31 == 1;
            *c = if m == 0 {
                self.elem.encode_rne_sat(neg, 0, 0)
            } else {
                let (s, e) = split_f32(m);
                self.encode_elem(neg, div_raw(s as u64, e, d_sig, d_exp), first + i as u64)
            };
        }
        scode
    }

    #[inline]
    fn encode_elem(&self, neg: bool, raw: Raw, index: u64) -> u32 {
        let rnd = match self.spec.round {
            ElemRound::Rne => EncodeRound::Dir(Round::Rne),
            ElemRound::Rna => EncodeRound::Dir(Round::Rna),
            ElemRound::Rz => EncodeRound::Dir(Round::Rz),
            ElemRound::Stochastic { seed } => EncodeRound::Stochastic(random_bits(seed, index)),
        };
        self.elem.encode(neg, raw, rnd, Overflow::Saturate).code
    }
}

/// The smallest `k` with `a_sig * 2^a_exp <= m_sig * 2^(m_exp + k)`; `a_sig`, `m_sig` non-zero.
fn ceil_log2_ratio(a_sig: u64, a_exp: i32, m_sig: u64, m_exp: i32) -> i32 {
    // Compare a_sig against m_sig * 2^j for j = k - (a_exp - m_exp).
    let fits = |j: i32| -> bool {
        if j >= 0 {
            (a_sig as u128) <= (m_sig as u128) << j
        } else {
            (a_sig as u128) << (-j) <= m_sig as u128
        }
    };
    let mut j = round::msb(a_sig as u128) - round::msb(m_sig as u128);
    while !fits(j) {
        j += 1;
    }
    while fits(j - 1) {
        j -= 1;
    }
    j + a_exp - m_exp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_log2_ratio_small_cases() {
        // 448 = 7 * 2^6 fits 448 * 2^0; 449 needs 2^1.
        assert_eq!(ceil_log2_ratio(448, 0, 7, 6), 0);
        assert_eq!(ceil_log2_ratio(449, 0, 7, 6), 1);
        assert_eq!(ceil_log2_ratio(224, 0, 7, 6), -1);
        assert_eq!(ceil_log2_ratio(225, 0, 7, 6), 0);
        // 2^-149 <= 6 * 2^k first holds at k = -151 (1.5 * 2^-149).
        assert_eq!(ceil_log2_ratio(1, -149, 3, 1), -151);
    }

    #[test]
    fn lookup_table_equals_direct_encode() {
        // Every FP32 exponent, both signs, mantissas at and around every table boundary
        // and pseudo-random ones, every power-of-two scale that matters.
        for elem in FormatId::elements() {
            let f = elem.format();
            for mode in [Round::Rne, Round::Rna, Round::Rz] {
                let lut = ElemLut::new(f, mode, mode);
                for e in 0..255u32 {
                    for j in 0..64u64 {
                        let r = random_bits(e as u64, j);
                        let man = match j {
                            0 => 0,
                            1 => 0x7f_ffff,
                            2..=24 => 1 << (j - 2),
                            25..=47 => (1 << (j - 25)) - 1,
                            _ => r & 0x7f_ffff,
                        };
                        for neg in [0u32, 1] {
                            let v = neg << 31 | e << 23 | man;
                            for k in [-127, -60, -20, -9, -3, 0, 1, 5, 20, 60, 127] {
                                let (sig, exp) = split_f32(v & 0x7fff_ffff);
                                let want = f
                                    .encode(
                                        neg == 1,
                                        Raw {
                                            sig: sig as u128,
                                            exp: exp - k,
                                            sticky: false,
                                        },
                                        EncodeRound::Dir(mode),
                                        Overflow::Saturate,
                                    )
                                    .code;
                                assert_eq!(lut.code(v, k), want, "{elem} {mode:?} {v:#x} k={k}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn stochastic_tables_equal_direct_encode() {
        for elem in FormatId::elements() {
            let f = elem.format();
            for seed in [0u64, 99] {
                let lut = StochLut::new(f, seed);
                for e in 0..255u32 {
                    for j in 0..48u64 {
                        let r = random_bits(e as u64 + 1000, j);
                        let man = match j {
                            0 => 0,
                            1 => 0x7f_ffff,
                            2..=24 => 1 << (j - 2),
                            _ => r & 0x7f_ffff,
                        };
                        for neg in [0u32, 1] {
                            let v = neg << 31 | e << 23 | man;
                            for k in [-127, -40, -9, -3, 0, 1, 5, 20, 60, 127] {
                                let index = (e as u64) << 8 | j;
                                let (sig, exp) = split_f32(v & 0x7fff_ffff);
                                let raw = Raw {
                                    sig: sig as u128,
                                    exp: exp - k,
                                    sticky: false,
                                };
                                let bits = random_bits(seed, index);
                                let want = f
                                    .encode(
                                        neg == 1,
                                        raw,
                                        EncodeRound::Stochastic(bits),
                                        Overflow::Saturate,
                                    )
                                    .code;
                                assert_eq!(lut.code(v, k, index), want, "{elem} {v:#x} k={k}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn two_level_fast_path_equals_exact_division() {
        for elem in FormatId::elements() {
            for scale_fmt in [FormatId::Ue4m3, FormatId::Ue5m3] {
                for round in [ElemRound::Rne, ElemRound::Rna, ElemRound::Rz] {
                    let q = Quantizer::new(QuantSpec {
                        elem,
                        scale_fmt,
                        block: 16,
                        rule: ScaleRule::Nvfp4,
                        round,
                    })
                    .unwrap();
                    let mode = match round {
                        ElemRound::Rne => Round::Rne,
                        ElemRound::Rna => Round::Rna,
                        _ => Round::Rz,
                    };
                    for blk in 0..300u64 {
                        let x: Vec<u32> = (0..16)
                            .map(|i| {
                                let r = random_bits(blk, i);
                                let e = 100 + (r >> 24) % 50;
                                (r & 0x8000_0000) | e << 23 | (r & 0x7f_ffff)
                            })
                            .collect();
                        // Tensor scales from the data, and odd ones that push scales around.
                        let ts = match blk % 3 {
                            0 => q.tensor_scale(&x),
                            1 => random_bits(blk, 99) & 0x3fff_ffff | 0x0080_0000,
                            _ => 1 + (random_bits(blk, 98) & 0x7f_ffff),
                        };
                        let mut codes = [0u32; 16];
                        let scode = q.block(&x, ts, 0, &mut codes);
                        let sv = q.scale.decode_unchecked(scode);
                        let (tsig, texp) = split_f32(ts);
                        for i in 0..16 {
                            let m = x[i] & 0x7fff_ffff;
                            let want = if sv.sig == 0 || m == 0 {
                                q.elem.encode_rne_sat(x[i] >> 31 == 1, 0, 0)
                            } else {
                                let (s, e) = split_f32(m);
                                let raw = div_raw(
                                    s as u64,
                                    e,
                                    sv.sig as u64 * tsig as u64,
                                    sv.exp + texp,
                                );
                                q.elem
                                    .encode(
                                        x[i] >> 31 == 1,
                                        raw,
                                        EncodeRound::Dir(mode),
                                        Overflow::Saturate,
                                    )
                                    .code
                            };
                            assert_eq!(
                                codes[i], want,
                                "{elem} {scale_fmt} {mode:?} x={:#x} ts={ts:#x}",
                                x[i]
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn splitmix_reference_value() {
        // SplitMix64 seeded with 0: first output 0xe220a8397b1dcdaf (Steele, Lea, Flood 2014;
        // the value every SplitMix64 port prints first).
        assert_eq!(random_bits(0, 0), 0xe220_a839);
    }
}
