//! The committed golden vectors (testvectors/) re-derived by the independent references of
//! `support/reference.rs`, not by the generator's code path (`Dot::eval`): every expected `d`
//! of the dot suites under its own numerics. Also the engine against [`general`] on fresh
//! seeded random dots for every preset, beyond what is committed.

mod support;

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::gen;
use mxref_model::numerics::{preset, preset_names, Numerics};
use mxref_model::FormatId;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::reference::{general, reference};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testvectors")
}

struct Vector {
    id: String,
    spec: DotSpec,
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
    c: u32,
    numerics: String,
    d: u32,
}

fn hex(v: &Value) -> u32 {
    u32::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn codes(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn fmt(v: &Value) -> FormatId {
    v.as_str().unwrap().parse().unwrap()
}

fn read_dots(path: &Path) -> Vec<Vector> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `mxref gen`)", path.display()));
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Vector {
                id: v["id"].as_str().unwrap().to_string(),
                spec: DotSpec {
                    a_fmt: fmt(&v["a_fmt"]),
                    b_fmt: fmt(&v["b_fmt"]),
                    scale_fmt: fmt(&v["scale_fmt"]),
                    block: v["block"].as_u64().unwrap() as usize,
                },
                a: codes(&v["a"]),
                b: codes(&v["b"]),
                sa: codes(&v["sa"]),
                sb: codes(&v["sb"]),
                c: hex(&v["c"]),
                numerics: v["numerics"].as_str().unwrap().to_string(),
                d: hex(&v["d"]),
            }
        })
        .collect()
}

/// The dot-vector files of the committed suites.
fn dot_files() -> Vec<PathBuf> {
    let mut v = vec![root().join("formats/decode.jsonl")];
    for suite in ["products", "dot-directed", "dot-random"] {
        let mut f: Vec<PathBuf> = std::fs::read_dir(root().join(suite))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        f.sort();
        v.extend(f);
    }
    v
}

#[test]
fn committed_dot_vectors_match_the_independent_reference() {
    let mut cache: BTreeMap<String, Numerics> = BTreeMap::new();
    let (mut total, mut bad) = (0usize, vec![]);
    for path in dot_files() {
        let vs = read_dots(&path);
        assert!(!vs.is_empty(), "{}: empty", path.display());
        for v in vs {
            let n = cache
                .entry(v.numerics.clone())
                .or_insert_with(|| preset(&v.numerics).expect("vectors name a built-in preset"));
            let want = general(n, &v.spec, &v.a, &v.b, &v.sa, &v.sb, v.c);
            if want != v.d {
                bad.push(format!(
                    "{}: file {:#010x}, reference {want:#010x}",
                    v.id, v.d
                ));
            }
            if v.numerics == "exact" {
                let e = reference(&v.spec, &v.a, &v.b, &v.sa, &v.sb, v.c);
                if e != v.d {
                    bad.push(format!(
                        "{}: file {:#010x}, exact reference {e:#010x}",
                        v.id, v.d
                    ));
                }
            }
            total += 1;
        }
    }
    assert!(total > 20_000, "only {total} vectors found");
    assert!(
        bad.is_empty(),
        "{} of {total} committed vectors disagree with the reference:\n{}",
        bad.len(),
        bad[..bad.len().min(30)].join("\n")
    );
}

/// The hex form carries the same vectors as the JSON Lines form (layout of spec/vectors.md).
#[test]
fn hex_files_mirror_the_json_lines() {
    for path in dot_files() {
        let vs = read_dots(&path);
        let hx = std::fs::read_to_string(path.with_extension("hex")).unwrap();
        let words: Vec<u32> = hx
            .lines()
            .filter(|l| !l.starts_with("//"))
            .map(|l| u32::from_str_radix(l, 16).unwrap())
            .collect();
        let mut p = 0;
        let pack = |codes: &[u32]| -> Vec<u32> {
            codes
                .chunks(4)
                .map(|ch| ch.iter().enumerate().fold(0, |w, (i, &x)| w | x << (8 * i)))
                .collect()
        };
        for v in &vs {
            let s = v.spec;
            let w0 = (s.a_fmt as u32) << 28
                | (s.b_fmt as u32) << 24
                | (s.scale_fmt as u32) << 20
                | s.block as u32;
            let mut want = vec![w0, v.a.len() as u32, v.c, v.d];
            for c in [&v.a, &v.b, &v.sa, &v.sb] {
                want.extend(pack(c));
            }
            assert_eq!(&words[p..p + want.len()], &want[..], "{}", v.id);
            p += want.len();
        }
        assert_eq!(
            &words[p..],
            &[0xffff_ffff],
            "{}: end marker",
            path.display()
        );
    }
}

/// The engine against the general reference on seeded random dots (a different seed from the
/// committed suite) under every built-in preset, plus the directed corners of each preset
/// evaluated under every other preset.
#[test]
fn engine_matches_general_reference_on_fresh_cases() {
    let count: usize = std::env::var("MXREF_VECTOR_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut cases = gen::dots::random(0x5eed_2026, count, 8);
    for p in preset_names() {
        cases.extend(gen::dots::directed(&preset(p).unwrap()));
    }
    let mut bad = vec![];
    for p in preset_names() {
        let n = preset(p).unwrap();
        for c in &cases {
            // Presets tied to a block shape (promote every = block, block_sum chunks) take
            // only the cases of that shape.
            let Ok(dot) = Dot::new(c.spec, &n) else {
                continue;
            };
            let got = dot
                .eval(&Operands {
                    a: &c.a,
                    b: &c.b,
                    sa: &c.sa,
                    sb: &c.sb,
                    c: c.c,
                })
                .unwrap();
            let want = general(&n, &c.spec, &c.a, &c.b, &c.sa, &c.sb, c.c);
            if got != want {
                bad.push(format!(
                    "{p} {}: engine {got:#010x}, reference {want:#010x}",
                    c.tag
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad[..bad.len().min(30)].join("\n")
    );
}

type Mutation = Box<dyn Fn(&mut Numerics)>;

/// The committed `rtl` vectors tell the `rtl` numerics from each one-parameter mutation of it:
/// every mutation changes at least one expected result (computed by the reference). Prints how
/// many vectors each mutation fails, a measure of the suites' power to find such bugs.
#[test]
fn rtl_vectors_catch_every_single_parameter_mutation() {
    use mxref_model::numerics::{Accumulate, Align, ShiftedOut};
    use mxref_model::Round;
    let rtl = preset("rtl").unwrap();
    let mut vs = vec![];
    for suite in ["dot-directed", "dot-random"] {
        vs.extend(read_dots(&root().join(suite).join("rtl.jsonl")));
    }
    let mutants: Vec<(&str, Mutation)> = vec![
        ("window_bits 31", Box::new(|n| n.window_bits = Some(31))),
        ("window_bits 33", Box::new(|n| n.window_bits = Some(33))),
        (
            "shifted_out rne",
            Box::new(|n| n.shifted_out = ShiftedOut::Rne),
        ),
        ("align leading", Box::new(|n| n.align = Align::Leading)),
        ("group 16", Box::new(|n| n.group = 16)),
        ("group 64", Box::new(|n| n.group = 64)),
        (
            "accumulate fused",
            Box::new(|n| n.accumulate = Accumulate::Fused),
        ),
        ("acc.man_bits 46", Box::new(|n| n.acc.man_bits = Some(46))),
        ("acc.man_bits 48", Box::new(|n| n.acc.man_bits = Some(48))),
        ("acc.round rne", Box::new(|n| n.acc.round = Round::Rne)),
        ("acc.round rz", Box::new(|n| n.acc.round = Round::Rz)),
        ("output.round rz", Box::new(|n| n.output.round = Round::Rz)),
        (
            "output.round rna",
            Box::new(|n| n.output.round = Round::Rna),
        ),
        (
            "output.subnormals off",
            Box::new(|n| n.output.subnormals = false),
        ),
        (
            "flush_subnormal_inputs",
            Box::new(|n| n.flush_subnormal_inputs = true),
        ),
        (
            "nan_bits 0x7fffffff",
            Box::new(|n| n.nan_bits = 0x7fff_ffff),
        ),
    ];
    let mut missed = vec![];
    for (name, m) in &mutants {
        let mut n = rtl.clone();
        m(&mut n);
        n.validate().unwrap();
        let killed = vs
            .iter()
            .filter(|v| general(&n, &v.spec, &v.a, &v.b, &v.sa, &v.sb, v.c) != v.d)
            .count();
        println!("mutant {name}: {killed} of {} rtl vectors fail", vs.len());
        if killed == 0 {
            missed.push(*name);
        }
    }
    assert!(missed.is_empty(), "mutants no vector detects: {missed:?}");
}
