//! `mxref dot`: MX dot products over JSON Lines (contract in issue 3 and README.md).
//!
//! Input line: `{"a_fmt":"e4m3","b_fmt":"e2m1","scale_fmt":"e8m0","block":32,"a":[codes],
//! "b":[codes],"sa":[codes],"sb":[codes],"c":"0x00000000","numerics":"exact"}` with
//! `scale_fmt`, `block`, `c` and `numerics` optional (these defaults). Output: the input
//! object plus `"d":"0x%08x"` (FP32 bits), and `"d_fp16":"0x%04x"` (FP16 bits of the same
//! value) when the numerics' output is FP16.

use crate::jsonl::{self, FieldError, FieldResult, IoArgs, Line};
use mxref_model::dot::{Dot, DotError, DotSpec, Operands};
use mxref_model::numerics::{self, Numerics};
use mxref_model::FormatId;
use std::collections::HashMap;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub io: IoArgs,
}

const FIELDS: &[&str] = &[
    "id",
    "a_fmt",
    "b_fmt",
    "scale_fmt",
    "block",
    "a",
    "b",
    "sa",
    "sb",
    "c",
    "numerics",
    "d",
    "d_fp16",
];

/// Largest block size accepted (bounds per-line work and catches typos).
const MAX_BLOCK: usize = 1 << 16;

/// Dots prepared so far, by shape and numerics name; cleared if it ever grows past a bound so
/// memory stays bounded on adversarial inputs.
#[derive(Default)]
struct Cache {
    dots: HashMap<(FormatId, FormatId, FormatId, usize, String), Dot>,
    numerics: HashMap<String, Numerics>,
}

const CACHE_MAX: usize = 1024;

impl Cache {
    fn numerics(&mut self, name: &str) -> FieldResult<&Numerics> {
        if !self.numerics.contains_key(name) {
            let n = load_numerics(name)?;
            if self.numerics.len() >= CACHE_MAX {
                self.numerics.clear();
            }
            self.numerics.insert(name.to_string(), n);
        }
        Ok(&self.numerics[name])
    }

    fn dot(&mut self, spec: DotSpec, numerics: &str) -> FieldResult<&Dot> {
        let key = (
            spec.a_fmt,
            spec.b_fmt,
            spec.scale_fmt,
            spec.block,
            numerics.to_string(),
        );
        if !self.dots.contains_key(&key) {
            let n = self.numerics(numerics)?.clone();
            let dot = Dot::new(spec, &n).map_err(dot_error)?;
            if self.dots.len() >= CACHE_MAX {
                self.dots.clear();
            }
            self.dots.insert(key.clone(), dot);
        }
        Ok(&self.dots[&key])
    }
}

/// Largest numerics file read (presets are about 2 KB).
const MAX_NUMERICS_BYTES: u64 = 1 << 20;

/// A preset name, or else a path to a JSON numerics file.
fn load_numerics(name: &str) -> FieldResult<Numerics> {
    if let Some(n) = numerics::preset(name) {
        return Ok(n);
    }
    let path = std::path::Path::new(name);
    if !path.exists() {
        let names: Vec<&str> = numerics::preset_names().collect();
        return Err(FieldError::new(
            "numerics",
            format!(
                "{name:?} is neither a preset ({}) nor an existing file",
                names.join(", ")
            ),
        ));
    }
    // Read at most MAX_NUMERICS_BYTES: a device or pipe named here ("/dev/zero") never ends.
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| {
            use std::io::Read;
            f.take(MAX_NUMERICS_BYTES + 1).read_to_string(&mut text)
        })
        .map_err(|e| FieldError::new("numerics", format!("{name}: cannot read: {e}")))?;
    if text.len() as u64 > MAX_NUMERICS_BYTES {
        return Err(FieldError::new(
            "numerics",
            format!("{name}: more than {MAX_NUMERICS_BYTES} bytes: not a numerics file"),
        ));
    }
    Numerics::from_json(&text).map_err(|e| FieldError::new("numerics", format!("{name}: {e}")))
}

fn dot_error(e: DotError) -> FieldError {
    match e {
        DotError::Invalid { field, msg } => FieldError::new(field, msg),
    }
}

/// Reused buffers: no allocation per line beyond JSON parsing.
#[derive(Default)]
struct Buffers {
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
}

fn element(line: &Line, field: &str) -> FieldResult<FormatId> {
    let f = line.format(field)?;
    if f.format().role != mxref_model::format::Role::Element {
        return Err(FieldError::new(
            field,
            format!("{f} is a scale format, not an element format"),
        ));
    }
    Ok(f)
}

fn one_line(
    line: &Line,
    text: &str,
    cache: &mut Cache,
    buf: &mut Buffers,
    out: &mut String,
) -> FieldResult<()> {
    line.check_fields(FIELDS)?;
    let a_fmt = element(line, "a_fmt")?;
    let b_fmt = element(line, "b_fmt")?;
    let scale_fmt = line.format_or("scale_fmt", FormatId::E8m0)?;
    if scale_fmt.format().role != mxref_model::format::Role::Scale {
        return Err(FieldError::new(
            "scale_fmt",
            format!("{scale_fmt} is an element format, not a scale format"),
        ));
    }
    let block = line.usize_or("block", 32)?;
    if block == 0 || block > MAX_BLOCK {
        return Err(FieldError::new(
            "block",
            format!("{block} is outside 1..={MAX_BLOCK}"),
        ));
    }
    let c = line.hex_u32_or("c", 0)?;
    let numerics = line.str_or("numerics", "exact")?;
    line.code_array("a", a_fmt, &mut buf.a)?;
    line.code_array("b", b_fmt, &mut buf.b)?;
    line.code_array("sa", scale_fmt, &mut buf.sa)?;
    line.code_array("sb", scale_fmt, &mut buf.sb)?;
    if !buf.a.len().is_multiple_of(block) {
        return Err(FieldError::new(
            "a",
            format!("length {} is not a multiple of block {block}", buf.a.len()),
        ));
    }
    if buf.b.len() != buf.a.len() {
        return Err(FieldError::new(
            "b",
            format!("length {} differs from a's {}", buf.b.len(), buf.a.len()),
        ));
    }
    let blocks = buf.a.len() / block;
    for (field, s) in [("sa", &buf.sa), ("sb", &buf.sb)] {
        if s.len() != blocks {
            return Err(FieldError::new(
                field,
                format!(
                    "has {} scales for {blocks} blocks (one per block of {block})",
                    s.len()
                ),
            ));
        }
    }
    let spec = DotSpec {
        a_fmt,
        b_fmt,
        scale_fmt,
        block,
    };
    let dot = cache.dot(spec, numerics)?;
    let d = dot
        .eval(&Operands {
            a: &buf.a,
            b: &buf.b,
            sa: &buf.sa,
            sb: &buf.sb,
            c,
        })
        .map_err(dot_error)?;
    // An FP16 output is also given as its FP16 bits (d is its exact FP32 pattern).
    match mxref_model::format::fp32_to_fp16(d).filter(|_| dot.numerics().output.is_fp16()) {
        Some(h) => jsonl::emit(
            text,
            line,
            &[
                ("d", &format!("\"0x{d:08x}\"")),
                ("d_fp16", &format!("\"0x{h:04x}\"")),
            ],
            out,
        ),
        None => jsonl::emit(text, line, &[("d", &format!("\"0x{d:08x}\""))], out),
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut cache = Cache::default();
    let mut buf = Buffers::default();
    jsonl::run(&args.io, |line, text, out| {
        one_line(line, text, &mut cache, &mut buf, out)
    })?;
    Ok(())
}
