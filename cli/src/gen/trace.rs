//! The `trace` suite: cycle-by-cycle stimulus and response of the RTL unit, from the cycle
//! model (`mxref_model::cycle`), for benches that drive the ports directly.

use super::{FileEntry, Out, HEX_END};
use mxref_model::cycle::stim::{random_stream, StimConfig};
use mxref_model::cycle::{CycleModel, ElemPort, Inputs, LANES};
use std::fmt::Write as _;
use std::path::Path;

/// The stimulus: reset, the directed reset cases, the reserved format codes, a stream of random dots with bubbles (formats
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
    v.extend(reserved_formats());
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

/// Beats whose `a_fmt_i`/`b_fmt_i` carry the reserved codes 6 and 7, for which every lane of
/// that operand reads as +0 (spec/microarchitecture.md, port table), mixed with valid beats:
/// dots that start, continue and end with a reserved beat; reserved lanes holding codes that
/// are NaN, Inf or maximal in the formats; the other operand's sign, Inf and NaN, NVFP4 scales.
/// Random streams never draw these codes, so without them the RTL's reserved-code path
/// (`a_built`/`b_built` in rtl/mx_dot_mul.sv) was never exercised (mutation/rtl).
fn reserved_formats() -> Vec<Inputs> {
    const ONE: u8 = 0x38; // E4M3 1.0
    const NEG_ONE: u8 = 0xb8;
    const R6: ElemPort = ElemPort::Reserved(6);
    const R7: ElemPort = ElemPort::Reserved(7);
    // Lane codes a reserved port must ignore: E4M3 NaN, E5M2 +Inf and NaN, the sign bit, maxima.
    const JUNK: [u8; 8] = [0xff, 0x7f, 0x7c, 0x7e, 0x80, 0xfe, 0x77, 0x01];
    let beat = |a_fmt: ElemPort, b_fmt: ElemPort, first: bool, last: bool, c: u32| {
        let mut i = Inputs {
            valid: true,
            first,
            last,
            a_fmt,
            b_fmt,
            c,
            ..Inputs::default()
        };
        for k in 0..LANES {
            let j = JUNK[k % JUNK.len()];
            i.a[k] = if a_fmt.format().is_none() { j } else { ONE };
            i.b[k] = if b_fmt.format().is_none() { j } else { ONE };
        }
        i
    };
    let e4m3: ElemPort = mxref_model::FormatId::E4m3.into();
    let e5m2: ElemPort = mxref_model::FormatId::E5m2.into();
    let mut v = Vec::new();
    for (r, other) in [(R6, R7), (R7, R6)] {
        // Starts reserved (A), goes on valid, ends valid: C + 0 + 32 + 32 = 66.
        v.push(beat(r, e4m3, true, false, 0x4000_0000));
        v.push(beat(e4m3, e4m3, false, false, 0));
        v.push(beat(e4m3, e4m3, false, true, 0));
        // Starts valid, reserved in the middle (B) and at the end (A): 32.
        v.push(beat(e4m3, e4m3, true, false, 0));
        v.push(beat(e4m3, r, false, false, 0));
        v.push(Inputs::default());
        v.push(beat(r, e4m3, false, true, 0));
        // One reserved beat against -1.0 lanes with C = -0: every product -0, so D = -0
        // (a reserved lane is +0, not absent and not non-zero). Then with C = +0: +0.
        for (c, rsv_a) in [(0x8000_0000, true), (0x8000_0000, false), (0, true)] {
            let mut i = if rsv_a {
                beat(r, e4m3, true, true, c)
            } else {
                beat(e4m3, r, true, true, c)
            };
            let o = if rsv_a { &mut i.b } else { &mut i.a };
            *o = [NEG_ONE; LANES];
            v.push(i);
        }
        // Both operands reserved (different codes), E8M0 scales 2^10: C = 1.5 stays.
        let mut i = beat(r, other, true, true, 0x3fc0_0000);
        (i.sa[0], i.sb[0]) = (137, 137);
        v.push(i);
        // Reserved A against E5M2 +Inf in one lane: 0 * Inf is NaN.
        let mut i = beat(r, e5m2, true, true, 0);
        i.b = [0x3c; LANES];
        i.b[7] = 0x7c;
        v.push(i);
        // Reserved B with a NaN scale (E8M0 0xff): NaN, as for any format.
        let mut i = beat(e4m3, r, true, true, 0x3f80_0000);
        i.sa[0] = 0xff;
        v.push(i);
        // NVFP4 beats (two UE4M3 scales): a valid one, then reserved A, then reserved B: 32.
        for (k, (fa, fb)) in [(e4m3, e4m3), (r, e4m3), (e4m3, r)].into_iter().enumerate() {
            let mut i = beat(fa, fb, k == 0, k == 2, 0xbf80_0000);
            i.nvfp4 = true;
            (i.sa, i.sb) = ([0x38, 0x40], [0x38, 0x38]);
            if k > 0 {
                // Negative lanes on the valid side: -0 products, which must not flip D's sign.
                let o = if fa == e4m3 { &mut i.a } else { &mut i.b };
                *o = [NEG_ONE; LANES];
            }
            v.push(i);
        }
    }
    v.extend(std::iter::repeat_n(Inputs::default(), 6));
    v
}

/// A format field of the JSON trace: the format's name as a string, a reserved port code as
/// an integer (spec/vectors.md, "trace").
fn port_json(p: ElemPort) -> String {
    match p {
        ElemPort::Fmt(f) => format!("\"{f}\""),
        ElemPort::Reserved(c) => c.to_string(),
    }
}

fn json(cycle: usize, i: &Inputs, valid: bool, d: u32) -> String {
    let mut l = String::with_capacity(400);
    let _ = write!(
        l,
        "{{\"cycle\":{cycle},\"rst\":{},\"valid\":{},\"first\":{},\"last\":{},\"a_fmt\":{},\"b_fmt\":{},\"nvfp4\":{},\"a\":{:?},\"b\":{:?},\"sa\":{:?},\"sb\":{:?},\"c\":\"0x{:08x}\",\"out_valid\":{valid},\"d\":\"0x{d:08x}\"}}",
        i.rst, i.valid, i.first, i.last, port_json(i.a_fmt), port_json(i.b_fmt), i.nvfp4, i.a, i.b, i.sa, i.sb, i.c
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
        | (i.a_fmt.code() as u32) << 8
        | (i.b_fmt.code() as u32) << 12;
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
