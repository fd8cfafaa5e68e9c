//! mxref-model: the bit-exact reference model of OCP Microscaling (MX) arithmetic.
//!
//! Pure: no I/O, no printing. The CLI, the RTL testbench and the GPU harness consume it.

pub mod add;
pub mod cycle;
pub mod dot;
pub mod elem;
pub mod format;
pub mod gen;
pub mod numerics;
pub mod quantize;
pub mod round;
pub mod wide;

pub use format::{Class, Format, FormatId, Value, FORMATS};
pub use round::{Raw, Round, Rounded, Target};
