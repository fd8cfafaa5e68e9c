//! The directed dot suite (`gen::dots::directed`) for every preset, not only the two committed
//! (exact, rtl): each case family builds the values its tag and doc comment name. Values are
//! decoded here from the OCP element encodings (E4M3, E5M2) and FP32 bits, independently of
//! the generator. cargo-mutants survivors of gen/dots.rs that no committed suite could show
//! (an FP16 or FP13 output, groups of 64, windows other than rtl's 32 bits).

use mxref_model::gen::{self, DotCase};
use mxref_model::numerics::{preset, preset_names, Numerics};
use mxref_model::FormatId;

/// Exact value of an OCP E5M2 (bias 15) or E4M3 (bias 7) code as f64 (exact: small integers
/// times powers of two). NaN/Inf codes are not used by these families.
fn elem(f: FormatId, c: u32) -> f64 {
    let (man, bias) = match f {
        FormatId::E5m2 => (2, 15),
        FormatId::E4m3 => (3, 7),
        other => panic!("{other:?} not decoded here"),
    };
    let bits = 1 + (8 - 1 - man);
    let neg = c >> 7 & 1 == 1;
    let e = (c >> man & ((1 << (bits - 1)) - 1)) as i32;
    let m = (c & ((1 << man) - 1)) as f64;
    let v = if e == 0 {
        m * 2f64.powi(1 - bias - man)
    } else {
        (m + (1 << man) as f64) * 2f64.powi(e - bias - man)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// E8M0 scale code -> 2^(code - 127).
fn scale(c: u32) -> f64 {
    2f64.powi(c as i32 - 127)
}

/// The products of block `k` (scales included), zeros left out.
fn products(c: &DotCase, k: usize) -> Vec<f64> {
    let b = c.spec.block;
    let s = scale(c.sa[k]) * scale(c.sb[k]);
    (k * b..(k + 1) * b)
        .map(|i| elem(c.spec.a_fmt, c.a[i]) * elem(c.spec.b_fmt, c.b[i]) * s)
        .filter(|&p| p != 0.0)
        .collect()
}

fn all() -> impl Iterator<Item = (&'static str, Numerics)> {
    preset_names().map(|p| (p, preset(p).unwrap()))
}

fn find<'a>(cases: &'a [DotCase], tag: &str) -> &'a DotCase {
    cases
        .iter()
        .find(|c| c.tag == tag)
        .unwrap_or_else(|| panic!("no case {tag}"))
}

/// `code` gives the code of an exact value, however the value is written, and refuses one the
/// format does not hold (its own self-check).
#[test]
fn code_encodes_exact_values_and_refuses_others() {
    // 1.0 = 16 * 2^-4 = 1 * 2^0: E4M3 0x38 (exponent 7 = bias, fraction 0).
    assert_eq!(gen::dots::code(FormatId::E4m3, false, 16, -4), 0x38);
    assert_eq!(gen::dots::code(FormatId::E4m3, false, 1, 0), 0x38);
    // -1.5 = -3 * 2^-1: 0xbc. Zero: 0x00.
    assert_eq!(gen::dots::code(FormatId::E4m3, true, 3, -1), 0xbc);
    assert_eq!(gen::dots::code(FormatId::E4m3, false, 0, 5), 0x00);
    // 2^-9 is E4M3's smallest subnormal (0x01).
    assert_eq!(gen::dots::code(FormatId::E4m3, false, 1, -9), 0x01);
}

#[test]
#[should_panic(expected = "is not a e4m3 value")]
fn code_refuses_a_value_between_subnormals() {
    // 3 * 2^-10 = 1.5 * 2^-9 lies between the subnormals 2^-9 and 2^-8.
    gen::dots::code(FormatId::E4m3, false, 3, -10);
}

/// `out-tie-c1+ulp`: C is 1.0 plus one unit in the last place of the *output* format (FP32,
/// FP16's 10 fraction bits, cuBLAS fast accumulation's 13), and the product is half of that
/// unit: C + product is a tie of the output format.
#[test]
fn output_ties_sit_on_the_output_formats_ulp() {
    let mut narrow = 0;
    for (name, n) in all() {
        let cases = gen::dots::directed(&n);
        let mo = n.output.man_bits.unwrap_or(23) as i32;
        narrow += (mo < 23) as usize;
        let ulp = 2f64.powi(-mo);
        for (cname, c) in [("1", 1.0), ("1+ulp", 1.0 + ulp), ("1.5", 1.5)] {
            for neg in [false, true] {
                let s = if neg { "neg-" } else { "" };
                let sign = if neg { -1.0 } else { 1.0 };
                let case = find(&cases, &format!("out-tie-{s}c{cname}"));
                assert_eq!(
                    f32::from_bits(case.c) as f64,
                    sign * c,
                    "{name}: {}",
                    case.tag
                );
                assert_eq!(
                    products(case, 0),
                    [sign * ulp / 2.0],
                    "{name}: {}",
                    case.tag
                );
            }
        }
    }
    assert!(narrow >= 2, "presets with an output narrower than FP32");
}

/// acc-* cases: each block lands in a group of its own, so where a group holds more than one
/// block (groups of 64 over blocks of 32) empty blocks pad between them.
#[test]
fn accumulator_ties_put_each_block_in_its_own_group() {
    let mut wide_groups = 0;
    for (name, n) in all() {
        if n.acc.man_bits.is_none() {
            continue;
        }
        let per = n.group.div_ceil(32).max(1);
        wide_groups += (per > 1) as usize;
        let cases = gen::dots::directed(&n);
        let acc: Vec<&DotCase> = cases.iter().filter(|c| c.tag.starts_with("acc-")).collect();
        assert!(!acc.is_empty(), "{name}");
        for c in acc {
            let blocks = c.a.len() / 32;
            let full: Vec<usize> = (0..blocks)
                .filter(|&k| !products(c, k).is_empty())
                .collect();
            let want: Vec<usize> = (0..full.len()).map(|i| i * per).collect();
            assert_eq!(full, want, "{name}: {} (group {})", c.tag, n.group);
            assert_eq!(blocks, want.last().unwrap() + 1, "{name}: {}", c.tag);
        }
    }
    assert!(
        wide_groups >= 1,
        "presets with groups of more than one block"
    );
}

/// window-* cases (E5M2): a large product 2^h with h = max(w - 25, 0) and a small one
/// m * 2^lo below it, as the tag says; `window-leading-1x2^lo-under-3.06x2^h`: 1.75 * 1.75 =
/// 3.0625 times 2^h, a small 2^lo, and the large one again negated.
#[test]
fn window_cuts_build_the_products_their_tags_name() {
    let mut windows = std::collections::BTreeSet::new();
    for (name, n) in all() {
        let Some(w) = n.window_bits else { continue };
        let h = (w as i32 - 25).max(0);
        windows.insert(w);
        let cases = gen::dots::directed(&n);
        let mut seen = 0;
        for c in cases.iter().filter(|c| c.tag.starts_with("window-")) {
            let p = products(c, 0);
            let t = &c.tag;
            if let Some(rest) = t.strip_prefix("window-leading-1x2^") {
                let (lo, big) = rest.split_once("-under-3.06x2^").unwrap();
                assert_eq!(big.parse::<i32>().unwrap(), h, "{name}: {t}");
                let big = 3.0625 * 2f64.powi(h);
                assert_eq!(
                    p,
                    [big, 2f64.powi(lo.parse().unwrap()), -big],
                    "{name}: {t}"
                );
                seen += 1;
            } else if let Some(rest) = t
                .strip_prefix("window-cancel-")
                .or_else(|| t.strip_prefix("window-"))
                // The other leading-bit cases and `window-many-*` are not read here.
                .filter(|r| !r.starts_with("leading-") && !r.starts_with("many-"))
            {
                let (neg, rest) = match rest.strip_prefix("neg-") {
                    Some(r) => (true, r),
                    None => (false, rest),
                };
                let Some((small, big)) = rest.split_once("-under-2^") else {
                    continue;
                };
                assert_eq!(big.parse::<i32>().unwrap(), h, "{name}: {t}");
                let (m, lo) = small.split_once("x2^").unwrap();
                let v = m.parse::<f64>().unwrap() * 2f64.powi(lo.parse().unwrap());
                let mut want = vec![2f64.powi(h), if neg { -v } else { v }];
                if t.starts_with("window-cancel-") {
                    want.push(-2f64.powi(h));
                }
                assert_eq!(p, want, "{name}: {t}");
                seen += 1;
            }
        }
        assert!(seen > 0, "{name}: no window cases");
    }
    assert!(windows.len() >= 4, "window widths seen: {windows:?}");
}

/// E5M2's largest power-of-two product is 2^30 (2^15 * 2^15): a window of 55 bits still gets
/// its cut cases (h = 30), one of 56 (h = 31) none.
#[test]
fn window_cuts_stop_where_e5m2_products_end() {
    let mut n = preset("rtl").unwrap();
    n.window_bits = Some(55);
    let at = gen::dots::directed(&n);
    assert!(at.iter().any(|c| c.tag.ends_with("-under-2^30")));
    n.window_bits = Some(56);
    let past = gen::dots::directed(&n);
    assert!(!past.iter().any(|c| c.tag.starts_with("window-")));
}
