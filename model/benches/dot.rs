//! Dot-product throughput: exact and hardware numerics, per format pair and dot length.
//! Throughput is reported in 32-element blocks per second (criterion "elements").

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;
use std::hint::black_box;

/// Deterministic operand codes: finite, with random exponents (splitmix64).
fn codes(id: FormatId, n: usize, seed: u64) -> Vec<u32> {
    let f = id.format();
    let mut s = seed;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let c = (z % f.codes()) as u32;
        let v = f.decode_unchecked(c);
        if !v.is_nan() && v.class != mxref_model::Class::Inf {
            out.push(c);
        }
    }
    out
}

/// Many independent dots over one buffer, so the loop measures the engine, not one cache line.
struct Batch {
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
    k: usize,
    dots: usize,
}

fn batch(fa: FormatId, fb: FormatId, blocks: usize, dots: usize) -> Batch {
    let k = 32 * blocks;
    let sc = |seed| {
        codes(FormatId::E8m0, blocks * dots, seed)
            .iter()
            .map(|c| 112 + c % 30)
            .collect()
    };
    Batch {
        a: codes(fa, k * dots, 1),
        b: codes(fb, k * dots, 2),
        sa: sc(3),
        sb: sc(4),
        k,
        dots,
    }
}

fn run(dot: &Dot, x: &Batch) -> u32 {
    let nb = x.k / 32;
    let mut acc = 0u32;
    for i in 0..x.dots {
        let ops = Operands {
            a: &x.a[i * x.k..(i + 1) * x.k],
            b: &x.b[i * x.k..(i + 1) * x.k],
            sa: &x.sa[i * nb..(i + 1) * nb],
            sb: &x.sb[i * nb..(i + 1) * nb],
            c: 0,
        };
        acc ^= dot.eval(black_box(&ops)).unwrap();
    }
    acc
}

fn bench(c: &mut Criterion) {
    use FormatId::*;
    let pairs = [
        (E4m3, E4m3),
        (E5m2, E5m2),
        (E4m3, E2m1),
        (E2m3, E3m2),
        (E2m1, E2m1),
        (Int8, Int8),
    ];
    for numerics in ["exact", "rtl"] {
        let n = preset(numerics).unwrap();
        let mut g = c.benchmark_group(format!("dot/{numerics}/pairs"));
        for (fa, fb) in pairs {
            let x = batch(fa, fb, 1, 4096);
            let dot = Dot::new(
                DotSpec {
                    a_fmt: fa,
                    b_fmt: fb,
                    scale_fmt: E8m0,
                    block: 32,
                },
                &n,
            )
            .unwrap();
            g.throughput(Throughput::Elements(x.dots as u64));
            g.bench_function(BenchmarkId::from_parameter(format!("{fa}x{fb}")), |bn| {
                bn.iter(|| run(&dot, &x))
            });
        }
        g.finish();
        let mut g = c.benchmark_group(format!("dot/{numerics}/blocks"));
        for blocks in [1usize, 2, 4, 8, 32] {
            let x = batch(E4m3, E4m3, blocks, 4096 / blocks);
            let dot = Dot::new(
                DotSpec {
                    a_fmt: E4m3,
                    b_fmt: E4m3,
                    scale_fmt: E8m0,
                    block: 32,
                },
                &n,
            )
            .unwrap();
            g.throughput(Throughput::Elements((x.dots * blocks) as u64));
            g.bench_function(BenchmarkId::from_parameter(blocks), |bn| {
                bn.iter(|| run(&dot, &x))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
