//! `mxref gen`, `check` and `explain` as a user runs them: determinism for a seed, manifests
//! that match the files, vectors that `mxref dot` / `mxref quantize` reproduce, and the exit
//! status and reports of `check`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn mxref(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxref"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn gen(dir: &Path, args: &[&str]) {
    let mut a = vec!["gen", "--out", dir.to_str().unwrap()];
    a.extend_from_slice(args);
    let o = mxref(&a, "");
    assert!(o.status.success(), "{}", text(&o.stderr));
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn same_seed_same_bytes_other_seed_other_cases() {
    let t = tempfile::tempdir().unwrap();
    let run = |dir: &str, seed: &str, count: &str| {
        gen(
            &t.path().join(dir),
            &[
                "--suite",
                "dot-random",
                "--numerics",
                "rtl",
                "--seed",
                seed,
                "--count",
                count,
            ],
        )
    };
    run("x", "9", "50");
    run("y", "9", "50");
    run("z", "10", "50");
    let f = |d: &str| read(&t.path().join(d).join("dot-random/rtl.jsonl"));
    assert_eq!(f("x"), f("y"));
    assert_ne!(f("x"), f("z"));
    assert_eq!(f("x").lines().count(), 50);
    // The first cases do not depend on how many are drawn.
    run("w", "9", "80");
    assert!(f("w").starts_with(&f("x")));
}

#[test]
fn manifest_records_parameters_and_hashes() {
    use sha2::{Digest, Sha256};
    let t = tempfile::tempdir().unwrap();
    gen(
        t.path(),
        &[
            "--suite",
            "dot-random",
            "--numerics",
            "exact",
            "--count",
            "20",
            "--seed",
            "3",
        ],
    );
    let dir = t.path().join("dot-random");
    let m: serde_json::Value = serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    assert_eq!(m["suite"], "dot-random");
    assert_eq!(m["seed"], 3);
    assert_eq!(m["count"], 20);
    assert_eq!(m["numerics"][0], "exact");
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        let data = std::fs::read(dir.join(f["name"].as_str().unwrap())).unwrap();
        let h: String = Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], h.as_str());
        assert_eq!(f["bytes"], data.len() as u64);
        assert_eq!(f["vectors"], 20);
    }
}

/// `mxref dot` recomputes each vector's `d` in place: it must reproduce the file exactly.
#[test]
fn vectors_round_trip_through_dot_and_quantize() {
    let t = tempfile::tempdir().unwrap();
    gen(t.path(), &["--suite", "dot-directed", "--numerics", "rtl"]);
    gen(t.path(), &["--suite", "quantize", "--count", "20"]);
    for (cmd, f) in [
        ("dot", "dot-directed/rtl.jsonl"),
        ("quantize", "quantize/quantize.jsonl"),
    ] {
        // From a file: a large stdin and stdout through pipes would deadlock this test.
        let path = t.path().join(f);
        let v = read(&path);
        let o = mxref(&[cmd, "--input", path.to_str().unwrap()], "");
        assert!(o.status.success(), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        let (a, b): (Vec<_>, Vec<_>) = (v.lines().collect(), out.lines().collect());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            let (x, y): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(x).unwrap(),
                serde_json::from_str(y).unwrap(),
            );
            assert_eq!(x, y, "{cmd} disagrees with {f}");
        }
    }
}

#[test]
fn check_passes_fails_and_rejects_with_its_exit_status() {
    let t = tempfile::tempdir().unwrap();
    gen(
        t.path(),
        &["--suite", "dot-directed", "--numerics", "exact"],
    );
    let v = t.path().join("dot-directed/exact.jsonl");
    let vs = v.to_str().unwrap();
    let lines: Vec<serde_json::Value> = read(&v)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Hex results in vector order, with a comment: all pass.
    let mut hex = String::from("// results\n");
    for l in &lines {
        hex.push_str(&l["d"].as_str().unwrap()[2..]);
        hex.push('\n');
    }
    let r = t.path().join("r.hex");
    std::fs::write(&r, &hex).unwrap();
    let o = mxref(
        &["check", "--vectors", vs, "--results", r.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains(&format!("{} pass, 0 fail", lines.len())));

    // One result off by one ulp and one -0 for +0: both reported with ids and distances.
    let mut js = String::new();
    let mut flipped = vec![];
    for (i, l) in lines.iter().enumerate() {
        let d = u32::from_str_radix(&l["d"].as_str().unwrap()[2..], 16).unwrap();
        let got = if i == 40 {
            flipped.push(l["id"].as_str().unwrap().to_string());
            d ^ 1
        } else if d == 0 && flipped.len() == 1 {
            flipped.push(l["id"].as_str().unwrap().to_string());
            0x8000_0000
        } else {
            d
        };
        js.push_str(&format!("{{\"id\":{},\"d\":\"0x{got:08x}\"}}\n", l["id"]));
    }
    assert_eq!(
        flipped.len(),
        2,
        "the suite has a +0 result after vector 40"
    );
    std::fs::write(&r, &js).unwrap();
    let o = mxref(
        &["check", "--vectors", vs, "--results", r.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    for id in &flipped {
        assert!(out.contains(&format!("FAIL {id} ")), "{out}");
    }
    assert!(out.contains("ulp distance 1"), "{out}");
    assert!(out.contains("sign of zero"), "{out}");
    assert!(out.contains("2 fail"), "{out}");

    // A missing result fails; an unknown id and bad hex are bad input (status 2, line named).
    std::fs::write(&r, js.lines().skip(1).collect::<Vec<_>>().join("\n")).unwrap();
    let o = mxref(
        &["check", "--vectors", vs, "--results", r.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("1 without a result"));
    std::fs::write(&r, "{\"id\":\"nope\",\"d\":\"0x0\"}\n").unwrap();
    let o = mxref(
        &["check", "--vectors", vs, "--results", r.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("line 1: field id"),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(&r, "3f800000\nxyz\n").unwrap();
    let o = mxref(
        &["check", "--vectors", vs, "--results", r.to_str().unwrap()],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("line 2"), "{}", text(&o.stderr));
}

#[test]
fn explain_shows_the_steps_and_the_expected_result() {
    let t = tempfile::tempdir().unwrap();
    gen(t.path(), &["--suite", "dot-directed", "--numerics", "rtl"]);
    let v = t.path().join("dot-directed/rtl.jsonl");
    let text_v = read(&v);
    let (n, line) = text_v
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(":window-cancel-"))
        .unwrap();
    let at = format!("{}:{}", v.display(), n + 1);
    let o = mxref(&["explain", &at], "");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "Emax",
        "window keeps bits down to",
        "accumulator",
        "matches the file",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    let id: serde_json::Value = serde_json::from_str(line).unwrap();
    let o = mxref(
        &[
            "explain",
            "--vectors",
            v.to_str().unwrap(),
            "--id",
            id["id"].as_str().unwrap(),
        ],
        "",
    );
    assert_eq!(text(&o.stdout), out);
    // A wrong expected d is reported and fails.
    let bad = t.path().join("bad.jsonl");
    let d = id["d"].as_str().unwrap();
    let flipped = if d.ends_with('0') { "1" } else { "0" };
    std::fs::write(&bad, line.replace(d, &format!("{}{flipped}", &d[..9]))).unwrap();
    let o = mxref(&["explain", &format!("{}:1", bad.display())], "");
    assert!(!o.status.success());
    assert!(text(&o.stdout).contains("DIFFERS"));
}
