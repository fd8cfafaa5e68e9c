//! `mxref sim`: run a beat stream through the cycle-level model of the RTL dot unit
//! (model/src/cycle.rs), print a per-cycle table, write a VCD with the RTL's signal names and
//! a vector file (inputs and expected outputs per cycle) for the RTL testbenches.
//! Formats of the stimulus and vector files: spec/microarchitecture.md.
//!
//! The stimulus is streamed: each line is parsed, run for its `repeat` cycles and written out
//! before the next is read, so memory does not grow with the stimulus or its cycle count (a
//! `--random` stream is generated whole, up to [`MAX_CYCLES`]). The VCD and vector files are
//! written as the run goes, to temporary files renamed into place at the end: a failed run
//! leaves neither. The table on stdout is streamed too: a bad line stops it after the cycles
//! of the lines before.

use crate::jsonl::{FieldError, FieldResult, Line, Lines, OutFile};
use anyhow::{bail, Context};
use mxref_model::cycle::stim::{random_stream, StimConfig};
use mxref_model::cycle::{fmt_code, CycleModel, ElemPort, Inputs, Outputs, LANES, LATENCY};
use mxref_model::FormatId;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Stimulus: JSON Lines, one line per clock cycle ("-" is stdin).
    #[arg(long, required_unless_present = "random", conflicts_with = "random")]
    pub stimulus: Option<PathBuf>,
    /// Instead of a stimulus file, a seeded random stream of about this many cycles.
    #[arg(long)]
    pub random: Option<usize>,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Random streams: let formats change between the beats of one dot product.
    #[arg(long)]
    pub mixed: bool,
    /// Random streams: only these element formats (comma-separated), as for an RTL build
    /// with a reduced `ElemFmts` parameter.
    #[arg(long, value_delimiter = ',')]
    pub elements: Vec<FormatId>,
    /// Random streams: no NVFP4 beats (an RTL build with `Nvfp4 = 0`).
    #[arg(long)]
    pub no_nvfp4: bool,
    /// Random streams: random junk in the input bits the unit ignores (element bits above
    /// the format's width, bit 7 of UE4M3 scales).
    #[arg(long)]
    pub junk: bool,
    /// Write a VCD waveform (RTL signal names) to this file.
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Write the vector file (per cycle: inputs, expected outputs) to this file.
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// Vector file: after the outputs, every pipeline register of the model during the cycle
    /// as `scope.name=hex` (RTL names), for a bench that checks the RTL's registers too.
    #[arg(long, requires = "vectors")]
    pub regs: bool,
    /// Do not print the per-cycle table.
    #[arg(long, short)]
    pub quiet: bool,
}

const FIELDS: &[&str] = &[
    "rst", "valid", "first", "last", "a_fmt", "b_fmt", "nvfp4", "a", "b", "sa", "sb", "c", "repeat",
];

fn bool_or(line: &Line, field: &str) -> FieldResult<bool> {
    match line.obj.get(field) {
        None => Ok(false),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
        Some(v) => Err(FieldError::new(
            field,
            format!("expected true/false or 0/1, got {v}"),
        )),
    }
}

/// Codes of one operand: exactly `n` integers or hex strings, each below `limit`.
fn codes<const N: usize>(line: &Line, field: &str, limit: u32, fill: u8) -> FieldResult<[u8; N]> {
    let mut out = [fill; N];
    if !line.has(field) {
        return Ok(out);
    }
    let Some(serde_json::Value::Array(a)) = line.obj.get(field) else {
        return Err(FieldError::new(field, "expected an array of codes"));
    };
    if a.len() != N {
        return Err(FieldError::new(
            field,
            format!("expected {N} codes, got {}", a.len()),
        ));
    }
    for (i, v) in a.iter().enumerate() {
        let code = match v {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => crate::jsonl::parse_hex_u32(s).ok().map(u64::from),
            _ => None,
        }
        .filter(|&c| c < limit as u64)
        .ok_or_else(|| {
            FieldError::new(
                &format!("{field}[{i}]"),
                format!("expected a code below {limit} (integer or hex string), got {v}"),
            )
        })?;
        out[i] = code as u8;
    }
    Ok(out)
}

/// One stimulus line: the inputs of one cycle, and how many cycles it lasts.
fn parse_line(text: &str) -> FieldResult<(Inputs, usize)> {
    let line = Line::parse(text)?;
    line.check_fields(FIELDS)?;
    // An element format's name, or a port code 0..=7 as an integer (6 and 7 are reserved:
    // every lane of that operand reads as +0).
    let element = |field: &str| -> FieldResult<ElemPort> {
        if let Some(v) = line.obj.get(field).filter(|v| v.is_number()) {
            return v
                .as_u64()
                .and_then(|c| u8::try_from(c).ok())
                .and_then(ElemPort::from_code)
                .ok_or_else(|| {
                    FieldError::new(
                        field,
                        format!("expected a port code 0..=7 (6 and 7 reserved), got {v}"),
                    )
                });
        }
        let f = line.format_or(field, FormatId::E4m3)?;
        if FormatId::elements().any(|e| e == f) {
            Ok(f.into())
        } else {
            Err(FieldError::new(
                field,
                format!("{f} is not an element format"),
            ))
        }
    };
    // Lane codes below 2^width; a reserved code ignores the lanes, so any byte goes.
    let lane_limit = |p: ElemPort| p.format().map_or(256, |f| f.format().codes() as u32);
    let a_fmt = element("a_fmt")?;
    let b_fmt = element("b_fmt")?;
    let nvfp4 = bool_or(&line, "nvfp4")?;
    let scale_codes = |field: &str| -> FieldResult<[u8; 2]> {
        let (n, limit) = if nvfp4 { (2, 0x7f + 1) } else { (1, 256) };
        match line.obj.get(field) {
            Some(serde_json::Value::Array(a)) if a.len() == n => {}
            Some(_) => {
                return Err(FieldError::new(
                    field,
                    format!(
                        "expected {n} scale code(s) ({})",
                        if nvfp4 { "ue4m3" } else { "e8m0" }
                    ),
                ))
            }
            None => return Ok([if nvfp4 { 0x38 } else { 127 }; 2]),
        }
        if nvfp4 {
            codes::<2>(&line, field, limit, 0)
        } else {
            let one = codes::<1>(&line, field, limit, 0)?;
            Ok([one[0], 0])
        }
    };
    let i = Inputs {
        rst: bool_or(&line, "rst")?,
        valid: bool_or(&line, "valid")?,
        first: bool_or(&line, "first")?,
        last: bool_or(&line, "last")?,
        a_fmt,
        b_fmt,
        nvfp4,
        a: codes::<LANES>(&line, "a", lane_limit(a_fmt), 0)?,
        b: codes::<LANES>(&line, "b", lane_limit(b_fmt), 0)?,
        sa: scale_codes("sa")?,
        sb: scale_codes("sb")?,
        c: line.hex_u32_or("c", 0)?,
    };
    let repeat = line.usize_or("repeat", 1)?;
    if repeat == 0 || repeat > 1 << 20 {
        return Err(FieldError::new("repeat", "expected 1..=1048576"));
    }
    Ok((i, repeat))
}

/// Cycles of a `--random` run: the stream is generated whole (about 90 bytes a cycle), so a
/// larger request is an error rather than an allocation failure. A stimulus file is streamed
/// and has no such cap (each line's `repeat` is capped at 2^20).
const MAX_CYCLES: usize = 1 << 25;

/// The stimulus file, one line at a time, with each line's inputs and `repeat` count.
struct Stimulus {
    input: Lines,
    /// The source name errors give (the path as given, "-" included).
    name: String,
}

impl Stimulus {
    fn open(path: &Path) -> anyhow::Result<Stimulus> {
        let reader: Box<dyn io::BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::new(io::stdin()))
        } else {
            Box::new(BufReader::with_capacity(
                1 << 16,
                fs::File::open(path).with_context(|| format!("reading {}", path.display()))?,
            ))
        };
        let name = path.display().to_string();
        Ok(Stimulus {
            input: Lines::new(name.clone(), reader),
            name,
        })
    }

    /// The next beat and its repeat count; `None` at the end.
    fn next(&mut self) -> anyhow::Result<Option<(Inputs, usize)>> {
        while let Some((n, l)) = self.input.next_line()? {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let at = |err| crate::jsonl::LineError {
                source: self.name.clone(),
                line: n,
                err,
            };
            return Ok(Some(parse_line(t).map_err(at)?));
        }
        Ok(None)
    }
}

/// 256-bit lane vector as hex, lane 31 first (the RTL's a_i[255:0]).
fn lanes_hex(x: &[u8; LANES]) -> String {
    x.iter().rev().map(|b| format!("{b:02x}")).collect()
}

/// The scale port value (sa_i[15:0]): scale 1 in the high byte.
fn scale_port(s: &[u8; 2], nvfp4: bool) -> u16 {
    if nvfp4 {
        (s[1] as u16) << 8 | s[0] as u16
    } else {
        s[0] as u16
    }
}

/// One vector-file line: the inputs of a cycle and the outputs expected during it.
fn vector_line(i: &Inputs, o: &Outputs, out: &mut String) {
    let _ = writeln!(
        out,
        "{} {} {} {} {} {} {} {} {} {:04x} {:04x} {:08x} {} {:08x}",
        i.rst as u8,
        i.valid as u8,
        i.first as u8,
        i.last as u8,
        i.a_fmt.code(),
        i.b_fmt.code(),
        i.nvfp4 as u8,
        lanes_hex(&i.a),
        lanes_hex(&i.b),
        scale_port(&i.sa, i.nvfp4),
        scale_port(&i.sb, i.nvfp4),
        i.c,
        o.valid as u8,
        o.d
    );
}

/// The VCD signals: scope, name, width, and how to read the value from inputs and state.
type Probe = fn(&Inputs, &CycleModel) -> u128;
struct Sig {
    scope: &'static str,
    name: &'static str,
    width: u32,
    get: Probe,
}

fn ctrl_bits(c: &mxref_model::cycle::Ctrl) -> u128 {
    (c.valid as u128) << 34 | (c.first as u128) << 33 | (c.last as u128) << 32 | c.c as u128
}

fn flags_bits(f: &mxref_model::cycle::Flags) -> u128 {
    (f.nan as u128) << 2 | (f.pinf as u128) << 1 | f.ninf as u128
}

fn mask_bits(b: &[bool; LANES]) -> u128 {
    b.iter()
        .enumerate()
        .fold(0, |m, (k, &x)| m | (x as u128) << k)
}

const SIGS: &[Sig] = &[
    Sig {
        scope: "",
        name: "rst_ni",
        width: 1,
        get: |i, _| !i.rst as u128,
    },
    Sig {
        scope: "",
        name: "valid_i",
        width: 1,
        get: |i, _| i.valid as u128,
    },
    Sig {
        scope: "",
        name: "first_i",
        width: 1,
        get: |i, _| i.first as u128,
    },
    Sig {
        scope: "",
        name: "last_i",
        width: 1,
        get: |i, _| i.last as u128,
    },
    Sig {
        scope: "",
        name: "a_fmt_i",
        width: 3,
        get: |i, _| i.a_fmt.code() as u128,
    },
    Sig {
        scope: "",
        name: "b_fmt_i",
        width: 3,
        get: |i, _| i.b_fmt.code() as u128,
    },
    Sig {
        scope: "",
        name: "nvfp4_i",
        width: 1,
        get: |i, _| i.nvfp4 as u128,
    },
    Sig {
        scope: "",
        name: "sa_i",
        width: 16,
        get: |i, _| scale_port(&i.sa, i.nvfp4) as u128,
    },
    Sig {
        scope: "",
        name: "sb_i",
        width: 16,
        get: |i, _| scale_port(&i.sb, i.nvfp4) as u128,
    },
    Sig {
        scope: "",
        name: "c_i",
        width: 32,
        get: |i, _| i.c as u128,
    },
    Sig {
        scope: "",
        name: "valid_o",
        width: 1,
        get: |_, m| m.out.valid as u128,
    },
    Sig {
        scope: "",
        name: "d_o",
        width: 32,
        get: |_, m| m.out.d as u128,
    },
    Sig {
        scope: "u_mul",
        name: "s1_ctrl_q",
        width: 35,
        get: |_, m| ctrl_bits(&m.s1.ctrl),
    },
    Sig {
        scope: "u_mul",
        name: "s1_nz_q",
        width: 32,
        get: |_, m| mask_bits(&m.s1.nz),
    },
    Sig {
        scope: "u_mul",
        name: "s1_neg_q",
        width: 32,
        get: |_, m| mask_bits(&m.s1.neg),
    },
    Sig {
        scope: "u_mul",
        name: "s1_negz_q",
        width: 1,
        get: |_, m| m.s1.negz as u128,
    },
    Sig {
        scope: "u_mul",
        name: "s1_flags_q",
        width: 3,
        get: |_, m| flags_bits(&m.s1.flags),
    },
    Sig {
        scope: "u_aln",
        name: "s2_ctrl_q",
        width: 35,
        get: |_, m| ctrl_bits(&m.s2.ctrl),
    },
    Sig {
        scope: "u_aln",
        name: "s2_emax_q",
        width: 10,
        get: |_, m| (m.s2.emax as u128) & 0x3ff,
    },
    Sig {
        scope: "u_aln",
        name: "s2_flags_q",
        width: 3,
        get: |_, m| flags_bits(&m.s2.flags),
    },
    Sig {
        scope: "u_add",
        name: "s3_ctrl_q",
        width: 35,
        get: |_, m| ctrl_bits(&m.s3.ctrl),
    },
    Sig {
        scope: "u_add",
        name: "s3_sum_q",
        width: 42,
        get: |_, m| (m.s3.sum as u128) & ((1 << 42) - 1),
    },
    Sig {
        scope: "u_add",
        name: "s3_emax_q",
        width: 10,
        get: |_, m| (m.s3.emax as u128) & 0x3ff,
    },
    Sig {
        scope: "u_add",
        name: "s3_negz_q",
        width: 1,
        get: |_, m| m.s3.negz as u128,
    },
    Sig {
        scope: "u_add",
        name: "s3_flags_q",
        width: 3,
        get: |_, m| flags_bits(&m.s3.flags),
    },
    Sig {
        scope: "u_acc",
        name: "acc_q",
        width: 61,
        get: |_, m| {
            let a = &m.acc.acc;
            (a.neg as u128) << 60 | ((a.exp as u128) & 0xfff) << 48 | a.sig as u128
        },
    },
    Sig {
        scope: "u_acc",
        name: "acc_flags_q",
        width: 3,
        get: |_, m| flags_bits(&m.acc.flags),
    },
    Sig {
        scope: "u_acc",
        name: "acc_done_q",
        width: 1,
        get: |_, m| m.acc.done as u128,
    },
];

/// VCD identifier of signal `k` (printable ASCII from '!').
fn vcd_id(k: usize) -> String {
    let mut k = k;
    let mut s = String::new();
    loop {
        s.push((b'!' + (k % 94) as u8) as char);
        k /= 94;
        if k == 0 {
            return s;
        }
    }
}

fn vcd_value(width: u32, v: u128, id: &str, out: &mut String) {
    if width == 1 {
        let _ = writeln!(out, "{}{id}", v & 1);
    } else {
        let _ = writeln!(out, "b{v:b} {id}");
    }
}

/// Waveform writer: inputs change at the falling half of each cycle, registers at the rising
/// edge (time 10t + 5), as a simulator would show them.
struct Vcd {
    out: String,
    last: Vec<Option<u128>>,
    lanes_a: Option<String>,
    lanes_b: Option<String>,
}

const LANE_IDS: [&str; 3] = ["clk_i", "a_i", "b_i"];

impl Vcd {
    fn new() -> Vcd {
        let mut out = String::new();
        out += "$date mxref sim $end\n$version mxref cycle model $end\n$timescale 1ns $end\n";
        out += "$scope module mx_dot $end\n";
        let n = SIGS.len();
        for (k, name) in LANE_IDS.iter().enumerate() {
            let w = if k == 0 { 1 } else { 256 };
            let _ = writeln!(out, "$var wire {w} {} {name} $end", vcd_id(n + k));
        }
        let mut scope = "";
        for (k, s) in SIGS.iter().enumerate() {
            if s.scope != scope {
                if !scope.is_empty() {
                    out += "$upscope $end\n";
                }
                let _ = writeln!(out, "$scope module {} $end", s.scope);
                scope = s.scope;
            }
            let kind = if s.name.ends_with("_q") {
                "reg"
            } else {
                "wire"
            };
            let _ = writeln!(out, "$var {kind} {} {} {} $end", s.width, vcd_id(k), s.name);
        }
        if !scope.is_empty() {
            out += "$upscope $end\n";
        }
        out += "$upscope $end\n$enddefinitions $end\n";
        Vcd {
            out,
            last: vec![None; SIGS.len()],
            lanes_a: None,
            lanes_b: None,
        }
    }

    /// Dump the inputs (`inputs`) or the registered signals (`!inputs`) that changed.
    fn dump(&mut self, i: &Inputs, m: &CycleModel, inputs: bool) {
        for (k, s) in SIGS.iter().enumerate() {
            if (s.name.ends_with("_i") || s.name.ends_with("_ni")) != inputs {
                continue;
            }
            let v = (s.get)(i, m);
            if self.last[k] != Some(v) {
                self.last[k] = Some(v);
                vcd_value(s.width, v, &vcd_id(k), &mut self.out);
            }
        }
        if inputs {
            let n = SIGS.len();
            for (k, (x, last)) in [(&i.a, &mut self.lanes_a), (&i.b, &mut self.lanes_b)]
                .into_iter()
                .enumerate()
            {
                let bits: String = x.iter().rev().map(|b| format!("{b:08b}")).collect();
                if last.as_deref() != Some(bits.as_str()) {
                    let _ = writeln!(self.out, "b{bits} {}", vcd_id(n + 1 + k));
                    *last = Some(bits);
                }
            }
        }
    }

    /// Cycle `t`: inputs `i` from its start, registers of `before` (first cycle only) and
    /// of `after` from the rising edge at its middle.
    fn cycle(&mut self, t: usize, i: &Inputs, before: &CycleModel, after: &CycleModel) {
        let clk = vcd_id(SIGS.len());
        let _ = writeln!(self.out, "#{}\n0{clk}", 10 * t);
        self.dump(i, before, true);
        if t == 0 {
            self.dump(i, before, false);
        }
        let _ = writeln!(self.out, "#{}\n1{clk}", 10 * t + 5);
        self.dump(i, after, false);
    }
}

fn table_header() -> String {
    format!(
        "{:>5} {:>3} {:>1}{:>1}{:>1} {:>5} {:>5} {:>2} {:>8} | {:>3} {:>5} {:>14} | {:>18} | {:>1} {:>8}\n",
        "cycle", "rst", "v", "f", "l", "a_fmt", "b_fmt", "nv", "c_i", "s3v", "emax", "s3_sum",
        "acc (neg exp sig)", "v", "d_o"
    )
}

fn table_row(t: usize, i: &Inputs, before: &CycleModel, o: &Outputs) -> String {
    let a = &before.acc.acc;
    format!(
        "{:>5} {:>3} {:>1}{:>1}{:>1} {:>5} {:>5} {:>2} {:08x} | {:>3} {:>5} {:>14} | {}{:>4} {:012x} | {:>1} {:08x}\n",
        t,
        i.rst as u8,
        i.valid as u8,
        i.first as u8,
        i.last as u8,
        i.a_fmt.to_string(),
        i.b_fmt.to_string(),
        i.nvfp4 as u8,
        i.c,
        before.s3.ctrl.valid as u8,
        before.s3.emax,
        before.s3.sum,
        if a.neg { '-' } else { '+' },
        a.exp,
        a.sig,
        o.valid as u8,
        o.d
    )
}

/// Where the cycles go: the model, the table, the vector file and the VCD.
struct Run<'a> {
    args: &'a Args,
    m: CycleModel,
    t: usize,
    results: usize,
    table: BufWriter<io::StdoutLock<'static>>,
    vectors: Option<OutFile>,
    vcd: Option<(Vcd, OutFile)>,
    line: String,
}

impl Run<'_> {
    fn cycle(&mut self, i: &Inputs) -> anyhow::Result<()> {
        let args = self.args;
        let before = (!args.quiet || self.vcd.is_some() || args.regs).then(|| self.m.clone());
        let o = self.m.step(i);
        self.results += o.valid as usize;
        if let (Some(b), false) = (&before, args.quiet) {
            self.table
                .write_all(table_row(self.t, i, b, &o).as_bytes())?;
        }
        if let Some(w) = self.vectors.as_mut() {
            let line = &mut self.line;
            line.clear();
            vector_line(i, &o, line);
            if let (true, Some(b)) = (args.regs, &before) {
                line.pop(); // the newline
                for sig in SIGS.iter().filter(|s| s.name.ends_with("_q")) {
                    let _ = write!(line, " {}.{}={:x}", sig.scope, sig.name, (sig.get)(i, b));
                }
                line.push('\n');
            }
            w.write_all(line.as_bytes())
                .with_context(|| format!("writing {}", vectors_path(args).display()))?;
        }
        if let (Some((v, f)), Some(b)) = (self.vcd.as_mut(), &before) {
            v.cycle(self.t, i, b, &self.m);
            f.write_all(v.out.as_bytes())
                .with_context(|| format!("writing {}", vcd_path(args).display()))?;
            v.out.clear();
        }
        self.t += 1;
        Ok(())
    }
}

fn vectors_path(args: &Args) -> &Path {
    args.vectors.as_deref().unwrap_or(Path::new("?"))
}

fn vcd_path(args: &Args) -> &Path {
    args.vcd.as_deref().unwrap_or(Path::new("?"))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // A stimulus is opened before any output file exists; a random stream is made whole.
    let (mut stimulus, random) = match (&args.stimulus, args.random) {
        (Some(p), _) => (Some(Stimulus::open(p)?), Vec::new()),
        (None, Some(n)) => {
            if n > MAX_CYCLES {
                bail!("--random: {n} cycles is more than the {MAX_CYCLES} a run holds in memory");
            }
            let mut cfg = StimConfig {
                mixed_formats: args.mixed,
                nvfp4: !args.no_nvfp4,
                junk: args.junk,
                ..StimConfig::default()
            };
            if !args.elements.is_empty() {
                cfg.elements = 0;
                for f in &args.elements {
                    if !FormatId::elements().any(|e| e == *f) {
                        bail!("--elements: {f} is not an MX element format");
                    }
                    cfg.elements |= 1 << fmt_code(*f);
                }
            }
            (None, random_stream(args.seed, n, cfg))
        }
        (None, None) => bail!("give --stimulus FILE or --random N"),
    };
    let vectors = match &args.vectors {
        Some(p) => Some(OutFile::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => None,
    };
    let vcd = match &args.vcd {
        Some(p) => Some((
            Vcd::new(),
            OutFile::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let mut r = Run {
        args: &args,
        m: CycleModel::new(),
        t: 0,
        results: 0,
        table: BufWriter::new(io::stdout().lock()),
        vectors,
        vcd,
        line: String::new(),
    };
    if !args.quiet {
        r.table.write_all(table_header().as_bytes())?;
    }
    if let Some(s) = stimulus.as_mut() {
        while let Some((i, rep)) = s.next()? {
            for _ in 0..rep {
                r.cycle(&i)?;
            }
        }
    }
    for i in &random {
        r.cycle(i)?;
    }
    // Drain the pipeline: a dot finishing in the last cycle still shows its D.
    for _ in 0..LATENCY + 1 {
        r.cycle(&Inputs::default())?;
    }
    r.table.flush()?;
    if let Some(w) = r.vectors.take() {
        w.commit()?;
    }
    if let Some((_, f)) = r.vcd.take() {
        f.commit()?;
    }
    eprintln!(
        "mxref sim: {} cycles, {} results, latency {LATENCY}",
        r.t, r.results
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_fields_take_names_and_reserved_port_codes() {
        let lanes = format!("[{}]", vec!["255"; LANES].join(","));
        let (i, _) = parse_line(&format!("{{\"a_fmt\":6,\"b_fmt\":7,\"a\":{lanes}}}")).unwrap();
        assert_eq!(
            (i.a_fmt, i.b_fmt),
            (ElemPort::Reserved(6), ElemPort::Reserved(7))
        );
        assert_eq!(i.a, [255; LANES]);
        let (i, _) = parse_line("{\"a_fmt\":4,\"b_fmt\":\"int8\"}").unwrap();
        assert_eq!(i.a_fmt, ElemPort::Fmt(FormatId::E2m1));
        assert_eq!(i.b_fmt, ElemPort::Fmt(FormatId::Int8));
        // A valid format still bounds its lane codes.
        let e = parse_line(&format!("{{\"a_fmt\":4,\"a\":{lanes}}}")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("a[0]"), "{e:?}");
        for bad in ["8", "255", "-1", "6.5", "1e3"] {
            let e = parse_line(&format!("{{\"b_fmt\":{bad}}}")).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("b_fmt"), "{bad}: {e:?}");
            assert!(e.msg.contains("port code 0..=7"), "{bad}: {e:?}");
        }
    }
}
