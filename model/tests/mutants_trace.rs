//! The text of `Dot::explain`'s steps (dot/trace.rs), which `mxref explain` prints: each exact
//! value shown as `±sig * 2^lsb (~±decimal)` must be the value the step holds, and a value with
//! more bits than the trace keeps must say so (`+ lower bits`). cargo-mutants survivors of
//! trace.rs were seen before only by the CLI's tests. Expected values are worked by hand below.

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;

fn spec() -> DotSpec {
    DotSpec {
        a_fmt: FormatId::E4m3,
        b_fmt: FormatId::E4m3,
        scale_fmt: FormatId::E8m0,
        block: 32,
    }
}

/// `±0xSIG * 2^LSB (~±APPROX)` or `±0` at the start of `s`: (value as f64, approximate, rest).
fn value(s: &str) -> (f64, Option<f64>, &str) {
    let sign = match &s[..1] {
        "+" => 1.0,
        "-" => -1.0,
        other => panic!("{s:?}: no sign ({other:?})"),
    };
    let s = &s[1..];
    if let Some(rest) = s.strip_prefix('0').filter(|r| !r.starts_with('x')) {
        return (0.0, None, rest);
    }
    let s = s
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("{s:?}: no 0x"));
    let (sig, s) = s.split_once(" * 2^").unwrap();
    let (lsb, s) = s.split_once(" (~").unwrap();
    let (approx, rest) = s.split_once(')').unwrap();
    let sig = u128::from_str_radix(sig, 16).unwrap() as f64;
    let v = sign * sig * 2f64.powi(lsb.parse().unwrap());
    (v, Some(approx.parse().unwrap()), rest)
}

fn explain(a: &[u32], b: &[u32], sa: &[u32], sb: &[u32]) -> (Vec<String>, u32) {
    let n = preset("exact").unwrap();
    let dot = Dot::new(spec(), &n).unwrap();
    let ops = Operands { a, b, sa, sb, c: 0 };
    let e = dot.explain(&ops).unwrap();
    assert!(!e.special);
    (e.steps.iter().map(|s| s.to_string()).collect(), e.d)
}

/// 1.0 * 1.5 + 1.0 * 1.0 = 2.5 (E4M3 0x38 = 1.0, 0x3c = 1.5; scales 2^0): every step's
/// value, shown exactly and approximately, is one product or 2.5; D = 2.5 = 0x40200000.
#[test]
fn steps_show_their_exact_values() {
    let mut a = vec![0u32; 32];
    let mut b = vec![0u32; 32];
    (a[0], b[0], a[1], b[1]) = (0x38, 0x3c, 0x38, 0x38);
    let (steps, d) = explain(&a, &b, &[127], &[127]);
    assert_eq!(d, 0x4020_0000);
    let mut terms = vec![];
    let (mut sums, mut outputs) = (0, 0);
    for s in &steps {
        if let Some(t) = s.strip_prefix("group 0: term ") {
            let (v, approx, rest) = value(t);
            assert_eq!(approx, Some(v), "{s}");
            assert!(rest.starts_with(" (alignment exponent "), "{s}");
            terms.push(v);
        } else if let Some(t) = s
            .strip_prefix("group 0: sum ")
            .or_else(|| s.strip_prefix("group 0: accumulator "))
        {
            let (v, approx, rest) = value(t);
            assert_eq!((v, approx, rest), (2.5, Some(2.5), ""), "{s}");
            sums += 1;
        } else if let Some(t) = s.strip_prefix("rounded to the output format: ") {
            assert_eq!(value(t), (2.5, Some(2.5), ""), "{s}");
            outputs += 1;
        }
    }
    terms.sort_by(f64::total_cmp);
    assert_eq!(terms, [1.0, 1.5], "{steps:#?}");
    assert!(sums >= 1 && outputs == 1, "{steps:#?}");
}

/// Two blocks whose products are 2^120 (scales 2^60 * 2^60) and 2^-120 (2^-60 * 2^-60): the
/// exact sum 2^120 + 2^-120 spans 241 bits, more than the 128 a step shows, so the sum is shown
/// as its top bits `+ lower bits` (`exact` sums both blocks in one group); the output, rounded
/// to FP32, is 2^120 exactly and shown plainly. D = 2^120 (0x7b800000).
#[test]
fn wide_values_say_that_lower_bits_are_left_out() {
    let mut a = vec![0u32; 64];
    let mut b = vec![0u32; 64];
    (a[0], b[0], a[32], b[32]) = (0x38, 0x38, 0x38, 0x38);
    let (steps, d) = explain(&a, &b, &[127 + 60, 127 - 60], &[127 + 60, 127 - 60]);
    assert_eq!(d, 0x7b80_0000);
    let accs: Vec<&String> = steps
        .iter()
        .filter(|s| s.contains("accumulator") || s.contains(": sum "))
        .collect();
    let wide: Vec<&&String> = accs
        .iter()
        .filter(|s| s.ends_with(" + lower bits"))
        .collect();
    assert!(!wide.is_empty(), "{steps:#?}");
    for s in &wide {
        let t = s
            .split_once(": accumulator ")
            .or(s.split_once(": sum "))
            .unwrap()
            .1;
        let (v, approx, rest) = value(t);
        assert_eq!(
            (v, approx, rest),
            (2f64.powi(120), Some(2f64.powi(120)), " + lower bits"),
            "{s}"
        );
    }
    // Rounded to FP32 the value fits: shown plainly.
    let out = steps
        .iter()
        .find_map(|s| s.strip_prefix("rounded to the output format: "))
        .unwrap_or_else(|| panic!("{steps:#?}"));
    let p = 2f64.powi(120);
    assert_eq!(value(out), (p, Some(p), ""), "{out}");
}

/// A zero sum is shown as `+0` (1.0 * 1.0 - 1.0 * 1.0; E4M3 0xb8 = -1.0).
#[test]
fn zero_is_shown_as_zero() {
    let mut a = vec![0u32; 32];
    let mut b = vec![0u32; 32];
    (a[0], b[0], a[1], b[1]) = (0x38, 0x38, 0xb8, 0x38);
    let (steps, d) = explain(&a, &b, &[127], &[127]);
    assert_eq!(d, 0);
    let s = steps
        .iter()
        .find(|s| s.starts_with("rounded to the output format: "))
        .unwrap_or_else(|| panic!("{steps:#?}"));
    assert_eq!(s, "rounded to the output format: +0");
}
