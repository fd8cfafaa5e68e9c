//! Seeded random beat streams for the unit: the stimulus of the property tests, of
//! `mxref sim --random` and of the RTL co-simulation. Deterministic for a seed (SplitMix64),
//! so a failing run is replayed from the seed it printed.

use super::{Inputs, LANES};
use crate::format::{Class, FormatId};

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant for stimulus).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// What kind of streams to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StimConfig {
    /// Let the formats change between beats of one dot product (the hardware allows it; a
    /// single `Dot::eval` cannot express such a dot).
    pub mixed_formats: bool,
    /// Most beats per dot product.
    pub max_beats: u32,
    /// Element formats to draw from: bit i allows `a_fmt`/`b_fmt` code i (the RTL's
    /// `ElemFmts` parameter), e.g. `0b000011` for an FP8-only build.
    pub elements: u8,
    /// Draw NVFP4 beats (the RTL's `Nvfp4` parameter).
    pub nvfp4: bool,
    /// Drive the bits the unit ignores with random junk: element bits above the format's
    /// width and bit 7 of UE4M3 scales (off by default: the streams stay valid `Dot` input).
    pub junk: bool,
}

impl Default for StimConfig {
    fn default() -> Self {
        StimConfig {
            mixed_formats: false,
            max_beats: 4,
            elements: 0b11_1111,
            nvfp4: true,
            junk: false,
        }
    }
}

const ELEMENTS: [FormatId; 6] = [
    FormatId::E4m3,
    FormatId::E5m2,
    FormatId::E2m3,
    FormatId::E3m2,
    FormatId::E2m1,
    FormatId::Int8,
];

fn element_code(r: &mut Rng, f: FormatId, specials: bool) -> u8 {
    let fmt = f.format();
    let code = r.below(fmt.codes()) as u32;
    let class = fmt.decode_unchecked(code).class;
    if matches!(class, Class::Nan | Class::Inf) && !specials {
        return 0;
    }
    code as u8
}

fn scale_code(r: &mut Rng, nvfp4: bool, specials: bool) -> u8 {
    if specials && r.chance(1, 8) {
        return if nvfp4 { 0x7f } else { 0xff };
    }
    if nvfp4 {
        if r.chance(1, 16) {
            0
        } else {
            r.below(0x7f) as u8
        }
    } else if r.chance(1, 8) {
        r.below(255) as u8
    } else {
        (127 + r.below(21) as i64 - 10) as u8
    }
}

fn c_code(r: &mut Rng) -> u32 {
    let sign = (r.below(2) as u32) << 31;
    match r.below(100) {
        0..=24 => sign,
        25..=69 => sign | ((127 + r.below(41) as u32 - 20) << 23) | (r.below(1 << 23) as u32),
        70..=84 => r.next_u64() as u32,
        85..=89 => sign | r.below(1 << 23) as u32,
        90..=95 => sign | 0x7f80_0000,
        _ => 0x7f80_0000 | (1 + r.below((1 << 23) - 1) as u32),
    }
}

/// Random values in every input bit the unit must ignore.
fn add_junk(r: &mut Rng, i: &mut Inputs) {
    for (codes, port) in [(&mut i.a, i.a_fmt), (&mut i.b, i.b_fmt)] {
        // Reserved format codes ignore every lane bit: junk all eight.
        let width = port.format().map_or(0, |f| f.format().bits());
        for c in codes.iter_mut() {
            if width < 8 {
                *c |= (r.next_u64() as u8) << width;
            }
        }
    }
    if i.nvfp4 {
        for s in i.sa.iter_mut().chain(i.sb.iter_mut()) {
            *s |= (r.below(2) as u8) << 7;
        }
    }
}

/// One beat of a dot product (not its control bits).
fn beat(r: &mut Rng, a_fmt: FormatId, b_fmt: FormatId, nvfp4: bool) -> Inputs {
    let specials = r.chance(1, 16);
    let mut i = Inputs {
        valid: true,
        a_fmt: a_fmt.into(),
        b_fmt: b_fmt.into(),
        nvfp4,
        ..Inputs::default()
    };
    for k in 0..LANES {
        i.a[k] = element_code(r, a_fmt, specials);
        i.b[k] = element_code(r, b_fmt, specials);
    }
    // Sparse beats: many zero lanes (exercises the zero exclusion and -0 rules).
    if r.chance(1, 8) {
        for k in 0..LANES {
            if r.chance(3, 4) {
                i.a[k] &= 0x80;
            }
        }
    }
    // Cancelling beats: the upper half repeats the lower half negated, so exact and
    // truncated cancellation both happen.
    if r.chance(1, 8) {
        let sign = |f: FormatId| (1u32 << (f.format().bits() - 1)) as u8;
        for k in 0..LANES / 2 {
            i.a[k + 16] = if a_fmt == FormatId::Int8 {
                (i.a[k] as i8).wrapping_neg() as u8
            } else {
                i.a[k] ^ sign(a_fmt)
            };
            i.b[k + 16] = i.b[k];
        }
    }
    // Zero beats whose products are all -0 (C = -0 then gives D = -0), sometimes with one +0
    // lane spoiling it: the sign-of-zero rule needs correlated signs random codes never have.
    if r.chance(1, 16) {
        let sign = |f: FormatId| (1u32 << (f.format().bits() - 1)) as u8;
        let (zero_a, other) = if a_fmt != FormatId::Int8 {
            (true, b_fmt)
        } else {
            (false, a_fmt)
        };
        if !(a_fmt == FormatId::Int8 && b_fmt == FormatId::Int8) {
            for k in 0..LANES {
                // The zero operand is -0, the other one non-negative.
                let (z, o) = if zero_a {
                    (&mut i.a[k], &mut i.b[k])
                } else {
                    (&mut i.b[k], &mut i.a[k])
                };
                *z = sign(if zero_a { a_fmt } else { b_fmt });
                *o &= !sign(other);
            }
            if r.chance(1, 2) {
                let k = r.below(LANES as u64) as usize;
                if zero_a {
                    i.a[k] = 0;
                } else {
                    i.b[k] = 0;
                }
            }
        }
    }
    for s in 0..2 {
        i.sa[s] = scale_code(r, nvfp4, specials);
        i.sb[s] = scale_code(r, nvfp4, specials);
    }
    if !nvfp4 {
        // The second scale lane is unused without NVFP4; keep it varied to prove that.
        i.sa[1] = r.next_u64() as u8;
        i.sb[1] = r.next_u64() as u8;
    }
    i
}

/// A random stream of about `cycles` cycles: dot products of 1..=max_beats beats, with
/// bubbles between and inside them, formats and scaling chosen per dot (or per beat).
pub fn random_stream(seed: u64, cycles: usize, cfg: StimConfig) -> Vec<Inputs> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(cycles + 8);
    while out.len() < cycles {
        for _ in 0..[0, 0, 0, 1, 2, 3][r.below(6) as usize] {
            let mut bubble = Inputs::default();
            // Bubbles carry junk on the data ports: valid_i low must ignore it.
            bubble.a[0] = r.next_u64() as u8;
            bubble.first = r.chance(1, 4);
            bubble.last = r.chance(1, 4);
            out.push(bubble);
        }
        let n = 1 + r.below(cfg.max_beats as u64) as u32;
        let allowed: Vec<FormatId> = (0..ELEMENTS.len())
            .filter(|&k| cfg.elements >> k & 1 == 1)
            .map(|k| ELEMENTS[k])
            .collect();
        assert!(!allowed.is_empty(), "StimConfig::elements allows no format");
        let pick = |r: &mut Rng| allowed[r.below(allowed.len() as u64) as usize];
        let nv = |r: &mut Rng| cfg.nvfp4 && r.chance(1, 4);
        let (mut a_fmt, mut b_fmt, mut nvfp4) = (pick(&mut r), pick(&mut r), nv(&mut r));
        let c = c_code(&mut r);
        for k in 0..n {
            if cfg.mixed_formats && k > 0 && r.chance(1, 2) {
                (a_fmt, b_fmt, nvfp4) = (pick(&mut r), pick(&mut r), nv(&mut r));
            }
            let mut i = beat(&mut r, a_fmt, b_fmt, nvfp4);
            if cfg.junk {
                add_junk(&mut r, &mut i);
            }
            i.first = k == 0;
            i.last = k + 1 == n;
            i.c = if k == 0 { c } else { r.next_u64() as u32 };
            out.push(i);
            if k + 1 < n && r.chance(1, 6) {
                out.push(Inputs::default());
            }
        }
    }
    out
}
