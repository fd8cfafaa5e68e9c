//! `mxref explain F:LINE` (or `--vectors F --id ID`): one dot vector decoded and every step of
//! its evaluation under its numerics (terms, alignment, cut terms, group sums, accumulator,
//! promotion, output rounding), from `Dot::explain`, compared with the file's expected `d`.

use crate::check::{describe_dot, show_f32};
use crate::gen::load_numerics;
use crate::jsonl::{FieldError, Line, LineError};
use anyhow::{bail, Context};
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::FormatId;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The vector as FILE:LINE (1-based line number).
    pub at: Option<String>,
    /// Vector file (with --id).
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// The vector's id (with --vectors).
    #[arg(long)]
    pub id: Option<String>,
}

/// The line to explain: (file, line number, text).
fn locate(args: &Args) -> anyhow::Result<(PathBuf, u64, String)> {
    match (&args.at, &args.vectors, &args.id) {
        (Some(at), None, None) => {
            let (file, line) = at
                .rsplit_once(':')
                .with_context(|| format!("{at:?}: expected FILE:LINE"))?;
            let n: u64 =
                line.parse().ok().filter(|&n| n > 0).with_context(|| {
                    format!("{at:?}: {line:?} is not a line number (1, 2, ...)")
                })?;
            let text =
                std::fs::read_to_string(file).with_context(|| format!("{file}: cannot read"))?;
            let l = text
                .lines()
                .nth(n as usize - 1)
                .with_context(|| format!("{file}: has {} lines, not {n}", text.lines().count()))?;
            Ok((PathBuf::from(file), n, l.to_string()))
        }
        (None, Some(f), Some(id)) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("{}: cannot read", f.display()))?;
            for (i, l) in text.lines().enumerate() {
                // Cheap filter first; the id is then compared exactly.
                if l.contains(id.as_str()) {
                    if let Ok(line) = Line::parse(l) {
                        if line.str("id").ok() == Some(id.as_str()) {
                            return Ok((f.clone(), i as u64 + 1, l.to_string()));
                        }
                    }
                }
            }
            bail!("{}: no vector with id {id:?}", f.display())
        }
        _ => bail!("give FILE:LINE, or --vectors FILE --id ID"),
    }
}

fn at(path: &Path, line: u64, err: FieldError) -> anyhow::Error {
    LineError {
        source: path.display().to_string(),
        line,
        err,
    }
    .into()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (path, ln, text) = locate(&args)?;
    let l = Line::parse(&text).map_err(|e| at(&path, ln, e))?;
    if l.has("codes") || l.has("x") {
        bail!(
            "{}:{ln}: a quantize vector; explain covers dot vectors (spec/quantize.md gives the quantize steps)",
            path.display()
        );
    }
    let e = |err| at(&path, ln, err);
    let spec = DotSpec {
        a_fmt: l.format("a_fmt").map_err(e)?,
        b_fmt: l.format("b_fmt").map_err(e)?,
        scale_fmt: l.format_or("scale_fmt", FormatId::E8m0).map_err(e)?,
        block: l.usize_or("block", 32).map_err(e)?,
    };
    let (mut a, mut b, mut sa, mut sb) = (vec![], vec![], vec![], vec![]);
    l.code_array("a", spec.a_fmt, &mut a).map_err(e)?;
    l.code_array("b", spec.b_fmt, &mut b).map_err(e)?;
    l.code_array("sa", spec.scale_fmt, &mut sa).map_err(e)?;
    l.code_array("sb", spec.scale_fmt, &mut sb).map_err(e)?;
    let c = l.hex_u32_or("c", 0).map_err(e)?;
    let nname = l.str_or("numerics", "exact").map_err(e)?;
    let n = load_numerics(nname).map_err(|m| e(FieldError::new("numerics", format!("{m:#}"))))?;
    let dot = Dot::new(spec, &n).map_err(|d| e(FieldError::new(d.field(), d.to_string())))?;
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &sa,
        sb: &sb,
        c,
    };
    let x = dot
        .explain(&ops)
        .map_err(|d| e(FieldError::new(d.field(), d.to_string())))?;
    let mut out = String::new();
    if let Ok(id) = l.str("id") {
        out.push_str(&format!("vector {id} ({}:{ln})\n", path.display()));
    } else {
        out.push_str(&format!("{}:{ln}\n", path.display()));
    }
    describe_dot(&l, &mut out).map_err(e)?;
    out.push_str(&format!("numerics {}: {}\n", n.name, n.description));
    if x.special {
        out.push_str("NaN or Inf among the inputs: the special-value rules decide (spec/numerics.md, section 2)\n");
    } else {
        for s in &x.steps {
            out.push_str(&format!("  {s}\n"));
        }
    }
    out.push_str(&format!("D = {}\n", show_f32(x.d)));
    let mut verdict = Ok(());
    if l.has("d") {
        let want = l.hex_u32("d").map_err(e)?;
        if want == x.d {
            out.push_str("matches the file's expected d\n");
        } else {
            out.push_str(&format!(
                "DIFFERS from the file's expected d = {}\n",
                show_f32(want)
            ));
            verdict = Err(anyhow::anyhow!(
                "{}:{ln}: the model gives {:#010x}, the file expects {want:#010x}",
                path.display(),
                x.d
            ));
        }
    }
    print!("{out}");
    verdict
}
