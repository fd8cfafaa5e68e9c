//! How a dot-product unit rounds: one data description, read by one generic engine
//! ([`crate::dot`]). Presets are JSON files under `model/presets/`, loaded exactly as a
//! user's own file would be; no preset has code of its own.
//!
//! The computation every preset describes (spec/numerics.md gives the full text):
//!
//! 1. Products `a_i * b_i` are exact. With `scale = product`, each product is multiplied
//!    exactly by its block's two scales; with `scale = block_sum` each block's products are
//!    summed exactly and scaled, and that block term replaces its products below.
//! 2. Terms are dealt into groups of `group` products (`group_layout`). Per group, every
//!    non-zero term's alignment exponent `E` is taken (`align`), `Emax` is their maximum (the
//!    running accumulator joins when `accumulate = fused`), and each term is cut to a multiple
//!    of `2^(Emax - window_bits)` as `shifted_out` says. The cut terms are summed exactly.
//! 3. The group sum is rounded into the accumulator format `acc` (fused: the sum already holds
//!    the accumulator; separate: the exact group sum is added to the accumulator, then rounded).
//! 4. With `promote`, the accumulator is reset to zero every `promote.every` products and its
//!    value added into an FP32 outer accumulator, rounding as `promote.round`.
//! 5. With `c_entry = end`, C is added after the last group (IEEE add, `output.round`);
//!    with `c_entry = accumulator`, C is the accumulator's initial value.
//! 6. The result is rounded to `output`.

use crate::round::{Round, Target};
use serde::{Deserialize, Serialize};

/// How products are dealt into alignment groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupLayout {
    /// Group `g` holds products `g*group .. (g+1)*group` (within each `span`).
    Contiguous,
    /// Within each span of `span` products, product `i` goes to group `(i / chunk) % ways`
    /// (interleaved halves, as the register fragments of some MMA shapes deal them).
    Interleaved {
        ways: usize,
        span: usize,
        #[serde(default = "one")]
        chunk: usize,
    },
}

/// Which exponent a term is aligned by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// The exponent-adder output: `E = Ea + Eb (+ scale exponents)`, before the product is
    /// normalised (a product lies in `[0, 4) * 2^E`). Subnormal elements count with their
    /// format's minimum exponent. This is what a multiplier's exponent path has at hand.
    Nominal,
    /// The exponent of the term's leading one bit (`[1, 2) * 2^E`).
    Leading,
}

/// What happens to bits of an aligned term below the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftedOut {
    /// Dropped: the term's magnitude is truncated (toward zero).
    Truncate,
    /// The term is rounded to nearest-even at the window's last bit.
    Rne,
}

/// Where block scales enter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleApply {
    /// Each product is multiplied exactly by its block's `scale_a * scale_b` before
    /// alignment; the scales' exponents add to the product's alignment exponent. For E8M0
    /// this is only an exponent add (MX hardware with the scale in the exponent path); for
    /// UE4M3/UE5M3 the scale significands multiply in too.
    Product,
    /// Each block's products are summed exactly, multiplied by `scale_a * scale_b` exactly,
    /// and the result enters alignment as one term (aligned by its leading bit).
    BlockSum,
    /// Products are unscaled; each promoted partial sum (see `promote`) is multiplied by its
    /// block's `scale_a * scale_b` in FP32 with RNE before it is added to the outer FP32
    /// accumulator. Requires `promote.every == block`. (MXFP8 run on Hopper.)
    Promote,
}

/// How groups accumulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accumulate {
    /// The running accumulator is one more term of every group's alignment.
    Fused,
    /// Each group is summed without it; the exact group sum is then added to the
    /// accumulator and rounded once into `acc`.
    Separate,
}

/// Where C enters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CEntry {
    /// C is the accumulator's initial value.
    Accumulator,
    /// C is added to the final sum by one IEEE FP32 addition rounded by `output.round`.
    End,
}

/// Sign of a result whose exact sum is zero (C and every product zero, or cancelling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroSign {
    /// IEEE 754 addition of zeros: -0 only when C and every product are -0.
    #[default]
    Ieee,
    /// Always +0 (measured on Hopper tensor cores: C = -0 with all products -0 gives +0).
    Plus,
}

/// How a cut of the second alignment stage ([`Join`]) treats the dropped bits of a signed
/// value (lane sums, the group sum and the accumulator are two's-complement numbers there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinCut {
    /// Two's-complement truncation: toward -Inf (a negative value loses magnitude upward).
    Floor,
    /// Toward zero (sign-magnitude truncation).
    Truncate,
    /// Round to nearest, ties to even, at the window's last bit.
    Rne,
}

/// A second alignment stage (AMD CDNA3 `mfma`, spec/numerics.md): the products of a group
/// are aligned and cut among themselves (`window_bits`, `shifted_out`), in `lanes` interleaved
/// sub-groups whose sums are then aligned with each other, and the group sum meets the
/// accumulator in an alignment of its own, with its own windows. Needs `accumulate = fused`
/// (the accumulator joins here instead of in the products' alignment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// Product `i` of a group goes to lane `i % lanes`; each lane is aligned to its own largest
    /// exponent and cut by `window_bits`. 1: the group is one lane.
    #[serde(default = "one")]
    pub lanes: usize,
    /// With `lanes > 1`: fraction bits kept of each lane sum below the largest lane exponent.
    #[serde(default)]
    pub lane_window: Option<u32>,
    /// Fraction bits kept of the group sum below `max(group exponent, accumulator exponent)`.
    pub sum_window: u32,
    /// Fraction bits kept of the accumulator below the same maximum.
    pub acc_window: u32,
    /// Rounding of this stage's cuts.
    pub shifted_out: JoinCut,
    /// An accumulator whose exponent is more than this below the joint maximum is dropped
    /// whole instead of cut (`null`: it is cut like the group sum).
    #[serde(default)]
    pub acc_drop_below: Option<u32>,
    /// A product of magnitude `>= 2^product_inf_exp` is taken as an Inf of its sign (the
    /// multipliers' outputs have FP32's range: 128); `null`: products are exact.
    #[serde(default)]
    pub product_inf_exp: Option<i32>,
}

/// Sign of a result whose accumulator rounded a non-zero value to zero (an underflow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccZeroSign {
    /// +0: the zero is unsigned once it is in the accumulator (MMA-Sim's NVIDIA models, which
    /// truncate to an integer significand).
    #[default]
    Plus,
    /// The sign of the value that rounded survives to D (IEEE 754 FMA; MMA-Sim's AMD model).
    Keep,
}

/// A floating-point format for an accumulator or an output: IEEE-like layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatSpec {
    /// Fraction bits; `null` means unbounded (exact).
    pub man_bits: Option<u32>,
    /// Exponent bits (8 = FP32's range; wider ranges avoid intermediate overflow).
    pub exp_bits: u32,
    pub round: Round,
    /// Keep subnormal results (false: flush them to zero of the same sign).
    #[serde(default = "yes")]
    pub subnormals: bool,
}

fn yes() -> bool {
    true
}

impl FloatSpec {
    /// Whether this is IEEE binary16 (an FP16 D: `mxref dot` then also emits its FP16 bits).
    pub fn is_fp16(&self) -> bool {
        self.man_bits == Some(10) && self.exp_bits == 5
    }

    /// The rounding target, or `None` when exact.
    pub fn target(&self) -> Option<Target> {
        self.man_bits.map(|m| Target::ieee(self.exp_bits, m))
    }
}

/// Periodic promotion of the accumulator into an FP32 outer sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promote {
    /// Products per promotion.
    pub every: usize,
    /// Rounding of the outer FP32 addition.
    pub round: Round,
}

/// The full description of a dot-product unit's numerics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Numerics {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where the parameters come from (paper and section, or measurement).
    #[serde(default)]
    pub source: String,
    /// The instruction or library path modelled (PTX/ISA spelling); informational.
    #[serde(default)]
    pub instruction: String,
    /// Element formats the path takes (`a x b` pairs where they differ; scale formats and
    /// block sizes after a slash); informational, `Dot` accepts any formats.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// How far the preset is confirmed: `confirmed on <device>: N dots, M mismatches` or
    /// `published model, not confirmed on hardware`. Data, shown by `mxref presets`.
    #[serde(default)]
    pub status: String,
    /// Products per alignment group; 0 means the whole dot product is one group.
    pub group: usize,
    #[serde(default = "contiguous")]
    pub group_layout: GroupLayout,
    #[serde(default = "nominal")]
    pub align: Align,
    /// Fraction bits kept below `2^Emax`; `null` keeps every bit (no alignment loss).
    pub window_bits: Option<u32>,
    /// Lowest alignment exponent: a group's `Emax` is raised to at least this, so the window
    /// never reaches below `2^(align_min_exp - window_bits)` (`null`: no floor). Measured on
    /// Hopper's BF16/TF32 HMMA (spec/gpu.md): products far below FP32's range lose the bits
    /// under 2^-158 even when they are the largest of their group.
    #[serde(default)]
    pub align_min_exp: Option<i32>,
    #[serde(default = "truncate")]
    pub shifted_out: ShiftedOut,
    #[serde(default = "product")]
    pub scale: ScaleApply,
    pub accumulate: Accumulate,
    pub c_entry: CEntry,
    /// The running accumulator's format.
    pub acc: FloatSpec,
    #[serde(default)]
    pub promote: Option<Promote>,
    /// The result's format (FP32 with 23 fraction bits; 13 models an E8M13 output).
    pub output: FloatSpec,
    /// Subnormal input elements are taken as zero.
    #[serde(default)]
    pub flush_subnormal_inputs: bool,
    /// Elements are converted exactly to this format before the multipliers (`null`: used as
    /// they are). Alignment then sees the converted values: an FP8 subnormal that is an FP16
    /// normal aligns by its own exponent (Hopper's FP8 `mma.sync` runs on FP16 HMMAs).
    #[serde(default)]
    pub input_format: Option<crate::format::FormatId>,
    /// With `scale = block_sum`: products per exactly-summed chunk, a divisor of the block
    /// (`null`: the whole block). Each chunk is scaled by its block's scales and is one term.
    #[serde(default)]
    pub block_sum_chunk: Option<usize>,
    /// Sign of an exactly-zero result.
    #[serde(default)]
    pub zero_sign: ZeroSign,
    /// Sign of D when the last accumulator rounding gave zero from a non-zero value.
    #[serde(default)]
    pub acc_zero_sign: AccZeroSign,
    /// A second alignment stage between the group sum and the accumulator (`null`: none).
    #[serde(default)]
    pub join: Option<Join>,
    /// The bit pattern of a NaN result.
    #[serde(default = "canonical_nan", with = "hex_u32")]
    pub nan_bits: u32,
}

fn one() -> usize {
    1
}
fn contiguous() -> GroupLayout {
    GroupLayout::Contiguous
}
fn nominal() -> Align {
    Align::Nominal
}
fn truncate() -> ShiftedOut {
    ShiftedOut::Truncate
}
fn product() -> ScaleApply {
    ScaleApply::Product
}
fn canonical_nan() -> u32 {
    0x7fc0_0000
}

mod hex_u32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{v:08x}"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let s = String::deserialize(d)?;
        let h = s
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom("expected a hex string like \"0x7fc00000\""))?;
        u32::from_str_radix(h, 16).map_err(D::Error::custom)
    }
}

/// Largest `window_bits` the engine accepts: a windowed group sum of up to 2^16 terms then
/// has at most 64 + 4 + 16 bits, inside what the exact two-operand adder takes.
pub const MAX_WINDOW_BITS: u32 = 64;

/// Largest `acc.man_bits` (and `output.man_bits`, which FP32 limits further).
pub const MAX_MAN_BITS: u32 = 62;

impl Numerics {
    /// Whether this is the single-rounding `exact` semantics (one group, no window, exact
    /// accumulator, C inside): the engine then takes its exact fast path.
    pub fn is_exact(&self) -> bool {
        self.group == 0
            && self.window_bits.is_none()
            && self.acc.man_bits.is_none()
            && self.promote.is_none()
            && self.c_entry == CEntry::Accumulator
            && self.scale != ScaleApply::Promote
            && !self.flush_subnormal_inputs
    }

    /// Check the parameters fit together; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(w) = self.window_bits {
            if w > MAX_WINDOW_BITS {
                return Err(format!(
                    "window_bits: {w} is more than the {MAX_WINDOW_BITS} the engine supports; use null for an unbounded window"
                ));
            }
        }
        for (field, f) in [("acc", &self.acc), ("output", &self.output)] {
            if !(2..=15).contains(&f.exp_bits) {
                return Err(format!(
                    "{field}.exp_bits: {} is outside 2..=15",
                    f.exp_bits
                ));
            }
            if let Some(m) = f.man_bits {
                // Significands are u64 with man_bits + 1 bits, plus a carry bit when rounding.
                if m > MAX_MAN_BITS {
                    return Err(format!("{field}.man_bits: {m} is more than {MAX_MAN_BITS}"));
                }
            }
        }
        match self.output.man_bits {
            Some(m) if m <= 23 && self.output.exp_bits <= 8 => {}
            _ => return Err("output: must fit in FP32 (man_bits <= 23, exp_bits <= 8)".to_string()),
        }
        if let GroupLayout::Interleaved { ways, span, chunk } = self.group_layout {
            // checked: ways * chunk can overflow (then it divides no span).
            if ways == 0
                || chunk == 0
                || span == 0
                || !matches!(ways.checked_mul(chunk), Some(w) if span % w == 0)
            {
                return Err(
                    "group_layout: interleaved needs ways, chunk > 0 and span a multiple of ways * chunk"
                        .into(),
                );
            }
            if self.scale == ScaleApply::BlockSum {
                return Err("group_layout: scale 'block_sum' needs contiguous groups".into());
            }
            if self.group != span / ways {
                return Err(format!(
                    "group_layout: interleaved {ways} ways over {span} products makes groups of {}, but group is {}",
                    span / ways,
                    self.group
                ));
            }
        }
        if self.acc.man_bits.is_none()
            && self.accumulate == Accumulate::Fused
            && self.window_bits.is_some()
        {
            return Err(
                "acc.man_bits: a fused accumulator joins a finite window, so it needs a finite width"
                    .into(),
            );
        }
        if let Some(p) = self.promote {
            if p.every == 0 {
                return Err("promote.every: must be > 0".into());
            }
            if self.group != 0 && p.every % self.group != 0 {
                return Err("promote.every: must be a multiple of group".into());
            }
        }
        if let Some(c) = self.block_sum_chunk {
            if c == 0 || self.scale != ScaleApply::BlockSum {
                return Err("block_sum_chunk: must be > 0 and needs scale 'block_sum'".into());
            }
        }
        if self.scale == ScaleApply::Promote
            && (self.promote.is_none() || self.acc.man_bits.is_none())
        {
            return Err("scale: 'promote' needs a promote section and a finite acc".into());
        }
        if let Some(j) = self.join {
            self.validate_join(&j)?;
        }
        Ok(())
    }

    fn validate_join(&self, j: &Join) -> Result<(), String> {
        if self.window_bits.is_none() || self.accumulate != Accumulate::Fused {
            return Err(
                "join: needs a finite window_bits and accumulate 'fused' (the accumulator joins in the second stage)"
                    .into(),
            );
        }
        for (f, w) in [
            ("join.sum_window", Some(j.sum_window)),
            ("join.acc_window", Some(j.acc_window)),
            ("join.lane_window", j.lane_window),
        ] {
            if matches!(w, Some(w) if w > MAX_WINDOW_BITS) {
                return Err(format!("{f}: more than {MAX_WINDOW_BITS}"));
            }
        }
        if j.lanes == 0 {
            return Err("join.lanes: must be at least 1".into());
        }
        if j.lanes > 1 {
            // Lane sums are only ever cut (never widened) when they meet: they stay in an i128.
            match j.lane_window {
                Some(lw) if self.window_bits.is_some_and(|w| lw <= w) => {}
                _ => {
                    return Err(
                        "join.lane_window: needed with lanes > 1, at most window_bits".into(),
                    )
                }
            }
            if self.group == 0
                || !self.group.is_multiple_of(j.lanes)
                || self.group_layout != GroupLayout::Contiguous
                || self.scale == ScaleApply::BlockSum
            {
                return Err(
                    "join.lanes: needs contiguous groups of products (not block sums) whose size is a multiple of lanes"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// Parse a preset or user file.
    pub fn from_json(text: &str) -> Result<Numerics, String> {
        let n: Numerics = serde_json::from_str(text).map_err(|e| e.to_string())?;
        n.validate()?;
        Ok(n)
    }
}

/// `(name, text)` of `model/presets/<name>.json`.
macro_rules! preset_file {
    ($name:literal) => {
        ($name, include_str!(concat!("../presets/", $name, ".json")))
    };
}

/// The built-in presets, as shipped JSON text (name, text).
pub const PRESETS: &[(&str, &str)] = &[
    ("exact", include_str!("../presets/exact.json")),
    ("rtl", include_str!("../presets/rtl.json")),
    // Tensor-core paths from published models (spec/presets.md).
    preset_file!("ada-mma-bf16"),
    preset_file!("ada-mma-f16"),
    preset_file!("ada-mma-fp8"),
    preset_file!("ada-mma-tf32"),
    preset_file!("ampere-mma-bf16"),
    preset_file!("ampere-mma-f16"),
    preset_file!("ampere-mma-tf32"),
    preset_file!("blackwell-mma-bf16"),
    preset_file!("blackwell-mma-f16"),
    preset_file!("blackwell-mma-tf32"),
    preset_file!("blackwell-tcgen05-bf16"),
    preset_file!("blackwell-tcgen05-f16"),
    preset_file!("blackwell-tcgen05-f8f6f4"),
    preset_file!("blackwell-tcgen05-mxf4"),
    preset_file!("blackwell-tcgen05-mxf4nvf4"),
    preset_file!("blackwell-tcgen05-mxf8f6f4"),
    preset_file!("blackwell-tcgen05-tf32"),
    preset_file!("hopper-mma-tf32"),
    // Measured on an H100 by the GPU cross-check (spec/gpu.md).
    preset_file!("hopper-cublas-fp8"),
    preset_file!("hopper-cublas-fp8-fast"),
    preset_file!("hopper-mma-bf16"),
    preset_file!("hopper-mma-f16"),
    preset_file!("hopper-mma-fp8"),
    preset_file!("hopper-mxfp8-sw"),
    preset_file!("hopper-wgmma-fp8"),
    preset_file!("hopper-wgmma-bf16"),
    preset_file!("hopper-wgmma-f16"),
    preset_file!("hopper-wgmma-tf32"),
    preset_file!("rtxblackwell-mma-bf16"),
    preset_file!("rtxblackwell-mma-f16"),
    preset_file!("rtxblackwell-mma-f8f6f4"),
    preset_file!("rtxblackwell-mma-fp8"),
    preset_file!("rtxblackwell-mma-mxf4"),
    preset_file!("rtxblackwell-mma-mxf4nvf4"),
    preset_file!("rtxblackwell-mma-mxf8f6f4"),
    preset_file!("rtxblackwell-mma-tf32"),
    preset_file!("turing-mma-f16"),
    preset_file!("volta-mma-f16"),
    // AMD CDNA3 (MI300) matrix cores, from a published model (spec/presets.md).
    preset_file!("cdna3-mfma-f16"),
    preset_file!("cdna3-mfma-f16-k4"),
    preset_file!("cdna3-mfma-bf16"),
    preset_file!("cdna3-mfma-bf16-k4"),
    preset_file!("cdna3-mfma-xf32"),
    preset_file!("cdna3-mfma-fp8"),
    preset_file!("cdna3-mfma-f32"),
    // FP16 D (returned as the FP32 pattern of the FP16 value).
    preset_file!("volta-mma-f16-f16out"),
    preset_file!("turing-mma-f16-f16out"),
    preset_file!("ampere-mma-f16-f16out"),
    preset_file!("ada-mma-fp8-f16out"),
    preset_file!("hopper-wgmma-f16-f16out"),
    preset_file!("blackwell-tcgen05-f16-f16out"),
];

/// Look up a built-in preset by name.
pub fn preset(name: &str) -> Option<Numerics> {
    PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| Numerics::from_json(text).expect("built-in preset parses"))
}

/// Names of all built-in presets.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_are_named_after_their_files() {
        for (name, _) in PRESETS {
            let n = preset(name).unwrap();
            assert_eq!(n.name, *name);
        }
        assert!(preset("exact").unwrap().is_exact());
        assert!(!preset("rtl").unwrap().is_exact());
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_name() {
        let mut v: serde_json::Value = serde_json::from_str(PRESETS[0].1).unwrap();
        v["windw_bits"] = 3.into();
        let err = Numerics::from_json(&v.to_string()).unwrap_err();
        assert!(err.contains("windw_bits"), "{err}");
    }
}
