//! `mxref formats`: the properties of every format, derived from the one format table.

use mxref_model::format::{Class, Format, Kind, Role, Specials, Value};
use mxref_model::FORMATS;
use serde_json::json;
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON (one object per format, with the value of every code) instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let text = if args.json {
        serde_json::to_string_pretty(&json_listing())? + "\n"
    } else {
        text_listing()
    };
    use std::io::Write;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// `sig * 2^exp` as f64; exact for every format in the table (|exp| stays far inside f64).
fn to_f64(sig: u64, exp: i32) -> f64 {
    sig as f64 * 2f64.powi(exp)
}

fn value_f64(v: &Value) -> f64 {
    let m = match v.class {
        Class::Zero => 0.0,
        Class::Finite => to_f64(v.sig as u64, v.exp),
        Class::Inf => f64::INFINITY,
        Class::Nan => return f64::NAN,
    };
    if v.neg {
        -m
    } else {
        m
    }
}

/// Exact text for `sig * 2^exp`: a decimal when short, else `k*2^e` with k odd.
pub fn exact(sig: u64, exp: i32) -> String {
    if sig == 0 {
        return "0".into();
    }
    let (mut k, mut e) = (sig, exp);
    while k.is_multiple_of(2) {
        k /= 2;
        e += 1;
    }
    if (0..=40).contains(&e) && (k as u128) << e < 1u128 << 60 {
        return ((k as u128) << e).to_string();
    }
    if (-24..0).contains(&e) {
        // k / 2^-e = k * 5^-e / 10^-e: exact decimal with -e digits after the point.
        let n = (k as u128) * 5u128.pow((-e) as u32);
        let digits = (-e) as usize;
        let s = format!("{n:0>width$}", width = digits + 1);
        let (int, frac) = s.split_at(s.len() - digits);
        return format!("{int}.{frac}");
    }
    if k == 1 {
        format!("2^{e}")
    } else {
        format!("{k}*2^{e}")
    }
}

fn value_text(v: &Value) -> String {
    let s = if v.neg { "-" } else { "" };
    match v.class {
        Class::Zero => format!("{s}0"),
        Class::Finite => format!("{s}{}", exact(v.sig as u64, v.exp)),
        Class::Inf => format!("{s}Inf"),
        Class::Nan => "NaN".into(),
    }
}

/// Widest format whose every code is listed (`values`, `nan_codes`); FP32's 2^32 are not.
const LISTED_BITS: u32 = 19;

fn special_codes(f: &Format) -> (Vec<u32>, Vec<u32>) {
    let (mut nan, mut inf) = (Vec::new(), Vec::new());
    // Wide formats: specials sit at the all-ones exponent (IEEE rows), so only those codes
    // are visited.
    let candidates: Box<dyn Iterator<Item = u32>> = if f.bits() <= LISTED_BITS {
        Box::new(0..=f.code_mask())
    } else {
        let top = ((1u32 << f.exp_bits) - 1) << f.man_bits;
        let sign = 1u32 << (f.bits() - 1);
        Box::new((0..1u32 << f.man_bits).flat_map(move |m| [top | m, sign | top | m]))
    };
    for c in candidates {
        match f.decode_unchecked(c).class {
            Class::Nan => nan.push(c),
            Class::Inf => inf.push(c),
            _ => {}
        }
    }
    (nan, inf)
}

fn hex_list(codes: &[u32], digits: usize) -> String {
    codes
        .iter()
        .map(|c| format!("0x{c:0digits$x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex_digits(f: &Format) -> usize {
    f.bits().div_ceil(4) as usize
}

fn specials_text(f: &Format) -> String {
    let (nan, inf) = special_codes(f);
    let d = hex_digits(f);
    match (nan.is_empty(), inf.is_empty()) {
        (true, true) => "none".into(),
        (false, true) => format!("NaN {}; no Inf", hex_list(&nan, d)),
        (false, false) if nan.len() > 4 => format!(
            "Inf {}; NaN {} codes ({} ..)",
            hex_list(&inf, d),
            nan.len(),
            hex_list(&nan[..2], d)
        ),
        _ => format!("Inf {}; NaN {}", hex_list(&inf, d), hex_list(&nan, d)),
    }
}

fn text_listing() -> String {
    let mut o = String::new();
    let header = [
        "name",
        "long name",
        "role",
        "bits",
        "e/m",
        "bias",
        "emin",
        "emax",
        "max normal",
        "min normal",
        "min subnormal",
        "specials",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for f in FORMATS.iter() {
        let (ms, me) = f.max_finite();
        let (ns, ne) = f.min_normal();
        let emin_emax = match f.kind {
            Kind::Int => ("-".to_string(), "-".to_string()),
            Kind::Float => (f.emin().to_string(), f.emax().to_string()),
        };
        rows.push(vec![
            f.name.into(),
            f.long_name.into(),
            match f.role {
                Role::Element => "element".into(),
                Role::Scale => "scale".into(),
            },
            f.bits().to_string(),
            match f.kind {
                Kind::Int => format!("int{}", f.bits()),
                Kind::Float => format!(
                    "{}{}/{}",
                    if f.signed { "s/" } else { "" },
                    f.exp_bits,
                    f.man_bits
                ),
            },
            match f.kind {
                Kind::Int => "-".into(),
                Kind::Float => f.bias.to_string(),
            },
            emin_emax.0,
            emin_emax.1,
            exact(ms, me),
            exact(ns, ne),
            f.min_subnormal()
                .map(|(s, e)| exact(s, e))
                .unwrap_or_else(|| "-".into()),
            specials_text(f),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for (n, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        o.push_str(line.join("  ").trim_end());
        o.push('\n');
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            o.push_str(&rule.join("  "));
            o.push('\n');
        }
    }
    o.push_str(
        "\nint8: two's complement times 2^-6; 0x80 (-2) decodes but is never produced (encode saturates to +-127/64).\n\
         e8m0: 2^(code-127), no zero, no sign; its one NaN is 0xff.\n",
    );
    for f in FORMATS.iter().filter(|f| f.bits() <= 6) {
        let _ = writeln!(o, "\n{} ({}) codes:", f.name, f.long_name);
        let d = hex_digits(f);
        let texts: Vec<String> = (0..=f.code_mask())
            .map(|c| value_text(&f.decode_unchecked(c)))
            .collect();
        let w = texts.iter().map(|t| t.len()).max().unwrap_or(0);
        let cells: Vec<String> = texts
            .iter()
            .enumerate()
            .map(|(c, t)| format!("0x{c:0d$x} {t:>w$}"))
            .collect();
        for chunk in cells.chunks(8) {
            o.push_str(chunk.join("   ").trim_end());
            o.push('\n');
        }
    }
    o
}

fn json_listing() -> serde_json::Value {
    let list: Vec<serde_json::Value> = FORMATS
        .iter()
        .map(|f| {
            let (nan, inf) = special_codes(f);
            let (ms, me) = f.max_finite();
            let (ns, ne) = f.min_normal();
            let listed = f.bits() <= LISTED_BITS;
            let values: Option<Vec<serde_json::Value>> = listed.then(|| {
                (0..=f.code_mask())
                    .map(|c| {
                        let v = f.decode_unchecked(c);
                        match v.class {
                            Class::Nan => json!("nan"),
                            Class::Inf => json!(if v.neg { "-inf" } else { "inf" }),
                            _ => json!(value_f64(&v)),
                        }
                    })
                    .collect()
            });
            let nan_count = nan.len();
            json!({
                "name": f.name,
                "long_name": f.long_name,
                "role": f.role,
                "kind": f.kind,
                "bits": f.bits(),
                "signed": f.signed,
                "exp_bits": f.exp_bits,
                "man_bits": f.man_bits,
                "bias": f.bias,
                "subnormals": f.subnormals,
                "specials": f.specials,
                "emin": f.emin(),
                "emax": f.emax(),
                "max_normal": to_f64(ms, me),
                "max_normal_exact": exact(ms, me),
                "max_code": f.max_code(false),
                "min_normal": to_f64(ns, ne),
                "min_normal_exact": exact(ns, ne),
                "min_subnormal": f.min_subnormal().map(|(s, e)| to_f64(s, e)),
                "nan_codes": listed.then_some(nan),
                "nan_code_count": nan_count,
                "inf_codes": inf,
                "has_specials": f.specials != Specials::None,
                "values": values,
            })
        })
        .collect();
    json!({ "formats": list })
}

#[cfg(test)]
mod tests {
    use super::exact;

    #[test]
    fn exact_text() {
        assert_eq!(exact(3, 7), "384");
        assert_eq!(exact(7, -1), "3.5");
        assert_eq!(exact(1, -9), "0.001953125");
        assert_eq!(exact(1, -127), "2^-127");
        assert_eq!(exact(1, 127), "2^127");
        assert_eq!(exact(0, 5), "0");
        assert_eq!(exact(127, -6), "1.984375");
    }
}
