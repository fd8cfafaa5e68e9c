//! Quantize throughput (FP32 -> MX), per scale rule and element rounding, in elements/s.
//! The side-by-side against ml_dtypes and torchao is bench/side_by_side.py.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mxref_model::quantize::{ElemRound, QuantSpec, Quantizer, ScaleRule};
use mxref_model::FormatId;
use std::hint::black_box;

/// Finite FP32 inputs whose blocks have different magnitudes (as activations do): a
/// splitmix64 significand and sign, and an exponent that changes every 32 elements.
fn inputs(n: usize) -> Vec<u32> {
    let mut s = 0x1234_5678u64;
    (0..n)
        .map(|i| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let exp = 107 + ((i / 32) * 7 % 40) as u32 + (z as u32 & 3);
            ((z >> 32) as u32 & 0x8000_0000) | (exp << 23) | (z as u32 >> 9)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    use FormatId::*;
    let n = 1 << 16;
    let x = inputs(n);
    let mut g = c.benchmark_group("quantize");
    g.throughput(Throughput::Elements(n as u64));
    let cases = [
        (
            "floor-e4m3-rne",
            E4m3,
            E8m0,
            32,
            ScaleRule::Floor,
            ElemRound::Rne,
        ),
        (
            "ceil-e4m3-rne",
            E4m3,
            E8m0,
            32,
            ScaleRule::Ceil,
            ElemRound::Rne,
        ),
        (
            "rceil-e4m3-rne",
            E4m3,
            E8m0,
            32,
            ScaleRule::Rceil,
            ElemRound::Rne,
        ),
        (
            "floor-e4m3-rz",
            E4m3,
            E8m0,
            32,
            ScaleRule::Floor,
            ElemRound::Rz,
        ),
        (
            "floor-e4m3-stochastic",
            E4m3,
            E8m0,
            32,
            ScaleRule::Floor,
            ElemRound::Stochastic { seed: 1 },
        ),
        (
            "floor-e2m1-rne",
            E2m1,
            E8m0,
            32,
            ScaleRule::Floor,
            ElemRound::Rne,
        ),
        (
            "floor-int8-rne",
            Int8,
            E8m0,
            32,
            ScaleRule::Floor,
            ElemRound::Rne,
        ),
        (
            "nvfp4-e2m1-rne",
            E2m1,
            Ue4m3,
            16,
            ScaleRule::Nvfp4,
            ElemRound::Rne,
        ),
    ];
    for (name, elem, scale_fmt, block, rule, round) in cases {
        let q = Quantizer::new(QuantSpec {
            elem,
            scale_fmt,
            block,
            rule,
            round,
        })
        .unwrap();
        let mut scales = vec![0u32; n / block];
        let mut codes = vec![0u32; n];
        g.bench_function(BenchmarkId::from_parameter(name), |bn| {
            bn.iter(|| {
                // NVFP4's per-tensor scale is part of the conversion's work.
                let ts = if q.needs_tensor_scale() {
                    q.tensor_scale(&x)
                } else {
                    0x3f80_0000
                };
                q.quantize(black_box(&x), ts, 0, &mut scales, &mut codes)
                    .unwrap();
                codes[n - 1]
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
