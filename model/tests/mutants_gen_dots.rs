//! The dot-side generators (`gen::dots`) reproduce the committed suites they wrote: formats
//! (decode.jsonl), products (at the manifest's level), dot-directed (per numerics, as each
//! preset's `directed` list) and dot-random (at the manifest's seed and count), case for case:
//! id (suite, file, index, tag), formats, block, every code of A, B, SA, SB and C. A case a
//! file leaves out must be one whose shape its numerics refuse (`Dot::new` fails), as `mxref
//! gen` skips it. spec/vectors.md promises that regenerating gives identical bytes (CI's
//! 30-vectors step checks it through the CLI); this pins the model's half of that promise, which
//! the model's own tests did not see (cargo-mutants survivors in gen/dots.rs). The committed
//! expected `d` values are checked against the independent references in tests/vectors.rs.

use mxref_model::dot::Dot;
use mxref_model::gen::{self, DotCase};
use mxref_model::numerics::{preset, Numerics};
use serde_json::{json, Value};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testvectors")
}

fn manifest(suite: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join(suite).join("manifest.json")).unwrap(),
    )
    .unwrap()
}

/// Every line of `suite/file.jsonl` is the case its id names, ids rise, and the cases left out
/// are exactly those `n` refuses.
fn check(suite: &str, file: &str, n: &Numerics, cases: &[DotCase]) {
    let path = format!("{suite}/{file}.jsonl");
    let text = std::fs::read_to_string(root().join(&path)).unwrap();
    let mut next = 0usize;
    for (k, line) in text.lines().enumerate() {
        let at = format!("{path} line {}", k + 1);
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap();
        let mut parts = id.splitn(4, ':');
        assert_eq!(parts.next(), Some(suite), "{at}: suite");
        assert_eq!(parts.next(), Some(file), "{at}: file");
        let i: usize = parts.next().unwrap().parse().unwrap();
        assert!(i >= next && i < cases.len(), "{at}: index {i} out of order");
        for skipped in &cases[next..i] {
            assert!(
                Dot::new(skipped.spec, n).is_err(),
                "{at}: case {} ({}) left out but its shape is taken",
                next,
                skipped.tag
            );
        }
        let c = &cases[i];
        assert_eq!(parts.next(), Some(c.tag.as_str()), "{at}: tag");
        let s = c.spec;
        assert!(Dot::new(s, n).is_ok(), "{at}: written but refused");
        assert_eq!(v["a_fmt"], s.a_fmt.to_string(), "{at}: a_fmt");
        assert_eq!(v["b_fmt"], s.b_fmt.to_string(), "{at}: b_fmt");
        assert_eq!(v["scale_fmt"], s.scale_fmt.to_string(), "{at}: scale_fmt");
        assert_eq!(v["block"], s.block, "{at}: block");
        assert_eq!(v["a"], json!(c.a), "{at}: a");
        assert_eq!(v["b"], json!(c.b), "{at}: b");
        assert_eq!(v["sa"], json!(c.sa), "{at}: sa");
        assert_eq!(v["sb"], json!(c.sb), "{at}: sb");
        assert_eq!(v["c"], format!("0x{:08x}", c.c), "{at}: c");
        next = i + 1;
    }
    for skipped in &cases[next..] {
        assert!(
            Dot::new(skipped.spec, n).is_err(),
            "{path}: trailing case {} left out but its shape is taken",
            skipped.tag
        );
    }
}

fn exact() -> Numerics {
    preset("exact").unwrap()
}

#[test]
fn formats_decode_reproduces_the_committed_suite() {
    check("formats", "decode", &exact(), &gen::dots::formats_decode());
}

#[test]
fn products_reproduce_the_committed_suite_at_its_level() {
    let m = manifest("products");
    let level = m["level"].as_u64().unwrap() as u32;
    let cases = gen::dots::products(level);
    assert_eq!(cases.len() as u64, m["count"].as_u64().unwrap());
    check("products", "exact", &exact(), &cases);
}

#[test]
fn directed_reproduces_the_committed_suite_per_numerics() {
    let m = manifest("dot-directed");
    let mut total = 0;
    for name in m["numerics"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let n = preset(name).unwrap();
        let cases = gen::dots::directed(&n);
        total += cases.len();
        check("dot-directed", name, &n, &cases);
    }
    assert_eq!(total as u64, m["count"].as_u64().unwrap());
}

#[test]
fn random_reproduces_the_committed_suite_from_its_manifest() {
    let m = manifest("dot-random");
    let seed = m["seed"].as_u64().unwrap();
    let count = m["count"].as_u64().unwrap() as usize;
    // MAX_BLOCKS of cli/src/gen.rs: the most blocks one random case holds.
    let cases = gen::dots::random(seed, count, 8);
    assert_eq!(cases.len(), count);
    for name in m["numerics"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        check("dot-random", name, &preset(name).unwrap(), &cases);
    }
}
