//! `mxref presets`: every built-in preset with its parameters and status, from the data.

use std::process::{Command, Output};

fn mxref(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mxref"))
        .args(args)
        .output()
        .expect("run mxref")
}

#[test]
fn json_lists_every_preset_with_its_file_fields() {
    let o = mxref(&["presets", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    let names: Vec<&str> = mxref_model::numerics::preset_names().collect();
    assert_eq!(list.len(), names.len());
    for (p, name) in list.iter().zip(&names) {
        assert_eq!(p["name"], *name);
        // Exactly what the preset file says (its text is the source of truth).
        let file = mxref_model::numerics::preset(name).unwrap();
        assert_eq!(p["status"], file.status.as_str());
        assert_eq!(p["window_bits"], serde_json::json!(file.window_bits));
    }
}

#[test]
fn text_shows_every_parameter_and_the_status() {
    let o = mxref(&["presets", "volta-mma-f16", "ada-mma-fp8"]);
    assert!(o.status.success());
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.starts_with("volta-mma-f16: published model, not confirmed on hardware\n"));
    for want in [
        "  window       23 bits, truncate\n",
        "  group        4 products, contiguous\n",
        "  acc          E8M23 rz\n",
        "  nan_bits     0x7fffffff\n",
        "  output       E8M13 rz\n",
        "  inputs       e4m3, e5m2\n",
        "mma.sync.aligned.m8n8k4.row.col.f32.f16.f16.f32 (sm_70)",
        "arXiv 2511.10909",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
}

#[test]
fn unknown_preset_is_an_error_naming_the_known_ones() {
    let o = mxref(&["presets", "volta-mma-f61"]);
    assert!(!o.status.success());
    let e = String::from_utf8(o.stderr).unwrap();
    assert!(e.contains("unknown preset \"volta-mma-f61\""), "{e}");
    assert!(e.contains("volta-mma-f16"), "{e}");
}

/// An FP16-output preset's D is also emitted as FP16 bits: 1 + 1 = 2 is 0x4000; the NaN
/// 0x7FFFE000 (FP16's 0x7FFF widened) is 0x7FFF. An FP32-output preset emits no d_fp16.
#[test]
fn fp16_output_is_emitted_as_fp16_bits() {
    let line = |n: &str, a: u32| {
        format!(
            "{{\"a_fmt\":\"fp16\",\"b_fmt\":\"fp16\",\"block\":2,\"sa\":[127],\"sb\":[127],\"a\":[{a},15360],\"b\":[15360,15360],\"numerics\":\"{n}\"}}\n"
        )
    };
    let run = |input: String| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_mxref"))
            .arg("dot")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(input.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let out = run(line("ampere-mma-f16-f16out", 15360));
    assert!(
        out.contains("\"d\":\"0x40000000\",\"d_fp16\":\"0x4000\""),
        "{out}"
    );
    let out = run(line("ampere-mma-f16-f16out", 0x7e00));
    assert!(out.contains("\"d_fp16\":\"0x7fff\""), "{out}");
    let out = run(line("ampere-mma-f16", 15360));
    assert!(
        out.contains("\"d\":\"0x40000000\"") && !out.contains("d_fp16"),
        "{out}"
    );
}
