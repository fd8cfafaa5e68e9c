//! Cycle-model throughput: beats (clock cycles with a valid beat) per second through
//! `mxref_model::cycle::CycleModel`, for dots of 1 and 4 beats.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mxref_model::cycle::{CycleModel, Inputs, LANES};
use mxref_model::FormatId;
use std::hint::black_box;

fn stream(fa: FormatId, fb: FormatId, per_dot: usize, beats: usize) -> Vec<Inputs> {
    let mut s = 7u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let mask = |f: FormatId| ((1u32 << f.format().bits()) - 1) as u8;
    (0..beats)
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
        .collect()
}

fn bench(c: &mut Criterion) {
    use FormatId::*;
    let beats = 4096;
    let mut g = c.benchmark_group("cycle");
    g.throughput(Throughput::Elements(beats as u64));
    for (fa, fb, per_dot) in [
        (E4m3, E4m3, 1),
        (E4m3, E4m3, 4),
        (E2m1, E2m1, 4),
        (Int8, Int8, 4),
    ] {
        let stim = stream(fa, fb, per_dot, beats);
        g.bench_function(
            BenchmarkId::from_parameter(format!("{fa}x{fb}/{per_dot}-beat")),
            |bn| {
                bn.iter(|| {
                    let mut m = CycleModel::new();
                    let mut x = 0u32;
                    for i in &stim {
                        x ^= m.step(black_box(i)).d;
                    }
                    x
                })
            },
        );
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
