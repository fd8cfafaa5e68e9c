//! `mxref quantize` on arbitrary input files: every line either gives an output line or a
//! line/field error; never a panic, hang or unbounded allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_fuzz::{jsonl, numerics_are_presets, quantize, scratch};

fuzz_target!(|data: &[u8]| {
    if !numerics_are_presets(data) {
        return;
    }
    let input = scratch("quantize.jsonl", data);
    let args = quantize::Args {
        io: jsonl::IoArgs {
            input: Some(input),
            output: None,
        },
    };
    if let Err(e) = quantize::run(args) {
        // Errors are for the user: they must say where (file and line) unless about stdout.
        let msg = format!("{e:#}");
        assert!(msg.contains(": line ") || msg.contains("write"), "{msg}");
    }
});
