//! MX dot products: D = C + sum_k scale_a[k] * scale_b[k] * sum_{i in block k} a_i * b_i,
//! computed bit-exactly under a [`Numerics`] description.
//!
//! Usage: build a [`Dot`] once per (formats, block size, numerics) and call [`Dot::eval`] in
//! the loop; it allocates nothing per call.

use crate::add::Term;
use crate::elem::{self, Elem, PairTable, Table, F_INF, F_NAN};
use crate::format::{decode_f32, Class, FormatId, Role};
use crate::numerics::{Align, GroupLayout, Numerics, ScaleApply, ShiftedOut, ZeroSign};
use crate::round::{self, Raw, Round, Rounded, Target};
use crate::wide::Wide;
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
    ta: &'static Table,
    tb: &'static Table,
    ts: &'static Table,
    out: Target,
    acc: Option<Target>,
    exact: bool,
    /// Products of two `ival`s summed over a block fit an i64.
    narrow: bool,
    /// Products of the two element formats, for windowed nominal groups (dot/hw.rs); `None`
    /// where that path does not apply.
    pair: Option<&'static PairTable>,
    pair_layout: hw::PairLayout,
    /// The pair-table cut fits 32-bit lanes: truncation, no scale significands, cut products
    /// below 2^31, and a group's positive (and negative) ones summing below 2^32.
    pair32: bool,
    /// The value reaching the output rounding (accumulator, or FP32 outer sum with
    /// promotion) is always one of the output format, so that rounding is the identity.
    out_holds_total: bool,
    /// Take the general i128 path everywhere (tests compare it with the fast paths).
    force_generic: bool,
    /// The pair-table path runs its AVX2 form (dot/hw/simd.rs): set only where the CPU has
    /// AVX2, cleared by [`Dot::force_portable`].
    simd: bool,
    /// The SIMD form looks the pair table up by `vpgatherdd` (else by scalar loads, each
    /// interleaved group packed apart): see [`gather_is_fast`].
    gather: bool,
}

fn invalid(field: &'static str, msg: impl Into<String>) -> DotError {
    DotError::Invalid {
        field,
        msg: msg.into(),
    }
}

/// Whether the CPU running us has AVX2 (the SIMD form of the pair-table path).
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the SIMD pair-table path should gather (a choice per CPU family, by vendor, made
/// once): AMD cores (Zen, and Hygon's) run `vpgatherdd` as a long microcoded sequence, and
/// there eight scalar loads per vector are faster (`hopper-mma-fp8` about 8%, measured on
/// the Zen 5 dev machine); on Intel cores the gather measured faster (docs/benchmarks.md).
/// Both forms give the same bits (tests run both, [`Dot::force_gather`]).
fn gather_is_fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static FAST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *FAST.get_or_init(|| {
            // Leaf 0: the vendor string in EBX, EDX, ECX.
            #[allow(unused_unsafe)]
            let r = unsafe { std::arch::x86_64::__cpuid(0) };
            let v = [r.ebx, r.edx, r.ecx].map(u32::to_le_bytes).concat();
            !(v == b"AuthenticAMD" || v == b"HygonGenuine")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Exponent offset of a scale: value = sig * 2^(e - man_bits).
#[inline(always)]
fn scale_lsb(t: &Table, s: Elem) -> i32 {
    s.e - t.man_bits as i32
}

impl Dot {
    /// Check the shape and numerics fit together and prepare the tables.
    pub fn new(spec: DotSpec, numerics: &Numerics) -> Result<Dot, DotError> {
        for (field, id, role) in [
            ("a_fmt", spec.a_fmt, Role::Element),
            ("b_fmt", spec.b_fmt, Role::Element),
            ("scale_fmt", spec.scale_fmt, Role::Scale),
        ] {
            if id.format().role != role {
                let want = if role == Role::Element {
                    "an element format"
                } else {
                    "a scale format (e8m0, ue4m3, ue5m3)"
                };
                return Err(invalid(field, format!("{id} is not {want}")));
            }
        }
        if spec.block == 0 {
            return Err(invalid("block", "must be at least 1"));
        }
        numerics.validate().map_err(|m| invalid("numerics", m))?;
        let n = numerics;
        if matches!(n.scale, ScaleApply::BlockSum)
            && n.group != 0
            && !n.group.is_multiple_of(spec.block)
        {
            return Err(invalid(
                "block",
                format!(
                    "numerics scale 'block_sum' needs group ({}) to be a multiple of block ({})",
                    n.group, spec.block
                ),
            ));
        }
        if let Some(c) = n.block_sum_chunk {
            if !spec.block.is_multiple_of(c) {
                return Err(invalid(
                    "block",
                    format!(
                        "numerics block_sum_chunk ({c}) must divide block ({})",
                        spec.block
                    ),
                ));
            }
        }
        if n.scale == ScaleApply::Promote && n.promote.map(|p| p.every) != Some(spec.block) {
            return Err(invalid(
                "block",
                format!(
                    "numerics scale 'promote' needs promote.every equal to block ({})",
                    spec.block
                ),
            ));
        }
        let (ta, tb) = match n.input_format {
            None => (elem::table(spec.a_fmt), elem::table(spec.b_fmt)),
            Some(to) => {
                let conv = |id: FormatId, field| {
                    elem::table_as(id, to).ok_or_else(|| {
                        invalid(
                            field,
                            format!("{id} does not convert exactly to input_format {to}"),
                        )
                    })
                };
                (conv(spec.a_fmt, "a_fmt")?, conv(spec.b_fmt, "b_fmt")?)
            }
        };
        let out = n.output.target().expect("validated: output is finite");
        // i64 block sums when |a|*|b|*block < 2^63.
        let lg = usize::BITS - spec.block.leading_zeros();
        let sum_bits = ta.ival_bits.saturating_add(tb.ival_bits).saturating_add(lg);
        let narrow = sum_bits < 63;
        // The fast path needs block sums (times two 4-bit scale significands) in an i128.
        let fast = sum_bits < 118;
        // 'block_sum' takes the same i128 block sums (dot/hw.rs): formats whose values do not
        // fit (bf16, tf32: no integer table) would index an empty table or sum zeros.
        if n.scale == ScaleApply::BlockSum && !fast {
            return Err(invalid(
                "numerics",
                format!(
                    "scale 'block_sum' sums each block exactly in 128 bits; {} x {} blocks of {} do not fit (use scale 'product')",
                    spec.a_fmt, spec.b_fmt, spec.block
                ),
            ));
        }
        // The pair-table path (dot/hw.rs): nominal alignment, products scaled by exponent (or
        // unscaled with 'promote'), and every group inside one block (one scale product),
        // spanning <= PAIR_BUF positions, its cut sum in an i64 (products < 2^(w+4)).
        let bs = spec.block;
        let (in_block, span, products) = match n.group_layout {
            GroupLayout::Contiguous => {
                (n.group != 0 && bs.is_multiple_of(n.group), n.group, n.group)
            }
            GroupLayout::Interleaved { span, .. } => {
                (span <= bs && bs.is_multiple_of(span), span, span)
            }
        };
        let pair = match n.window_bits {
            Some(w)
                if in_block
                    && (1..=hw::PAIR_BUF).contains(&span)
                    && w + 4 + (usize::BITS - products.leading_zeros()) <= 62
                    && n.align == Align::Nominal
                    && matches!(n.scale, ScaleApply::Product | ScaleApply::Promote) =>
            {
                elem::pair_table(ta, tb, n.flush_subnormal_inputs)
            }
            _ => None,
        };
        Ok(Dot {
            spec,
            numerics: n.clone(),
            ta,
            tb,
            ts: elem::table(spec.scale_fmt),
            out,
            acc: n.acc.target(),
            exact: n.is_exact() && fast,
            narrow,
            pair,
            pair_layout: hw::PairLayout::new(n.group_layout),
            pair32: pair.is_some_and(|pt| {
                let w = n.window_bits.unwrap_or(u32::MAX) as i64;
                let l = (w - (ta.man_bits + tb.man_bits) as i64).max(0);
                let unscaled = spec.scale_fmt == FormatId::E8m0 || n.scale == ScaleApply::Promote;
                // A cut product is at most pmax << l; the positive and the negative ones are
                // summed apart, each in a u32.
                let top = (pt.pmax as u64) << l.min(40);
                unscaled
                    && n.shifted_out == ShiftedOut::Truncate
                    && top < 1 << 31
                    && top.saturating_mul(products as u64) < 1 << 32
            }),
            out_holds_total: match n.promote {
                None => n.acc.target() == Some(out) && n.acc.subnormals == n.output.subnormals,
                Some(_) => out == Target::FP32 && n.output.subnormals,
            },
            force_generic: false,
            simd: pair.is_some() && has_avx2(),
            gather: gather_is_fast(),
        })
    }

    /// Use only the general (i128 / wide accumulator) code paths: for tests that check the
    /// fast paths against it. Results are identical by design.
    #[doc(hidden)]
    pub fn force_generic(mut self) -> Dot {
        self.force_generic = true;
        self.exact = false;
        self.pair = None;
        self.simd = false;
        self
    }

    /// Use the portable form of every fast path (no AVX2): for tests that check the SIMD
    /// forms against it on an AVX2 machine. Results are identical by design.
    #[doc(hidden)]
    pub fn force_portable(mut self) -> Dot {
        self.simd = false;
        self
    }

    /// Choose the SIMD look-up form: gathers (`true`) or scalar loads (`false`), whichever
    /// the CPU family does not get by default: for tests that check both. Results are
    /// identical by design.
    #[doc(hidden)]
    pub fn force_gather(mut self, gather: bool) -> Dot {
        self.gather = gather;
        self
    }

    /// Whether the SIMD form looks the pair table up by gathers ([`Dot::force_gather`]).
    #[doc(hidden)]
    pub fn gathers(&self) -> bool {
        self.gather
    }

    /// Whether this evaluator runs the AVX2 form of its fast path.
    #[doc(hidden)]
    pub fn uses_simd(&self) -> bool {
        self.simd
    }

    pub fn spec(&self) -> &DotSpec {
        &self.spec
    }

    pub fn numerics(&self) -> &Numerics {
        &self.numerics
    }

    /// Evaluate one dot product; returns D as FP32 bits. Errors only on malformed operands
    /// (lengths, codes out of range).
    pub fn eval(&self, ops: &Operands) -> Result<u32, DotError> {
        self.check(ops)?;
        let c = decode_f32(ops.c);
        let flags = self.special_flags(ops);
        if flags != 0 || matches!(c.class, Class::Nan | Class::Inf) {
            let s = self.special(ops);
            return Ok(if self.exact {
                s
            } else {
                self.inf_after_overflow(ops, s)
            });
        }
        let r = if self.exact {
            self.exact_dot(ops)
        } else {
            self.hw_dot(ops, &mut NoTrace)
        };
        Ok(match r {
            Out::Bits(b) => b,
            Out::Zero => self.zero_bits(ops),
        })
    }

    /// Evaluate one dot product and record every step. `exact` is explained through the
    /// generic engine (one group, unbounded window, exact accumulator), which computes the same
    /// function as its fast path (tested); the result is checked against [`Dot::eval`].
    pub fn explain(&self, ops: &Operands) -> Result<Explanation, DotError> {
        let d = self.eval(ops)?;
        let c = decode_f32(ops.c);
        let mut steps = Vec::new();
        let special = self.special_flags(ops) != 0 || matches!(c.class, Class::Nan | Class::Inf);
        if special {
            return Ok(Explanation { steps, special, d });
        }
        // The traced run's own result is reported, so a divergence from `eval` is visible
        // (tests assert they agree).
        let traced = match self.hw_dot(ops, &mut steps) {
            Out::Bits(b) => b,
            Out::Zero => self.zero_bits(ops),
        };
        Ok(Explanation {
            steps,
            special,
            d: traced,
        })
    }

    fn check(&self, ops: &Operands) -> Result<(), DotError> {
        let k = ops.a.len();
        if ops.b.len() != k {
            return Err(invalid(
                "b",
                format!("has {} elements but a has {k}", ops.b.len()),
            ));
        }
        if !k.is_multiple_of(self.spec.block) {
            return Err(invalid(
                "a",
                format!(
                    "length {k} is not a multiple of the block size {}",
                    self.spec.block
                ),
            ));
        }
        let nb = k / self.spec.block;
        for (field, s) in [("sa", ops.sa), ("sb", ops.sb)] {
            if s.len() != nb {
                return Err(invalid(
                    field,
                    format!("has {} scales but there are {nb} blocks", s.len()),
                ));
            }
        }
        for (field, codes, t) in [
            ("a", ops.a, self.ta),
            ("b", ops.b, self.tb),
            ("sa", ops.sa, self.ts),
            ("sb", ops.sb, self.ts),
        ] {
            // Code counts are powers of two: one OR finds any code out of range.
            if codes.iter().fold(0, |m, &c| m | c) as u64 >= t.codes {
                let (i, c) = codes
                    .iter()
                    .enumerate()
                    .find(|(_, &c)| c as u64 >= t.codes)
                    .unwrap();
                return Err(invalid(
                    field,
                    format!(
                        "[{i}] = {c} is out of range for {} (0..{})",
                        t.id,
                        t.codes - 1
                    ),
                ));
            }
        }
        if self.numerics.group == 0
            && !self.exact
            && self.numerics.window_bits.is_some()
            && k > 1 << 16
        {
            return Err(invalid(
                "a",
                "a single windowed group holds at most 65536 products",
            ));
        }
        Ok(())
    }

    fn special_flags(&self, ops: &Operands) -> u8 {
        if !(self.ta.may_have_special(ops.a)
            || self.tb.may_have_special(ops.b)
            || self.ts.may_have_special(ops.sa)
            || self.ts.may_have_special(ops.sb))
        {
            return 0;
        }
        let mut f = 0u8;
        for (&a, &b) in ops.a.iter().zip(ops.b) {
            f |= self.ta.get(a).flags | self.tb.get(b).flags;
        }
        for (&a, &b) in ops.sa.iter().zip(ops.sb) {
            f |= self.ts.get(a).flags | self.ts.get(b).flags;
        }
        f
    }

    /// NaN and Inf inputs: NaN anywhere, Inf*0 or +Inf + -Inf give NaN; else Inf propagates.
    fn special(&self, ops: &Operands) -> u32 {
        let nan = self.numerics.nan_bits;
        let c = decode_f32(ops.c);
        let (mut pos, mut neg) = (false, false);
        match c.class {
            Class::Nan => return nan,
            Class::Inf => {
                if c.neg {
                    neg = true
                } else {
                    pos = true
                }
            }
            _ => {}
        }
        let bs = self.spec.block;
        for (i, (&a, &b)) in ops.a.iter().zip(ops.b).enumerate() {
            let f = [
                self.ta.get(a),
                self.tb.get(b),
                self.ts.get(ops.sa[i / bs]),
                self.ts.get(ops.sb[i / bs]),
            ];
            if f.iter().any(|e| e.flags & F_NAN != 0) {
                return nan;
            }
            let inf = f.iter().any(|e| e.flags & F_INF != 0);
            let zero = f.iter().any(|e| e.flags == 0 && e.sig == 0);
            if inf && zero {
                return nan;
            }
            if inf {
                if f.iter().filter(|e| e.neg).count() % 2 == 1 {
                    neg = true
                } else {
                    pos = true
                }
            }
        }
        match (pos, neg) {
            (true, true) => nan,
            (true, false) => 0x7f80_0000,
            (false, true) => 0xff80_0000,
            // Only NaN scales can bring us here without Inf, and they returned above.
            (false, false) => nan,
        }
    }

    /// Sign of an exactly-zero result: -0 only if C and every product are -0 (IEEE 754
    /// addition of zeros under every rounding but toward -Inf); otherwise +0.
    fn zero_bits(&self, ops: &Operands) -> u32 {
        let c = decode_f32(ops.c);
        if !(c.class == Class::Zero && c.neg) || self.numerics.zero_sign == ZeroSign::Plus {
            return 0;
        }
        let bs = self.spec.block;
        for (i, (&a, &b)) in ops.a.iter().zip(ops.b).enumerate() {
            let f = [
                self.ta.get(a),
                self.tb.get(b),
                self.ts.get(ops.sa[i / bs]),
                self.ts.get(ops.sb[i / bs]),
            ];
            let zero = f.iter().any(|e| e.sig == 0)
                || (self.numerics.flush_subnormal_inputs && (f[0].subnormal || f[1].subnormal));
            let negp = f.iter().filter(|e| e.neg).count() % 2 == 1;
            if !zero || !negp {
                return 0;
            }
        }
        0x8000_0000
    }

    /// Sum of one block's products in units of 2^(qa + qb), exactly. Table formats only
    /// (the fast path is chosen only for them).
    #[inline(always)]
    fn block_sum(&self, a: &[u32], b: &[u32]) -> i128 {
        if let (true, Some(ia), Some(ib)) = (self.narrow, self.ta.ival256(), self.tb.ival256()) {
            // 256-entry tables indexed by a u8: no bounds checks (codes were range-checked).
            let mut s = 0i64;
            for (&x, &y) in a.iter().zip(b) {
                s += ia[x as u8 as usize] * ib[y as u8 as usize];
            }
            return s as i128;
        }
        if self.narrow {
            let mut s = 0i64;
            for (&x, &y) in a.iter().zip(b) {
                s += self.ta.entries[x as usize].ival * self.tb.entries[y as usize].ival;
            }
            s as i128
        } else {
            let mut s = 0i128;
            for (&x, &y) in a.iter().zip(b) {
                s += self.ta.entries[x as usize].ival as i128
                    * self.tb.entries[y as usize].ival as i128;
            }
            s
        }
    }

    /// `exact`: every product and C summed exactly, rounded once.
    fn exact_dot(&self, ops: &Operands) -> Out {
        let bs = self.spec.block;
        let q = self.ta.qmin + self.tb.qmin;
        let nb = ops.a.len() / bs;
        let c = decode_f32(ops.c);
        let mut acc = Small::default();
        if c.class == Class::Finite {
            acc.add(
                if c.neg {
                    -(c.sig as i128)
                } else {
                    c.sig as i128
                },
                c.exp,
            );
        }
        for k in 0..nb {
            let s = self.block_sum(&ops.a[k * bs..(k + 1) * bs], &ops.b[k * bs..(k + 1) * bs]);
            if s == 0 {
                continue;
            }
            let (xa, xb) = (self.ts.get(ops.sa[k]), self.ts.get(ops.sb[k]));
            // Scale significands are < 2^4 each; a block sum is < 2^75: the product fits.
            let v = s * (xa.sig as i128 * xb.sig as i128);
            acc.add(v, q + scale_lsb(self.ts, xa) + scale_lsb(self.ts, xb));
        }
        match acc.raw() {
            None => Out::Zero,
            Some((neg, raw)) => Out::Bits(pack(
                neg,
                round::round(neg, raw, &self.out, self.numerics.output.round),
                &self.out,
                self.numerics.output.subnormals,
            )),
        }
    }
}

/// The steps of one evaluation (see [`Dot::explain`]).
#[derive(Clone, Debug)]
pub struct Explanation {
    pub steps: Vec<Step>,
    /// The inputs hold NaN or Inf: the result follows the special-value rules, no steps.
    pub special: bool,
    /// The result, FP32 bits.
    pub d: u32,
}

/// What the engine produced before the sign-of-zero rule.
enum Out {
    Bits(u32),
    Zero,
}

/// An exact sum that stays in one i128 while the terms' exponents allow and spills into a
/// [`Wide`] accumulator otherwise.
#[derive(Clone, Default)]
struct Small {
    v: i128,
    exp: i32,
    wide: Option<Box<Wide>>,
}

/// Bits of headroom kept free in `Small::v`.
const SMALL_BITS: i32 = 124;

mod hw;
pub mod trace;

pub use hw::TermIn;
use trace::{NoTrace, Step};

fn bits_of(v: i128) -> i32 {
    128 - v.unsigned_abs().leading_zeros() as i32
}

impl Small {
    fn add_term(&mut self, t: Term) {
        let v = t.sig as i128;
        self.add(if t.neg { -v } else { v }, t.lsb);
    }

    fn add_small(&mut self, o: &Small) {
        match &o.wide {
            None => self.add(o.v, o.exp),
            Some(ow) => {
                let mine = std::mem::take(self);
                let mut w = (**ow).clone();
                match mine.wide {
                    Some(mw) => w.add_wide(&mw),
                    None => w.add(mine.v, mine.exp),
                }
                self.wide = Some(Box::new(w));
            }
        }
    }

    #[inline]
    fn add(&mut self, t: i128, e: i32) {
        if t == 0 {
            return;
        }
        if let Some(w) = self.wide.as_mut() {
            w.add(t, e);
            return;
        }
        if self.v == 0 {
            self.v = t;
            self.exp = e;
            return;
        }
        // Bring both to the lower exponent if the result stays inside the headroom.
        let (hi, hi_e, lo, lo_e) = if e >= self.exp {
            (t, e, self.v, self.exp)
        } else {
            (self.v, self.exp, t, e)
        };
        let d = hi_e - lo_e;
        if d < SMALL_BITS && bits_of(hi) + d < SMALL_BITS && bits_of(lo) < SMALL_BITS {
            self.v = (hi << d) + lo;
            self.exp = lo_e;
        } else {
            let mut w = Box::<Wide>::default();
            w.add(self.v, self.exp);
            w.add(t, e);
            self.wide = Some(w);
        }
    }

    fn raw(&self) -> Option<(bool, Raw)> {
        match &self.wide {
            Some(w) => w.to_raw(),
            None if self.v == 0 => None,
            None => Some((
                self.v < 0,
                Raw {
                    sig: self.v.unsigned_abs(),
                    exp: self.exp,
                    sticky: false,
                },
            )),
        }
    }
}

/// Pack a rounding result for the output format into FP32 bits.
fn pack(neg: bool, r: Rounded, t: &Target, subnormals: bool) -> u32 {
    let s = (neg as u32) << 31;
    match r {
        Rounded::Overflow => s | 0x7f80_0000,
        Rounded::Finite { sig, exp, .. } => {
            if sig == 0 {
                return s;
            }
            let is_sub = sig >> t.man_bits == 0;
            if is_sub && !subnormals {
                return s;
            }
            if *t == Target::FP32 {
                return crate::format::pack_f32(neg, r);
            }
            // The value sig * 2^(exp - man_bits) is exactly representable in FP32 because
            // the output format fits inside it (validated).
            let raw = Raw {
                sig: sig as u128,
                exp: exp - t.man_bits as i32,
                sticky: false,
            };
            crate::format::pack_f32(neg, round::round(neg, raw, &Target::FP32, Round::Rne))
        }
    }
}
