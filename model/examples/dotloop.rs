//! Evaluate N deterministic dot products under a preset: a fixed workload for instruction
//! counting (`valgrind --tool=callgrind`), which stays repeatable on a loaded machine.
//! Usage: dotloop <preset> <a_fmt> <b_fmt> <blocks> <count> [gather|scalar]
//! The last picks the pair table's SIMD look-up form (default: the CPU family's; valgrind
//! reports an Intel CPU, so counts under it take the gather form unless told).

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = preset(&args[1]).expect("preset");
    let fa: FormatId = args[2].parse().unwrap();
    let fb: FormatId = args[3].parse().unwrap();
    let blocks: usize = args[4].parse().unwrap();
    let count: usize = args[5].parse().unwrap();
    let k = 32 * blocks;
    let mut s = 1u64;
    let mut next = |m: u32| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as u32) % m
    };
    let finite = |id: FormatId, c: u32| {
        let v = id.format().decode_unchecked(c);
        !v.is_nan() && v.class != mxref_model::Class::Inf
    };
    let mut gen = |id: FormatId, len: usize| -> Vec<u32> {
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            let c = next(id.format().codes() as u32);
            if finite(id, c) {
                v.push(c);
            }
        }
        v
    };
    let a = gen(fa, k * 64);
    let b = gen(fb, k * 64);
    let sa: Vec<u32> = (0..blocks * 64)
        .map(|i| 112 + (i as u32 * 7) % 30)
        .collect();
    let dot = Dot::new(
        DotSpec {
            a_fmt: fa,
            b_fmt: fb,
            scale_fmt: FormatId::E8m0,
            block: 32,
        },
        &n,
    )
    .unwrap();
    let dot = match args.get(6).map(String::as_str) {
        Some("gather") => dot.force_gather(true),
        Some("scalar") => dot.force_gather(false),
        _ => dot,
    };
    let mut x = 0u32;
    for i in 0..count {
        let j = i % 64;
        let ops = Operands {
            a: &a[j * k..(j + 1) * k],
            b: &b[j * k..(j + 1) * k],
            sa: &sa[j * blocks..(j + 1) * blocks],
            sb: &sa[j * blocks..(j + 1) * blocks],
            c: 0,
        };
        x ^= dot.eval(std::hint::black_box(&ops)).unwrap();
    }
    println!("{x:#x}");
}
