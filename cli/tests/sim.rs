//! `mxref sim`: the per-cycle table of a short stimulus (insta snapshot), the VCD's signal
//! names, and errors that name the file, line and field.

use std::path::PathBuf;
use std::process::Command;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mxref"))
        .arg("sim")
        .args(args)
        .output()
        .expect("run mxref")
}

#[test]
fn short_trace() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("t.vcd");
    let stim = data("sim_short.jsonl");
    let out = sim(&[
        "--stimulus",
        stim.to_str().unwrap(),
        "--vcd",
        vcd.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    // By hand: 32 x 1.0 + 0.5 = 32.5 (0x42020000) 5 cycles after cycle 0; 16 x 1 + 16 x 0.5
    // - 32 = -8 (0xc1000000) 5 cycles after the last beat in cycle 3.
    let results: Vec<(&str, &str)> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[f.len() - 2] == "1").then(|| (f[0], f[f.len() - 1]))
        })
        .collect();
    assert_eq!(results, vec![("5", "42020000"), ("8", "c1000000")]);
    insta::assert_snapshot!(table);

    let w = std::fs::read_to_string(&vcd).unwrap();
    for name in [
        "clk_i", "rst_ni", "valid_i", "a_i", "sa_i", "c_i", "valid_o", "d_o", "s1_nz_q",
        "s3_sum_q", "acc_q",
    ] {
        assert!(w.contains(&format!(" {name} $end")), "VCD lacks {name}");
    }
    assert!(w.contains("$enddefinitions $end"));
    // D is registered at the rising edge in the middle of cycle 4 (45 ns), so d_o holds it
    // when cycle 5 begins.
    let at = w.find("\n#45\n").expect("time 45");
    assert!(w[at..].contains("b1000010000000100000000000000000 "));
}

#[test]
fn errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.jsonl");
    let mut a = vec!["0"; 32];
    a[3] = "16";
    std::fs::write(
        &p,
        format!(
            "{{}}\n{{\"valid\":1,\"a_fmt\":\"e2m1\",\"a\":[{}]}}\n",
            a.join(",")
        ),
    )
    .unwrap();
    let out = sim(&["--stimulus", p.to_str().unwrap(), "--quiet"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl: line 2: field a[3]"), "{err}");

    std::fs::write(&p, "{\"valid\":1,\"nvfp4\":true,\"sa\":[1]}\n").unwrap();
    let out = sim(&["--stimulus", p.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1: field sa"), "{err}");

    std::fs::write(&p, "{\"vaild\":1}\n").unwrap();
    let out = sim(&["--stimulus", p.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1: field vaild: unknown field"), "{err}");
}
