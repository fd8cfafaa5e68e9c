//! Hardware-numerics presets against `exact`, side by side on the same inputs: e4m3 x e4m3
//! codes with random exponents, E8M0 scales, C a random BF16 pattern widened to FP32. Each
//! round times every numerics once (the median of 3 passes over all dots), in turn, and takes
//! each preset's speed as a ratio to `exact`'s in that round; the table gives the median over
//! rounds. Prints Markdown. Usage: hwspeed [ROUNDS [DOTS [K...]]]   (default 7 4096 32 256)

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;
use std::hint::black_box;
use std::time::Instant;

const PRESETS: [&str; 11] = [
    "rtl",
    "hopper-mma-fp8",
    "hopper-wgmma-fp8",
    "hopper-cublas-fp8",
    "hopper-cublas-fp8-fast",
    "hopper-mxfp8-sw",
    "ada-mma-fp8",
    "blackwell-tcgen05-f8f6f4",
    "blackwell-tcgen05-mxf8f6f4",
    "rtxblackwell-mma-fp8",
    "rtxblackwell-mma-mxf8f6f4",
];

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(1).map_or(7, |s| s.parse().expect("ROUNDS"));
    let dots: usize = args.get(2).map_or(4096, |s| s.parse().expect("DOTS"));
    let ks: Vec<usize> = if args.len() > 3 {
        args[3..].iter().map(|s| s.parse().expect("K")).collect()
    } else {
        vec![32, 256]
    };
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    println!("| preset | K | M dots/s | exact M dots/s | ratio to exact (median of {rounds} rounds; range) |");
    println!("|---|---|---|---|---|");
    for &k in &ks {
        let nb = k / 32;
        let f = FormatId::E4m3.format();
        let mut codes = |n: usize| -> Vec<u32> {
            let mut v = Vec::with_capacity(n);
            while v.len() < n {
                let c = (next() & 0xff) as u32;
                let d = f.decode_unchecked(c);
                if !d.is_nan() {
                    v.push(c);
                }
            }
            v
        };
        let (a, b) = (codes(k * dots), codes(k * dots));
        let sa: Vec<u32> = (0..nb * dots).map(|_| 112 + (next() % 30) as u32).collect();
        let sb: Vec<u32> = (0..nb * dots).map(|_| 112 + (next() % 30) as u32).collect();
        // BF16 patterns with exponents near 1, widened to FP32.
        let cs: Vec<u32> = (0..dots)
            .map(|_| (((next() & 0x807f) as u32) | (0x3c00 + (next() % 0x600) as u32)) << 16)
            .collect();
        let spec = DotSpec {
            a_fmt: FormatId::E4m3,
            b_fmt: FormatId::E4m3,
            scale_fmt: FormatId::E8m0,
            block: 32,
        };
        let names: Vec<&str> = std::iter::once("exact").chain(PRESETS).collect();
        let evals: Vec<Dot> = names
            .iter()
            .map(|p| Dot::new(spec, &preset(p).expect("preset")).expect("shape"))
            .collect();
        let pass = |dot: &Dot| -> f64 {
            let t0 = Instant::now();
            let mut x = 0u32;
            for i in 0..dots {
                let ops = Operands {
                    a: &a[i * k..(i + 1) * k],
                    b: &b[i * k..(i + 1) * k],
                    sa: &sa[i * nb..(i + 1) * nb],
                    sb: &sb[i * nb..(i + 1) * nb],
                    c: cs[i],
                };
                x ^= dot.eval(black_box(&ops)).expect("valid operands");
            }
            black_box(x);
            dots as f64 / t0.elapsed().as_secs_f64()
        };
        // rates[numerics][round]
        let mut rates = vec![Vec::new(); names.len()];
        for _ in 0..rounds {
            for (r, dot) in rates.iter_mut().zip(&evals) {
                let mut p = [pass(dot), pass(dot), pass(dot)];
                r.push(median(&mut p));
            }
        }
        for i in 1..names.len() {
            let mut ratio: Vec<f64> = rates[i].iter().zip(&rates[0]).map(|(p, e)| p / e).collect();
            let (lo, hi) = (
                ratio.iter().cloned().fold(f64::MAX, f64::min),
                ratio.iter().cloned().fold(0.0, f64::max),
            );
            println!(
                "| {} | {k} | {:.2} | {:.2} | **{:.2}** ({lo:.2}–{hi:.2}) |",
                names[i],
                median(&mut rates[i].clone()) / 1e6,
                median(&mut rates[0].clone()) / 1e6,
                median(&mut ratio),
            );
        }
    }
}
