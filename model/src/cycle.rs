//! Clock-by-clock model of the MX dot-product unit in `rtl/` (spec/microarchitecture.md).
//!
//! [`CycleModel::step`] advances one rising clock edge. The struct holds one field per RTL
//! pipeline register, named as in `rtl/mx_dot.sv` without the `_q` suffix, so a VCD of the
//! model and a waveform of the RTL line up signal for signal. The numerics are those of the
//! `rtl` preset ([`crate::numerics::preset`]); `model/tests/cycle.rs` proves that every D equals
//! [`crate::dot::Dot::eval`] with that preset.
//!
//! Pipeline (one beat = 32 elements of A and B per cycle):
//! `MUL` decode, significand and scale multiply, exponent add -> `ALN` max-exponent tree and
//! alignment -> `ADD` adder tree -> `ACC` accumulate (round to odd, 48 bits) -> `RND` round to
//! FP32 on `last`. D leaves [`LATENCY`] cycles after the cycle its `last` beat was driven.

pub mod stim;

use crate::format::{Class, FormatId};

/// Elements per beat.
pub const LANES: usize = 32;
/// Cycles from driving a `last` beat to seeing its D with `valid_o` (spec: "Latency").
pub const LATENCY: usize = 5;
/// Fraction bits the aligned terms keep below `2^Emax` (the preset's `window_bits`).
pub const WINDOW: u32 = 32;
/// Fraction bits of a term significand as the multipliers deliver it: 7 + 7 for the elements
/// (INT8 has the most) and 3 + 3 for the scales (UE4M3; E8M0 enters as 1.000).
pub const TERM_FRAC: u32 = 20;
/// Accumulator significand width (hidden bit included): the preset's `acc.man_bits + 1`.
pub const ACC_BITS: u32 = 48;
/// Width of a shifted term before truncation: a 24-bit term with `WINDOW - TERM_FRAC` more
/// fraction bits.
const ALIGN_BITS: u32 = 24 + WINDOW - TERM_FRAC;

/// The input ports for one cycle. Element codes travel in 8-bit lanes; bits above the
/// format's width are ignored, as the RTL ignores them (and bit 7 of a UE4M3 scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// `rst_ni` low: synchronous view of the asynchronous reset (all registers cleared).
    pub rst: bool,
    pub valid: bool,
    pub first: bool,
    pub last: bool,
    pub a_fmt: ElemPort,
    pub b_fmt: ElemPort,
    /// NVFP4 scaling: two UE4M3 scales per operand (elements 0..16 use `sa[0]`, 16..32 use
    /// `sa[1]`). Otherwise one E8M0 scale in `sa[0]` for all 32 elements.
    pub nvfp4: bool,
    pub a: [u8; LANES],
    pub b: [u8; LANES],
    pub sa: [u8; 2],
    pub sb: [u8; 2],
    /// FP32 bits, used on `first` beats.
    pub c: u32,
}

impl Default for Inputs {
    /// A bubble.
    fn default() -> Self {
        Inputs {
            rst: false,
            valid: false,
            first: false,
            last: false,
            a_fmt: ElemPort::Fmt(FormatId::E4m3),
            b_fmt: ElemPort::Fmt(FormatId::E4m3),
            nvfp4: false,
            a: [0; LANES],
            b: [0; LANES],
            sa: [127; 2],
            sb: [127; 2],
            c: 0,
        }
    }
}

/// Port encoding of an element format (`a_fmt_i`, `b_fmt_i`): its row in the format table.
pub fn fmt_code(f: FormatId) -> u8 {
    f as u8
}

/// First reserved code of the 3-bit element-format ports: 0..=5 are the element formats
/// (their rows in the format table), 6 and 7 are reserved.
pub const FIRST_RESERVED: u8 = 6;

/// What an element-format port (`a_fmt_i`, `b_fmt_i`) carries: an element format, or one of
/// the reserved codes 6 and 7, for which every lane of that operand decodes as +0
/// (spec/microarchitecture.md, port table). Carrying the code lets stimulus exercise the
/// RTL's reserved-code path, which a [`FormatId`] alone cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElemPort {
    Fmt(FormatId),
    /// A reserved code, `FIRST_RESERVED..=7`.
    Reserved(u8),
}

impl ElemPort {
    /// The port's 3-bit value.
    pub fn code(self) -> u8 {
        match self {
            ElemPort::Fmt(f) => fmt_code(f),
            ElemPort::Reserved(c) => c,
        }
    }
    /// The port value `code`: an element format, a reserved code, or `None` above 7 or for a
    /// table row that is not an MX element format.
    pub fn from_code(code: u8) -> Option<ElemPort> {
        match code {
            0..FIRST_RESERVED => FormatId::elements()
                .find(|&f| fmt_code(f) == code)
                .map(ElemPort::Fmt),
            FIRST_RESERVED..=7 => Some(ElemPort::Reserved(code)),
            _ => None,
        }
    }
    /// The element format, `None` for a reserved code.
    pub fn format(self) -> Option<FormatId> {
        match self {
            ElemPort::Fmt(f) => Some(f),
            ElemPort::Reserved(_) => None,
        }
    }
}

impl From<FormatId> for ElemPort {
    fn from(f: FormatId) -> ElemPort {
        ElemPort::Fmt(f)
    }
}

/// The format's name, or the reserved code as a number (the trace suite's spelling).
impl std::fmt::Display for ElemPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ElemPort::Fmt(id) => write!(f, "{id}"),
            ElemPort::Reserved(c) => write!(f, "{c}"),
        }
    }
}

/// The output ports during a cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub valid: bool,
    /// FP32 bits.
    pub d: u32,
}

/// Special-value flags that travel with a beat and with the accumulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub nan: bool,
    pub pinf: bool,
    pub ninf: bool,
}

impl Flags {
    fn or(self, o: Flags) -> Flags {
        Flags {
            nan: self.nan | o.nan,
            pinf: self.pinf | o.pinf,
            ninf: self.ninf | o.ninf,
        }
    }
}

/// Control bits that ride along every stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ctrl {
    pub valid: bool,
    pub first: bool,
    pub last: bool,
    pub c: u32,
}

/// `MUL` stage registers (`s1_*_q`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MulRegs {
    pub ctrl: Ctrl,
    /// Term magnitude `|a*b*sa*sb| / 2^(E - TERM_FRAC)`, < 2^24.
    pub mag: [u32; LANES],
    pub neg: [bool; LANES],
    /// Nominal exponent E = Ea + Eb + Esa + Esb.
    pub exp: [i32; LANES],
    /// The term is finite and non-zero (takes part in the max).
    pub nz: [bool; LANES],
    /// Every term is a zero of negative sign (for the sign of an all-zero sum).
    pub negz: bool,
    pub flags: Flags,
}

/// `ALN` stage registers (`s2_*_q`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlignRegs {
    pub ctrl: Ctrl,
    /// Signed term truncated to a multiple of 2^(emax - WINDOW), in units of that.
    pub term: [i64; LANES],
    pub emax: i32,
    pub negz: bool,
    pub flags: Flags,
}

/// `ADD` stage registers (`s3_*_q`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SumRegs {
    pub ctrl: Ctrl,
    /// Beat sum S: the beat's value is `sum * 2^(emax - WINDOW)`; |sum| < 2^41.
    pub sum: i64,
    pub emax: i32,
    pub negz: bool,
    pub flags: Flags,
}

/// A 48-bit floating-point value as the accumulator holds it: `sig * 2^(exp - 47)`, `sig`
/// normalised (bit 47 set) unless zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acc {
    pub neg: bool,
    pub exp: i32,
    pub sig: u64,
}

/// `ACC` stage registers (`acc_*_q`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccRegs {
    pub acc: Acc,
    pub flags: Flags,
    /// The accumulator holds a finished dot product (its beat had `last`).
    pub done: bool,
}

/// The whole unit's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleModel {
    pub s1: MulRegs,
    pub s2: AlignRegs,
    pub s3: SumRegs,
    pub acc: AccRegs,
    pub out: Outputs,
}

/// A decoded element or scale as the decoder delivers it: significand with `man` fraction
/// bits normalised to `frac` fraction bits, nominal exponent E.
#[derive(Clone, Copy, Debug)]
struct Dec {
    class: Class,
    neg: bool,
    /// Significand at a fixed number of fraction bits (7 for elements, 3 for scales).
    sig: u32,
    exp: i32,
}

/// Decode an element code (masked to its format's width) for the datapath. A reserved port
/// code decodes every lane as +0, whatever the lane holds.
fn decode_elem(port: ElemPort, code: u8) -> Dec {
    let Some(f) = port.format() else {
        return Dec {
            class: Class::Zero,
            neg: false,
            sig: 0,
            exp: 0,
        };
    };
    let fmt = f.format();
    let code = code as u32 & fmt.code_mask();
    let v = fmt.decode_unchecked(code);
    let man = fmt.man_bits;
    Dec {
        class: v.class,
        // The sign bit as the RTL's decoder reads it, also for NaN codes (whose decoded value
        // has no sign); it only reaches the `s1_neg_q` register of a NaN lane.
        neg: fmt.signed && code >> (fmt.bits() - 1) & 1 == 1,
        sig: v.sig << (7 - man),
        // `decode` returns sig * 2^exp; the nominal exponent is that of the leading
        // significand position, subnormals included.
        exp: v.exp + man as i32,
    }
}

/// Decode a scale code: E8M0, or UE4M3 with bit 7 ignored.
fn decode_scale(nvfp4: bool, code: u8) -> Dec {
    let (f, code) = if nvfp4 {
        (FormatId::Ue4m3, code as u32 & 0x7f)
    } else {
        (FormatId::E8m0, code as u32)
    };
    let fmt = f.format();
    let v = fmt.decode_unchecked(code);
    Dec {
        class: v.class,
        neg: false,
        sig: v.sig << (3 - fmt.man_bits),
        exp: v.exp + fmt.man_bits as i32,
    }
}

/// The `MUL` stage: decode, 32 significand multipliers, scale multiply, exponent add.
pub fn mul_stage(i: &Inputs) -> MulRegs {
    let mut r = MulRegs {
        ctrl: Ctrl {
            valid: i.valid,
            first: i.first,
            last: i.last,
            c: i.c,
        },
        negz: true,
        ..MulRegs::default()
    };
    let scales = [
        (
            decode_scale(i.nvfp4, i.sa[0]),
            decode_scale(i.nvfp4, i.sb[0]),
        ),
        if i.nvfp4 {
            (decode_scale(true, i.sa[1]), decode_scale(true, i.sb[1]))
        } else {
            (decode_scale(false, i.sa[0]), decode_scale(false, i.sb[0]))
        },
    ];
    for k in 0..LANES {
        let (sa, sb) = scales[k / 16];
        let a = decode_elem(i.a_fmt, i.a[k]);
        let b = decode_elem(i.b_fmt, i.b[k]);
        let neg = a.neg ^ b.neg;
        let nan = [a.class, b.class, sa.class, sb.class].contains(&Class::Nan);
        let zero = [a.class, b.class, sa.class, sb.class].contains(&Class::Zero);
        let inf = a.class == Class::Inf || b.class == Class::Inf;
        r.flags.nan |= nan || (inf && zero);
        if !nan && inf && !zero {
            if neg {
                r.flags.ninf = true;
            } else {
                r.flags.pinf = true;
            }
        }
        let finite = !nan && !inf && !zero;
        // Zero terms carry their sign for the all-zero case; Inf/NaN lanes count as not
        // negative-zero (the flags decide the result then anyway).
        r.negz &= zero && !nan && !inf && neg;
        r.neg[k] = neg;
        r.nz[k] = finite;
        if finite {
            // 8x8 element multiplier (14 fraction bits), 4x4 scale multiplier (6), 16x8.
            r.mag[k] = a.sig * b.sig * (sa.sig * sb.sig);
            r.exp[k] = a.exp + b.exp + sa.exp + sb.exp;
        }
    }
    r
}

/// The `ALN` stage: maximum exponent over non-zero terms, then each term shifted right by
/// its distance to it and truncated to the window.
pub fn align_stage(s: &MulRegs) -> AlignRegs {
    let emax = (0..LANES)
        .filter(|&k| s.nz[k])
        .map(|k| s.exp[k])
        .max()
        .unwrap_or(0);
    let term = std::array::from_fn(|k| {
        if !s.nz[k] {
            return 0;
        }
        let d = (emax - s.exp[k]) as u32;
        let wide = (s.mag[k] as u64) << (WINDOW - TERM_FRAC);
        let m = if d >= ALIGN_BITS { 0 } else { wide >> d } as i64;
        if s.neg[k] {
            -m
        } else {
            m
        }
    });
    AlignRegs {
        ctrl: s.ctrl,
        term,
        emax,
        negz: s.negz,
        flags: s.flags,
    }
}

/// The `ADD` stage: the exact sum of the 32 aligned terms.
pub fn add_stage(s: &AlignRegs) -> SumRegs {
    SumRegs {
        ctrl: s.ctrl,
        sum: s.term.iter().sum(),
        emax: s.emax,
        negz: s.negz,
        flags: s.flags,
    }
}

/// C as the accumulator's starting value, and its flags.
pub fn acc_from_f32(c: u32) -> (Acc, Flags) {
    let neg = c >> 31 == 1;
    let e = ((c >> 23) & 0xff) as i32;
    let f = (c & 0x7f_ffff) as u64;
    let mut fl = Flags::default();
    match e {
        0xff if f != 0 => fl.nan = true,
        0xff => {
            fl.pinf = !neg;
            fl.ninf = neg;
        }
        _ => {}
    }
    let (sig, lsb_exp) = match e {
        0xff => (0, 0),
        0 => (f, -149),
        _ => (f | 1 << 23, e - 150),
    };
    (normalise(neg, sig, lsb_exp), fl)
}

/// `sig * 2^lsb_exp` (sig < 2^48) as a normalised [`Acc`]; exact.
fn normalise(neg: bool, sig: u64, lsb_exp: i32) -> Acc {
    if sig == 0 {
        return Acc {
            neg,
            exp: 0,
            sig: 0,
        };
    }
    let p = 63 - sig.leading_zeros() as i32;
    Acc {
        neg,
        exp: lsb_exp + p,
        sig: sig << (ACC_BITS as i32 - 1 - p),
    }
}

/// Guard bits below the accumulator's last bit during the add (the lowest is the sticky).
const GUARD: u32 = 3;

/// `RO(x + y)` to 48 bits: the accumulator adder. Exact zero sums are +0 unless both are -0.
pub fn acc_add(x: Acc, y: Acc) -> Acc {
    if y.sig == 0 {
        return if x.sig == 0 {
            Acc {
                neg: x.neg && y.neg,
                exp: 0,
                sig: 0,
            }
        } else {
            x
        };
    }
    if x.sig == 0 {
        return y;
    }
    // Big operand first (by exponent, then significand).
    let (b, s) = if (x.exp, x.sig) >= (y.exp, y.sig) {
        (x, y)
    } else {
        (y, x)
    };
    let d = (b.exp - s.exp) as u32;
    let bw = b.sig << GUARD;
    // The small operand, shifted, its lost bits ORed into the last guard bit (round to odd at
    // the guard position: enough for truncation at any position above it, see the spec).
    let full = s.sig << GUARD;
    let (sw, lost) = if d >= ACC_BITS + GUARD {
        (0, true)
    } else {
        (full >> d, full & ((1u64 << d) - 1) != 0)
    };
    let sw = sw | lost as u64;
    let r = if b.neg == s.neg { bw + sw } else { bw - sw };
    if r == 0 {
        return Acc {
            neg: false,
            exp: 0,
            sig: 0,
        };
    }
    // r has its leading one at bit ACC_BITS + GUARD (carry) or at most a few bits lower.
    let p = 63 - r.leading_zeros() as i32;
    let top = ACC_BITS as i32 + GUARD as i32 - 1; // where b's leading one sits
    let exp = b.exp + (p - top);
    let sh = p - (ACC_BITS as i32 - 1);
    let sig = if sh > 0 {
        let kept = r >> sh;
        kept | (r & ((1u64 << sh) - 1) != 0) as u64
    } else {
        // Cancellation by more than GUARD bits: only when d <= 1, where nothing was lost.
        r << (-sh)
    };
    Acc {
        neg: b.neg,
        exp,
        sig,
    }
}

/// The beat sum as an accumulator-format value (exact: |sum| < 2^41).
pub fn beat_value(s: &SumRegs) -> Acc {
    normalise(
        s.sum < 0 || (s.sum == 0 && s.negz),
        s.sum.unsigned_abs(),
        s.emax - WINDOW as i32,
    )
}

/// The `ACC` stage: next accumulator state.
pub fn acc_stage(q: &AccRegs, s: &SumRegs) -> AccRegs {
    if !s.ctrl.valid {
        return AccRegs { done: false, ..*q };
    }
    let (base, base_flags) = if s.ctrl.first {
        acc_from_f32(s.ctrl.c)
    } else {
        (q.acc, q.flags)
    };
    AccRegs {
        acc: acc_add(base, beat_value(s)),
        flags: base_flags.or(s.flags),
        done: s.ctrl.last,
    }
}

/// The `RND` stage: the finished accumulator rounded to FP32 (RNE, subnormals, overflow to
/// Inf), or the special value its flags call for.
pub fn round_f32(a: &Acc, fl: Flags) -> u32 {
    if fl.nan || (fl.pinf && fl.ninf) {
        return 0x7fc0_0000;
    }
    if fl.pinf {
        return 0x7f80_0000;
    }
    if fl.ninf {
        return 0xff80_0000;
    }
    let s = (a.neg as u32) << 31;
    if a.sig == 0 {
        return s;
    }
    let be = a.exp + 127; // biased exponent if normal
                          // Bits to drop from the 48-bit significand: 24 for a normal, more for a subnormal.
    let drop = if be >= 1 { 24 } else { (24 + 1 - be).min(50) } as u32;
    let (kept, half, rest) = if drop >= 49 {
        (0, false, true)
    } else {
        let kept = a.sig >> drop;
        let half = (a.sig >> (drop - 1)) & 1 == 1;
        let rest = a.sig & ((1u64 << (drop - 1)) - 1) != 0;
        (kept, half, rest)
    };
    let up = half && (rest || kept & 1 == 1);
    let m = kept + up as u64; // may carry into the next binade; the packing absorbs it
    let field = be.max(1) as u64 - 1; // exponent field minus the hidden bit's contribution
    let bits = (field << 23) + m;
    if bits >= 0xff << 23 {
        return s | 0x7f80_0000;
    }
    s | bits as u32
}

impl CycleModel {
    pub fn new() -> CycleModel {
        CycleModel::default()
    }

    /// One clock: returns the outputs during the cycle in which `i` is driven (they are
    /// registered, so they do not depend on `i`), then takes the rising edge.
    pub fn step(&mut self, i: &Inputs) -> Outputs {
        if i.rst {
            // Asynchronous reset: every register (outputs included) reads zero while held.
            *self = CycleModel::default();
            return Outputs::default();
        }
        let out = self.out;
        let out_d = if self.acc.done {
            Outputs {
                valid: true,
                d: round_f32(&self.acc.acc, self.acc.flags),
            }
        } else {
            Outputs {
                valid: false,
                d: self.out.d,
            }
        };
        let acc_d = acc_stage(&self.acc, &self.s3);
        let s3_d = add_stage(&self.s2);
        let s2_d = align_stage(&self.s1);
        let s1_d = mul_stage(i);
        self.out = out_d;
        self.acc = acc_d;
        self.s3 = s3_d;
        self.s2 = s2_d;
        self.s1 = s1_d;
        out
    }
}

/// The format table as SystemVerilog: the body of `FmtTable` in `rtl/mx_pkg.sv`, one row per
/// [`crate::FORMATS`] entry, highest index first (packed array order). The RTL has no other
/// copy of the formats; `model/tests/cycle.rs` checks the committed package holds this text.
pub fn sv_format_table() -> String {
    use crate::format::{Specials, FORMATS};
    let mut s = String::new();
    // The RTL takes the MX formats, the table's first rows.
    for (k, f) in FORMATS.iter().enumerate().rev().filter(|(_, f)| f.mx) {
        let sp = match f.specials {
            Specials::None => "SpNone",
            Specials::NanAllOnes => "SpNanAllOnes",
            Specials::Ieee => "SpIeee",
            Specials::Fnuz => unreachable!("no MX format is FNUZ"),
        };
        let sep = if k == 0 { "" } else { "," };
        s += &format!(
            "    {{1'b{}, 1'b{}, 4'd{}, 3'd{}, 8'd{}, 1'b{}, {sp}}}{sep} // {k}: {}\n",
            (f.kind == crate::format::Kind::Int) as u8,
            f.signed as u8,
            f.exp_bits,
            f.man_bits,
            f.bias,
            f.subnormals as u8,
            f.name
        );
    }
    s
}
