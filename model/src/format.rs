//! Number formats. One table ([`FORMATS`]) describes every element and scale format; decode,
//! encode, the properties listing, the SystemVerilog package and vector-file names are all
//! derived from its rows. Adding a format is adding a row.

use crate::round::{self, Raw, Round, Rounded, Target};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every format mxref knows, by its short name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatId {
    E4m3,
    E5m2,
    E2m3,
    E3m2,
    E2m1,
    Int8,
    E8m0,
    Ue4m3,
    Ue5m3,
    Fp16,
    Bf16,
    Tf32,
    E4m3fnuz,
    E5m2fnuz,
    Fp32,
}

/// What a format is used for in an MX block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Element,
    Scale,
}

/// Which codes are not finite numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Specials {
    /// Every code is a finite number (FP6, FP4, INT8).
    None,
    /// Exponent and mantissa all ones is NaN; there is no Inf (E4M3, UE4M3, UE5M3, and E8M0,
    /// whose mantissa is empty so 0xFF is its one NaN).
    NanAllOnes,
    /// IEEE 754: the all-ones exponent holds Inf (mantissa 0) and NaN (E5M2).
    Ieee,
    /// "FNUZ" (finite, no negative zero): the sign bit alone (`0x80`) is the one NaN; there
    /// is no Inf and no -0, and the all-ones exponent holds ordinary numbers (AMD CDNA3's
    /// FP8, ml_dtypes `float8_e4m3fnuz` / `float8_e5m2fnuz`).
    Fnuz,
}

/// How a code maps to a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Sign (if signed), exponent field, mantissa field.
    Float,
    /// Two's complement integer of `man_bits + 1` bits times `2^(1 - man_bits)`
    /// (MXINT8: 8 bits, implicit scale 2^-6).
    Int,
}

/// One row of the format table: the stored fields. Everything else is derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Format {
    pub id: FormatId,
    /// Short name used on the command line and in vector files.
    pub name: &'static str,
    /// Name in the OCP Microscaling specification (or the proposal that introduced it).
    pub long_name: &'static str,
    pub role: Role,
    pub kind: Kind,
    pub signed: bool,
    pub exp_bits: u32,
    pub man_bits: u32,
    pub bias: i32,
    /// Whether a zero exponent field means a subnormal (true) or an ordinary normal (E8M0).
    pub subnormals: bool,
    pub specials: Specials,
    /// One of the OCP MX formats (elements and scales of MX blocks: what quantize, the RTL
    /// and the vector suites take). The other rows are inputs of non-MX matrix units.
    pub mx: bool,
}

#[allow(clippy::too_many_arguments)] // one positional row per format reads best as a table
const fn float(
    id: FormatId,
    name: &'static str,
    long_name: &'static str,
    role: Role,
    signed: bool,
    exp_bits: u32,
    man_bits: u32,
    bias: i32,
    subnormals: bool,
    specials: Specials,
) -> Format {
    Format {
        id,
        name,
        long_name,
        role,
        kind: Kind::Float,
        signed,
        exp_bits,
        man_bits,
        bias,
        subnormals,
        specials,
        mx: true,
    }
}

/// A row that is not an OCP MX format (see [`Format::mx`]).
const fn non_mx(f: Format) -> Format {
    Format { mx: false, ..f }
}

use FormatId as F;
use Role::{Element as El, Scale as Sc};
use Specials as S;

/// The format table.
#[rustfmt::skip] // one row per format, laid out as a table
pub const FORMATS: [Format; 15] = [
    float(F::E4m3, "e4m3", "FP8 E4M3", El, true, 4, 3, 7, true, S::NanAllOnes),
    float(F::E5m2, "e5m2", "FP8 E5M2", El, true, 5, 2, 15, true, S::Ieee),
    float(F::E2m3, "e2m3", "FP6 E2M3", El, true, 2, 3, 1, true, S::None),
    float(F::E3m2, "e3m2", "FP6 E3M2", El, true, 3, 2, 3, true, S::None),
    float(F::E2m1, "e2m1", "FP4 E2M1", El, true, 2, 1, 1, true, S::None),
    Format {
        id: F::Int8,
        name: "int8",
        long_name: "INT8 (MXINT8)",
        role: El,
        kind: Kind::Int,
        signed: true,
        exp_bits: 0,
        man_bits: 7,
        bias: 0,
        subnormals: false,
        specials: S::None,
        mx: true,
    },
    float(F::E8m0, "e8m0", "E8M0 scale", Sc, false, 8, 0, 127, false, S::NanAllOnes),
    float(F::Ue4m3, "ue4m3", "UE4M3 scale (NVFP4)", Sc, false, 4, 3, 7, true, S::NanAllOnes),
    // UE5M3: bias 15 and the E4M3 convention for specials (one NaN, no Inf); see spec/formats.md.
    float(F::Ue5m3, "ue5m3", "UE5M3 scale", Sc, false, 5, 3, 15, true, S::NanAllOnes),
    // Inputs of non-MX matrix units (not OCP MX formats; see `elements`).
    // TF32 codes are 19 bits: the top 19 bits of the FP32 register PTX passes (fp32 >> 13).
    non_mx(float(F::Fp16, "fp16", "IEEE binary16", El, true, 5, 10, 15, true, S::Ieee)),
    non_mx(float(F::Bf16, "bf16", "bfloat16", El, true, 8, 7, 127, true, S::Ieee)),
    non_mx(float(F::Tf32, "tf32", "TensorFloat-32 (19-bit code)", El, true, 8, 10, 127, true, S::Ieee)),
    // AMD CDNA3's FP8 ("fp8"/"bf8" in mfma names): one bias more than OCP's, 0x80 the one NaN.
    non_mx(float(F::E4m3fnuz, "e4m3fnuz", "FP8 E4M3FNUZ (AMD CDNA3 fp8)", El, true, 4, 3, 8, true, S::Fnuz)),
    non_mx(float(F::E5m2fnuz, "e5m2fnuz", "FP8 E5M2FNUZ (AMD CDNA3 bf8)", El, true, 5, 2, 16, true, S::Fnuz)),
    non_mx(float(F::Fp32, "fp32", "IEEE binary32", El, true, 8, 23, 127, true, S::Ieee)),
];

/// Class of a decoded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Zero,
    Finite,
    Inf,
    Nan,
}

/// A decoded value, exact: `(-1)^neg * sig * 2^exp` when `class == Finite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Value {
    pub class: Class,
    pub neg: bool,
    pub sig: u32,
    pub exp: i32,
}

impl Value {
    pub const NAN: Value = Value {
        class: Class::Nan,
        neg: false,
        sig: 0,
        exp: 0,
    };
    pub fn zero(neg: bool) -> Value {
        Value {
            class: Class::Zero,
            neg,
            sig: 0,
            exp: 0,
        }
    }
    pub fn is_nan(&self) -> bool {
        self.class == Class::Nan
    }
}

/// What encode does with a magnitude beyond the largest finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Clamp to the largest finite value (OCP's conversion default).
    Saturate,
    /// IEEE behaviour: Inf where the format has it, NaN where it has only NaN (OCP's
    /// non-saturating E4M3 conversion); directed roundings toward zero still give max finite.
    /// For formats with neither, this saturates.
    Infinity,
}

/// Rounding of an encode: a direction or stochastic with caller-supplied random bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeRound {
    Dir(Round),
    Stochastic(u32),
}

/// The result of an encode: the code and what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub code: u32,
    pub inexact: bool,
    /// The input was beyond the largest finite value (before rounding).
    pub overflow: bool,
}

/// Error for codes or names outside a format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    UnknownFormat(String),
    CodeOutOfRange { format: &'static str, code: u64 },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::UnknownFormat(s) => {
                let names: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
                write!(f, "unknown format '{s}' (known: {})", names.join(", "))
            }
            FormatError::CodeOutOfRange { format, code } => {
                write!(f, "code {code} is out of range for {format}")
            }
        }
    }
}

impl std::error::Error for FormatError {}

impl FromStr for FormatId {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FORMATS
            .iter()
            .find(|f| f.name == s)
            .map(|f| f.id)
            .ok_or_else(|| FormatError::UnknownFormat(s.to_string()))
    }
}

impl fmt::Display for FormatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.format().name)
    }
}

impl FormatId {
    pub fn format(self) -> &'static Format {
        &FORMATS[self as usize]
    }
    pub fn all() -> impl Iterator<Item = FormatId> {
        FORMATS.iter().map(|f| f.id)
    }
    /// The OCP MX element formats (FP8, FP6, FP4, INT8): what quantize, the RTL and the
    /// vector suites take. The inputs of non-MX paths (FP16, BF16, TF32, FP32, the FNUZ FP8s)
    /// are element rows too, usable by `Dot`, but are listed by [`FormatId::wide_elements`].
    pub fn elements() -> impl Iterator<Item = FormatId> {
        FORMATS
            .iter()
            .filter(|f| f.role == Role::Element && f.mx)
            .map(|f| f.id)
    }
    /// Element formats of non-MX matrix units (FP16/BF16/TF32/FP32 and AMD's FNUZ FP8s).
    pub fn wide_elements() -> impl Iterator<Item = FormatId> {
        FORMATS
            .iter()
            .filter(|f| f.role == Role::Element && !f.mx)
            .map(|f| f.id)
    }
    pub fn scales() -> impl Iterator<Item = FormatId> {
        FORMATS
            .iter()
            .filter(|f| f.role == Role::Scale)
            .map(|f| f.id)
    }
}

impl Format {
    /// Width of a code in bits.
    pub const fn bits(&self) -> u32 {
        match self.kind {
            Kind::Int => self.man_bits + 1,
            Kind::Float => self.signed as u32 + self.exp_bits + self.man_bits,
        }
    }

    /// Number of codes (u64: FP32 has 2^32).
    pub const fn codes(&self) -> u64 {
        1 << self.bits()
    }

    /// The largest code (all bits set): `codes() - 1`, which fits a u32 for every row.
    pub const fn code_mask(&self) -> u32 {
        (self.codes() - 1) as u32
    }

    /// Exponent of the smallest normal (for E8M0, of code 0).
    pub const fn emin(&self) -> i32 {
        match self.kind {
            Kind::Int => 1,
            Kind::Float => {
                if self.subnormals {
                    1 - self.bias
                } else {
                    -self.bias
                }
            }
        }
    }

    /// Largest exponent field value that holds finite numbers.
    const fn max_exp_field(&self) -> u32 {
        let all = (1 << self.exp_bits) - 1;
        match self.specials {
            Specials::None | Specials::Fnuz => all,
            Specials::Ieee => all - 1,
            // With an empty mantissa the all-ones exponent is entirely NaN.
            Specials::NanAllOnes => {
                if self.man_bits == 0 {
                    all - 1
                } else {
                    all
                }
            }
        }
    }

    /// Exponent of the largest finite value.
    pub const fn emax(&self) -> i32 {
        match self.kind {
            Kind::Int => 1,
            Kind::Float => self.max_exp_field() as i32 - self.bias,
        }
    }

    /// Largest significand (hidden bit included) at `emax`.
    pub const fn max_sig(&self) -> u64 {
        let full = (1u64 << (self.man_bits + 1)) - 1;
        match (self.kind, self.specials) {
            // Symmetric saturation: +127 is the largest magnitude encode produces
            // (0x80 = -2.0 decodes, but is never produced; see spec/formats.md).
            (Kind::Int, _) => (1 << self.man_bits) - 1,
            (Kind::Float, Specials::NanAllOnes) if self.man_bits > 0 => full - 1,
            _ => full,
        }
    }

    /// The rounding target describing this format's finite range.
    pub const fn target(&self) -> Target {
        match self.kind {
            // Integer grid 2^-6 for every magnitude: a "float" whose emin is the top exponent.
            Kind::Int => Target {
                man_bits: self.man_bits - 1,
                emin: 0,
                emax: 0,
                max_sig: self.max_sig(),
                subnormals: true,
            },
            Kind::Float => Target {
                man_bits: self.man_bits,
                emin: self.emin(),
                emax: self.emax(),
                max_sig: self.max_sig(),
                subnormals: self.subnormals,
            },
        }
    }

    /// Largest finite value as (sig, exp): `sig * 2^exp`.
    pub fn max_finite(&self) -> (u64, i32) {
        let t = self.target();
        (t.max_sig, t.emax - t.man_bits as i32)
    }

    /// Smallest positive normal as (sig, exp).
    pub fn min_normal(&self) -> (u64, i32) {
        match self.kind {
            Kind::Int => (1, 1 - self.man_bits as i32),
            Kind::Float => (1 << self.man_bits, self.emin() - self.man_bits as i32),
        }
    }

    /// Smallest positive subnormal as (sig, exp), if the format has subnormals.
    pub fn min_subnormal(&self) -> Option<(u64, i32)> {
        (self.kind == Kind::Float && self.subnormals && self.man_bits > 0)
            .then(|| (1, self.emin() - self.man_bits as i32))
    }

    /// Decode a code exactly. Codes wider than the format are an error.
    pub fn decode(&self, code: u32) -> Result<Value, FormatError> {
        if code as u64 >= self.codes() {
            return Err(FormatError::CodeOutOfRange {
                format: self.name,
                code: code as u64,
            });
        }
        Ok(self.decode_unchecked(code))
    }

    /// Decode a code known to be in range.
    pub fn decode_unchecked(&self, code: u32) -> Value {
        let m = self.man_bits;
        match self.kind {
            Kind::Int => {
                let v = ((code as u8) as i8) as i32;
                if v == 0 {
                    return Value::zero(false);
                }
                Value {
                    class: Class::Finite,
                    neg: v < 0,
                    sig: v.unsigned_abs(),
                    exp: 1 - m as i32,
                }
            }
            Kind::Float => {
                let neg = self.signed && (code >> (self.exp_bits + m)) & 1 == 1;
                let e = (code >> m) & ((1 << self.exp_bits) - 1);
                let f = code & ((1 << m) - 1);
                let all_e = (1 << self.exp_bits) - 1;
                match self.specials {
                    Specials::Ieee if e == all_e => {
                        return if f == 0 {
                            Value {
                                class: Class::Inf,
                                neg,
                                sig: 0,
                                exp: 0,
                            }
                        } else {
                            Value::NAN
                        };
                    }
                    Specials::NanAllOnes if e == all_e && f == (1 << m) - 1 => return Value::NAN,
                    Specials::Fnuz if code == 1 << (self.bits() - 1) => return Value::NAN,
                    _ => {}
                }
                let (sig, ex) = if e == 0 && self.subnormals {
                    (f, self.emin())
                } else {
                    (f | (1 << m), e as i32 - self.bias)
                };
                if sig == 0 {
                    return Value::zero(neg);
                }
                Value {
                    class: Class::Finite,
                    neg,
                    sig,
                    exp: ex - m as i32,
                }
            }
        }
    }

    /// The canonical NaN code (positive sign), if the format has NaN.
    pub fn nan_code(&self) -> Option<u32> {
        match self.specials {
            Specials::None => None,
            Specials::NanAllOnes => Some((1 << (self.exp_bits + self.man_bits)) - 1),
            Specials::Fnuz => Some(1 << (self.bits() - 1)),
            Specials::Ieee => Some(
                (((1 << self.exp_bits) - 1) << self.man_bits) | 1 << (self.man_bits - 1).min(31),
            ),
        }
    }

    /// The Inf code for a sign, if the format has Inf.
    pub fn inf_code(&self, neg: bool) -> Option<u32> {
        (self.specials == Specials::Ieee)
            .then(|| self.sign_bit(neg) | (((1 << self.exp_bits) - 1) << self.man_bits))
    }

    fn sign_bit(&self, neg: bool) -> u32 {
        if neg && self.signed {
            1 << (self.bits() - 1)
        } else {
            0
        }
    }

    /// Code of the largest finite magnitude with the given sign.
    pub fn max_code(&self, neg: bool) -> u32 {
        self.pack(neg, self.max_sig(), self.emax())
    }

    /// Pack a rounded (sig, exp) into a code. `sig < 2^(man_bits+1)`; zero when `sig == 0`.
    fn pack(&self, neg: bool, sig: u64, exp: i32) -> u32 {
        match self.kind {
            Kind::Int => {
                let v = sig as i32;
                ((if neg { -v } else { v }) as u32) & 0xff
            }
            Kind::Float => {
                let m = self.man_bits;
                let field = if sig >> m == 0 && self.subnormals {
                    0
                } else {
                    (exp + self.bias) as u32
                };
                let frac = (sig as u32) & ((1 << m) - 1);
                // FNUZ has no -0: its sign-only code is the NaN.
                let sign = if sig == 0 && (!self.signed || self.specials == Specials::Fnuz) {
                    0
                } else {
                    self.sign_bit(neg)
                };
                sign | (field << m) | frac
            }
        }
    }

    /// Encode the exact value `(-1)^neg * raw` with the given rounding and overflow policy.
    ///
    /// Negative values in an unsigned format encode as zero when they round to zero and as
    /// NaN otherwise (a scale cannot be negative); E8M0 has no zero, so values under its
    /// smallest normal round per direction to code 0 (2^-127) or NaN never: they clamp to 0.
    pub fn encode(&self, neg: bool, raw: Raw, rnd: EncodeRound, ov: Overflow) -> Encoded {
        let t = self.target();
        let r = match rnd {
            EncodeRound::Dir(mode) => round::round(neg, raw, &t, mode),
            EncodeRound::Stochastic(bits) => round::round_stochastic(neg, raw, &t, bits),
        };
        let overflow = is_beyond_max(raw, &t);
        let (sig, exp, inexact) = match r {
            Rounded::Finite { sig, exp, inexact } => (sig, exp, inexact),
            Rounded::Overflow => {
                let toward_zero = match rnd {
                    EncodeRound::Dir(Round::Rz) | EncodeRound::Dir(Round::Odd) => true,
                    EncodeRound::Dir(Round::Up) => neg,
                    EncodeRound::Dir(Round::Down) => !neg,
                    _ => false,
                };
                let code = match (ov, toward_zero) {
                    (Overflow::Infinity, false) => self
                        .inf_code(neg)
                        .or_else(|| self.nan_code())
                        .unwrap_or_else(|| self.max_code(neg)),
                    _ => self.max_code(neg),
                };
                return Encoded {
                    code,
                    inexact: true,
                    overflow: true,
                };
            }
        };
        if sig == 0 {
            if self.kind == Kind::Float && !self.subnormals {
                // E8M0: no zero; the smallest code is the closest it can do.
                return Encoded {
                    code: 0,
                    inexact: true,
                    overflow,
                };
            }
            return Encoded {
                code: self.pack(neg, 0, t.emin),
                inexact,
                overflow,
            };
        }
        if neg && !self.signed {
            return Encoded {
                code: self.nan_code().unwrap_or(0),
                inexact: true,
                overflow,
            };
        }
        Encoded {
            code: self.pack(neg, sig, exp),
            inexact,
            overflow,
        }
    }

    /// Encode `sig * 2^exp` (sign separately) with RNE and saturation: the common case.
    pub fn encode_rne_sat(&self, neg: bool, sig: u128, exp: i32) -> u32 {
        self.encode(
            neg,
            Raw {
                sig,
                exp,
                sticky: false,
            },
            EncodeRound::Dir(Round::Rne),
            Overflow::Saturate,
        )
        .code
    }
}

/// Whether the exact magnitude lies beyond the target's largest finite value.
fn is_beyond_max(raw: Raw, t: &Target) -> bool {
    if raw.sig == 0 {
        return false;
    }
    let top = raw.exp + round::msb(raw.sig);
    if top != t.emax {
        return top > t.emax;
    }
    // Same binade as max: compare significands at max's quantum.
    let q = t.emax - t.man_bits as i32;
    let sh = q - raw.exp;
    if sh <= 0 {
        (raw.sig << (-sh) as u32) > t.max_sig as u128
    } else {
        let kept = raw.sig >> sh as u32;
        kept > t.max_sig as u128
            || (kept == t.max_sig as u128 && (raw.sig & ((1 << sh as u32) - 1) != 0 || raw.sticky))
    }
}

/// Decode an FP32 bit pattern into an exact value.
pub fn decode_f32(bits: u32) -> Value {
    let neg = bits >> 31 == 1;
    let e = ((bits >> 23) & 0xff) as i32;
    let f = bits & 0x7f_ffff;
    match (e, f) {
        (0xff, 0) => Value {
            class: Class::Inf,
            neg,
            sig: 0,
            exp: 0,
        },
        (0xff, _) => Value::NAN,
        (0, 0) => Value::zero(neg),
        (0, f) => Value {
            class: Class::Finite,
            neg,
            sig: f,
            exp: -149,
        },
        (e, f) => Value {
            class: Class::Finite,
            neg,
            sig: f | 1 << 23,
            exp: e - 150,
        },
    }
}

/// The FP16 code of an FP32 bit pattern whose value FP16 holds exactly (the D of a preset with
/// an FP16 output); `None` when it does not. A NaN keeps its sign and the top 10 bits of its
/// payload (FP16's NaN 0x7FFF widened to 0x7FFFE000 comes back as 0x7FFF).
pub fn fp32_to_fp16(bits: u32) -> Option<u32> {
    let f = FormatId::Fp16.format();
    let sign = (bits >> 31) << 15;
    let v = decode_f32(bits);
    match v.class {
        Class::Nan => {
            let payload = (bits >> 13) & 0x3ff;
            Some(sign | 0x7c00 | if payload == 0 { 0x200 } else { payload })
        }
        Class::Inf => Some(sign | 0x7c00),
        Class::Zero => Some(sign),
        Class::Finite => {
            let raw = Raw {
                sig: v.sig as u128,
                exp: v.exp,
                sticky: false,
            };
            let e = f.encode(v.neg, raw, EncodeRound::Dir(Round::Rz), Overflow::Infinity);
            (!e.inexact && !e.overflow).then_some(e.code)
        }
    }
}

/// Pack a rounding result for FP32 (overflow gives Inf with the sign).
pub fn pack_f32(neg: bool, r: Rounded) -> u32 {
    let s = (neg as u32) << 31;
    match r {
        Rounded::Finite { sig, exp, .. } => {
            if sig >> 23 == 0 {
                s | sig as u32
            } else {
                s | (((exp + 127) as u32) << 23) | (sig as u32 & 0x7f_ffff)
            }
        }
        Rounded::Overflow => s | 0x7f80_0000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value as f64 (exact for every format here) for readable assertions.
    fn f(v: Value) -> f64 {
        match v.class {
            Class::Zero => 0.0,
            Class::Finite => {
                let m = v.sig as f64 * 2f64.powi(v.exp);
                if v.neg {
                    -m
                } else {
                    m
                }
            }
            Class::Inf => f64::INFINITY,
            Class::Nan => f64::NAN,
        }
    }

    #[test]
    fn published_maxima() {
        let max = |id: FormatId| {
            let (s, e) = id.format().max_finite();
            s as f64 * 2f64.powi(e)
        };
        assert_eq!(max(F::E4m3), 448.0);
        assert_eq!(max(F::E5m2), 57344.0);
        assert_eq!(max(F::E2m3), 7.5);
        assert_eq!(max(F::E3m2), 28.0);
        assert_eq!(max(F::E2m1), 6.0);
        assert_eq!(max(F::Int8), 127.0 / 64.0);
        assert_eq!(max(F::E8m0), 2f64.powi(127));
        assert_eq!(max(F::Ue4m3), 448.0);
        assert_eq!(max(F::Ue5m3), 114688.0);
        assert_eq!(max(F::Fp16), 65504.0);
        // BF16 and TF32 maxima are FP32 bit patterns with the low 16 / 13 bits cleared.
        assert_eq!(max(F::Bf16), f32::from_bits(0x7f7f_0000) as f64);
        assert_eq!(max(F::Tf32), f32::from_bits(0x7f7f_e000) as f64);
        assert_eq!(max(F::E4m3fnuz), 240.0);
        assert_eq!(max(F::E5m2fnuz), 57344.0);
        assert_eq!(max(F::Fp32), f32::MAX as f64);
    }

    #[test]
    fn specials() {
        let e4 = F::E4m3.format();
        assert!(e4.decode(0x7f).unwrap().is_nan());
        assert!(e4.decode(0xff).unwrap().is_nan());
        assert_eq!(f(e4.decode(0x7e).unwrap()), 448.0);
        let e5 = F::E5m2.format();
        assert_eq!(e5.decode(0x7c).unwrap().class, Class::Inf);
        assert!(e5.decode(0x7d).unwrap().is_nan());
        let s = F::E8m0.format();
        assert!(s.decode(0xff).unwrap().is_nan());
        assert_eq!(f(s.decode(0).unwrap()), 2f64.powi(-127));
        assert_eq!(f(s.decode(127).unwrap()), 1.0);
        assert_eq!(f(F::Int8.format().decode(0x80).unwrap()), -2.0);
        assert!(F::Ue4m3.format().decode(0x80).is_err());
        assert!(F::Ue4m3.format().decode(0x7f).unwrap().is_nan());
        for id in [F::E4m3fnuz, F::E5m2fnuz] {
            let x = id.format();
            assert!(x.decode(0x80).unwrap().is_nan());
            assert_eq!(x.nan_code(), Some(0x80));
            assert_eq!(x.inf_code(false), None);
            assert_eq!(x.decode(0x7f).unwrap().class, Class::Finite);
            // -0 rounds to +0: 0x80 is taken by the NaN.
            let z = Raw {
                sig: 0,
                exp: 0,
                sticky: false,
            };
            let e = x.encode(true, z, EncodeRound::Dir(Round::Rne), Overflow::Saturate);
            assert_eq!(e.code, 0);
            // Non-saturating overflow gives the NaN (there is no Inf).
            let big = Raw {
                sig: 1,
                exp: 100,
                sticky: false,
            };
            let e = x.encode(true, big, EncodeRound::Dir(Round::Rne), Overflow::Infinity);
            assert_eq!(e.code, 0x80);
        }
        assert_eq!(F::Fp32.format().codes(), 1 << 32);
        assert_eq!(F::Fp32.format().code_mask(), u32::MAX);
    }

    #[test]
    fn encode_decode_round_trip_every_code() {
        // FP32's 2^32 codes are sampled by tests/formats.rs instead.
        for fmt in FORMATS.iter().filter(|f| f.bits() <= 19) {
            for code in 0..fmt.code_mask() + 1 {
                let v = fmt.decode(code).unwrap();
                let raw = Raw {
                    sig: v.sig as u128,
                    exp: v.exp,
                    sticky: false,
                };
                let back = match v.class {
                    Class::Finite | Class::Zero => {
                        fmt.encode(v.neg, raw, EncodeRound::Dir(Round::Rne), Overflow::Saturate)
                    }
                    _ => continue,
                };
                // INT8 0x80 (-2.0) saturates to -127/64 by design.
                if fmt.id == F::Int8 && code == 0x80 {
                    assert_eq!(back.code, 0x81);
                    continue;
                }
                assert_eq!(back.code, code, "{} code {code:#x}", fmt.name);
                assert!(!back.inexact);
            }
        }
    }
}
