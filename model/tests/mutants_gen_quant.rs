//! The quantize-side generators (`gen::quant`) reproduce the committed suites they wrote:
//! testvectors/formats/encode.jsonl (`formats_encode`) and testvectors/quantize/quantize.jsonl
//! (`quantize` at the manifest's seed), case for case: id (suite, file, index, tag), block size
//! and every input bit. spec/vectors.md promises that regenerating gives identical bytes (CI's
//! 30-vectors step checks it through the CLI); this pins the model's half of that promise,
//! which the model's own tests did not see (cargo-mutants survivors in gen/quant.rs). What the
//! committed expected values are is checked against the independent reference elsewhere
//! (tests/vectors_quantize.rs).

use mxref_model::gen;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testvectors")
}

fn check(file: &str, prefix: &str, cases: &[gen::QuantCase]) {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "{file}: case count");
    for (i, (line, c)) in lines.iter().zip(cases).enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            v["id"],
            format!("{prefix}:{i}:{}", c.tag),
            "{file} line {}",
            i + 1
        );
        assert_eq!(v["block"], c.spec.block, "{file} line {}", i + 1);
        let x: Vec<String> = c.x.iter().map(|b| format!("0x{b:08x}")).collect();
        assert_eq!(v["x"], serde_json::json!(x), "{file} line {}", i + 1);
    }
}

#[test]
fn formats_encode_reproduces_the_committed_suite() {
    check(
        "formats/encode.jsonl",
        "formats:encode",
        &gen::quant::formats_encode(),
    );
}

#[test]
fn quantize_reproduces_the_committed_suite_from_its_manifest() {
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("quantize/manifest.json")).unwrap(),
    )
    .unwrap();
    let seed = m["seed"].as_u64().unwrap();
    // The CLI's standard count (cli/src/gen.rs STD_QUANT_COUNT); the manifest's "count" is the
    // number of vectors this yields, checked against the file by `check`.
    let cases = gen::quant::quantize(seed, 300);
    assert_eq!(cases.len() as u64, m["count"].as_u64().unwrap());
    check("quantize/quantize.jsonl", "quantize:quantize", &cases);
}

/// `f32_bits` of a zero keeps its sign: -0 is 0x80000000 (IEEE 754 binary32), +0 is 0; a
/// normal value is its bits (1.5 = 3 * 2^-1 = 0x3fc00000).
#[test]
fn f32_bits_of_signed_zeros_and_a_normal() {
    assert_eq!(gen::quant::f32_bits(true, 0, 5), 0x8000_0000);
    assert_eq!(gen::quant::f32_bits(false, 0, -3), 0);
    assert_eq!(gen::quant::f32_bits(true, 3, -1), 0xbfc0_0000);
}
