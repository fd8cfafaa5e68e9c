//! `mxref dot` on arbitrary input files: every line either gives an output line or a
//! line/field error; never a panic, hang or unbounded allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_fuzz::{dot, jsonl, numerics_are_presets, scratch};

fuzz_target!(|data: &[u8]| {
    if !numerics_are_presets(data) {
        return;
    }
    let input = scratch("dot.jsonl", data);
    let args = dot::Args {
        io: jsonl::IoArgs {
            input: Some(input),
            output: None,
        },
    };
    if let Err(e) = dot::run(args) {
        // Errors are for the user: they must say where (file and line) unless about stdout.
        let msg = format!("{e:#}");
        assert!(msg.contains(": line ") || msg.contains("write"), "{msg}");
    }
});
