//! Hostile input for every subcommand (issue 9): empty input, truncated lines, wrong lengths,
//! unknown formats, out-of-range codes, absurd sizes, bad bytes. Every case must end with a
//! non-zero exit status and one message naming the file, line and field, never a panic or an
//! allocation abort; output files are written whole or not at all. Regressions of the bugs
//! found by fuzzing are at the end. (Large streamed inputs: hostile_large.rs.)

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn mxref_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxref"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = child.stdin.take().unwrap();
    // The command may stop reading at its first error: a broken pipe here is fine.
    let _ = w.write_all(stdin);
    drop(w);
    child.wait_with_output().unwrap()
}

fn mxref(args: &[&str], stdin: &str) -> Output {
    mxref_bytes(args, stdin.as_bytes())
}

/// The run failed cleanly: exit status `code`, no panic, and stderr holds each of `want`.
#[track_caller]
fn fails(o: &Output, code: i32, want: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "exit status; stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("memory allocation"),
        "{err}"
    );
    for w in want {
        assert!(err.contains(w), "stderr lacks {w:?}: {err}");
    }
}

fn codes(n: usize, c: u32) -> String {
    vec![c.to_string(); n].join(",")
}

/// A well-formed dot line: K = 32 E4M3 ones, one block.
fn dot_ok() -> String {
    format!(
        "{{\"a_fmt\":\"e4m3\",\"b_fmt\":\"e4m3\",\"a\":[{0}],\"b\":[{0}],\"sa\":[127],\"sb\":[127]}}",
        codes(32, 56)
    )
}

fn quant_ok() -> String {
    let x = vec!["\"0x3f800000\""; 32].join(",");
    format!("{{\"elem\":\"e4m3\",\"x\":[{x}]}}")
}

#[test]
fn streaming_commands_accept_empty_input() {
    for cmd in ["dot", "quantize"] {
        for input in ["", "\n", "  \n\t\n"] {
            let o = mxref(&[cmd], input);
            assert!(o.status.success(), "{cmd} {input:?}");
            assert!(o.stdout.is_empty(), "{cmd} {input:?}");
        }
    }
}

#[test]
fn dot_hostile_lines() {
    let ok = dot_ok();
    let cases: Vec<(String, &[&str])> = vec![
        // truncated lines
        (ok[..ok.len() / 2].to_string(), &["line 2: bad JSON"]),
        ("{".into(), &["line 2: bad JSON"]),
        ("{\"a_fmt\":\"e4m3\"".into(), &["line 2: bad JSON"]),
        ("[1,2]".into(), &["line 2: expected a JSON object"]),
        ("56".into(), &["line 2: expected a JSON object"]),
        ("{}".into(), &["line 2: field a_fmt: missing"]),
        // wrong lengths
        (
            ok.replacen(&codes(32, 56), &codes(31, 56), 1),
            &["field a: length 31"],
        ),
        (
            ok.replace(&codes(32, 56), ""),
            &["field sa: has 1 scales for 0 blocks"],
        ),
        (
            ok.replace("[127]", "[]"),
            &["field sa: has 0 scales for 1 blocks"],
        ),
        (
            ok.replace("[127]", "[127,127]"),
            &["field sa: has 2 scales"],
        ),
        (ok.replacen("\"a\":[", "\"a\":\"", 1), &["line 2: bad JSON"]),
        (
            ok.replacen("\"a\":[", "\"a\":{\"x\":[", 1)
                .replacen("],\"b\"", "]},\"b\"", 1),
            &["field a: expected an array"],
        ),
        // unknown formats, wrong roles
        (ok.replacen("e4m3", "e9m9", 1), &["field a_fmt:", "e9m9"]),
        (ok.replacen("e4m3", "", 1), &["field a_fmt:"]),
        (
            ok.replacen("\"e4m3\"", "4", 1),
            &["field a_fmt: expected a string"],
        ),
        (
            ok.replacen("{", "{\"scale_fmt\":\"fp32\",", 1),
            &["field scale_fmt:"],
        ),
        (
            ok.replacen("{", "{\"scale_fmt\":\"e2m1\",", 1),
            &["field scale_fmt: e2m1 is an element format"],
        ),
        // out-of-range codes and numbers
        (
            ok.replacen("[56,", "[256,", 1),
            &["field a[0]: code 256 is out of range for e4m3"],
        ),
        (
            ok.replacen("[56,", "[-1,", 1),
            &["field a[0]: expected a code"],
        ),
        (
            ok.replacen("[56,", "[1e300,", 1),
            &["field a[0]: expected a code"],
        ),
        (
            ok.replacen("[56,", "[18446744073709551616,", 1),
            &["field a[0]: expected a code"],
        ),
        (
            ok.replacen("[56,", "[\"0x100\",", 1),
            &["field a[0]: code 256 is out of range"],
        ),
        (
            ok.replacen("[56,", "[\"0xfffffffff\",", 1),
            &["field a[0]: expected a code"],
        ),
        (
            ok.replacen("[56,", "[null,", 1),
            &["field a[0]: expected a code"],
        ),
        (
            ok.replace("e4m3", "e2m1").replacen("[56,", "[16,", 1),
            &["field a[0]: code 16 is out of range for e2m1"],
        ),
        (
            ok.replace("[127]", "[256]"),
            &["field sa[0]: code 256 is out of range"],
        ),
        (
            ok.replacen("{", "{\"block\":0,", 1),
            &["field block: 0 is outside"],
        ),
        (
            ok.replacen("{", "{\"block\":-32,", 1),
            &["field block: expected a non-negative integer"],
        ),
        (
            ok.replacen("{", "{\"block\":18446744073709551615,", 1),
            &["field block:"],
        ),
        (
            ok.replacen("{", "{\"block\":\"32\",", 1),
            &["field block: expected a non-negative integer"],
        ),
        (
            ok.replacen("{", "{\"c\":\"0x1000000000\",", 1),
            &["field c: expected a 32-bit hex string"],
        ),
        (
            ok.replacen("{", "{\"c\":1065353216,", 1),
            &["field c: expected a string"],
        ),
        (
            ok.replacen("{", "{\"numerics\":\"/nonexistent/n.json\",", 1),
            &["field numerics:", "neither a preset"],
        ),
        (
            ok.replacen("{", "{\"numerics\":7,", 1),
            &["field numerics: expected a string"],
        ),
        (
            ok.replacen("{", "{\"Block\":32,", 1),
            &["field Block: unknown field"],
        ),
    ];
    for (bad, want) in cases {
        let o = mxref(&["dot"], &format!("{ok}\n{bad}\n{ok}\n"));
        fails(&o, 1, want);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("mxref: <stdin>: line 2: "), "{bad}\n{err}");
    }
}

#[test]
fn quantize_hostile_lines() {
    let ok = quant_ok();
    let one = "\"0x3f800000\"";
    let cases: Vec<(String, &[&str])> = vec![
        (ok[..ok.len() - 3].to_string(), &["line 2: bad JSON"]),
        ("{}".into(), &["line 2: field elem: missing"]),
        (ok.replace("e4m3", "e4m4"), &["field elem:", "e4m4"]),
        (ok.replace("e4m3", "e8m0"), &["field elem"]),
        (
            ok.replacen("{", "{\"scale_fmt\":\"e4m3\",", 1),
            &["field scale_fmt"],
        ),
        (
            ok.replacen("{", "{\"scale_fmt\":\"nope\",", 1),
            &["field scale_fmt"],
        ),
        (
            ok.replacen(&format!("{one},"), "", 1),
            &["field x: length 31 is not a multiple of block 32"],
        ),
        (
            ok.replacen(one, "\"0x3f80000000\"", 1),
            &["field x[0]: expected a 32-bit hex string"],
        ),
        (
            ok.replacen(one, "1.0", 1),
            &["field x[0]: expected a hex string"],
        ),
        (ok.replacen(one, "\"1.0\"", 1), &["field x[0]"]),
        (ok.replacen("{", "{\"block\":0,", 1), &["field block"]),
        (
            ok.replacen("{", "{\"block\":18446744073709551615,", 1),
            &["field block"],
        ),
        (
            ok.replacen("{", "{\"round\":\"nearest\",", 1),
            &["field round"],
        ),
        (
            ok.replacen("{", "{\"scale_rule\":\"max\",", 1),
            &["field scale_rule"],
        ),
        (
            ok.replacen("{", "{\"seed\":1,", 1),
            &["field seed: only used with"],
        ),
        (
            ok.replacen("{", "{\"round\":\"stochastic\",\"seed\":-1,", 1),
            &["field seed"],
        ),
        (
            ok.replacen(
                "{",
                "{\"round\":\"stochastic\",\"first_index\":18446744073709551615,",
                1,
            ),
            &["field first_index"],
        ),
        (
            ok.replacen("{", "{\"tensor_scale\":\"0x3f800000\",", 1),
            &["field tensor_scale: only used with"],
        ),
        (
            ok.replacen("{", "{\"x2\":[],", 1),
            &["field x2: unknown field"],
        ),
    ];
    for (bad, want) in cases {
        let o = mxref(&["quantize"], &format!("{ok}\n{bad}\n"));
        fails(&o, 1, want);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("mxref: <stdin>: line 2: "), "{bad}\n{err}");
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    for (cmd, ok) in [("dot", dot_ok()), ("quantize", quant_ok())] {
        let mut input = ok.into_bytes();
        input.extend_from_slice(b"\n\n{\"a_fmt\":\"\xff\xfe\"}\n");
        fails(
            &mxref_bytes(&[cmd], &input),
            1,
            &["line 3: not valid UTF-8"],
        );
    }
}

/// A failing run leaves neither the output file nor a temporary file behind, and a failing
/// run over an existing file keeps the old contents.
#[test]
fn failed_runs_write_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let out_s = out.to_str().unwrap();
    let many = vec![dot_ok(); 5000].join("\n");
    for (cmd, input) in [
        ("dot", format!("{many}\n{{\"a_fmt\":\n")),
        ("quantize", format!("{}\n{{\"elem\":\"e9\"}}\n", quant_ok())),
    ] {
        fails(&mxref(&[cmd, "-o", out_s], &input), 1, &["line "]);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(names.is_empty(), "{cmd} left {names:?}");
        std::fs::write(&out, "old\n").unwrap();
        fails(&mxref(&[cmd, "-o", out_s], &input), 1, &["line "]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        std::fs::remove_file(&out).unwrap();
    }
    // An input file that does not exist, an output directory that does not exist.
    // A numerics "file" that never ends is refused after 1 MiB.
    let line = dot_ok().replacen('{', "{\"numerics\":\"/dev/zero\",", 1);
    fails(
        &mxref(&["dot"], &line),
        1,
        &["line 1: field numerics: /dev/zero: more than"],
    );
    fails(
        &mxref(&["dot", "-i", "/nonexistent/in.jsonl"], ""),
        1,
        &["/nonexistent/in.jsonl"],
    );
    fails(
        &mxref(&["dot", "-o", "/nonexistent/dir/out.jsonl"], &dot_ok()),
        1,
        &["/nonexistent/dir"],
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// A vector line in the form `mxref gen` writes (id, expected d).
fn vector(id: &str, d: &str) -> String {
    dot_ok().replacen("{", &format!("{{\"id\":\"{id}\",\"d\":\"{d}\","), 1)
}

#[test]
fn check_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write(
        d,
        "v.jsonl",
        &format!(
            "{}\n{}\n",
            vector("v0", "0x42000000"),
            vector("v1", "0x42000000")
        ),
    );
    let empty = write(d, "empty", "");
    let run = |v: &str, r: &str| mxref(&["check", "--vectors", v, "--results", r], "");
    // Empty and missing files.
    fails(&run(&empty, &good), 2, &["empty: no vectors"]);
    fails(&run("/nonexistent/v", &good), 2, &["/nonexistent/v"]);
    fails(&run(&good, "/nonexistent/r"), 2, &["/nonexistent/r"]);
    // No results at all: every vector lacks one (a verdict, not bad input).
    let o = run(&good, &empty);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 without a result"));
    // Bad vector files.
    let cases: Vec<(String, &[&str])> = vec![
        (
            vector("v0", "0x42000000")[..40].to_string(),
            &["v.bad: line 2: bad JSON"],
        ),
        (dot_ok(), &["v.bad: line 2: field id: missing"]),
        (
            vector("v1", "0x42000000").replace(",\"d\":\"0x42000000\"", ""),
            &["line 2: neither \"d\" nor \"codes\""],
        ),
        (
            vector("v1", "0x4200000000"),
            &["line 2: field d: expected a 32-bit hex string"],
        ),
        (
            vector("v0", "0x42000000"),
            &["line 2: field id: \"v0\" appears twice"],
        ),
    ];
    for (bad, want) in cases {
        let v = write(
            d,
            "v.bad",
            &format!("{}\n{bad}\n", vector("v0", "0x42000000")),
        );
        fails(&run(&v, &empty), 2, want);
    }
    // Bad result files.
    let cases: Vec<(&str, &[&str])> = vec![
        (
            "0x42000000\nzz\n",
            &["r.bad: line 2: expected a 32-bit hex word"],
        ),
        (
            "0x42000000\n0x123456789\n",
            &["r.bad: line 2: expected a 32-bit hex word"],
        ),
        (
            "1\n2\n3\n",
            &["r.bad: line 3: more results than the 2 vectors"],
        ),
        (
            "{\"id\":\"v0\",\"d\":\"0x42000000\"}\n{\"id\":\"v9\",\"d\":\"0x0\"}\n",
            &["line 2: field id: \"v9\" is not in"],
        ),
        (
            "{\"id\":\"v0\",\"d\":\"0x42000000\"}\n{\"id\":\"v0\",\"d\":\"0x0\"}\n",
            &["line 2: field id: \"v0\" has two results"],
        ),
        (
            "{\"id\":\"v0\",\"d\":\"0x42000000\"}\n{\"id\":\"v1\"}\n",
            &["line 2: field d: missing"],
        ),
        (
            "{\"id\":\"v0\",\"d\":\"0x42000000\"}\n{\"id\":\"v1\",\"d\":\n",
            &["line 2: bad JSON"],
        ),
    ];
    for (bad, want) in cases {
        let r = write(d, "r.bad", bad);
        fails(&run(&good, &r), 2, want);
    }
    // Bad bytes in the results.
    let r = d.join("r.bin");
    std::fs::write(&r, b"0x42000000\n\xff\xfe\n").unwrap();
    fails(&run(&good, r.to_str().unwrap()), 2, &["r.bin: line 2"]);
}

#[test]
fn sim_hostile_stimulus() {
    let lanes = |n: usize, c: u32| format!("[{}]", codes(n, c));
    let cases: Vec<(String, &[&str])> = vec![
        ("{\"valid\":1".into(), &["line 2: bad JSON"]),
        ("[]".into(), &["line 2: expected a JSON object"]),
        (
            format!("{{\"valid\":1,\"a\":{}}}", lanes(31, 0)),
            &["line 2: field a: expected 32 codes, got 31"],
        ),
        (
            format!("{{\"valid\":1,\"b\":{}}}", lanes(33, 0)),
            &["line 2: field b: expected 32 codes, got 33"],
        ),
        (
            format!("{{\"valid\":1,\"a\":{}}}", lanes(32, 256)),
            &["line 2: field a[0]: expected a code below 256"],
        ),
        (
            format!("{{\"a_fmt\":\"e2m1\",\"a\":{}}}", lanes(32, 16)),
            &["line 2: field a[0]: expected a code below 16"],
        ),
        ("{\"a_fmt\":\"fp64\"}".into(), &["line 2: field a_fmt"]),
        (
            "{\"a_fmt\":\"e8m0\"}".into(),
            &["line 2: field a_fmt: e8m0 is not an element format"],
        ),
        (
            "{\"sa\":[1,2]}".into(),
            &["line 2: field sa: expected 1 scale code(s)"],
        ),
        (
            "{\"nvfp4\":1,\"sa\":[1]}".into(),
            &["line 2: field sa: expected 2 scale code(s)"],
        ),
        (
            "{\"nvfp4\":1,\"sa\":[1,128]}".into(),
            &["line 2: field sa[1]: expected a code below 128"],
        ),
        (
            "{\"valid\":2}".into(),
            &["line 2: field valid: expected true/false or 0/1"],
        ),
        ("{\"c\":\"1.0\"}".into(), &["line 2: field c"]),
        (
            "{\"repeat\":0}".into(),
            &["line 2: field repeat: expected 1..=1048576"],
        ),
        (
            "{\"repeat\":1048577}".into(),
            &["line 2: field repeat: expected 1..=1048576"],
        ),
        (
            "{\"clock\":1}".into(),
            &["line 2: field clock: unknown field"],
        ),
    ];
    for (bad, want) in cases {
        let o = mxref(
            &["sim", "--stimulus", "-", "--quiet"],
            &format!("{{\"rst\":1}}\n{bad}\n"),
        );
        fails(&o, 1, want);
    }
    // An empty stimulus drains the pipeline and succeeds; vectors then hold only that.
    let dir = tempfile::tempdir().unwrap();
    let vec_path = dir.path().join("v.vec");
    let o = mxref(
        &[
            "sim",
            "--stimulus",
            "-",
            "--quiet",
            "--vectors",
            vec_path.to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success());
    assert!(std::fs::read_to_string(&vec_path).unwrap().lines().count() > 0);
    // A failing stimulus creates no vector file.
    let bad_vec = dir.path().join("bad.vec");
    let o = mxref(
        &[
            "sim",
            "--stimulus",
            "-",
            "--quiet",
            "--vectors",
            bad_vec.to_str().unwrap(),
        ],
        "{\"valid\":1}\n{\"a\":[1]}\n",
    );
    fails(&o, 1, &["line 2: field a"]);
    assert!(!bad_vec.exists());
}

#[test]
fn absurd_sizes_are_errors_not_aborts() {
    // Regressions: each of these aborted on a failed allocation (exit 134) before.
    fails(
        &mxref(&["sim", "--random", "99999999999999", "--quiet"], ""),
        1,
        &["--random"],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tv");
    let o = mxref(
        &[
            "gen",
            "--suite",
            "dot-random",
            "--count",
            "1000000000000000",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    fails(&o, 1, &["--count"]);
    assert!(!out.exists(), "gen left {out:?}");
    // gpu gen: a tile that cannot be held is refused, and nothing is written.
    let bin = dir.path().join("v.bin");
    let o = mxref(
        &[
            "gpu",
            "gen",
            "--k",
            "1000000000000",
            "--out",
            bin.to_str().unwrap(),
        ],
        "",
    );
    fails(&o, 1, &["--k 1000000000000"]);
    assert!(!bin.exists(), "gpu gen left {bin:?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temporary files left"
    );
    // Unknown names.
    fails(
        &mxref(
            &["gen", "--suite", "nope", "--out", out.to_str().unwrap()],
            "",
        ),
        1,
        &["--suite"],
    );
    fails(
        &mxref(&["presets", "nope"], ""),
        1,
        &["unknown preset \"nope\""],
    );
    // Clap's own errors: exit status 2, no panic.
    fails(&mxref(&["dot", "--bogus"], ""), 2, &["--bogus"]);
    fails(&mxref(&["sim", "--random", "-5"], ""), 2, &[]);
}

fn numerics_file(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut n: serde_json::Value =
        serde_json::from_str(include_str!("../../model/presets/rtl.json")).unwrap();
    edit(&mut n);
    write(dir, "n.json", &n.to_string())
}

/// Numerics files that crashed the engine before (found by fuzz/numerics_json and
/// fuzz/dot_diff); each is now refused with the field named.
#[test]
fn fuzz_findings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with =
        |path: &str, line: String| line.replacen("{", &format!("{{\"numerics\":{path:?},"), 1);
    // ways * chunk overflowed usize, then `span % 0`.
    let p = numerics_file(
        d,
        |n| n["group_layout"] = serde_json::json!({"interleaved": {"ways": 1u64 << 32, "span": 64, "chunk": 1u64 << 32}}),
    );
    fails(
        &mxref(&["dot"], &with(&p, dot_ok())),
        1,
        &["line 1: field numerics:", "group_layout: interleaved"],
    );
    // acc.man_bits 63 and 64 overflowed the significand mask.
    for m in [63, 64] {
        let p = numerics_file(d, |n| n["acc"]["man_bits"] = m.into());
        fails(
            &mxref(&["dot"], &with(&p, dot_ok())),
            1,
            &["line 1: field numerics:", "acc.man_bits"],
        );
    }
    // The largest accepted width still evaluates: 32 ones are 32.
    let p = numerics_file(d, |n| n["acc"]["man_bits"] = 62.into());
    let o = mxref(&["dot"], &with(&p, dot_ok()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"d\":\"0x42000000\""));
    // scale block_sum over formats without an integer table (tf32) indexed an empty table,
    // and over bf16 summed zeros.
    let p = numerics_file(d, |n| {
        n["scale"] = "block_sum".into();
        n["group"] = 32.into();
    });
    for f in ["tf32", "bf16"] {
        let line = format!(
            "{{\"a_fmt\":\"{f}\",\"b_fmt\":\"{f}\",\"a\":[{0}],\"b\":[{0}],\"sa\":[127],\"sb\":[127]}}",
            codes(32, 0)
        );
        fails(
            &mxref(&["dot"], &with(&p, line)),
            1,
            &["line 1: field numerics:", "block_sum"],
        );
    }
    // check described a mismatching vector whose b was shorter than a: index out of bounds.
    let v = write(
        d,
        "v.jsonl",
        concat!(
            r#"{"id":"x","a_fmt":"e4m3","b_fmt":"e4m3","block":1,"a":[56,56],"b":[56],"#,
            r#""sa":[127,127],"sb":[127],"d":"0x3f800000"}"#,
            "\n"
        ),
    );
    let r = write(d, "r.hex", "0x40000000\n");
    fails(
        &mxref(&["check", "--vectors", &v, "--results", &r], ""),
        2,
        &["v.jsonl: line 1: field b: length 1 differs from a's 2"],
    );
}

/// `check` streams both files: results are matched in any order, strays and duplicates are
/// found wherever they sit, and bad input anywhere prints no report (exit 2, stdout empty).
#[test]
fn check_streams_results_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ids: Vec<String> = (0..6).map(|k| format!("v{k}")).collect();
    let vecs: String = ids
        .iter()
        .map(|id| vector(id, "0x42000000") + "\n")
        .collect();
    let v = write(d, "v.jsonl", &vecs);
    let res = |order: &[usize], d_of: &dyn Fn(usize) -> &'static str| -> String {
        order
            .iter()
            .map(|&k| format!("{{\"id\":\"v{k}\",\"d\":\"{}\"}}\n", d_of(k)))
            .collect()
    };
    let run = |r: &str| mxref(&["check", "--vectors", &v, "--results", r], "");
    // Reversed: every result parked until its vector comes; all pass.
    let r = write(d, "r1", &res(&[5, 4, 3, 2, 1, 0], &|_| "0x42000000"));
    let o = run(&r);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("6 vectors: 6 pass, 0 fail, 0 without"));
    // Shuffled, one wrong and one missing: verdict 1, the failure reported with its line.
    let r = write(
        d,
        "r2",
        &res(&[2, 0, 5, 1, 3], &|k| {
            if k == 3 {
                "0x41000000"
            } else {
                "0x42000000"
            }
        }),
    );
    let o = run(&r);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL v3 ("), "{out}");
    assert!(out.contains(":4)"), "{out}");
    assert!(out.contains("4 pass, 1 fail, 1 without a result"), "{out}");
    // A stray id read ahead of the vectors, reported at its own line after the others.
    let r = write(
        d,
        "r3",
        &(res(&[1], &|_| "0x42000000")
            + "{\"id\":\"v9\",\"d\":\"0x0\"}\n"
            + &res(&[0, 2], &|_| "0x42000000")),
    );
    fails(&run(&r), 2, &["r3: line 2: field id: \"v9\" is not in"]);
    // A duplicate of a parked result, and of one already matched.
    let r = write(d, "r4", &res(&[3, 0, 3], &|_| "0x42000000"));
    fails(
        &run(&r),
        2,
        &["r4: line 3: field id: \"v3\" has two results"],
    );
    let r = write(d, "r5", &res(&[0, 1, 2, 3, 4, 5, 1], &|_| "0x42000000"));
    fails(
        &run(&r),
        2,
        &["r5: line 7: field id: \"v1\" has two results"],
    );
    // A bad vector after a failing one: the failure is not reported, only the error.
    let v2 = write(
        d,
        "v2.jsonl",
        &format!(
            "{}\n{}\n{{\"id\":\n",
            vector("v0", "0x0"),
            vector("v1", "0x0")
        ),
    );
    let r = write(d, "r6", "0x42000000\n0x0\n");
    let o = mxref(&["check", "--vectors", &v2, "--results", &r], "");
    fails(&o, 2, &["v2.jsonl: line 3: bad JSON"]);
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Quantize vectors with a hex list: refused whether or not results came first.
    let q = write(
        d,
        "q.jsonl",
        "{\"id\":\"q0\",\"elem\":\"e4m3\",\"x\":[\"0x3f800000\"],\"block\":1,\"scales\":[127],\"codes\":[56]}\n",
    );
    let r = write(d, "r7", "0x0\n");
    fails(
        &mxref(&["check", "--vectors", &q, "--results", &r], ""),
        2,
        &["r7: a hex results list fits dot vectors only"],
    );
}

/// One line longer than MAX_LINE_BYTES (8 MiB) is refused as soon as the limit is passed,
/// including a line that never ends (/dev/zero), in every streaming reader.
#[test]
fn over_long_lines_are_refused() {
    const MAX: usize = 8 << 20;
    let msg = "longer than 8388608 bytes";
    for (cmd, ok) in [("dot", dot_ok()), ("quantize", quant_ok())] {
        let mut long = ok.into_bytes();
        long.push(b'\n');
        long.extend(std::iter::repeat_n(b' ', MAX + 1));
        long.push(b'\n');
        fails(&mxref_bytes(&[cmd], &long), 1, &["<stdin>: line 2: ", msg]);
        fails(
            &mxref(&[cmd, "-i", "/dev/zero"], ""),
            1,
            &["/dev/zero: line 1: ", msg],
        );
    }
    // Exactly the limit is accepted: a dot line padded with spaces to 8 MiB.
    let mut at_limit = dot_ok().into_bytes();
    at_limit.resize(MAX, b' ');
    let o = mxref_bytes(&["dot"], &at_limit);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fails(
        &mxref(&["sim", "--stimulus", "/dev/zero", "--quiet"], ""),
        1,
        &["/dev/zero: line 1: ", msg],
    );
    let mut stim = b"{\"rst\":1}\n".to_vec();
    stim.extend(std::iter::repeat_n(b'#', MAX + 1));
    fails(
        &mxref_bytes(&["sim", "--stimulus", "-", "--quiet"], &stim),
        1,
        &["-: line 2: ", msg],
    );
    let dir = tempfile::tempdir().unwrap();
    let v = write(dir.path(), "v.jsonl", &(vector("v0", "0x42000000") + "\n"));
    for (vp, rp, want) in [
        ("/dev/zero", v.as_str(), "/dev/zero: line 1: "),
        (v.as_str(), "/dev/zero", "/dev/zero: line 1: "),
    ] {
        fails(
            &mxref(&["check", "--vectors", vp, "--results", rp], ""),
            2,
            &[want, msg],
        );
    }
}

/// `sim` writes its VCD and vector file as it runs, through temporary files: a stimulus that
/// fails after thousands of cycles leaves neither file (nor a temporary one) and keeps an
/// old file unchanged. Bad bytes name their line.
#[test]
fn sim_failures_leave_no_output_files() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("w.vcd");
    let vec_path = dir.path().join("v.vec");
    let args = [
        "sim",
        "--stimulus",
        "-",
        "--quiet",
        "--vcd",
        vcd.to_str().unwrap(),
        "--vectors",
        vec_path.to_str().unwrap(),
    ];
    // 5000 cycles (well past the writers' 64 KiB buffers), then a bad line.
    let good = "{\"valid\":1,\"first\":1,\"last\":1,\"c\":\"0x3f800000\"}\n".repeat(5000);
    fails(
        &mxref(&args, &format!("{good}{{\"a\":[1]}}\n")),
        1,
        &["-: line 5001: field a"],
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files left"
    );
    std::fs::write(&vec_path, "old\n").unwrap();
    fails(
        &mxref(&args, &format!("{good}{{\"a\":[1]}}\n")),
        1,
        &["line 5001"],
    );
    assert_eq!(std::fs::read_to_string(&vec_path).unwrap(), "old\n");
    // The same stimulus without the bad line: both files whole, one vector line a cycle.
    let o = mxref(&args, &good);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Renamed temporary files keep the mode a plainly created file gets (umask applied).
    use std::os::unix::fs::PermissionsExt;
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
    assert_eq!(mode(&vcd), mode(&plain));
    assert_eq!(mode(&vec_path), mode(&plain));
    let lines = std::fs::read_to_string(&vec_path).unwrap().lines().count();
    assert_eq!(lines, 5000 + 6, "5000 beats and the drain");
    assert!(std::fs::read_to_string(&vcd)
        .unwrap()
        .contains("$enddefinitions"));
    let mut bytes = good.into_bytes();
    bytes.extend_from_slice(b"{\"c\":\"\xff\"}\n");
    fails(
        &mxref_bytes(&["sim", "--stimulus", "-", "--quiet"], &bytes),
        1,
        &["-: line 5001: not valid UTF-8"],
    );
}

/// An output path that is a FIFO (or a device such as /dev/null) is written in place: a
/// temporary file renamed over it would replace the pipe or device with a plain file.
#[test]
fn outputs_to_fifos_are_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    // Twice: once for `dot -o`, once for `sim --vectors`. Each read is handed over before the
    // next writer starts: a writer opening the FIFO while the reader has not yet seen the
    // previous writer's end would join the same stream (the second read then waited forever).
    let (tx, rx) = std::sync::mpsc::channel();
    let read = {
        let f = fifo.clone();
        std::thread::spawn(move || {
            for _ in 0..2 {
                tx.send(std::fs::read_to_string(&f).unwrap()).unwrap();
            }
        })
    };
    let f = fifo.to_str().unwrap();
    let o = mxref(&["dot", "-o", f], &format!("{}\n{}\n", dot_ok(), dot_ok()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = rx.recv().unwrap();
    let o = mxref(&["sim", "--random", "20", "--quiet", "--vectors", f], "");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Before the join: were the FIFO replaced, the reader would wait on it forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let got = [first, rx.recv().unwrap()];
    read.join().unwrap();
    assert_eq!(got[0].lines().count(), 2);
    assert!(got[0].contains("\"d\":\"0x42000000\""), "{}", got[0]);
    assert!(got[1].lines().count() >= 20, "{}", got[1]);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary files left"
    );
}

/// Vectors and results that `check` can only judge when it reports a mismatch: an unknown
/// format, an out-of-range code or a short scale list in a failing vector is bad input (2),
/// named by line and field, and so is an out-of-range code in a quantize result.
#[test]
fn check_names_bad_operands_of_failing_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = write(d, "r.hex", "0x0\n");
    let cases: Vec<(String, &[&str])> = vec![
        (
            vector("v0", "0x42000000").replace("\"a_fmt\":\"e4m3\"", "\"a_fmt\":\"e9m9\""),
            &["v.jsonl: line 1: field a_fmt"],
        ),
        (
            vector("v0", "0x42000000").replacen("[56,", "[56,300,", 1),
            &["v.jsonl: line 1: field a[1]: code 300 is out of range for e4m3"],
        ),
        (
            vector("v0", "0x42000000").replace("\"sa\":[127]", "\"sa\":[]"),
            &["v.jsonl: line 1: field sa: has 0 scales for 1 blocks of 32"],
        ),
    ];
    for (v, want) in cases {
        let v = write(d, "v.jsonl", &(v + "\n"));
        let o = mxref(&["check", "--vectors", &v, "--results", &r], "");
        fails(&o, 2, want);
        assert!(o.stdout.is_empty());
    }
    let q = write(
        d,
        "q.jsonl",
        "{\"id\":\"q0\",\"elem\":\"e4m3\",\"x\":[\"0x3f800000\"],\"block\":1,\"scales\":[127],\"codes\":[56]}\n",
    );
    let r = write(
        d,
        "r.jsonl",
        "{\"id\":\"q0\",\"scales\":[127],\"codes\":[256]}\n",
    );
    fails(
        &mxref(&["check", "--vectors", &q, "--results", &r], ""),
        2,
        &["r.jsonl: line 1: field codes[0]: code 256 is out of range for an 8-bit code"],
    );
    // A wrong-length result is a mismatch, reported, not bad input.
    let r = write(
        d,
        "r.jsonl",
        "{\"id\":\"q0\",\"scales\":[127],\"codes\":[56,56]}\n",
    );
    let o = mxref(&["check", "--vectors", &q, "--results", &r], "");
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("expected 1 scales and 1 codes, got 1 and 2"),
        "{out}"
    );
}
