//! Per-format decode tables for the dot-product engine: one entry per code, built once from
//! the format table, so the hot loop is a table lookup and an integer multiply.

use crate::format::{Class, FormatId, Kind, Role, FORMATS};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

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

/// The part of an entry the hardware-numerics loop reads, packed into 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Small {
    /// Significand; 0 for zeros, NaN and Inf (specials are handled before the loop).
    pub sig: u32,
    pub e: i16,
    /// `e` for non-zero finite values, [`ZERO_E`] otherwise: the largest `ez_a + ez_b` over a
    /// block is its largest non-zero product exponent, without a branch.
    pub ez: i16,
    pub neg: bool,
    pub subnormal: bool,
}

/// Exponent sentinel of zeros and specials in [`Small::ez`]; two of them still fit an i32
/// and stay below any real exponent sum.
pub const ZERO_E: i16 = -16000;

/// A decoded format: one entry per code, plus the constants the engine needs.
#[derive(Debug)]
pub struct Table {
    pub id: FormatId,
    pub man_bits: u32,
    /// Exponent of the smallest quantum: every finite value is a multiple of `2^qmin`.
    pub qmin: i32,
    /// Bits needed for the largest |ival|; `u32::MAX` when some value does not fit an i64
    /// (wide formats: the exact fast path is then not used).
    pub ival_bits: u32,
    /// Number of codes (2^bits).
    pub codes: u64,
    /// Every special code `c` has `c & m == m` for this mask and `c & special_clear == 0`
    /// (`None`: no specials), so a vectorisable scan rules specials out before any table
    /// lookup.
    pub special_mask: Option<u32>,
    /// Bits a special code has clear (FNUZ: its one NaN is the sign bit alone, so every other
    /// bit); 0 for the other formats.
    pub special_clear: u32,
    /// One entry per code for formats of up to [`TABLE_BITS`] bits; empty for wider formats,
    /// which are decoded on the fly.
    pub entries: Vec<Elem>,
    /// `ival` of every code, padded to 256 entries (formats of <= 8 bits; else empty).
    pub ival_pad: Vec<i64>,
    /// `entries` packed for the hot loop, padded to 256 entries for formats of <= 8 bits so
    /// a `u8` index needs no bounds check; empty for formats wider than 8 bits.
    pub small: Vec<Small>,
}

/// Formats up to this width get a lookup table.
pub const TABLE_BITS: u32 = 16;

impl Table {
    /// Whether any code may be special (false is definite).
    #[inline]
    pub fn may_have_special(&self, codes: &[u32]) -> bool {
        match self.special_mask {
            None => false,
            Some(m) => {
                // No early exit: the loop vectorises, and blocks are short.
                let (mut hit, z) = (0u32, self.special_clear);
                for &c in codes {
                    hit |= (c & m == m && c & z == 0) as u32;
                }
                hit != 0
            }
        }
    }

    /// The `ival` column padded to 256 entries, for formats of <= 8 bits.
    #[inline]
    pub fn ival256(&self) -> Option<&[i64; 256]> {
        self.ival_pad.as_slice().try_into().ok()
    }

    #[inline(always)]
    pub fn get(&self, code: u32) -> Elem {
        match self.entries.get(code as usize) {
            Some(e) => *e,
            None => decode(self.id, code, self.qmin).0,
        }
    }
}

/// Decode one code for the engine; the second value is |ival| (u64::MAX if it does not fit).
fn decode(id: FormatId, code: u32, qmin: i32) -> (Elem, u64) {
    let f = id.format();
    let man_bits = f.man_bits;
    let v = f.decode_unchecked(code);
    let mut el = Elem {
        neg: v.neg,
        ..Elem::default()
    };
    let mut mag = 0u64;
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
                let sh = (v.exp - qmin) as u32;
                mag = if sh < 63 && (v.sig as u64) < (1u64 << (63 - sh)) {
                    (v.sig as u64) << sh
                } else {
                    u64::MAX
                };
                if mag != u64::MAX {
                    el.ival = if v.neg { -(mag as i64) } else { mag as i64 };
                }
            }
        }
    }
    (el, mag)
}

fn build(id: FormatId) -> Table {
    build_as(id, None).expect("a format holds its own values")
}

/// The table of `id`; with `to`, every value re-expressed exactly in format `to` (its
/// significand width, minimum exponent and quantum), as hardware that converts its inputs
/// before the multipliers sees them. `None` if `to` cannot hold every value of `id`.
fn build_as(id: FormatId, to: Option<FormatId>) -> Option<Table> {
    let f = id.format();
    let tf = to.map_or(f, |t| t.format());
    let man_bits = tf.man_bits;
    let qmin = match tf.kind {
        Kind::Int => 1 - man_bits as i32,
        Kind::Float => tf.emin() - man_bits as i32,
    };
    let bits = f.bits();
    let mut entries = Vec::new();
    let mut max_ival = 0u64;
    if bits <= TABLE_BITS {
        for code in 0..(1u32 << bits) {
            let (mut el, mag) = decode(id, code, qmin);
            if to.is_some() && el.sig != 0 {
                // value = sig * 2^(e - m_src); in `to`: sig' * 2^(e' - m_to), e' >= emin_to.
                let lsb = el.e - f.man_bits as i32;
                let lead = lsb + 31 - el.sig.leading_zeros() as i32;
                let e2 = lead.max(tf.emin());
                let sh = lsb - (e2 - man_bits as i32);
                if !(0..32).contains(&sh) || e2 > tf.emax() || mag == u64::MAX {
                    return None;
                }
                el.sig <<= sh;
                el.e = e2;
                el.subnormal = el.sig >> man_bits == 0;
            }
            max_ival = max_ival.max(mag);
            entries.push(el);
        }
    } else if to.is_some() {
        return None;
    } else {
        max_ival = u64::MAX;
    }
    Some(Table {
        id,
        man_bits,
        qmin,
        ival_bits: if max_ival == u64::MAX {
            u32::MAX
        } else {
            64 - max_ival.leading_zeros()
        },
        codes: 1u64 << bits,
        ival_pad: if bits <= 8 {
            let mut v: Vec<i64> = entries.iter().map(|e| e.ival).collect();
            v.resize(256, 0);
            v
        } else {
            Vec::new()
        },
        small: if bits <= 8 {
            let mut v: Vec<Small> = entries
                .iter()
                .map(|e| {
                    let sig = if e.flags == 0 { e.sig } else { 0 };
                    Small {
                        sig,
                        e: e.e as i16,
                        ez: if sig != 0 { e.e as i16 } else { ZERO_E },
                        neg: e.neg,
                        subnormal: e.subnormal,
                    }
                })
                .collect();
            v.resize(256, Small::default());
            v
        } else {
            Vec::new()
        },
        special_mask: match f.specials {
            crate::format::Specials::None => None,
            crate::format::Specials::NanAllOnes => Some((1 << (f.exp_bits + f.man_bits)) - 1),
            crate::format::Specials::Ieee => Some(((1 << f.exp_bits) - 1) << f.man_bits),
            crate::format::Specials::Fnuz => Some(1 << (f.bits() - 1)),
        },
        special_clear: match f.specials {
            crate::format::Specials::Fnuz => (1 << (f.bits() - 1)) - 1,
            _ => 0,
        },
        entries,
    })
}

/// The table of `id` with its values re-expressed in `to` (see [`build_as`]), built on first
/// use; `None` if `to` cannot hold every value of `id` exactly.
pub fn table_as(id: FormatId, to: FormatId) -> Option<&'static Table> {
    type Cache = Mutex<HashMap<(FormatId, FormatId), Option<&'static Table>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut m = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("table cache");
    *m.entry((id, to))
        .or_insert_with(|| build_as(id, Some(to)).map(|t| &*Box::leak(Box::new(t))))
}

/// Entry layout of a [`PairTable`]: biased exponent sum in bits 0..8, sign in bit 8, the
/// product's significand from bit 9.
pub const PAIR_BIAS: i32 = 128;
pub const PAIR_SIG_SHIFT: u32 = 9;

/// Every product of two formats of <= 8 bits, one `u32` per `(a << 8) | b`: the product
/// `sig_a * sig_b` (bits 9..), its sign (bit 8) and `e_a + e_b + PAIR_BIAS` (bits 0..8), or 0
/// when the product is zero (or flushed: a subnormal factor with `flush`). One look-up per
/// product instead of two decodes, a multiply and an add, and the exponent byte is a
/// ready maximum key (0 never wins).
pub struct PairTable {
    pub entries: Box<[[u32; 256]; 256]>,
    /// The smallest biased exponent sum of a non-zero product (the widest shift a group
    /// can need).
    pub bmin: u32,
    /// The largest product significand.
    pub pmax: u32,
}

impl PairTable {
    /// The entry of codes `a`, `b` (only their low 8 bits are read).
    #[inline(always)]
    pub fn get(&self, a: u32, b: u32) -> u32 {
        self.entries[a as u8 as usize][b as u8 as usize]
    }
}

impl std::fmt::Debug for PairTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PairTable {{ bmin: {} }}", self.bmin)
    }
}

fn build_pair(ta: &Table, tb: &Table, flush: bool) -> Option<Box<PairTable>> {
    if ta.small.len() != 256 || tb.small.len() != 256 {
        return None;
    }
    let mut entries: Box<[[u32; 256]; 256]> =
        vec![[0u32; 256]; 256].into_boxed_slice().try_into().ok()?;
    let (mut bmin, mut pmax) = (255, 0);
    for (x, ex) in ta.small.iter().enumerate() {
        for (y, ey) in tb.small.iter().enumerate() {
            if ex.sig == 0 || ey.sig == 0 || (flush && (ex.subnormal || ey.subnormal)) {
                continue;
            }
            let p = ex.sig as u64 * ey.sig as u64;
            let be = ex.e as i32 + ey.e as i32 + PAIR_BIAS;
            if p >> (32 - PAIR_SIG_SHIFT) != 0 || !(1..256).contains(&be) {
                return None;
            }
            bmin = bmin.min(be as u32);
            pmax = pmax.max(p as u32);
            entries[x][y] =
                ((p as u32) << PAIR_SIG_SHIFT) | ((ex.neg ^ ey.neg) as u32) << 8 | be as u32;
        }
    }
    Some(Box::new(PairTable {
        entries,
        bmin,
        pmax,
    }))
}

/// The [`PairTable`] of two tables (as returned by [`table`] / [`table_as`]), built on first
/// use; `None` unless both formats have <= 8 bits and every product fits the entry. Keyed by
/// the tables' addresses: they are `'static` and never freed, so an address names one table.
pub fn pair_table(
    ta: &'static Table,
    tb: &'static Table,
    flush: bool,
) -> Option<&'static PairTable> {
    type Cache = Mutex<HashMap<(usize, usize, bool), Option<&'static PairTable>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (
        ta as *const Table as usize,
        tb as *const Table as usize,
        flush,
    );
    let mut m = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("pair table cache");
    *m.entry(key)
        .or_insert_with(|| build_pair(ta, tb, flush).map(|t| &*Box::leak(t)))
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
            if f.bits() > TABLE_BITS {
                continue;
            }
            for code in 0..(1u32 << f.bits()) {
                let v = f.decode_unchecked(code);
                let el = t.get(code);
                if v.class == Class::Finite
                    && f.role == crate::format::Role::Element
                    && t.ival_bits != u32::MAX
                {
                    let back = (el.sig as i64) << (el.e - t.man_bits as i32 - t.qmin);
                    assert_eq!(el.ival.abs(), back, "{} {code:#x}", f.name);
                    assert_eq!(el.ival < 0, v.neg);
                }
            }
        }
        assert_eq!(table(FormatId::E4m3).ival_bits, 18); // 448 * 2^9
                                                         // The special mask finds every special code and only candidates.
        for f in FORMATS.iter().filter(|f| f.bits() <= TABLE_BITS) {
            let t = table(f.id);
            for code in 0..(1u32 << f.bits()) {
                if t.get(code).flags != 0 {
                    assert!(t.may_have_special(&[code]), "{} {code:#x}", f.name);
                }
            }
        }
        assert_eq!(table(FormatId::E5m2).ival_bits, 32); // 57344 * 2^16
    }
}
