//! `mxref gen`: golden conformance vectors (spec/vectors.md).
//!
//! With no arguments it writes the standard suites to `testvectors/`, byte for byte what is
//! committed there. Cases come from `mxref_model::gen` (pure, seeded); the expected results
//! from `Dot::eval` / `Quantizer`; every file is written to a temporary file and renamed, and
//! each suite gets a `manifest.json` with the parameters and the SHA-256 of each file.

use anyhow::{bail, Context};
use mxref_model::dot::{Dot, Operands};
use mxref_model::gen::{self, DotCase, QuantCase};
use mxref_model::numerics::{self, Numerics};
use mxref_model::quantize::{ElemRound, Quantizer};
use mxref_model::FormatId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

mod trace;

/// The suites, in the order `mxref gen` writes them.
pub const SUITES: [&str; 6] = [
    "formats",
    "quantize",
    "products",
    "dot-directed",
    "dot-random",
    "trace",
];

/// Standard (committed) parameters.
const STD_SEED: u64 = 1;
const STD_RANDOM_COUNT: usize = 1000;
const STD_QUANT_COUNT: usize = 300;
const STD_TRACE_CYCLES: usize = 2000;
const MAX_BLOCKS: usize = 8;
/// Numerics of the committed dot suites: the single-rounding reference and the RTL unit's.
/// Every other preset is one `--numerics NAME` away (its cases are checked against the
/// independent reference in model/tests/vectors.rs either way).
pub const STANDARD_NUMERICS: [&str; 2] = ["exact", "rtl"];

#[derive(clap::Args, Debug)]
pub struct Args {
    /// One suite (formats, quantize, products, dot-directed, dot-random, trace); all when absent.
    #[arg(long)]
    pub suite: Option<String>,
    /// Numerics for the dot suites: a preset name or a JSON file; repeatable. Default: exact
    /// and rtl (products: exact).
    #[arg(long)]
    pub numerics: Vec<String>,
    /// Seed of the random suites.
    #[arg(long, default_value_t = STD_SEED)]
    pub seed: u64,
    /// Number of random cases (dot-random, quantize) or cycles (trace); the standard size when absent.
    #[arg(long)]
    pub count: Option<usize>,
    /// Level of the exhaustive suites: 1 (committed) or 2 (products: every FP8/INT8 pair too).
    #[arg(long, default_value_t = 1)]
    pub level: u32,
    /// Output root; each suite goes to OUT/SUITE/.
    #[arg(long, default_value = "testvectors")]
    pub out: PathBuf,
    /// Show progress on stderr even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

/// A file being written: hashed as it goes, renamed into place by `finish`.
struct Out {
    w: BufWriter<tempfile::NamedTempFile>,
    h: Sha256,
    bytes: u64,
    lines: u64,
    path: PathBuf,
}

impl Out {
    fn create(path: PathBuf) -> anyhow::Result<Out> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".mxref-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| {
                format!(
                    "{}: cannot create a file in {}",
                    path.display(),
                    dir.display()
                )
            })?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 16, tmp),
            h: Sha256::new(),
            bytes: 0,
            lines: 0,
            path,
        })
    }

    fn line(&mut self, s: &str) -> anyhow::Result<()> {
        for part in [s.as_bytes(), b"\n"] {
            self.h.update(part);
            self.w
                .write_all(part)
                .with_context(|| format!("{}: write failed", self.path.display()))?;
            self.bytes += part.len() as u64;
        }
        self.lines += 1;
        Ok(())
    }

    fn finish(self, vectors: u64) -> anyhow::Result<FileEntry> {
        let path = self.path;
        let tmp = self
            .w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("{}: write failed", path.display()))?;
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("{}: write failed", path.display()))?;
        // Temporary files are private; vector files are ordinary readable files.
        set_readable(tmp.as_file()).with_context(|| format!("{}: chmod failed", path.display()))?;
        tmp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("{}: cannot rename into place", path.display()))?;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        Ok(FileEntry {
            name,
            vectors,
            bytes: self.bytes,
            sha256: hex(&self.h.finalize()),
        })
    }
}

#[cfg(unix)]
fn set_readable(f: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable(_: &std::fs::File) -> io::Result<()> {
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

#[derive(Serialize)]
struct FileEntry {
    name: String,
    vectors: u64,
    bytes: u64,
    sha256: String,
}

#[derive(Serialize)]
struct Manifest {
    generator: String,
    generator_version: u32,
    suite: String,
    numerics: Vec<String>,
    seed: Option<u64>,
    count: usize,
    level: Option<u32>,
    files: Vec<FileEntry>,
}

/// Progress on stderr: when it is a terminal or `--progress` asks.
struct Progress {
    on: bool,
    what: String,
    total: usize,
}

impl Progress {
    fn new(force: bool, what: String, total: usize) -> Progress {
        Progress {
            on: force || io::stderr().is_terminal(),
            what,
            total,
        }
    }
    fn tick(&self, i: usize) {
        if self.on && (i.is_multiple_of(4096) || i + 1 == self.total) {
            let pct = (i + 1) * 100 / self.total.max(1);
            eprint!("\r{}: {}/{} ({pct}%)", self.what, i + 1, self.total);
            if i + 1 == self.total {
                eprintln!();
            }
        }
    }
}

/// A numerics argument: preset name or JSON file (as `mxref dot` resolves it).
pub fn load_numerics(name: &str) -> anyhow::Result<Numerics> {
    if let Some(n) = numerics::preset(name) {
        return Ok(n);
    }
    let path = Path::new(name);
    if !path.exists() {
        let names: Vec<&str> = numerics::preset_names().collect();
        bail!(
            "numerics {name:?} is neither a preset ({}) nor an existing file",
            names.join(", ")
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read"))?;
    Numerics::from_json(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Dots prepared per shape for one numerics.
struct Dots<'a> {
    n: &'a Numerics,
    cache: HashMap<(FormatId, FormatId, FormatId, usize), Option<Dot>>,
}

impl<'a> Dots<'a> {
    fn new(n: &'a Numerics) -> Dots<'a> {
        Dots {
            n,
            cache: HashMap::new(),
        }
    }
    /// The expected D, or `None` when the numerics do not take this case's shape (e.g. a
    /// preset that promotes per 32-element block meeting NVFP4's blocks of 16).
    fn eval(&mut self, c: &DotCase) -> anyhow::Result<Option<u32>> {
        let s = c.spec;
        let key = (s.a_fmt, s.b_fmt, s.scale_fmt, s.block);
        let dot = match self.cache.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => match Dot::new(s, self.n) {
                Ok(d) => e.insert(Some(d)),
                Err(err) if err.field() == "numerics" => {
                    return Err(anyhow::anyhow!("{}: {err}", c.tag))
                }
                Err(_) => e.insert(None),
            },
        };
        let Some(dot) = dot else { return Ok(None) };
        dot.eval(&Operands {
            a: &c.a,
            b: &c.b,
            sa: &c.sa,
            sb: &c.sb,
            c: c.c,
        })
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", c.tag))
    }
}

fn push_codes(s: &mut String, codes: &[u32]) {
    s.push('[');
    for (i, c) in codes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{c}");
    }
    s.push(']');
}

/// The JSON line of a dot vector: `mxref dot`'s schema plus `id`.
pub fn dot_line(id: &str, c: &DotCase, numerics: &str, d: u32) -> String {
    let s = c.spec;
    let mut l = String::with_capacity(64 + 8 * c.a.len());
    let _ = write!(
        l,
        "{{\"id\":{},\"a_fmt\":\"{}\",\"b_fmt\":\"{}\",\"scale_fmt\":\"{}\",\"block\":{},\"a\":",
        serde_json::to_string(id).expect("string"),
        s.a_fmt,
        s.b_fmt,
        s.scale_fmt,
        s.block
    );
    push_codes(&mut l, &c.a);
    l.push_str(",\"b\":");
    push_codes(&mut l, &c.b);
    l.push_str(",\"sa\":");
    push_codes(&mut l, &c.sa);
    l.push_str(",\"sb\":");
    push_codes(&mut l, &c.sb);
    let _ = write!(
        l,
        ",\"c\":\"0x{:08x}\",\"numerics\":{},\"d\":\"0x{d:08x}\"}}",
        c.c,
        serde_json::to_string(numerics).expect("string")
    );
    l
}

/// The `$readmemh` form of a dot vector (spec/vectors.md): a header of four words, then the
/// A, B, SA and SB codes packed four 8-bit codes to a word, element 0 in the low byte.
pub fn dot_hex(c: &DotCase, d: u32, out: &mut String) {
    let s = c.spec;
    let w0 = (s.a_fmt as u32) << 28
        | (s.b_fmt as u32) << 24
        | (s.scale_fmt as u32) << 20
        | s.block as u32;
    for w in [w0, c.a.len() as u32, c.c, d] {
        let _ = writeln!(out, "{w:08x}");
    }
    for codes in [&c.a, &c.b, &c.sa, &c.sb] {
        for ch in codes.chunks(4) {
            let w = ch
                .iter()
                .enumerate()
                .fold(0u32, |w, (i, &x)| w | x << (8 * i));
            let _ = writeln!(out, "{w:08x}");
        }
    }
}

/// Word that ends a hex file (no format has table row 15).
pub const HEX_END: u32 = 0xffff_ffff;

fn hex_header(suite: &str, numerics: &str) -> String {
    format!("// mxref {suite} vectors, numerics {numerics}; record layout in spec/vectors.md")
}

/// Write one dot-vector file pair (`NAME.jsonl`, `NAME.hex`); returns their manifest entries.
fn write_dots(
    dir: &Path,
    name: &str,
    suite: &str,
    numerics_arg: &str,
    n: &Numerics,
    cases: &[DotCase],
    progress: bool,
) -> anyhow::Result<Vec<FileEntry>> {
    let mut dots = Dots::new(n);
    let mut js = Out::create(dir.join(format!("{name}.jsonl")))?;
    let mut hx = Out::create(dir.join(format!("{name}.hex")))?;
    hx.line(&hex_header(suite, numerics_arg))?;
    let p = Progress::new(progress, format!("{suite} {name}"), cases.len());
    let mut buf = String::new();
    let mut written = 0u64;
    for (i, c) in cases.iter().enumerate() {
        p.tick(i);
        // Ids keep the case's index, so a skipped shape leaves a gap rather than renumbering.
        let Some(d) = dots.eval(c)? else { continue };
        written += 1;
        let id = format!("{suite}:{name}:{i}:{}", c.tag);
        js.line(&dot_line(&id, c, numerics_arg, d))?;
        buf.clear();
        dot_hex(c, d, &mut buf);
        hx.line(buf.trim_end())?;
    }
    hx.line(&format!("{HEX_END:08x}"))?;
    if written == 0 {
        bail!("numerics {numerics_arg}: takes none of the {suite} cases' shapes");
    }
    if written < cases.len() as u64 {
        eprintln!(
            "mxref gen: {suite} {name}: {} of {} cases skipped (shapes the numerics do not take)",
            cases.len() as u64 - written,
            cases.len()
        );
    }
    Ok(vec![js.finish(written)?, hx.finish(written)?])
}

fn round_name(r: ElemRound) -> &'static str {
    match r {
        ElemRound::Rne => "rne",
        ElemRound::Rna => "rna",
        ElemRound::Rz => "rz",
        ElemRound::Stochastic { .. } => "stochastic",
    }
}

/// The JSON line of a quantize vector: `mxref quantize`'s schema plus `id`.
pub fn quant_line(id: &str, c: &QuantCase) -> anyhow::Result<String> {
    let s = c.spec;
    let q = Quantizer::new(s).map_err(|e| anyhow::anyhow!("{}: {e}", c.tag))?;
    let ts = if q.needs_tensor_scale() {
        c.tensor_scale.unwrap_or_else(|| q.tensor_scale(&c.x))
    } else {
        0
    };
    let mut scales = vec![0; c.x.len() / s.block];
    let mut codes = vec![0; c.x.len()];
    q.quantize(&c.x, ts, 0, &mut scales, &mut codes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", c.tag))?;
    let mut l = String::with_capacity(64 + 16 * c.x.len());
    let _ = write!(
        l,
        "{{\"id\":{},\"elem\":\"{}\",\"scale_fmt\":\"{}\",\"block\":{},\"scale_rule\":\"{}\",\"round\":\"{}\"",
        serde_json::to_string(id).expect("string"),
        s.elem,
        s.scale_fmt,
        s.block,
        s.rule.name(),
        round_name(s.round)
    );
    if let ElemRound::Stochastic { seed } = s.round {
        let _ = write!(l, ",\"seed\":{seed}");
    }
    l.push_str(",\"x\":[");
    for (i, x) in c.x.iter().enumerate() {
        if i > 0 {
            l.push(',');
        }
        let _ = write!(l, "\"0x{x:08x}\"");
    }
    l.push_str("],\"scales\":");
    push_codes(&mut l, &scales);
    l.push_str(",\"codes\":");
    push_codes(&mut l, &codes);
    if q.needs_tensor_scale() {
        let _ = write!(l, ",\"tensor_scale\":\"0x{ts:08x}\"");
    }
    l.push('}');
    Ok(l)
}

fn write_quant(
    dir: &Path,
    name: &str,
    suite: &str,
    cases: &[QuantCase],
    progress: bool,
) -> anyhow::Result<FileEntry> {
    let mut js = Out::create(dir.join(format!("{name}.jsonl")))?;
    let p = Progress::new(progress, format!("{suite} {name}"), cases.len());
    for (i, c) in cases.iter().enumerate() {
        js.line(&quant_line(&format!("{suite}:{name}:{i}:{}", c.tag), c)?)?;
        p.tick(i);
    }
    js.finish(cases.len() as u64)
}

fn write_manifest(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    let mut o = Out::create(dir.join("manifest.json"))?;
    o.line(&serde_json::to_string_pretty(m)?)?;
    o.finish(0)?;
    Ok(())
}

fn manifest(
    suite: &str,
    numerics: Vec<String>,
    seed: Option<u64>,
    count: usize,
    level: Option<u32>,
    files: Vec<FileEntry>,
) -> Manifest {
    Manifest {
        generator: format!("mxref {}", env!("CARGO_PKG_VERSION")),
        generator_version: gen::GENERATOR_VERSION,
        suite: suite.into(),
        numerics,
        seed,
        count,
        level,
        files,
    }
}

/// Generate one suite into `root/suite/`; returns the number of vectors.
fn suite(args: &Args, name: &str) -> anyhow::Result<u64> {
    let dir = args.out.join(name);
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let presets: Vec<String> = if args.numerics.is_empty() {
        STANDARD_NUMERICS.iter().map(|s| s.to_string()).collect()
    } else {
        args.numerics.clone()
    };
    let loaded = presets
        .iter()
        .map(|p| load_numerics(p).map(|n| (p.clone(), n)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let file_name = |arg: &str, n: &Numerics| -> String {
        if numerics::preset(arg).is_some() {
            arg.to_string()
        } else {
            n.name.clone()
        }
    };
    let pr = args.progress;
    let (files, count, seed, level, used) = match name {
        "formats" => {
            let exact = numerics::preset("exact").expect("built-in");
            let dec = gen::dots::formats_decode();
            let enc = gen::quant::formats_encode();
            let mut f = write_dots(&dir, "decode", name, "exact", &exact, &dec, pr)?;
            f.push(write_quant(&dir, "encode", name, &enc, pr)?);
            (
                f,
                dec.len() + enc.len(),
                None,
                None,
                vec!["exact".to_string()],
            )
        }
        "quantize" => {
            let count = args.count.unwrap_or(STD_QUANT_COUNT);
            let cases = gen::quant::quantize(args.seed, count);
            let f = vec![write_quant(&dir, "quantize", name, &cases, pr)?];
            (f, cases.len(), Some(args.seed), None, vec![])
        }
        "products" => {
            if !(1..=2).contains(&args.level) {
                bail!("--level: {} is not 1 or 2", args.level);
            }
            let cases = gen::dots::products(args.level);
            let list = if args.numerics.is_empty() {
                vec![(
                    "exact".to_string(),
                    numerics::preset("exact").expect("built-in"),
                )]
            } else {
                loaded
            };
            let mut f = vec![];
            for (arg, n) in &list {
                f.extend(write_dots(
                    &dir,
                    &file_name(arg, n),
                    name,
                    arg,
                    n,
                    &cases,
                    pr,
                )?);
            }
            let used = list.into_iter().map(|(a, _)| a).collect();
            (f, cases.len(), None, Some(args.level), used)
        }
        "dot-directed" => {
            let mut f = vec![];
            let mut total = 0;
            for (arg, n) in &loaded {
                let cases = gen::dots::directed(n);
                total += cases.len();
                f.extend(write_dots(
                    &dir,
                    &file_name(arg, n),
                    name,
                    arg,
                    n,
                    &cases,
                    pr,
                )?);
            }
            (f, total, None, None, presets)
        }
        "dot-random" => {
            let count = args.count.unwrap_or(STD_RANDOM_COUNT);
            let cases = gen::dots::random(args.seed, count, MAX_BLOCKS);
            let mut f = vec![];
            for (arg, n) in &loaded {
                f.extend(write_dots(
                    &dir,
                    &file_name(arg, n),
                    name,
                    arg,
                    n,
                    &cases,
                    pr,
                )?);
            }
            (f, count, Some(args.seed), None, presets)
        }
        "trace" => {
            let cycles = args.count.unwrap_or(STD_TRACE_CYCLES);
            let f = trace::write(&dir, args.seed, cycles)?;
            (f, cycles, Some(args.seed), None, vec!["rtl".to_string()])
        }
        other => bail!(
            "--suite: unknown suite {other:?} (known: {})",
            SUITES.join(", ")
        ),
    };
    let total = files
        .iter()
        .filter(|f| f.name.ends_with(".jsonl"))
        .map(|f| f.vectors)
        .sum();
    write_manifest(&dir, &manifest(name, used, seed, count, level, files))?;
    Ok(total)
}

/// Largest `--count`: a suite is built in memory before it is written (about 150 bytes a
/// case), so a larger request is an error rather than an allocation failure.
const MAX_COUNT: usize = 1 << 24;

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(n) = args.count.filter(|&n| n > MAX_COUNT) {
        anyhow::bail!("--count: {n} is more than the {MAX_COUNT} a suite holds in memory");
    }
    let names: Vec<&str> = match &args.suite {
        Some(s) => vec![s.as_str()],
        None => SUITES.to_vec(),
    };
    for name in names {
        let t = std::time::Instant::now();
        let n = suite(&args, name)?;
        eprintln!(
            "mxref gen: {name}: {n} vectors in {} ({:.1} s)",
            args.out.join(name).display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
