//! `mxref check`: compare results from a device (RTL simulation, GPU) with golden vectors.
//!
//! `--vectors` is a vector file of `mxref gen` (dot or quantize lines, told apart by their
//! expected field: `d`, or `scales`/`codes`). `--results` is either JSON Lines with `id` and
//! the same result field(s), matched by id in any order, or a plain list of FP32 words in hex
//! (one per line, `0x` optional, `//` comments and blank lines skipped) in vector order, for
//! dot vectors. Exit status: 0 every vector passed, 1 some failed or had no result, 2 bad input.

use crate::jsonl::{FieldError, Line, LineError};
use mxref_model::format::{decode_f32, Class};
use mxref_model::FormatId;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Golden vector file (JSON Lines written by `mxref gen`).
    #[arg(long)]
    pub vectors: PathBuf,
    /// Results to check: JSON Lines with `id` and `d` (or `scales` and `codes`), or one hex
    /// FP32 word per line in vector order.
    #[arg(long)]
    pub results: PathBuf,
    /// Report at most this many mismatches in detail (all are counted).
    #[arg(long, default_value_t = 20)]
    pub max_report: usize,
}

/// What a result line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    D(u32),
    Quant { scales: Vec<u32>, codes: Vec<u32> },
}

fn lines(path: &Path) -> anyhow::Result<Vec<(u64, String)>> {
    let f =
        File::open(path).map_err(|e| anyhow::anyhow!("{}: cannot open: {e}", path.display()))?;
    let mut out = vec![];
    for (i, l) in BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| anyhow::anyhow!("{}: line {}: {e}", path.display(), i + 1))?;
        if !l.trim().is_empty() {
            out.push((i as u64 + 1, l));
        }
    }
    Ok(out)
}

fn at(path: &Path, line: u64, err: FieldError) -> anyhow::Error {
    LineError {
        source: path.display().to_string(),
        line,
        err,
    }
    .into()
}

/// A FP32 word of a hex results list.
fn hex_word(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let h = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if h.is_empty() || h.len() > 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("expected a 32-bit hex word, got {t:?}"));
    }
    Ok(u32::from_str_radix(h, 16).expect("checked"))
}

/// Order-preserving integer of a FP32 pattern, for ULP distances.
fn ordered(bits: u32) -> i64 {
    let m = (bits & 0x7fff_ffff) as i64;
    if bits >> 31 == 1 {
        -m
    } else {
        m
    }
}

/// ULP distance between two FP32 patterns; `None` if either is NaN.
pub fn ulp_distance(a: u32, b: u32) -> Option<u64> {
    let nan = |x: u32| x & 0x7f80_0000 == 0x7f80_0000 && x & 0x7f_ffff != 0;
    if nan(a) || nan(b) {
        return None;
    }
    Some((ordered(a) - ordered(b)).unsigned_abs())
}

/// A number in plain notation when that is short, else in scientific notation.
fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e7).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// FP32 bits shown with their value.
pub fn show_f32(bits: u32) -> String {
    let v = f32::from_bits(bits);
    if v.is_nan() {
        format!("0x{bits:08x} (NaN)")
    } else if v == 0.0 && bits >> 31 == 1 {
        format!("0x{bits:08x} (-0)")
    } else {
        let a = v.abs();
        if a == 0.0 || (1e-4..1e7).contains(&a) {
            format!("0x{bits:08x} ({v})")
        } else {
            format!("0x{bits:08x} ({v:e})")
        }
    }
}

/// A code shown with its value in `f`.
pub fn show_code(f: FormatId, code: u32) -> String {
    let v = f.format().decode_unchecked(code);
    let val = match v.class {
        Class::Nan => "NaN".to_string(),
        Class::Inf => (if v.neg { "-Inf" } else { "+Inf" }).to_string(),
        Class::Zero => (if v.neg { "-0" } else { "0" }).to_string(),
        Class::Finite if f == FormatId::E8m0 => format!("2^{}", v.exp),
        Class::Finite => {
            let m = v.sig as f64 * 2f64.powi(v.exp);
            num(if v.neg { -m } else { m })
        }
    };
    format!("0x{code:02x}={val}")
}

/// The operands of a dot vector, decoded (non-zero elements only; zeros are summarised).
pub fn describe_dot(v: &Line, out: &mut String) -> Result<(), FieldError> {
    let a_fmt = v.format("a_fmt")?;
    let b_fmt = v.format("b_fmt")?;
    let s_fmt = v.format_or("scale_fmt", FormatId::E8m0)?;
    let block = v.usize_or("block", 32)?.max(1);
    let (mut a, mut b, mut sa, mut sb) = (vec![], vec![], vec![], vec![]);
    v.code_array("a", a_fmt, &mut a)?;
    v.code_array("b", b_fmt, &mut b)?;
    v.code_array("sa", s_fmt, &mut sa)?;
    v.code_array("sb", s_fmt, &mut sb)?;
    // A hand-edited vector file can disagree with itself; say so instead of indexing past it.
    if b.len() != a.len() {
        return Err(FieldError::new(
            "b",
            format!("length {} differs from a's {}", b.len(), a.len()),
        ));
    }
    let blocks = a.len().div_ceil(block);
    for (field, s) in [("sa", &sa), ("sb", &sb)] {
        if s.len() != blocks {
            return Err(FieldError::new(
                field,
                format!("has {} scales for {blocks} blocks of {block}", s.len()),
            ));
        }
    }
    let c = v.hex_u32_or("c", 0)?;
    let _ = writeln!(
        out,
        "  {a_fmt} x {b_fmt}, {s_fmt} scales, block {block}, K {}, numerics {}, c {}",
        a.len(),
        v.str_or("numerics", "exact")?,
        show_f32(c)
    );
    for k in 0..sa.len() {
        let _ = write!(
            out,
            "  block {k}: sa {} sb {}:",
            show_code(s_fmt, sa[k]),
            show_code(s_fmt, sb[k])
        );
        let mut zeros = 0;
        for i in k * block..((k + 1) * block).min(a.len()) {
            let (x, y) = (
                a_fmt.format().decode_unchecked(a[i]),
                b_fmt.format().decode_unchecked(b[i]),
            );
            if x.class == Class::Zero || y.class == Class::Zero {
                zeros += 1;
                continue;
            }
            let _ = write!(
                out,
                " [{i}] {} * {}",
                show_code(a_fmt, a[i]),
                show_code(b_fmt, b[i])
            );
        }
        let _ = writeln!(out, " ({zeros} zero products)");
    }
    Ok(())
}

fn parse_got(l: &Line, quant: bool) -> Result<Got, FieldError> {
    if quant {
        let (mut s, mut c) = (vec![], vec![]);
        // Results need not carry the formats: codes are checked as plain integers.
        for (field, out) in [("scales", &mut s), ("codes", &mut c)] {
            l.code_array(field, FormatId::Int8, out).map_err(|e| {
                FieldError::new(
                    e.field.as_deref().unwrap_or(field),
                    e.msg.replace("int8", "an 8-bit code"),
                )
            })?;
        }
        Ok(Got::Quant {
            scales: s,
            codes: c,
        })
    } else {
        Ok(Got::D(l.hex_u32("d")?))
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match check(&args) {
        Ok(true) => Ok(()),
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("mxref check: {e:#}");
            std::process::exit(2)
        }
    }
}

/// Returns whether everything passed; errors are bad input.
pub(crate) fn check(args: &Args) -> anyhow::Result<bool> {
    let start = std::time::Instant::now();
    let vp = &args.vectors;
    let rp = &args.results;
    let vectors = lines(vp)?;
    let results = lines(rp)?;
    if vectors.is_empty() {
        anyhow::bail!("{}: no vectors", vp.display());
    }
    // Parse the vectors: id, kind, expected.
    let mut vs = Vec::with_capacity(vectors.len());
    let mut index = HashMap::with_capacity(vectors.len());
    for (ln, text) in &vectors {
        let l = Line::parse(text).map_err(|e| at(vp, *ln, e))?;
        let id = l.str("id").map_err(|e| at(vp, *ln, e))?.to_string();
        let quant = l.has("codes");
        if !quant && !l.has("d") {
            return Err(at(
                vp,
                *ln,
                FieldError::line("neither \"d\" nor \"codes\": not a vector file of mxref gen"),
            ));
        }
        let want = parse_got(&l, quant).map_err(|e| at(vp, *ln, e))?;
        if index.insert(id.clone(), vs.len()).is_some() {
            return Err(at(
                vp,
                *ln,
                FieldError::new("id", format!("{id:?} appears twice")),
            ));
        }
        vs.push((*ln, id, quant, want));
    }
    // Parse the results into one slot per vector.
    let mut got: Vec<Option<Got>> = vec![None; vs.len()];
    let json = results
        .first()
        .is_some_and(|(_, t)| t.trim_start().starts_with('{'));
    if json {
        for (ln, text) in &results {
            let l = Line::parse(text).map_err(|e| at(rp, *ln, e))?;
            let id = l.str("id").map_err(|e| at(rp, *ln, e))?;
            let Some(&k) = index.get(id) else {
                return Err(at(
                    rp,
                    *ln,
                    FieldError::new("id", format!("{id:?} is not in {}", vp.display())),
                ));
            };
            if got[k].is_some() {
                return Err(at(
                    rp,
                    *ln,
                    FieldError::new("id", format!("{id:?} has two results")),
                ));
            }
            got[k] = Some(parse_got(&l, vs[k].2).map_err(|e| at(rp, *ln, e))?);
        }
    } else {
        if vs.iter().any(|v| v.2) {
            anyhow::bail!(
                "{}: a hex results list fits dot vectors only; give quantize results as JSON Lines",
                rp.display()
            );
        }
        let words: Vec<(u64, &str)> = results
            .iter()
            .map(|(ln, t)| (*ln, t.split("//").next().unwrap_or("").trim()))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        if words.len() > vs.len() {
            return Err(at(
                rp,
                words[vs.len()].0,
                FieldError::line(format!("more results than the {} vectors", vs.len())),
            ));
        }
        for (k, (ln, t)) in words.iter().enumerate() {
            got[k] = Some(Got::D(
                hex_word(t).map_err(|m| at(rp, *ln, FieldError::line(m)))?,
            ));
        }
    }
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    let (mut pass, mut fail, mut missing, mut reported) = (0u64, 0u64, 0u64, 0usize);
    let mut max_ulp = 0u64;
    for (k, (ln, id, _, want)) in vs.iter().enumerate() {
        let Some(g) = &got[k] else {
            missing += 1;
            continue;
        };
        if g == want {
            pass += 1;
            continue;
        }
        fail += 1;
        let mut r = String::new();
        if let (Got::D(w), Got::D(g)) = (want, g) {
            if let Some(u) = ulp_distance(*w, *g) {
                max_ulp = max_ulp.max(u);
            }
        }
        if reported >= args.max_report {
            continue;
        }
        reported += 1;
        let _ = writeln!(r, "FAIL {id} ({}:{ln})", vp.display());
        let l = Line::parse(&vectors[k].1).expect("parsed above");
        match (want, g) {
            (Got::D(w), Got::D(g)) => {
                describe_dot(&l, &mut r).map_err(|e| at(vp, *ln, e))?;
                let ulp = ulp_distance(*w, *g).map_or("n/a (NaN)".to_string(), |u| u.to_string());
                let _ = writeln!(
                    r,
                    "  expected {}  got {}  ulp distance {ulp}",
                    show_f32(*w),
                    show_f32(*g)
                );
                let (cw, cg) = (decode_f32(*w), decode_f32(*g));
                if cw.class == Class::Zero && cg.class == Class::Zero {
                    let _ = writeln!(
                        r,
                        "  (the sign of zero differs: see spec/numerics.md for the -0 rule)"
                    );
                }
            }
            (
                Got::Quant {
                    scales: ws,
                    codes: wc,
                },
                Got::Quant {
                    scales: gs,
                    codes: gc,
                },
            ) => {
                let elem = l.format("elem").map_err(|e| at(vp, *ln, e))?;
                let sf = l
                    .format_or("scale_fmt", FormatId::E8m0)
                    .map_err(|e| at(vp, *ln, e))?;
                let mut x = vec![];
                l.hex_u32_array("x", &mut x).map_err(|e| at(vp, *ln, e))?;
                let _ = writeln!(
                    r,
                    "  {elem}, {sf} scales, rule {}, round {}",
                    l.str_or("scale_rule", "floor").unwrap_or("?"),
                    l.str_or("round", "rne").unwrap_or("?")
                );
                if ws.len() != gs.len() || wc.len() != gc.len() {
                    let _ = writeln!(
                        r,
                        "  expected {} scales and {} codes, got {} and {}",
                        ws.len(),
                        wc.len(),
                        gs.len(),
                        gc.len()
                    );
                }
                for (i, (w, g)) in ws.iter().zip(gs).enumerate() {
                    if w != g {
                        let _ = writeln!(
                            r,
                            "  scales[{i}]: expected {}  got {}",
                            show_code(sf, *w),
                            show_code(sf, (*g).min(sf.format().codes() - 1))
                        );
                    }
                }
                for (i, (w, g)) in wc.iter().zip(gc).enumerate() {
                    if w != g {
                        let _ = writeln!(
                            r,
                            "  codes[{i}]: x {}  expected {}  got {}",
                            x.get(i).map_or("?".into(), |b| show_f32(*b)),
                            show_code(elem, *w),
                            show_code(elem, (*g).min(elem.format().codes() - 1))
                        );
                    }
                }
            }
            _ => unreachable!("results are parsed as their vector's kind"),
        }
        o.write_all(r.as_bytes())?;
    }
    let total = vs.len() as u64;
    let secs = start.elapsed().as_secs_f64();
    let _ = writeln!(
        o,
        "{}: {total} vectors: {pass} pass, {fail} fail, {missing} without a result{} ({:.0} vectors/s)",
        vp.display(),
        if fail > 0 && max_ulp > 0 { format!(", largest ulp distance {max_ulp}") } else { String::new() },
        total as f64 / secs.max(1e-9)
    );
    if fail as usize > reported {
        let _ = writeln!(
            o,
            "({} more mismatches not shown; --max-report raises the limit)",
            fail as usize - reported
        );
    }
    o.flush()?;
    Ok(fail == 0 && missing == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_distance_crosses_zero_and_skips_nan() {
        assert_eq!(ulp_distance(0x3f80_0000, 0x3f80_0001), Some(1));
        assert_eq!(ulp_distance(0x0000_0001, 0x8000_0001), Some(2));
        assert_eq!(ulp_distance(0x0000_0000, 0x8000_0000), Some(0));
        assert_eq!(ulp_distance(0x7f7f_ffff, 0x7f80_0000), Some(1));
        assert_eq!(ulp_distance(0x7fc0_0000, 0x3f80_0000), None);
    }

    #[test]
    fn hex_words() {
        assert_eq!(hex_word("0x3f800000"), Ok(0x3f80_0000));
        assert_eq!(hex_word(" 7f800000 "), Ok(0x7f80_0000));
        assert!(hex_word("0x123456789").is_err());
        assert!(hex_word("zz").is_err());
    }
}
