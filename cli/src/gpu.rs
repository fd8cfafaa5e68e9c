//! `mxref gpu`: the host side of the GPU cross-check (spec/gpu.md).
//!
//! `gen` writes a seeded vector file of GEMM tiles (random exponents, cancelling pairs, zeros,
//! subnormals, specials, C at extremes); `cuda/mxgpu.py` runs it through a tensor-core path
//! and writes the D bits; `check` evaluates every dot of every tile with the model under a
//! numerics preset and counts the results that differ, bit for bit.
//!
//! Vector file: a 64-byte header `"MXGPUVEC"`, u32 version (1), T, M, N, K, block (0: no
//! scales), then a_fmt, b_fmt, scale_fmt as 8-byte NUL-padded names; then T tiles, each
//! A (M*K codes, row r is the A vector of output row r), B (N*K codes, row c is the B vector of
//! output column c), SA (M*K/block), SB (N*K/block) when block > 0, C (M*N FP32 bits, LE).
//! Result file: `"MXGPURES"`, u32 version, T, M, N, 24-byte path name, padded to 64 bytes,
//! then T*M*N FP32 bits (LE). A code takes 1 byte (formats up to 8 bits: FP8, FP6 and FP4 one
//! code per byte, unpacked; packing for an instruction is the runner's job), 2 (FP16, BF16) or
//! 4 (TF32: the 19-bit code, FP32 bits >> 13); a scale code (E8M0, UE4M3) 1 byte.

use anyhow::{bail, Context, Result};
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::format::{FormatId, Role};
use mxref_model::numerics::{self, Numerics};
use std::io::Write;
use std::path::{Path, PathBuf};

const VEC_MAGIC: &[u8; 8] = b"MXGPUVEC";
const RES_MAGIC: &[u8; 8] = b"MXGPURES";
const HEADER: usize = 64;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand, Debug)]
enum Cmd {
    /// Write a seeded vector file of random GEMM tiles.
    Gen(GenArgs),
    /// Compare a GPU result file with the model, dot for dot, bit for bit.
    Check(CheckArgs),
    /// Write the model's results for a vector file, in the result-file layout.
    Eval(EvalArgs),
}

#[derive(clap::Args, Debug)]
struct EvalArgs {
    #[arg(long)]
    vectors: PathBuf,
    /// A preset name or a numerics JSON file.
    #[arg(long)]
    numerics: String,
    #[arg(short, long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct GenArgs {
    #[arg(long, default_value = "e4m3")]
    a: FormatId,
    #[arg(long, default_value = "e4m3")]
    b: FormatId,
    /// Rows of a tile (outputs share A rows).
    #[arg(long, default_value_t = 16)]
    m: usize,
    /// Columns of a tile.
    #[arg(long, default_value_t = 8)]
    n: usize,
    /// Dot-product length.
    #[arg(long, default_value_t = 32)]
    k: usize,
    #[arg(long, default_value_t = 1000)]
    tiles: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Block size of the scales (0: no scales).
    #[arg(long, default_value_t = 0)]
    block: usize,
    /// Scale format with --block: e8m0 (MX, the default) or ue4m3 (NVFP4).
    #[arg(long)]
    scale: Option<FormatId>,
    /// Largest |scale exponent| drawn for E8M0 (scales 2^-r .. 2^r); other scale formats draw
    /// every finite non-zero code alike.
    #[arg(long, default_value_t = 20)]
    scale_range: u32,
    /// One scale in 8 at an extreme of its format (the two smallest and two largest finite
    /// codes, NaN unless --finite). Off by default so that the recorded FP8 runs' seeds still
    /// give the same vectors.
    #[arg(long)]
    scale_extremes: bool,
    /// Every C is +0 (paths that take no C, such as cuBLASLt here).
    #[arg(long)]
    c_zero: bool,
    /// Every C is an FP16 value (paths with an FP16 C and D, such as wgmma .f16.f16.f16).
    #[arg(long, conflicts_with = "c_zero")]
    c_fp16: bool,
    /// No NaN or Inf operands.
    #[arg(long)]
    finite: bool,
    #[arg(short, long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    #[arg(long)]
    vectors: PathBuf,
    #[arg(long)]
    results: PathBuf,
    /// A preset name or a numerics JSON file.
    #[arg(long)]
    numerics: String,
    /// Mismatches to print in full.
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Also write the summary as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: Args) -> Result<()> {
    match args.cmd {
        Cmd::Gen(a) => gen(a),
        Cmd::Check(a) => check(a),
        Cmd::Eval(a) => eval(a),
    }
}

/// splitmix64: small, seedable, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// Codes of one element format sorted into finite and special, for drawing.
struct Codes {
    finite: Vec<u32>,
    special: Vec<u32>,
    is_finite: Vec<bool>,
    /// Largest positive finite code.
    max_pos: u32,
    sign: u32,
    exp_bits: u32,
    man_bits: u32,
}

impl Codes {
    fn new(id: FormatId) -> Result<Codes> {
        let f = id.format();
        if f.role != Role::Element || f.bits() > 19 {
            bail!("{id}: not an element format of at most 19 bits");
        }
        let (mut finite, mut special) = (vec![], vec![]);
        let mut is_finite = vec![false; f.codes() as usize];
        for c in 0..=f.code_mask() {
            let v = f.decode(c).expect("code in range");
            if matches!(v.class, mxref_model::Class::Nan | mxref_model::Class::Inf) {
                special.push(c);
            } else {
                finite.push(c);
                is_finite[c as usize] = true;
            }
        }
        let sign = 1u32 << (f.exp_bits + f.man_bits);
        let max_pos = *finite.iter().filter(|&&c| c < sign).max().unwrap();
        Ok(Codes {
            finite,
            special,
            is_finite,
            max_pos,
            sign,
            exp_bits: f.exp_bits,
            man_bits: f.man_bits,
        })
    }

    fn zero(&self, r: &mut Rng) -> u32 {
        if r.chance(2) {
            self.sign
        } else {
            0
        }
    }

    /// A finite code with its exponent field in `lo..=hi` (random sign and mantissa).
    fn in_band(&self, r: &mut Rng, lo: u32, hi: u32) -> u32 {
        let top = (1u32 << self.exp_bits) - 1;
        let e = (lo + r.below((hi - lo + 1) as u64) as u32).min(top);
        let m = r.below(1 << self.man_bits) as u32;
        let neg = r.chance(2);
        let code = (e << self.man_bits) | m | if neg { self.sign } else { 0 };
        if self.is_finite[code as usize] {
            code
        } else {
            // The top of the exponent range lands on NaN/Inf: take the largest finite instead.
            self.max_pos | if neg { self.sign } else { 0 }
        }
    }
}

/// Bytes per element code in a vector file: 1 up to 8 bits, 2 up to 16, else 4 (TF32's
/// 19-bit code).
fn width(id: FormatId) -> usize {
    match id.format().bits() {
        0..=8 => 1,
        9..=16 => 2,
        _ => 4,
    }
}

fn put(buf: &mut Vec<u8>, code: u32, w: usize) {
    buf.extend_from_slice(&code.to_le_bytes()[..w]);
}

fn get(buf: &[u8], i: usize, w: usize) -> u32 {
    let mut b = [0u8; 4];
    b[..w].copy_from_slice(&buf[w * i..w * (i + 1)]);
    u32::from_le_bytes(b)
}

struct Header {
    t: usize,
    m: usize,
    n: usize,
    k: usize,
    block: usize,
    a_fmt: FormatId,
    b_fmt: FormatId,
    s_fmt: FormatId,
}

impl Header {
    fn nsb(&self) -> usize {
        self.k.checked_div(self.block).unwrap_or(0)
    }
    fn tile_bytes(&self) -> usize {
        self.m * self.k * width(self.a_fmt)
            + self.n * self.k * width(self.b_fmt)
            + (self.m + self.n) * self.nsb()
            + self.m * self.n * 4
    }
    /// Byte offsets of B, SA, SB and C within a tile.
    fn offsets(&self) -> [usize; 4] {
        let b = self.m * self.k * width(self.a_fmt);
        let sa = b + self.n * self.k * width(self.b_fmt);
        let sb = sa + self.m * self.nsb();
        [b, sa, sb, sb + self.n * self.nsb()]
    }
    fn bytes(&self) -> Vec<u8> {
        let mut h = VEC_MAGIC.to_vec();
        for v in [1, self.t, self.m, self.n, self.k, self.block] {
            h.extend_from_slice(&(v as u32).to_le_bytes());
        }
        for f in [self.a_fmt, self.b_fmt, self.s_fmt] {
            let mut name = f.to_string().into_bytes();
            name.resize(8, 0);
            h.extend_from_slice(&name);
        }
        h.resize(HEADER, 0);
        h
    }
    fn parse(raw: &[u8], path: &Path) -> Result<Header> {
        let p = path.display();
        if raw.len() < HEADER || &raw[..8] != VEC_MAGIC {
            bail!("{p}: not an mxref GPU vector file (no MXGPUVEC header)");
        }
        let u =
            |i: usize| u32::from_le_bytes(raw[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize;
        if u(0) != 1 {
            bail!("{p}: header field version: {} (this build reads 1)", u(0));
        }
        let name = |i: usize, field: &str| -> Result<FormatId> {
            let b = &raw[32 + 8 * i..40 + 8 * i];
            let s = String::from_utf8_lossy(b)
                .trim_end_matches('\0')
                .to_string();
            s.parse::<FormatId>()
                .with_context(|| format!("{p}: header field {field}"))
        };
        let h = Header {
            t: u(1),
            m: u(2),
            n: u(3),
            k: u(4),
            block: u(5),
            a_fmt: name(0, "a_fmt")?,
            b_fmt: name(1, "b_fmt")?,
            s_fmt: if u(5) == 0 {
                FormatId::E8m0
            } else {
                name(2, "scale_fmt")?
            },
        };
        if h.k == 0 || h.m == 0 || h.n == 0 {
            bail!("{p}: header fields M, N, K must be positive");
        }
        if h.block != 0 && !h.k.is_multiple_of(h.block) {
            bail!(
                "{p}: header field block: {} does not divide K = {}",
                h.block,
                h.k
            );
        }
        let want = HEADER + h.t * h.tile_bytes();
        if raw.len() != want {
            bail!("{p}: {} bytes, but the header promises {want}", raw.len());
        }
        Ok(h)
    }
}

fn random_c(r: &mut Rng, finite: bool) -> u32 {
    let s = (r.below(2) as u32) << 31;
    match r.below(16) {
        0 => s,
        1 if !finite => [0x7f80_0000, 0x7fc0_0000, 0x7fa0_0001][r.below(3) as usize] | s,
        2 => s | r.below(0x80_0000) as u32,         // subnormal
        3 => s | (0x7f7f_ffff - r.below(4) as u32), // near FP32 max
        _ => {
            // Exponent near the products' range so C interacts with the alignment.
            let e = (127 - 40 + r.below(80)) as u32;
            s | (e << 23) | r.below(0x80_0000) as u32
        }
    }
}

/// The FP32 bits of FP16 code `h` (exact: every FP16 value is an FP32 value).
fn fp16_as_f32_bits(h: u32) -> u32 {
    let (s, e, m) = ((h >> 15) << 31, (h >> 10) & 31, h & 0x3ff);
    if e == 31 {
        return s | 0x7f80_0000 | (m << 13);
    }
    let v = if e == 0 {
        m as f32 * 2f32.powi(-24)
    } else {
        (1024 + m) as f32 * 2f32.powi(e as i32 - 25)
    };
    s | v.to_bits()
}

/// A random FP16 C: zeros, specials, or any finite code (the whole FP16 range is near the
/// products' range).
fn random_c16(r: &mut Rng, finite: bool) -> u32 {
    let s = (r.below(2) as u32) << 15;
    let h = match r.below(16) {
        0 => s,
        1 if !finite => s | [0x7c00, 0x7e00, 0x7d01][r.below(3) as usize],
        _ => s | r.below(0x7c00) as u32,
    };
    fp16_as_f32_bits(h)
}

/// Scale codes of one scale format, for drawing.
struct ScaleCodes {
    id: FormatId,
    /// Finite codes other than zero, ascending.
    nonzero: Vec<u32>,
    /// The two smallest and two largest finite codes, then the NaN codes.
    extremes: Vec<u32>,
    nans: usize,
}

impl ScaleCodes {
    fn new(id: FormatId) -> Result<ScaleCodes> {
        let f = id.format();
        if f.role != Role::Scale {
            let names: Vec<String> = FormatId::scales().map(|s| s.to_string()).collect();
            bail!("--scale {id}: not a scale format ({})", names.join(", "));
        }
        let (mut finite, mut nonzero, mut nan) = (vec![], vec![], vec![]);
        for c in 0..=f.code_mask() {
            match f.decode(c).expect("code in range").class {
                mxref_model::Class::Nan | mxref_model::Class::Inf => nan.push(c),
                mxref_model::Class::Zero => finite.push(c),
                mxref_model::Class::Finite => {
                    finite.push(c);
                    nonzero.push(c);
                }
            }
        }
        let mut extremes = vec![finite[0], finite[1]];
        extremes.extend_from_slice(&finite[finite.len() - 2..]);
        let nans = nan.len();
        extremes.extend(nan);
        Ok(ScaleCodes {
            id,
            nonzero,
            extremes,
            nans,
        })
    }

    /// One scale code. E8M0 keeps the draw the FP8 runs were recorded with (2^-range ..
    /// 2^range); other formats draw every finite non-zero code alike.
    fn draw(&self, r: &mut Rng, range: u32, extremes: bool, finite: bool) -> u8 {
        if extremes && r.chance(8) {
            let n = self.extremes.len() - if finite { self.nans } else { 0 };
            return self.extremes[r.below(n as u64) as usize] as u8;
        }
        if self.id == FormatId::E8m0 {
            let e = r.below(2 * range as u64 + 1) as i64 - range as i64;
            (127 + e).clamp(1, 254) as u8
        } else {
            self.nonzero[r.below(self.nonzero.len() as u64) as usize] as u8
        }
    }
}

fn gen(a: GenArgs) -> Result<()> {
    let ca = Codes::new(a.a)?;
    let cb = Codes::new(a.b)?;
    if a.k == 0 || a.m == 0 || a.n == 0 || a.tiles == 0 {
        bail!("--m, --n, --k and --tiles must be positive");
    }
    if a.block != 0 && !a.k.is_multiple_of(a.block) {
        bail!("--block {} does not divide --k {}", a.block, a.k);
    }
    if a.block == 0 && (a.scale.is_some() || a.scale_extremes) {
        bail!("--scale and --scale-extremes need scaled blocks (--block > 0)");
    }
    let cs = ScaleCodes::new(a.scale.unwrap_or(FormatId::E8m0))?;
    // A tile is held in memory while it is written: refuse absurd shapes up front instead of
    // aborting on allocation.
    const MAX_TILE: usize = 1 << 30;
    let tile_est = (a.m.checked_add(a.n))
        .and_then(|mn| mn.checked_mul(a.k))
        .and_then(|x| x.checked_mul(4))
        .and_then(|x| x.checked_add(a.m.checked_mul(a.n)?.checked_mul(8)?));
    if tile_est.is_none_or(|b| b > MAX_TILE) {
        bail!(
            "--m {} --n {} --k {}: a tile of more than {MAX_TILE} bytes is not supported",
            a.m,
            a.n,
            a.k
        );
    }
    let h = Header {
        t: a.tiles,
        m: a.m,
        n: a.n,
        k: a.k,
        block: a.block,
        a_fmt: a.a,
        b_fmt: a.b,
        s_fmt: cs.id,
    };
    // Written to a temporary file beside the output and renamed at the end, so a failed run
    // leaves no half-written file.
    let dir = match a.out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".mxref-gpu-")
        .tempfile_in(&dir)
        .with_context(|| format!("{}", a.out.display()))?;
    let mut w = std::io::BufWriter::new(tmp);
    w.write_all(&h.bytes())?;
    let mut r = Rng(a.seed ^ 0x6d78_7265_6667_7075);
    let (m, n, k) = (a.m, a.n, a.k);
    let (wa, wb) = (width(a.a), width(a.b));
    let mut am = vec![0u32; m * k];
    let mut bm = vec![0u32; n * k];
    let mut tile = Vec::with_capacity(h.tile_bytes());
    for _ in 0..a.tiles {
        // 0: every finite code alike; 1-3: narrow exponent bands per row (3 with many zeros);
        // 4-5: cancelling pairs (5 nudged by one code); 6: rows of zeros against C at the
        // extremes (sign of zero, flushing); 7: A rows of subnormals against wide B.
        let scenario = r.below(8);
        for (rows, codes, is_a) in [(&mut am, &ca, true), (&mut bm, &cb, false)] {
            let emax = (1u32 << codes.exp_bits) - 1;
            for row in rows.chunks_mut(k) {
                let mut width = [0, 1, 2, 4, 8, emax][r.below(6) as usize].min(emax);
                let mut lo = r.below((emax - width + 1) as u64) as u32;
                if scenario == 7 {
                    (lo, width) = if is_a { (0, 0) } else { (0, emax) };
                }
                let zero_row = scenario == 6 && is_a && r.chance(2);
                for x in row.iter_mut() {
                    *x = match scenario {
                        0 => codes.finite[r.below(codes.finite.len() as u64) as usize],
                        _ => codes.in_band(&mut r, lo, lo + width),
                    };
                    if zero_row || (scenario == 3 && r.chance(3)) {
                        *x = codes.zero(&mut r);
                    }
                    if !a.finite && r.chance(2000) && !codes.special.is_empty() {
                        *x = codes.special[r.below(codes.special.len() as u64) as usize];
                    }
                }
            }
        }
        if scenario == 4 || scenario == 5 {
            // Cancelling pairs: column j2 of A repeats column j1 and B negates it, so for
            // every (row, col) the two products cancel exactly.
            let mut perm: Vec<usize> = (0..k).collect();
            for i in (1..k).rev() {
                perm.swap(i, r.below(i as u64 + 1) as usize);
            }
            let pairs = r.below(k as u64 / 2 + 1) as usize;
            for p in 0..pairs {
                let (j1, j2) = (perm[2 * p], perm[2 * p + 1]);
                let nudge = scenario == 5 && r.chance(2);
                for row in am.chunks_mut(k) {
                    row[j2] = row[j1];
                }
                for row in bm.chunks_mut(k) {
                    let mut v = row[j1] ^ cb.sign;
                    if nudge && v & !cb.sign != 0 && cb.is_finite[(v - 1) as usize] {
                        v -= 1;
                    }
                    row[j2] = v;
                }
            }
        }
        tile.clear();
        for &x in &am {
            put(&mut tile, x, wa);
        }
        for &x in &bm {
            put(&mut tile, x, wb);
        }
        for _ in 0..(m + n) * h.nsb() {
            tile.push(cs.draw(&mut r, a.scale_range, a.scale_extremes, a.finite));
        }
        let c_mode = r.below(4);
        for _ in 0..m * n {
            let bits = if a.c_zero {
                0
            } else if a.c_fp16 {
                if scenario == 6 {
                    let s = (r.below(2) as u32) << 15;
                    fp16_as_f32_bits(s | [0, 1, 0x3ff, 0x400, 0x3c00][r.below(5) as usize])
                } else if c_mode == 0 {
                    fp16_as_f32_bits((r.below(2) as u32) << 15)
                } else {
                    random_c16(&mut r, a.finite)
                }
            } else if scenario == 6 {
                let s = (r.below(2) as u32) << 31;
                s | [0, 1, 0x7f_ffff, 0x80_0000, 0x3f80_0000][r.below(5) as usize]
            } else if c_mode == 0 {
                (r.below(2) as u32) << 31
            } else {
                random_c(&mut r, a.finite)
            };
            tile.extend_from_slice(&bits.to_le_bytes());
        }
        w.write_all(&tile)?;
    }
    let tmp = w.into_inner().map_err(|e| e.into_error())?;
    tmp.persist(&a.out)
        .map_err(|e| e.error)
        .with_context(|| format!("{}", a.out.display()))?;
    eprintln!(
        "mxref gpu gen: {} tiles of {m}x{n}x{k} ({} dots) -> {}",
        a.tiles,
        a.tiles * m * n,
        a.out.display()
    );
    Ok(())
}

fn load_numerics(name: &str) -> Result<Numerics> {
    if let Some(n) = numerics::preset(name) {
        return Ok(n);
    }
    let text = std::fs::read_to_string(name).with_context(|| {
        let names: Vec<&str> = numerics::preset_names().collect();
        format!(
            "--numerics {name:?} is neither a preset ({}) nor a readable file",
            names.join(", ")
        )
    })?;
    Numerics::from_json(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Per worker: mismatches, the first few in full, counts by kind.
type Tally = (usize, Vec<Mismatch>, [usize; 5]);

/// One differing dot, kept for the report.
struct Mismatch {
    tile: usize,
    row: usize,
    col: usize,
    gpu: u32,
    model: u32,
}

fn kind(gpu: u32, model: u32) -> &'static str {
    let nan = |x: u32| x & 0x7f80_0000 == 0x7f80_0000 && x & 0x7f_ffff != 0;
    if nan(gpu) && nan(model) {
        "nan-bits"
    } else if (gpu | model) & 0x7fff_ffff == 0 {
        "zero-sign"
    } else if gpu & 0x7fff_ffff == 0 || model & 0x7fff_ffff == 0 {
        "zero-vs-nonzero"
    } else if (gpu as i64 - model as i64).abs() == 1 {
        "1-ulp"
    } else {
        "other"
    }
}

const KINDS: [&str; 5] = ["nan-bits", "zero-sign", "zero-vs-nonzero", "1-ulp", "other"];

/// Operand buffers reused across dots (no allocation per dot).
struct Bufs {
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
}

impl Bufs {
    fn new(h: &Header) -> Bufs {
        let nsb = h.nsb().max(1);
        Bufs {
            a: vec![0; h.k],
            b: vec![0; h.k],
            sa: vec![127; nsb],
            sb: vec![127; nsb],
        }
    }
}

/// The model's D bits for every (row, col) of one tile, row-major into `out`. Unscaled
/// tiles are one block of K with unit scales.
fn model_tile(h: &Header, tile: &[u8], dot: &Dot, f: &mut Bufs, out: &mut [u32]) -> Result<()> {
    let [ob, osa, osb, oc] = h.offsets();
    let (wa, wb, nsb) = (width(h.a_fmt), width(h.b_fmt), h.nsb());
    for row in 0..h.m {
        for (j, d) in f.a.iter_mut().enumerate() {
            *d = get(&tile[..ob], row * h.k + j, wa);
        }
        for (j, d) in f.sa.iter_mut().enumerate().take(nsb) {
            *d = tile[osa + row * nsb + j] as u32;
        }
        for col in 0..h.n {
            for (j, d) in f.b.iter_mut().enumerate() {
                *d = get(&tile[ob..osa], col * h.k + j, wb);
            }
            for (j, d) in f.sb.iter_mut().enumerate().take(nsb) {
                *d = tile[osb + col * nsb + j] as u32;
            }
            let i = row * h.n + col;
            let c = u32::from_le_bytes(tile[oc + 4 * i..oc + 4 * i + 4].try_into().unwrap());
            let ops = Operands {
                a: &f.a,
                b: &f.b,
                sa: &f.sa,
                sb: &f.sb,
                c,
            };
            out[i] = dot
                .eval(&ops)
                .map_err(|e| anyhow::anyhow!("row {row} col {col}: {e}"))?;
        }
    }
    Ok(())
}

/// Read a vector file and prepare the model's evaluator for it.
fn open_vectors(path: &Path, numerics: &str) -> Result<(Vec<u8>, Header, Dot, Numerics)> {
    let raw = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let h = Header::parse(&raw, path)?;
    let nm = load_numerics(numerics)?;
    let spec = DotSpec {
        a_fmt: h.a_fmt,
        b_fmt: h.b_fmt,
        scale_fmt: h.s_fmt,
        block: if h.block == 0 { h.k } else { h.block },
    };
    let dot = Dot::new(spec, &nm).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((raw, h, dot, nm))
}

fn write_results(path: &Path, name: &str, h: &Header, d: &[u32]) -> Result<()> {
    let mut out = RES_MAGIC.to_vec();
    for v in [1, h.t, h.m, h.n] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    let mut n = name.as_bytes()[..name.len().min(24)].to_vec();
    n.resize(24, 0);
    out.extend_from_slice(&n);
    out.resize(HEADER, 0);
    for x in d {
        out.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(path, out).with_context(|| format!("{}", path.display()))
}

fn eval(a: EvalArgs) -> Result<()> {
    let (raw, h, dot, nm) = open_vectors(&a.vectors, &a.numerics)?;
    let tb = h.tile_bytes();
    let mut d = vec![0u32; h.t * h.m * h.n];
    let mut bufs = Bufs::new(&h);
    for (t, out) in d.chunks_mut(h.m * h.n).enumerate() {
        let tile = &raw[HEADER + t * tb..HEADER + (t + 1) * tb];
        model_tile(&h, tile, &dot, &mut bufs, out)
            .map_err(|e| anyhow::anyhow!("{}: tile {t}: {e}", a.vectors.display()))?;
    }
    let name = format!("model:{}", nm.name);
    write_results(&a.out, &name, &h, &d)
}

fn check(a: CheckArgs) -> Result<()> {
    let (raw, h, dot, nm) = open_vectors(&a.vectors, &a.numerics)?;
    let res = std::fs::read(&a.results).with_context(|| format!("{}", a.results.display()))?;
    let rp = a.results.display();
    if res.len() < HEADER || &res[..8] != RES_MAGIC {
        bail!("{rp}: not an mxref GPU result file (no MXGPURES header)");
    }
    let ru = |i: usize| u32::from_le_bytes(res[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize;
    if (ru(1), ru(2), ru(3)) != (h.t, h.m, h.n) {
        bail!(
            "{rp}: header T, M, N = {}, {}, {} but the vectors have {}, {}, {}",
            ru(1),
            ru(2),
            ru(3),
            h.t,
            h.m,
            h.n
        );
    }
    if res.len() != HEADER + h.t * h.m * h.n * 4 {
        bail!(
            "{rp}: {} bytes, expected {}",
            res.len(),
            HEADER + h.t * h.m * h.n * 4
        );
    }
    let path = String::from_utf8_lossy(&res[24..48])
        .trim_end_matches('\0')
        .to_string();
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let body = &raw[HEADER..];
    let dres = &res[HEADER..];
    let tb = h.tile_bytes();
    let per = h.t.div_ceil(threads);
    let start = std::time::Instant::now();
    let results: Vec<Result<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let (h, dot, nshow) = (&h, &dot, a.show);
                s.spawn(move || -> Result<Tally> {
                    let mut bufs = Bufs::new(h);
                    let mut model = vec![0u32; h.m * h.n];
                    let mut bad = 0;
                    let mut kinds = [0usize; 5];
                    let mut shown = vec![];
                    for t in (w * per)..((w + 1) * per).min(h.t) {
                        model_tile(h, &body[t * tb..(t + 1) * tb], dot, &mut bufs, &mut model)
                            .map_err(|e| anyhow::anyhow!("tile {t}: {e}"))?;
                        for (i, &want) in model.iter().enumerate() {
                            let o = (t * h.m * h.n + i) * 4;
                            let gpu = u32::from_le_bytes(dres[o..o + 4].try_into().unwrap());
                            if want != gpu {
                                bad += 1;
                                kinds[KINDS.iter().position(|x| *x == kind(gpu, want)).unwrap()] +=
                                    1;
                                if shown.len() < nshow {
                                    shown.push(Mismatch {
                                        tile: t,
                                        row: i / h.n,
                                        col: i % h.n,
                                        gpu,
                                        model: want,
                                    });
                                }
                            }
                        }
                    }
                    Ok((bad, shown, kinds))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|j| j.join().expect("worker panicked"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let mut bad = 0;
    let mut kinds = [0usize; 5];
    let mut shown = vec![];
    for r in results {
        let (b, s, k) = r?;
        bad += b;
        for (x, y) in kinds.iter_mut().zip(k) {
            *x += y;
        }
        shown.extend(s);
    }
    let dots = h.t * h.m * h.n;
    for mm in shown.iter().take(a.show) {
        let tile = &body[mm.tile * tb..(mm.tile + 1) * tb];
        let [ob, _, _, oc] = h.offsets();
        let arow: Vec<u32> = (0..h.k)
            .map(|j| get(&tile[..ob], mm.row * h.k + j, width(h.a_fmt)))
            .collect();
        let bcol: Vec<u32> = (0..h.k)
            .map(|j| get(&tile[ob..], mm.col * h.k + j, width(h.b_fmt)))
            .collect();
        let [_, osa, osb, _] = h.offsets();
        let nsb = h.nsb();
        let sa = &tile[osa + mm.row * nsb..osa + (mm.row + 1) * nsb];
        let sb = &tile[osb + mm.col * nsb..osb + (mm.col + 1) * nsb];
        // Unscaled tiles are one block of K with unit scales, as `check` evaluates them.
        let scales = if nsb > 0 {
            format!(
                ",\"scale_fmt\":\"{}\",\"block\":{},\"sa\":{sa:?},\"sb\":{sb:?}",
                h.s_fmt, h.block
            )
        } else {
            format!(",\"block\":{},\"sa\":[127],\"sb\":[127]", h.k)
        };
        let i = mm.row * h.n + mm.col;
        let co = oc + 4 * i;
        let c = u32::from_le_bytes(tile[co..co + 4].try_into().unwrap());
        println!(
            "mismatch tile {} row {} col {}: gpu 0x{:08x} model 0x{:08x} ({})\n  {{\"a_fmt\":\"{}\",\"b_fmt\":\"{}\",\"a\":{:?},\"b\":{:?}{scales},\"c\":\"0x{c:08x}\",\"numerics\":\"{}\"}}",
            mm.tile, mm.row, mm.col, mm.gpu, mm.model, kind(mm.gpu, mm.model),
            h.a_fmt, h.b_fmt, arow, bcol, a.numerics
        );
    }
    let names = KINDS;
    let kinds_txt: Vec<String> = names
        .iter()
        .zip(kinds)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    println!(
        "mxref gpu check: path {path}, numerics {}, {dots} dots ({} tiles of {}x{}x{}, {}x{}), {bad} mismatches{} [{:.1} s, {:.2} M dots/s]",
        nm.name, h.t, h.m, h.n, h.k, h.a_fmt, h.b_fmt,
        if kinds_txt.is_empty() { String::new() } else { format!(" ({})", kinds_txt.join(", ")) },
        secs, dots as f64 / secs / 1e6
    );
    if let Some(j) = &a.json {
        let v = serde_json::json!({
            "path": path, "numerics": nm.name, "a_fmt": h.a_fmt.to_string(),
            "b_fmt": h.b_fmt.to_string(), "tiles": h.t, "m": h.m, "n": h.n, "k": h.k,
            "block": h.block, "dots": dots, "mismatches": bad,
            "mismatch_kinds": names.iter().zip(kinds).map(|(k, n)| (k.to_string(), n)).collect::<std::collections::BTreeMap<_, _>>(),
        });
        std::fs::write(j, serde_json::to_string_pretty(&v)? + "\n")
            .with_context(|| format!("{}", j.display()))?;
    }
    if bad > 0 {
        bail!("{bad} of {dots} dots differ from the model");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_args(dir: &Path, a: &str, b: &str, block: usize, seed: u64) -> GenArgs {
        GenArgs {
            a: a.parse().unwrap(),
            b: b.parse().unwrap(),
            m: 16,
            n: 8,
            k: 64,
            tiles: 40,
            seed,
            block,
            scale: None,
            scale_range: 20,
            scale_extremes: false,
            c_zero: false,
            c_fp16: false,
            finite: false,
            out: dir.join(format!("v-{a}-{b}-{block}-{seed}.bin")),
        }
    }

    fn check_args(v: &Path, r: &Path, numerics: &str) -> CheckArgs {
        CheckArgs {
            vectors: v.to_path_buf(),
            results: r.to_path_buf(),
            numerics: numerics.into(),
            show: 0,
            json: None,
            threads: Some(2),
        }
    }

    /// gen -> eval -> check agrees with itself, and one flipped bit is caught and counted.
    #[test]
    fn round_trip_and_a_flipped_bit() {
        let dir = tempfile::tempdir().unwrap();
        for (a, b, block, nm) in [
            ("e4m3", "e5m2", 0, "exact"),
            ("fp16", "fp16", 0, "rtl"),
            ("e5m2", "e5m2", 32, "exact"),
        ] {
            let g = gen_args(dir.path(), a, b, block, 7);
            let v = g.out.clone();
            gen(g).unwrap();
            let r = dir.path().join("r.bin");
            eval(EvalArgs {
                vectors: v.clone(),
                numerics: nm.into(),
                out: r.clone(),
            })
            .unwrap();
            check(check_args(&v, &r, nm)).unwrap();
            let mut d = std::fs::read(&r).unwrap();
            d[HEADER + 4 * 77] ^= 1;
            std::fs::write(&r, d).unwrap();
            let err = check(check_args(&v, &r, nm)).unwrap_err().to_string();
            assert!(err.starts_with("1 of 5120 dots differ"), "{err}");
        }
    }

    #[test]
    fn generation_is_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let read = |seed| {
            let g = gen_args(dir.path(), "e4m3", "e4m3", 0, seed);
            let p = g.out.clone();
            gen(g).unwrap();
            std::fs::read(p).unwrap()
        };
        assert_eq!(read(3), read(3));
        assert_ne!(read(3), read(4));
    }

    #[test]
    fn bad_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let g = gen_args(dir.path(), "e4m3", "e4m3", 0, 1);
        let v = g.out.clone();
        gen(g).unwrap();
        let raw = std::fs::read(&v).unwrap();
        let cut = dir.path().join("cut.bin");
        std::fs::write(&cut, &raw[..raw.len() - 3]).unwrap();
        let err = open_vectors(&cut, "exact").err().unwrap().to_string();
        assert!(
            err.contains("cut.bin") && err.contains("header promises"),
            "{err}"
        );
        let mut bad = raw.clone();
        bad[0] = b'X';
        std::fs::write(&cut, &bad).unwrap();
        let err = open_vectors(&cut, "exact").err().unwrap().to_string();
        assert!(err.contains("not an mxref GPU vector file"), "{err}");
        let mut fmt = raw.clone();
        fmt[32..40].copy_from_slice(b"e9m9\0\0\0\0");
        std::fs::write(&cut, &fmt).unwrap();
        let err = format!("{:#}", open_vectors(&cut, "exact").err().unwrap());
        assert!(err.contains("a_fmt") && err.contains("e9m9"), "{err}");
        let r = dir.path().join("r.bin");
        std::fs::write(&r, b"MXGPURES").unwrap();
        let err = check(check_args(&v, &r, "exact")).unwrap_err().to_string();
        assert!(err.contains("r.bin"), "{err}");
    }

    #[test]
    fn mismatch_kinds() {
        assert_eq!(kind(0x7fff_ffff, 0x7fc0_0000), "nan-bits");
        assert_eq!(kind(0, 0x8000_0000), "zero-sign");
        assert_eq!(kind(0x007f_fc00, 0), "zero-vs-nonzero");
        assert_eq!(kind(0x3f80_0001, 0x3f80_0000), "1-ulp");
        assert_eq!(kind(0x3f80_0000, 0x4000_0000), "other");
    }

    /// One dot under a built-in preset: `terms` are (index, a code, b code), zeros elsewhere.
    fn hw(preset: &str, f: &str, k: usize, terms: &[(usize, u32, u32)], c: u32) -> u32 {
        let n = numerics::preset(preset).unwrap();
        let f: FormatId = f.parse().unwrap();
        let spec = DotSpec {
            a_fmt: f,
            b_fmt: f,
            scale_fmt: FormatId::E8m0,
            block: k,
        };
        let (mut a, mut b) = (vec![0; k], vec![0; k]);
        for &(i, x, y) in terms {
            a[i] = x;
            b[i] = y;
        }
        let ops = Operands {
            a: &a,
            b: &b,
            sa: &[127],
            sb: &[127],
            c,
        };
        Dot::new(spec, &n).unwrap().eval(&ops).unwrap()
    }

    // E4M3 codes (sign, 4 exponent bits biased by 7, 3 fraction bits): 256 = 0x78,
    // -256 = 0xf8, 1 = 0x38, 2^-6 = 0x08, 8 = 0x50, 4 = 0x48, 16 = 0x58, 2^-1 = 0x30,
    // 2^-3 = 0x20. X = 256 * 256 = 2^16.
    const X: (u32, u32) = (0x78, 0x78);
    const NEG_X: (u32, u32) = (0xf8, 0x78);

    /// Probe answers measured on the H100 (docs/gpu/probes/), or derived from the measured
    /// rule where the shape differs, held against the presets and the engine.
    #[test]
    fn presets_answer_the_probes_as_the_h100_did() {
        let t = |i: usize, (a, b): (u32, u32)| (i, a, b);
        // 2^-12
        let y = (0x08, 0x08);
        // mma.sync FP8: k 0 and 1 share a group, 2 belongs to the second (later) group.
        let p = "hopper-mma-fp8";
        let got = hw(p, "e4m3", 32, &[t(0, X), t(1, NEG_X), t(2, y)], 0);
        assert_eq!(got, 0x3980_0000); // 2^-12 survives
        assert_eq!(hw(p, "e4m3", 32, &[t(0, X), t(1, NEG_X), t(4, y)], 0), 0);
        // ... and C is added after both groups: a C far below the window is kept whole.
        assert_eq!(
            hw(p, "e4m3", 32, &[t(0, X), t(1, NEG_X)], 0x3900_0000),
            0x3900_0000
        );
        // wgmma FP8: 13 bits below 2^16 kept (8 = 2^3 stays, 4 goes), one group of 32.
        let w = "hopper-wgmma-fp8";
        let got = hw(
            w,
            "e4m3",
            32,
            &[t(0, X), t(31, NEG_X), t(7, (0x50, 0x38))],
            0,
        );
        assert_eq!(got, 0x4100_0000);
        assert_eq!(
            hw(
                w,
                "e4m3",
                32,
                &[t(0, X), t(31, NEG_X), t(7, (0x48, 0x38))],
                0
            ),
            0
        );
        // E8M13 result: 2^17 + 8 loses the 8, 2^17 + 16 keeps it; C = -2^-140 alone is lost
        // below the last E8M13 bit, the largest subnormal C comes back cut to 13 bits.
        let two17 = [t(0, X), t(1, X)];
        assert_eq!(
            hw(w, "e4m3", 32, &[two17[0], two17[1], t(2, (0x50, 0x38))], 0),
            0x4800_0000
        );
        assert_eq!(
            hw(w, "e4m3", 32, &[two17[0], two17[1], t(2, (0x58, 0x38))], 0),
            0x4800_0400
        );
        assert_eq!(hw(w, "e4m3", 32, &[], 0x007f_ffff), 0x007f_fc00);
        // cuBLASLt: 2^-4 between X (k 0) and -X (k 383) survives only when FP32 promotions
        // (every 128) separate it from both; with fast accumulation it never does.
        let small = (0x30, 0x20); // 2^-1 * 2^-3
        let at = |j| [t(0, X), t(j, small), t(383, NEG_X)];
        assert_eq!(
            hw("hopper-cublas-fp8", "e4m3", 384, &at(130), 0),
            0x3d80_0000
        );
        assert_eq!(hw("hopper-cublas-fp8-fast", "e4m3", 384, &at(130), 0), 0);
        assert_eq!(hw("hopper-cublas-fp8", "e4m3", 384, &at(100), 0), 0);
        assert_eq!(hw("hopper-cublas-fp8", "e4m3", 384, &at(300), 0), 0);
        // NaN results carry the pattern the H100 produced.
        assert_eq!(hw(p, "e4m3", 32, &[t(3, (0x7f, 0x38))], 0), 0x7fff_ffff);
    }
}
