//! `mxref check` on an arbitrary vector file and results file (the input split at the first
//! 0x00 byte): a verdict or an input error, never a panic. The report goes to stdout; run with
//! -close_fd_mask=1.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_fuzz::{check, scratch};

fuzz_target!(|data: &[u8]| {
    let (v, r) = match data.iter().position(|&b| b == 0) {
        Some(k) => (&data[..k], &data[k + 1..]),
        None => (data, &data[..0]),
    };
    let args = check::Args {
        vectors: scratch("vectors.jsonl", v),
        results: scratch("results", r),
        max_report: 3,
    };
    let _ = mxref_fuzz::check_files(&args);
});
