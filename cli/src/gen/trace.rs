//! The `trace` suite: cycle-by-cycle stimulus and response of the RTL unit, from the cycle
//! model (`mxref_model::cycle`), for benches that drive the ports directly.

use super::{FileEntry, Out, HEX_END};
use mxref_model::cycle::stim::{random_stream, StimConfig};
use mxref_model::cycle::{CycleModel, Inputs, LANES};
use std::fmt::Write as _;
use std::path::Path;

/// The stimulus: reset, the directed reset cases, a stream of random dots with bubbles (formats
/// fixed per dot), a stream with formats switching between beats and longer dots, then bubbles
/// to drain the pipeline.
pub fn stimulus(seed: u64, cycles: usize) -> Vec<Inputs> {
    let mut v = vec![
        Inputs {
            rst: true,
            ..Inputs::default()
        };
        2
    ];
    v.extend(after_reset());
    v.extend(random_stream(seed, cycles / 2, StimConfig::default()));
    v.extend(random_stream(
        seed ^ 0x5eed,
        cycles - cycles / 2,
        StimConfig {
            mixed_formats: true,
            max_beats: 8,
            ..StimConfig::default()
        },
    ));
    v.extend(std::iter::repeat_n(Inputs::default(), 8));
    v
}

/// Beats without `first_i` straight after a reset, which accumulate onto the reset value of the
/// accumulator, +0 with no special flags (spec/microarchitecture.md, "Reset"); random streams
/// always open a dot with `first_i`, so without these an RTL whose accumulator or flag
/// registers reset to anything else passed every suite (mutation/rtl, docs/reliability.md).
fn after_reset() -> Vec<Inputs> {
    const ONE_E4M3: u8 = 0x38;
    const NEG_ZERO_E4M3: u8 = 0x80;
    let beat = |first: bool, last: bool, a0: u8, c: u32| {
        let mut i = Inputs {
            valid: true,
            first,
            last,
            c,
            ..Inputs::default()
        };
        i.a[0] = a0;
        i.b[0] = ONE_E4M3;
        i
    };
    let rst = Inputs {
        rst: true,
        ..Inputs::default()
    };
    let mut v = vec![
        // +0 + 1.0 = 1.0; C (3.0) is not used without first_i.
        beat(false, true, ONE_E4M3, 0x4040_0000),
        // A dot cut short by a reset once its first beat is in the accumulator...
        beat(true, false, ONE_E4M3, 0x3f80_0000),
    ];
    v.extend(std::iter::repeat_n(Inputs::default(), 4));
    v.extend([
        rst,
        // ...leaves +0: +0 + (-0) = +0 (every product -0), where a -0 accumulator gives -0.
        Inputs {
            a: [NEG_ZERO_E4M3; LANES],
            b: [ONE_E4M3; LANES],
            ..beat(false, true, 0, 0x7fc0_0000)
        },
    ]);
    v.extend(std::iter::repeat_n(Inputs::default(), 6));
    v
}

fn json(cycle: usize, i: &Inputs, valid: bool, d: u32) -> String {
    let mut l = String::with_capacity(400);
    let _ = write!(
        l,
        "{{\"cycle\":{cycle},\"rst\":{},\"valid\":{},\"first\":{},\"last\":{},\"a_fmt\":\"{}\",\"b_fmt\":\"{}\",\"nvfp4\":{},\"a\":{:?},\"b\":{:?},\"sa\":{:?},\"sb\":{:?},\"c\":\"0x{:08x}\",\"out_valid\":{valid},\"d\":\"0x{d:08x}\"}}",
        i.rst, i.valid, i.first, i.last, i.a_fmt, i.b_fmt, i.nvfp4, i.a, i.b, i.sa, i.sb, i.c
    );
    l.retain(|c| c != ' ');
    l
}

/// One cycle as 21 hex words (spec/vectors.md, "trace").
fn hex(i: &Inputs, valid: bool, d: u32, out: &mut String) {
    let ctrl = i.rst as u32
        | (i.valid as u32) << 1
        | (i.first as u32) << 2
        | (i.last as u32) << 3
        | (i.nvfp4 as u32) << 4
        | (i.a_fmt as u32) << 8
        | (i.b_fmt as u32) << 12;
    let sc =
        i.sa[0] as u32 | (i.sa[1] as u32) << 8 | (i.sb[0] as u32) << 16 | (i.sb[1] as u32) << 24;
    let mut words = vec![ctrl, sc, i.c];
    for lanes in [&i.a, &i.b] {
        for ch in lanes.chunks(4) {
            words.push(
                ch.iter()
                    .enumerate()
                    .fold(0, |w, (k, &x)| w | (x as u32) << (8 * k)),
            );
        }
    }
    words.push(valid as u32);
    words.push(d);
    debug_assert_eq!(words.len(), 5 + 2 * LANES / 4);
    for w in words {
        let _ = writeln!(out, "{w:08x}");
    }
}

pub fn write(dir: &Path, seed: u64, cycles: usize) -> anyhow::Result<Vec<FileEntry>> {
    let stim = stimulus(seed, cycles);
    let mut m = CycleModel::new();
    let mut js = Out::create(dir.join("trace.jsonl"))?;
    let mut hx = Out::create(dir.join("trace.hex"))?;
    hx.line("// mxref trace: 21 words per cycle; layout in spec/vectors.md")?;
    let mut buf = String::new();
    for (k, i) in stim.iter().enumerate() {
        let o = m.step(i);
        js.line(&json(k, i, o.valid, o.d))?;
        buf.clear();
        hex(i, o.valid, o.d, &mut buf);
        hx.line(buf.trim_end())?;
    }
    hx.line(&format!("{HEX_END:08x}"))?;
    let n = stim.len() as u64;
    Ok(vec![js.finish(n)?, hx.finish(n)?])
}
