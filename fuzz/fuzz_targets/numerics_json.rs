//! Numerics files (`"numerics":"path.json"`): `Numerics::from_json` never panics; whatever it
//! accepts round-trips through serde and builds a `Dot` that evaluates without panicking, the
//! specialised paths agreeing bit for bit with the generic engine.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::Numerics;
use mxref_model::FormatId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(n) = Numerics::from_json(text) else {
        return;
    };
    let again = Numerics::from_json(&serde_json::to_string(&n).expect("serialize"))
        .expect("a validated Numerics re-reads");
    assert_eq!(again, n);
    for (f, block) in [
        (FormatId::E4m3, 32),
        (FormatId::E2m1, 16),
        (FormatId::E5m2, 1),
    ] {
        let spec = DotSpec {
            a_fmt: f,
            b_fmt: f,
            scale_fmt: FormatId::E8m0,
            block,
        };
        let Ok(dot) = Dot::new(spec, &n) else {
            continue;
        };
        let k = 64 / block * block;
        let a: Vec<u32> = (0..k as u32)
            .map(|i| (i * 37 + 5) % f.format().codes() as u32)
            .collect();
        let b: Vec<u32> = (0..k as u32)
            .map(|i| (i * 11 + 3) % f.format().codes() as u32)
            .collect();
        let s: Vec<u32> = (0..k / block).map(|i| 120 + i as u32 % 16).collect();
        let ops = Operands {
            a: &a,
            b: &b,
            sa: &s,
            sb: &s,
            c: 0x3f80_0000,
        };
        let d = dot.eval(&ops).expect("well-formed operands");
        let g = dot.clone().force_generic().eval(&ops).expect("generic");
        assert_eq!(d, g, "fast and generic paths differ for {n:?}");
    }
});
