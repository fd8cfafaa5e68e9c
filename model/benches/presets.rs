//! Tensor-core presets against `exact` on the same inputs: each preset's instruction-sized
//! dot (one or two groups, as the instruction computes it) and a 256-element chain.
//! Throughput in dot products per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;
use std::hint::black_box;

/// Finite codes with random exponents (splitmix64).
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
        let c = (z as u32) & f.code_mask();
        let v = f.decode_unchecked(c);
        if !v.is_nan() && v.class != mxref_model::Class::Inf {
            out.push(c);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    use FormatId::*;
    // (preset, element format, scale format, block, dot length)
    let cases = [
        ("ampere-mma-bf16", Bf16, E8m0, 16, 16),
        ("hopper-wgmma-f16", Fp16, E8m0, 16, 16),
        ("blackwell-tcgen05-tf32", Tf32, E8m0, 8, 8),
        ("ada-mma-fp8", E4m3, E8m0, 32, 32),
        ("blackwell-tcgen05-mxf8f6f4", E4m3, E8m0, 32, 32),
        ("blackwell-tcgen05-mxf4nvf4", E2m1, Ue4m3, 16, 64),
        ("blackwell-tcgen05-f8f6f4", E4m3, E8m0, 256, 256),
        ("hopper-wgmma-bf16", Bf16, E8m0, 256, 256),
    ];
    let dots = 4096;
    for (name, f, s, block, k) in cases {
        let mut g = c.benchmark_group(format!("preset/{name}/{f}x{f}/k{k}"));
        let (a, b) = (codes(f, k * dots, 1), codes(f, k * dots, 2));
        let nb = k / block;
        let sc = |seed| -> Vec<u32> {
            codes(s, nb * dots, seed)
                .iter()
                .map(|&c| {
                    if s == E8m0 {
                        117 + c % 20
                    } else {
                        0x30 + c % 16
                    }
                })
                .collect()
        };
        let (sa, sb) = (sc(3), sc(4));
        let cs = codes(Bf16, dots, 5); // C: BF16 patterns widened to FP32 bits
        g.throughput(Throughput::Elements(dots as u64));
        for numerics in [name, "exact"] {
            let spec = DotSpec {
                a_fmt: f,
                b_fmt: f,
                scale_fmt: s,
                block,
            };
            let dot = Dot::new(spec, &preset(numerics).unwrap()).unwrap();
            g.bench_function(BenchmarkId::from_parameter(numerics), |bn| {
                bn.iter(|| {
                    let mut acc = 0u32;
                    for i in 0..dots {
                        let ops = Operands {
                            a: &a[i * k..(i + 1) * k],
                            b: &b[i * k..(i + 1) * k],
                            sa: &sa[i * nb..(i + 1) * nb],
                            sb: &sb[i * nb..(i + 1) * nb],
                            c: cs[i] << 16,
                        };
                        acc ^= dot.eval(black_box(&ops)).unwrap();
                    }
                    acc
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(1)).warm_up_time(std::time::Duration::from_millis(300));
    targets = bench
}
criterion_main!(benches);
