//! `mxref check`: compare results from a device (RTL simulation, GPU) with golden vectors.
//!
//! `--vectors` is a vector file of `mxref gen` (dot or quantize lines, told apart by their
//! expected field: `d`, or `scales`/`codes`). `--results` is either JSON Lines with `id` and
//! the same result field(s), matched by id in any order, or a plain list of FP32 words in hex
//! (one per line, `0x` optional, `//` comments and blank lines skipped) in vector order, for
//! dot vectors. Exit status: 0 every vector passed, 1 some failed or had no result, 2 bad input.
//!
//! Both files are streamed, one line at a time: results in vector order (what a testbench or
//! `mxref dot` writes) are matched as they come. A result that comes before its vector is
//! parked (its text) until the vector is read, so memory grows only with how far results run
//! ahead of their vectors; besides that, a 128-bit hash of every vector id (for duplicate and
//! stray ids) and at most `--max-report` reports, printed once the input is all read.

use crate::jsonl::{FieldError, Line, Lines};
use mxref_model::format::{decode_f32, Class};
use mxref_model::FormatId;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::path::PathBuf;

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

/// Vector ids as 128-bit keyed hashes: the duplicate check holds 16 bytes a vector, not the
/// ids. Two ids collide with probability about n^2 / 2^129 (n = 10^9: 10^-21), and the keys
/// are random per run, so no input can aim for a collision.
struct IdSet {
    keys: (RandomState, RandomState),
    set: HashSet<u128>,
}

impl IdSet {
    fn new() -> IdSet {
        IdSet {
            keys: (RandomState::new(), RandomState::new()),
            set: HashSet::new(),
        }
    }
    fn key(&self, id: &str) -> u128 {
        (self.keys.0.hash_one(id) as u128) << 64 | self.keys.1.hash_one(id) as u128
    }
    /// Whether `id` was new.
    fn insert(&mut self, id: &str) -> bool {
        let k = self.key(id);
        self.set.insert(k)
    }
    fn contains(&self, id: &str) -> bool {
        self.set.contains(&self.key(id))
    }
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

/// The results file: JSON Lines matched by id, or a hex word list in vector order.
struct Results {
    input: Lines,
    json: bool,
    /// The first non-blank line, read to tell the two forms apart, not yet consumed.
    first: Option<(u64, String)>,
    /// Results read ahead of their vectors: id -> (line, text).
    parked: HashMap<String, (u64, Box<str>)>,
    /// The end of the file was reached.
    done: bool,
}

impl Results {
    fn open(path: &std::path::Path) -> anyhow::Result<Results> {
        let mut input = Lines::open_file(path)?;
        let first = input.next_nonblank()?.map(|(n, t)| (n, t.to_string()));
        let json = first
            .as_ref()
            .is_some_and(|(_, t)| t.trim_start().starts_with('{'));
        Ok(Results {
            done: first.is_none(),
            input,
            json,
            first,
            parked: HashMap::new(),
        })
    }

    /// The next non-blank line, the held first line first; marks the end.
    fn next(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        if let Some(f) = self.first.take() {
            return Ok(Some(f));
        }
        if self.done {
            return Ok(None);
        }
        match self.input.next_nonblank()? {
            Some((n, t)) => Ok(Some((n, t.to_string()))),
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }

    /// The next word of a hex list (`//` comments and empty lines skipped).
    fn next_word(&mut self) -> anyhow::Result<Option<(u64, String)>> {
        while let Some((n, t)) = self.next()? {
            let w = t.split("//").next().unwrap_or("").trim();
            if !w.is_empty() {
                return Ok(Some((n, w.to_string())));
            }
        }
        Ok(None)
    }

    /// A JSON result line: parsed, with its id.
    fn parse(&self, ln: u64, text: &str) -> anyhow::Result<(Line, String)> {
        let l = Line::parse(text).map_err(|e| self.input.error(ln, e))?;
        let id = l
            .str("id")
            .map_err(|e| self.input.error(ln, e))?
            .to_string();
        Ok((l, id))
    }

    /// The result for vector `id` (already in `seen`), reading ahead and parking other
    /// results until it comes; `None` once the file has ended without it.
    fn find(&mut self, id: &str, quant: bool, seen: &IdSet) -> anyhow::Result<Option<Got>> {
        if let Some((ln, text)) = self.parked.remove(id) {
            let (l, _) = self.parse(ln, &text)?;
            return parse_got(&l, quant)
                .map(Some)
                .map_err(|e| self.input.error(ln, e));
        }
        while let Some((ln, text)) = self.next()? {
            let (l, rid) = self.parse(ln, &text)?;
            if rid == id {
                return parse_got(&l, quant)
                    .map(Some)
                    .map_err(|e| self.input.error(ln, e));
            }
            // A vector read before this one was matched (results had not ended then), so
            // a result for it now, or a second one for a parked id, is a duplicate.
            if seen.contains(&rid) || self.parked.contains_key(&rid) {
                return Err(self.input.error(
                    ln,
                    FieldError::new("id", format!("{rid:?} has two results")),
                ));
            }
            self.parked.insert(rid, (ln, text.into_boxed_str()));
        }
        Ok(None)
    }

    /// After the last vector: any result left over is a stray or a duplicate.
    fn finish(&mut self, vp: &std::path::Path, total: u64, seen: &IdSet) -> anyhow::Result<()> {
        if !self.json {
            return match self.next_word()? {
                Some((ln, _)) => Err(self.input.error(
                    ln,
                    FieldError::line(format!("more results than the {total} vectors")),
                )),
                None => Ok(()),
            };
        }
        let not_in = |id: &str| FieldError::new("id", format!("{id:?} is not in {}", vp.display()));
        // Parked lines come before every line not read yet: report the first of them.
        if let Some((id, (ln, _))) = self.parked.iter().min_by_key(|(_, (ln, _))| *ln) {
            return Err(self.input.error(*ln, not_in(id)));
        }
        // The next result, if any: all vectors are read, so its id is a stray or a duplicate.
        let Some((ln, text)) = self.next()? else {
            return Ok(());
        };
        let (_, rid) = self.parse(ln, &text)?;
        let err = if seen.contains(&rid) {
            FieldError::new("id", format!("{rid:?} has two results"))
        } else {
            not_in(&rid)
        };
        Err(self.input.error(ln, err))
    }
}

/// Returns whether everything passed; errors are bad input.
pub(crate) fn check(args: &Args) -> anyhow::Result<bool> {
    let start = std::time::Instant::now();
    let vp = &args.vectors;
    let mut vin = Lines::open_file(vp)?;
    let mut res = Results::open(&args.results)?;
    let mut seen = IdSet::new();
    // Reports wait until every line is read: bad input anywhere prints nothing but its error.
    let mut report = String::new();
    let (mut total, mut pass, mut fail, mut missing, mut reported) = (0u64, 0u64, 0u64, 0u64, 0);
    let mut max_ulp = 0u64;
    while let Some((ln, text)) = vin.next_nonblank()? {
        let l = Line::parse(text).map_err(|e| vin.error(ln, e))?;
        let id = l.str("id").map_err(|e| vin.error(ln, e))?;
        let quant = l.has("codes");
        if !quant && !l.has("d") {
            return Err(vin.error(
                ln,
                FieldError::line("neither \"d\" nor \"codes\": not a vector file of mxref gen"),
            ));
        }
        let want = parse_got(&l, quant).map_err(|e| vin.error(ln, e))?;
        if !seen.insert(id) {
            return Err(vin.error(ln, FieldError::new("id", format!("{id:?} appears twice"))));
        }
        total += 1;
        let got = if res.json {
            res.find(id, quant, &seen)?
        } else {
            if quant {
                anyhow::bail!(
                    "{}: a hex results list fits dot vectors only; give quantize results as JSON Lines",
                    args.results.display()
                );
            }
            match res.next_word()? {
                Some((rln, w)) => Some(Got::D(
                    hex_word(&w).map_err(|m| res.input.error(rln, FieldError::line(m)))?,
                )),
                None => None,
            }
        };
        let Some(g) = got else {
            missing += 1;
            continue;
        };
        if g == want {
            pass += 1;
            continue;
        }
        fail += 1;
        if let (Got::D(w), Got::D(g)) = (&want, &g) {
            if let Some(u) = ulp_distance(*w, *g) {
                max_ulp = max_ulp.max(u);
            }
        }
        if reported >= args.max_report {
            continue;
        }
        reported += 1;
        describe_mismatch(&l, id, vp, ln, &want, &g, &mut report).map_err(|e| vin.error(ln, e))?;
    }
    if total == 0 {
        anyhow::bail!("{}: no vectors", vp.display());
    }
    res.finish(vp, total, &seen)?;
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    o.write_all(report.as_bytes())?;
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

/// The report of one failing vector `l` (line `ln` of `vp`), appended to `r`.
fn describe_mismatch(
    l: &Line,
    id: &str,
    vp: &std::path::Path,
    ln: u64,
    want: &Got,
    g: &Got,
    r: &mut String,
) -> Result<(), FieldError> {
    let _ = writeln!(r, "FAIL {id} ({}:{ln})", vp.display());
    match (want, g) {
        (Got::D(w), Got::D(g)) => {
            describe_dot(l, r)?;
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
            let elem = l.format("elem")?;
            let sf = l.format_or("scale_fmt", FormatId::E8m0)?;
            let mut x = vec![];
            l.hex_u32_array("x", &mut x)?;
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
                        show_code(sf, (*g).min(sf.format().code_mask()))
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
                        show_code(elem, (*g).min(elem.format().code_mask()))
                    );
                }
            }
        }
        _ => unreachable!("results are parsed as their vector's kind"),
    }
    Ok(())
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
