//! Throughput of the library's conversion (a benchmark, not a timed test):
//! `cargo test --release -p mxref-model --test quantize_bench -- --ignored --nocapture`.

use mxref_model::quantize::{ElemRound, QuantSpec, Quantizer, ScaleRule};
use mxref_model::FormatId;
use std::time::Instant;

#[test]
#[ignore]
fn bench_quantize() {
    let n = 1 << 22;
    // Deterministic pseudo-random FP32 values of mixed magnitudes.
    let x: Vec<u32> = (0..n as u64)
        .map(|i| {
            let r = mxref_model::quantize::random_bits(1, i);
            (r & 0x8000_0000) | ((110 + (r >> 23) % 30) << 23) | (r & 0x7f_ffff)
        })
        .collect();
    for (elem, rule, scale, block, round) in [
        (
            FormatId::E4m3,
            ScaleRule::Floor,
            FormatId::E8m0,
            32,
            ElemRound::Rne,
        ),
        (
            FormatId::E2m1,
            ScaleRule::Floor,
            FormatId::E8m0,
            32,
            ElemRound::Rne,
        ),
        (
            FormatId::E4m3,
            ScaleRule::Ceil,
            FormatId::E8m0,
            32,
            ElemRound::Rne,
        ),
        (
            FormatId::E4m3,
            ScaleRule::Floor,
            FormatId::E8m0,
            32,
            ElemRound::Stochastic { seed: 1 },
        ),
        (
            FormatId::E2m1,
            ScaleRule::Nvfp4,
            FormatId::Ue4m3,
            16,
            ElemRound::Rne,
        ),
    ] {
        let q = Quantizer::new(QuantSpec {
            elem,
            scale_fmt: scale,
            block,
            rule,
            round,
        })
        .unwrap();
        let mut s = vec![0; n / block];
        let mut c = vec![0; n];
        let ts = q.tensor_scale(&x);
        let t = Instant::now();
        let reps = 3;
        for _ in 0..reps {
            q.quantize(&x, ts, 0, &mut s, &mut c).unwrap();
        }
        let rate = (reps * n) as f64 / t.elapsed().as_secs_f64() / 1e6;
        println!("{elem} {rule:?} {round:?}: {rate:.1} M elements/s");
        assert!(c.iter().any(|&c| c != 0));
    }
}
