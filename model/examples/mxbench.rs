//! Library-level throughput driver for bench/side_by_side.py: times the model without the
//! CLI's JSON, on operand files the script also feeds to the other contenders, and prints one
//! JSON line per run. Timing: `reps` timed passes over the whole input after one warm-up pass;
//! the median pass is reported (the machine may be loaded, so the median, not the mean).
//!
//! Usage:
//!   mxbench dot NUMERICS A_FMT B_FMT BLOCKS DIR REPS [OUT]   DIR/{a,b,sa,sb}.u8 (one code a byte);
//!                                                          OUT: the D bits (u32 LE) of pass 1;
//!                                                          NUMERICS: preset name or JSON file
//!   mxbench quant RULE ELEM SCALE_FMT BLOCK ROUND X REPS [OUT]  X: FP32 bits (u32 LE);
//!                                                          OUT: scales then codes (u8)
//!   mxbench cycle A_FMT B_FMT BEATS_PER_DOT BEATS REPS     random beats through CycleModel

use mxref_model::cycle::{CycleModel, Inputs, LANES};
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, Numerics};
use mxref_model::quantize::{ElemRound, QuantSpec, Quantizer};
use mxref_model::FormatId;
use std::hint::black_box;
use std::time::Instant;

fn die(msg: String) -> ! {
    eprintln!("mxbench: {msg}");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T
where
    T::Err: std::fmt::Display,
{
    let s = args
        .get(i)
        .unwrap_or_else(|| die(format!("missing argument {i} ({what})")));
    s.parse()
        .unwrap_or_else(|e| die(format!("argument {i} ({what}) {s:?}: {e}")))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| die(format!("{path}: {e}")))
}

fn read_u8_codes(path: &str) -> Vec<u32> {
    read(path).into_iter().map(u32::from).collect()
}

/// Time `reps` passes of `f` after one warm-up pass; returns (median, min) seconds a pass.
fn time<F: FnMut() -> u32>(reps: usize, mut f: F) -> (f64, f64) {
    let mut sink = f();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t0 = Instant::now();
            sink ^= f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    black_box(sink);
    t.sort_by(|a, b| a.total_cmp(b));
    (t[t.len() / 2], t[0])
}

fn dot(args: &[String]) {
    // A built-in preset name or a numerics JSON file (as `mxref dot` takes them).
    let n = preset(&args[2]).unwrap_or_else(|| {
        let text = std::fs::read_to_string(&args[2])
            .unwrap_or_else(|e| die(format!("{:?}: not a preset name nor a file: {e}", args[2])));
        Numerics::from_json(&text).unwrap_or_else(|e| die(format!("{}: {e}", args[2])))
    });
    let fa: FormatId = arg(args, 3, "A_FMT");
    let fb: FormatId = arg(args, 4, "B_FMT");
    let blocks: usize = arg(args, 5, "BLOCKS");
    let dir: String = arg(args, 6, "DIR");
    let reps: usize = arg(args, 7, "REPS");
    let (a, b) = (
        read_u8_codes(&format!("{dir}/a.u8")),
        read_u8_codes(&format!("{dir}/b.u8")),
    );
    let (sa, sb) = (
        read_u8_codes(&format!("{dir}/sa.u8")),
        read_u8_codes(&format!("{dir}/sb.u8")),
    );
    let k = 32 * blocks;
    let dots = a.len() / k;
    if dots == 0 || a.len() != b.len() || sa.len() != dots * blocks || sb.len() != sa.len() {
        die(format!(
            "{dir}: operand lengths do not match {dots} dots of {blocks} blocks"
        ));
    }
    let spec = DotSpec {
        a_fmt: fa,
        b_fmt: fb,
        scale_fmt: FormatId::E8m0,
        block: 32,
    };
    let engine = Dot::new(spec, &n).unwrap_or_else(|e| die(format!("{}: {e}", args[2])));
    let ops = |i: usize| Operands {
        a: &a[i * k..(i + 1) * k],
        b: &b[i * k..(i + 1) * k],
        sa: &sa[i * blocks..(i + 1) * blocks],
        sb: &sb[i * blocks..(i + 1) * blocks],
        c: 0,
    };
    // Validate once (and keep the results for the caller's agreement check), so the timed
    // passes can unwrap.
    let d: Vec<u32> = (0..dots)
        .map(|i| {
            engine
                .eval(&ops(i))
                .unwrap_or_else(|e| die(format!("dot {i}: {e}")))
        })
        .collect();
    if let Some(out) = args.get(8) {
        let bytes: Vec<u8> = d.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(out, bytes).unwrap_or_else(|e| die(format!("{out}: {e}")));
    }
    let (med, min) = time(reps, || {
        let mut x = 0u32;
        for i in 0..dots {
            x ^= engine.eval(black_box(&ops(i))).unwrap();
        }
        x
    });
    println!(
        "{{\"what\":\"dot\",\"preset\":\"{}\",\"a_fmt\":\"{fa}\",\"b_fmt\":\"{fb}\",\"blocks\":{blocks},\
         \"dots\":{dots},\"sec_median\":{med:e},\"sec_min\":{min:e},\"dots_per_s\":{:e},\"blocks_per_s\":{:e}}}",
        args[2],
        dots as f64 / med,
        (dots * blocks) as f64 / med
    );
}

fn quant(args: &[String]) {
    let rule = arg(args, 2, "RULE");
    let elem: FormatId = arg(args, 3, "ELEM");
    let scale_fmt: FormatId = arg(args, 4, "SCALE_FMT");
    let block: usize = arg(args, 5, "BLOCK");
    let round = ElemRound::parse(&args[6], 1).unwrap_or_else(|e| die(e));
    let path: String = arg(args, 7, "X");
    let reps: usize = arg(args, 8, "REPS");
    let x: Vec<u32> = read(&path)
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let q = Quantizer::new(QuantSpec {
        elem,
        scale_fmt,
        block,
        rule,
        round,
    })
    .unwrap_or_else(|e| die(e.to_string()));
    let mut scales = vec![0u32; x.len() / block];
    let mut codes = vec![0u32; x.len()];
    // The tensor scale is part of the work of an NVFP4 conversion: computed in every pass.
    let pass = |scales: &mut [u32], codes: &mut [u32]| {
        let ts = if q.needs_tensor_scale() {
            q.tensor_scale(&x)
        } else {
            0x3f80_0000
        };
        q.quantize(black_box(&x), ts, 0, scales, codes)
            .unwrap_or_else(|e| die(e.to_string()));
        scales[0] ^ codes[codes.len() - 1]
    };
    pass(&mut scales, &mut codes);
    if let Some(out) = args.get(9) {
        let bytes: Vec<u8> = scales.iter().chain(&codes).map(|&c| c as u8).collect();
        std::fs::write(out, bytes).unwrap_or_else(|e| die(format!("{out}: {e}")));
    }
    let (med, min) = time(reps, || pass(&mut scales, &mut codes));
    println!(
        "{{\"what\":\"quant\",\"rule\":\"{}\",\"elem\":\"{elem}\",\"round\":\"{}\",\"block\":{block},\
         \"elements\":{},\"sec_median\":{med:e},\"sec_min\":{min:e},\"elements_per_s\":{:e}}}",
        args[2],
        args[6],
        x.len(),
        x.len() as f64 / med
    );
}

fn cycle(args: &[String]) {
    let fa: FormatId = arg(args, 2, "A_FMT");
    let fb: FormatId = arg(args, 3, "B_FMT");
    let per_dot: usize = arg(args, 4, "BEATS_PER_DOT");
    let beats: usize = arg(args, 5, "BEATS");
    let reps: usize = arg(args, 6, "REPS");
    let mut s = 7u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let mask = |f: FormatId| ((1u32 << f.format().bits()) - 1) as u8;
    let stim: Vec<Inputs> = (0..beats)
        .map(|i| {
            let mut x = Inputs {
                valid: true,
                first: i % per_dot == 0,
                last: i % per_dot == per_dot - 1,
                a_fmt: fa.into(),
                b_fmt: fb.into(),
                ..Inputs::default()
            };
            for l in 0..LANES {
                x.a[l] = next() as u8 & mask(fa);
                x.b[l] = next() as u8 & mask(fb);
            }
            x.sa = [112 + (next() % 30) as u8; 2];
            x.sb = [112 + (next() % 30) as u8; 2];
            x
        })
        .collect();
    let (med, min) = time(reps, || {
        let mut m = CycleModel::new();
        let mut x = 0u32;
        for i in &stim {
            let o = m.step(black_box(i));
            x ^= o.d;
        }
        x
    });
    println!(
        "{{\"what\":\"cycle\",\"a_fmt\":\"{fa}\",\"b_fmt\":\"{fb}\",\"beats_per_dot\":{per_dot},\
         \"beats\":{beats},\"sec_median\":{med:e},\"sec_min\":{min:e},\"beats_per_s\":{:e}}}",
        beats as f64 / med
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("dot") => dot(&args),
        Some("quant") => quant(&args),
        Some("cycle") => cycle(&args),
        _ => die(
            "usage: mxbench dot|quant|cycle ... (see the header of model/examples/mxbench.rs)"
                .into(),
        ),
    }
}
