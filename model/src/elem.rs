//! Per-format decode tables for the dot-product engine: one entry per code, built once from
//! the format table, so the hot loop is a table lookup and an integer multiply.

use crate::format::{Class, FormatId, Kind, Role, FORMATS};
use std::sync::OnceLock;

/// Special-value flags of a code.
pub const F_NAN: u8 = 1;
pub const F_INF: u8 = 2;

/// One code of a format, decoded for the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Elem {
    /// Significand, hidden bit included (0 for zero): value = sig * 2^(e - man_bits).
    pub sig: u32,
    /// Nominal exponent: the exponent field's value (subnormals at emin; INT8 at 1).
    pub e: i32,
    pub neg: bool,
    /// `F_NAN` / `F_INF`, else 0.
    pub flags: u8,
    /// Subnormal significand (hidden bit clear, non-zero).
    pub subnormal: bool,
    /// Signed value in units of the format's smallest quantum `2^qmin` (element formats).
    pub ival: i64,
}

/// A decoded format: one entry per code, plus the constants the engine needs.
#[derive(Debug)]
pub struct Table {
    pub id: FormatId,
    pub man_bits: u32,
    /// Exponent of the smallest quantum: every finite value is a multiple of `2^qmin`.
    pub qmin: i32,
    /// Bits needed for the largest |ival|.
    pub ival_bits: u32,
    pub codes: u32,
    pub entries: Vec<Elem>,
}

impl Table {
    #[inline(always)]
    pub fn get(&self, code: u32) -> &Elem {
        &self.entries[code as usize]
    }
}

fn build(id: FormatId) -> Table {
    let f = id.format();
    let man_bits = f.man_bits;
    let qmin = match f.kind {
        Kind::Int => 1 - man_bits as i32,
        Kind::Float => f.emin() - man_bits as i32,
    };
    let mut entries = Vec::with_capacity(f.codes() as usize);
    let mut max_ival = 0u64;
    for code in 0..f.codes() {
        let v = f.decode_unchecked(code);
        let mut el = Elem {
            neg: v.neg,
            ..Elem::default()
        };
        match v.class {
            Class::Nan => el.flags = F_NAN,
            Class::Inf => el.flags = F_INF,
            Class::Zero => el.e = f.emin(),
            Class::Finite => {
                // decode gives sig * 2^exp with exp = E - man_bits.
                el.sig = v.sig;
                el.e = v.exp + man_bits as i32;
                el.subnormal = f.kind == Kind::Float && (v.sig >> man_bits) == 0;
                // Element formats only: scales span 2^254 and are applied by exponent.
                if f.role == Role::Element {
                    let mag = (v.sig as u64) << (v.exp - qmin) as u32;
                    max_ival = max_ival.max(mag);
                    el.ival = if v.neg { -(mag as i64) } else { mag as i64 };
                }
            }
        }
        entries.push(el);
    }
    Table {
        id,
        man_bits,
        qmin,
        ival_bits: 64 - max_ival.leading_zeros(),
        codes: f.codes(),
        entries,
    }
}

/// The table of a format, built on first use.
pub fn table(id: FormatId) -> &'static Table {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    &TABLES.get_or_init(|| FORMATS.iter().map(|f| build(f.id)).collect())[id as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ival_is_the_value_in_quanta() {
        for f in FORMATS.iter() {
            let t = table(f.id);
            for code in 0..f.codes() {
                let v = f.decode_unchecked(code);
                let el = t.get(code);
                if v.class == Class::Finite && f.role == crate::format::Role::Element {
                    let back = (el.sig as i64) << (el.e - t.man_bits as i32 - t.qmin);
                    assert_eq!(el.ival.abs(), back, "{} {code:#x}", f.name);
                    assert_eq!(el.ival < 0, v.neg);
                }
            }
        }
        assert_eq!(table(FormatId::E4m3).ival_bits, 18); // 448 * 2^9
        assert_eq!(table(FormatId::E5m2).ival_bits, 32); // 57344 * 2^16
    }
}
