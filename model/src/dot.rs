//! MX dot products: D = C + sum_k scale_a[k] * scale_b[k] * sum_{i in block k} a_i * b_i,
//! computed bit-exactly under a [`Numerics`] description.
//!
//! Usage: build a [`Dot`] once per (formats, block size, numerics) and call [`Dot::eval`] in
//! the loop; it allocates nothing per call.

use crate::format::FormatId;
use crate::numerics::Numerics;
use std::fmt;

/// The shape of a dot product: element formats of A and B, scale format, block size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DotSpec {
    pub a_fmt: FormatId,
    pub b_fmt: FormatId,
    pub scale_fmt: FormatId,
    pub block: usize,
}

/// Operand codes of one dot product. `a` and `b` have equal length, a multiple of the block
/// size; `sa`/`sb` have one code per block; `c` is FP32 bits.
#[derive(Clone, Copy, Debug)]
pub struct Operands<'a> {
    pub a: &'a [u32],
    pub b: &'a [u32],
    pub sa: &'a [u32],
    pub sb: &'a [u32],
    pub c: u32,
}

/// Why a dot product could not be evaluated; each names the offending field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DotError {
    /// `field` is one of "a_fmt", "b_fmt", "scale_fmt", "block", "a", "b", "sa", "sb", "numerics".
    Invalid { field: &'static str, msg: String },
}

impl DotError {
    pub fn field(&self) -> &'static str {
        match self {
            DotError::Invalid { field, .. } => field,
        }
    }
}

impl fmt::Display for DotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DotError::Invalid { field, msg } => write!(f, "{field}: {msg}"),
        }
    }
}

impl std::error::Error for DotError {}

/// A prepared dot-product evaluator.
#[derive(Clone, Debug)]
pub struct Dot {
    spec: DotSpec,
    numerics: Numerics,
}

impl Dot {
    /// Check the shape and numerics fit together and prepare the tables.
    pub fn new(spec: DotSpec, numerics: &Numerics) -> Result<Dot, DotError> {
        Ok(Dot {
            spec,
            numerics: numerics.clone(),
        })
    }

    pub fn spec(&self) -> &DotSpec {
        &self.spec
    }

    pub fn numerics(&self) -> &Numerics {
        &self.numerics
    }

    /// Evaluate one dot product; returns D as FP32 bits. Errors only on malformed operands
    /// (lengths, codes out of range).
    pub fn eval(&self, _ops: &Operands) -> Result<u32, DotError> {
        Err(DotError::Invalid {
            field: "numerics",
            msg: "dot engine not built yet".into(),
        })
    }
}
