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
//! then T*M*N FP32 bits (LE). All codes here are one byte (every element format is <= 8 bits).

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
    /// Block size of E8M0 scales (0: no scales).
    #[arg(long, default_value_t = 0)]
    block: usize,
    /// Largest |scale exponent| drawn (scales 2^-r .. 2^r).
    #[arg(long, default_value_t = 20)]
    scale_range: u32,
    /// Every C is +0 (paths that take no C, such as cuBLASLt here).
    #[arg(long)]
    c_zero: bool,
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
    finite: Vec<u8>,
    special: Vec<u8>,
    /// Largest positive finite code.
    max_pos: u8,
    exp_bits: u32,
    man_bits: u32,
}

impl Codes {
    fn new(id: FormatId) -> Result<Codes> {
        let f = id.format();
        if f.role != Role::Element || f.bits() > 8 {
            bail!("{id}: not an element format of at most 8 bits");
        }
        let mut finite = vec![];
        let mut special = vec![];
        for c in 0..f.codes() {
            let v = f.decode(c).expect("code in range");
            if matches!(v.class, mxref_model::Class::Nan | mxref_model::Class::Inf) {
                special.push(c as u8);
            } else {
                finite.push(c as u8);
            }
        }
        let sign = 1u32 << (f.exp_bits + f.man_bits);
        let max_pos = *finite.iter().filter(|&&c| (c as u32) < sign).max().unwrap();
        Ok(Codes {
            finite,
            special,
            max_pos,
            exp_bits: f.exp_bits,
            man_bits: f.man_bits,
        })
    }

    /// A finite code with its exponent field in `lo..=hi` (random sign and mantissa).
    fn in_band(&self, r: &mut Rng, lo: u32, hi: u32) -> u8 {
        let top = (1u32 << self.exp_bits) - 1;
        let e = (lo + r.below((hi - lo + 1) as u64) as u32).min(top);
        let m = r.below(1 << self.man_bits) as u32;
        let s = r.below(2) as u32;
        let code = (s << (self.exp_bits + self.man_bits)) | (e << self.man_bits) | m;
        let code = code as u8;
        if self.finite.contains(&code) {
            code
        } else {
            // Top of the exponent range lands on NaN/Inf: take the largest finite instead.
            self.max_pos | (s << (self.exp_bits + self.man_bits)) as u8
        }
    }
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
        if self.block == 0 {
            0
        } else {
            self.k / self.block
        }
    }
    fn tile_bytes(&self) -> usize {
        (self.m + self.n) * (self.k + self.nsb()) + self.m * self.n * 4
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
        let u = |i: usize| u32::from_le_bytes(raw[8 + 4 * i..12 + 4 * i].try_into().unwrap()) as usize;
        if u(0) != 1 {
            bail!("{p}: header field version: {} (this build reads 1)", u(0));
        }
        let name = |i: usize, field: &str| -> Result<FormatId> {
            let b = &raw[32 + 8 * i..40 + 8 * i];
            let s = String::from_utf8_lossy(b).trim_end_matches('\0').to_string();
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
        if h.block != 0 && h.k % h.block != 0 {
            bail!("{p}: header field block: {} does not divide K = {}", h.block, h.k);
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
        2 => s | r.below(0x80_0000) as u32,              // subnormal
        3 => s | 0x7f7f_ffff - r.below(4) as u32,         // near FP32 max
        _ => {
            // Exponent near the products' range so C interacts with the alignment.
            let e = (127 - 40 + r.below(80)) as u32;
            s | (e << 23) | r.below(0x80_0000) as u32
        }
    }
}

fn gen(a: GenArgs) -> Result<()> {
    let ca = Codes::new(a.a)?;
    let cb = Codes::new(a.b)?;
    if a.k == 0 || a.m == 0 || a.n == 0 || a.tiles == 0 {
        bail!("--m, --n, --k and --tiles must be positive");
    }
    if a.block != 0 && a.k % a.block != 0 {
        bail!("--block {} does not divide --k {}", a.block, a.k);
    }
    let h = Header {
        t: a.tiles,
        m: a.m,
        n: a.n,
        k: a.k,
        block: a.block,
        a_fmt: a.a,
        b_fmt: a.b,
        s_fmt: FormatId::E8m0,
    };
    let file = std::fs::File::create(&a.out).with_context(|| format!("{}", a.out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    w.write_all(&h.bytes())?;
    let mut r = Rng(a.seed ^ 0x6d78_7265_6667_7075);
    let (m, n, k) = (a.m, a.n, a.k);
    let mut tile = vec![0u8; h.tile_bytes()];
    for _ in 0..a.tiles {
        let scenario = r.below(6);
        let (ab, rest) = tile.split_at_mut((m + n) * k);
        let (am, bm) = ab.split_at_mut(m * k);
        let ea = (1u32 << ca.exp_bits) - 1;
        let eb = (1u32 << cb.exp_bits) - 1;
        // Exponent band per row: narrow bands put many terms near the window's edge.
        for (rows, codes, emax) in [(&mut *am, &ca, ea), (&mut *bm, &cb, eb)] {
            for row in rows.chunks_mut(k) {
                let width = [0, 1, 2, 4, 8, emax][r.below(6) as usize].min(emax);
                let lo = r.below((emax - width + 1) as u64) as u32;
                for x in row.iter_mut() {
                    *x = match scenario {
                        0 => codes.finite[r.below(codes.finite.len() as u64) as usize],
                        _ => codes.in_band(&mut r, lo, lo + width),
                    };
                    if scenario == 3 && r.chance(3) {
                        *x = (r.below(2) as u8) << (codes.exp_bits + codes.man_bits); // +-0
                    }
                    if !a.finite && r.chance(2000) && !codes.special.is_empty() {
                        *x = codes.special[r.below(codes.special.len() as u64) as usize];
                    }
                }
            }
        }
        if scenario == 4 || scenario == 5 {
            // Cancelling pairs: column j2 of A repeats column j1, B negates it, so for every
            // (row, col) the two products cancel exactly; scenario 5 nudges some by one code.
            let sign_b = 1u8 << (cb.exp_bits + cb.man_bits);
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
                    let mut v = row[j1] ^ sign_b;
                    if nudge && v & !sign_b != 0 && cb.finite.contains(&(v.wrapping_sub(1))) {
                        v = v.wrapping_sub(1);
                    }
                    row[j2] = v;
                }
            }
        }
        let (sc, cm) = rest.split_at_mut((m + n) * h.nsb());
        for s in sc.iter_mut() {
            let e = r.below(2 * a.scale_range as u64 + 1) as i64 - a.scale_range as i64;
            *s = (127 + e).clamp(1, 254) as u8;
        }
        let c_mode = r.below(4);
        for c in cm.chunks_mut(4) {
            let bits = if a.c_zero || c_mode == 0 {
                if a.c_zero {
                    0
                } else {
                    (r.below(2) as u32) << 31
                }
            } else {
                random_c(&mut r, a.finite)
            };
            c.copy_from_slice(&bits.to_le_bytes());
        }
        w.write_all(&tile)?;
    }
    w.flush()?;
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

fn check(a: CheckArgs) -> Result<()> {
    let raw = std::fs::read(&a.vectors).with_context(|| format!("{}", a.vectors.display()))?;
    let h = Header::parse(&raw, &a.vectors)?;
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
        bail!("{rp}: {} bytes, expected {}", res.len(), HEADER + h.t * h.m * h.n * 4);
    }
    let path = String::from_utf8_lossy(&res[24..48]).trim_end_matches('\0').to_string();
    let nm = load_numerics(&a.numerics)?;
    let spec = DotSpec {
        a_fmt: h.a_fmt,
        b_fmt: h.b_fmt,
        scale_fmt: h.s_fmt,
        block: if h.block == 0 { h.k } else { h.block },
    };
    let dot = Dot::new(spec, &nm).map_err(|e| anyhow::anyhow!("{e}"))?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let body = &raw[HEADER..];
    let dres = &res[HEADER..];
    let tb = h.tile_bytes();
    let per = h.t.div_ceil(threads);
    let start = std::time::Instant::now();
    let results: Vec<Result<(usize, Vec<Mismatch>, [usize; 5])>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let (h, dot, nshow) = (&h, &dot, a.show);
                s.spawn(move || -> Result<(usize, Vec<Mismatch>, [usize; 5])> {
                    let (mut av, mut bv) = (vec![0u32; h.k], vec![0u32; h.k]);
                    let nsb = h.nsb().max(1);
                    let (mut sav, mut sbv) = (vec![127u32; nsb], vec![127u32; nsb]);
                    let mut bad = 0;
                    let mut kinds = [0usize; 5];
                    let mut shown = vec![];
                    for t in (w * per)..((w + 1) * per).min(h.t) {
                        let tile = &body[t * tb..(t + 1) * tb];
                        let (am, rest) = tile.split_at(h.m * h.k);
                        let (bm, rest) = rest.split_at(h.n * h.k);
                        let (sam, rest) = rest.split_at(h.m * h.nsb());
                        let (sbm, cm) = rest.split_at(h.n * h.nsb());
                        for row in 0..h.m {
                            for (d, s) in av.iter_mut().zip(&am[row * h.k..(row + 1) * h.k]) {
                                *d = *s as u32;
                            }
                            if h.block != 0 {
                                for (d, s) in sav.iter_mut().zip(&sam[row * nsb..(row + 1) * nsb]) {
                                    *d = *s as u32;
                                }
                            }
                            for col in 0..h.n {
                                for (d, s) in bv.iter_mut().zip(&bm[col * h.k..(col + 1) * h.k]) {
                                    *d = *s as u32;
                                }
                                if h.block != 0 {
                                    for (d, s) in
                                        sbv.iter_mut().zip(&sbm[col * nsb..(col + 1) * nsb])
                                    {
                                        *d = *s as u32;
                                    }
                                }
                                let i = row * h.n + col;
                                let c = u32::from_le_bytes(cm[4 * i..4 * i + 4].try_into().unwrap());
                                let o = (t * h.m * h.n + i) * 4;
                                let gpu = u32::from_le_bytes(dres[o..o + 4].try_into().unwrap());
                                let ops = Operands {
                                    a: &av,
                                    b: &bv,
                                    sa: &sav,
                                    sb: &sbv,
                                    c,
                                };
                                let model = dot.eval(&ops).map_err(|e| {
                                    anyhow::anyhow!("tile {t} row {row} col {col}: {e}")
                                })?;
                                if model != gpu {
                                    bad += 1;
                                    let k = kind(gpu, model);
                                    let idx = ["nan-bits", "zero-sign", "zero-vs-nonzero", "1-ulp", "other"]
                                        .iter()
                                        .position(|x| *x == k)
                                        .unwrap();
                                    kinds[idx] += 1;
                                    if shown.len() < nshow {
                                        shown.push(Mismatch {
                                            tile: t,
                                            row,
                                            col,
                                            gpu,
                                            model,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    Ok((bad, shown, kinds))
                })
            })
            .collect();
        handles.into_iter().map(|j| j.join().expect("worker panicked")).collect()
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
        let arow = &tile[mm.row * h.k..(mm.row + 1) * h.k];
        let bcol = &tile[h.m * h.k + mm.col * h.k..h.m * h.k + (mm.col + 1) * h.k];
        let i = mm.row * h.n + mm.col;
        let co = (h.m + h.n) * (h.k + h.nsb()) + 4 * i;
        let c = u32::from_le_bytes(tile[co..co + 4].try_into().unwrap());
        println!(
            "mismatch tile {} row {} col {}: gpu 0x{:08x} model 0x{:08x} ({})\n  {{\"a_fmt\":\"{}\",\"b_fmt\":\"{}\",\"a\":{:?},\"b\":{:?},\"c\":\"0x{c:08x}\",\"numerics\":\"{}\"}}",
            mm.tile, mm.row, mm.col, mm.gpu, mm.model, kind(mm.gpu, mm.model),
            h.a_fmt, h.b_fmt, arow, bcol, a.numerics
        );
    }
    let names = ["nan-bits", "zero-sign", "zero-vs-nonzero", "1-ulp", "other"];
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
