//! `mxref sim` on arbitrary stimulus files (quiet, no VCD/vectors): a line/field error or a
//! clean run through the cycle model; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_fuzz::{scratch, sim};

/// Stimuli that expand to more cycles than this are skipped: `repeat` is accepted up to 2^20
/// a line by design, and a long run is not a bug (memory per cycle is reported separately).
const MAX_CYCLES: u64 = 1 << 14;

fuzz_target!(|data: &[u8]| {
    let cycles: u64 = data
        .split(|&b| b == b'\n')
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("repeat").and_then(|r| r.as_u64()))
                .unwrap_or(1)
        })
        .fold(0u64, |a, r| a.saturating_add(r));
    if cycles > MAX_CYCLES {
        return;
    }
    let path = scratch("stim.jsonl", data);
    let args = sim::Args {
        stimulus: Some(path.clone()),
        random: None,
        seed: 1,
        mixed: false,
        elements: Vec::new(),
        no_nvfp4: false,
        junk: false,
        vcd: None,
        vectors: None,
        regs: false,
        quiet: true,
    };
    if let Err(e) = sim::run(args) {
        let msg = format!("{e:#}");
        assert!(
            msg.contains(": line ") || msg.contains(&path.display().to_string()),
            "{msg}"
        );
    }
});
