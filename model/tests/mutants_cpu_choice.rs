//! Which form of the pair-table path a `Dot` runs is chosen once per CPU (dot.rs): the AVX2
//! form where the CPU has AVX2 and the numerics take the pair table, and within it gathered
//! look-ups except on AMD and Hygon cores (where `vpgatherdd` is microcoded; documented in
//! dot.rs and docs/benchmarks.md). Results do not depend on the choice (dot_reference.rs runs
//! every form); this pins the choice itself, which no result can show (cargo-mutants
//! survivors of has_avx2, gather_is_fast and the accessors).

use mxref_model::dot::{Dot, DotSpec};
use mxref_model::numerics::preset;
use mxref_model::FormatId;

fn dot(numerics: &str) -> Dot {
    let spec = DotSpec {
        a_fmt: FormatId::E4m3,
        b_fmt: FormatId::E4m3,
        scale_fmt: FormatId::E8m0,
        block: 32,
    };
    Dot::new(spec, &preset(numerics).unwrap()).unwrap()
}

#[cfg(target_arch = "x86_64")]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2() -> bool {
    false
}

/// The CPU vendor string (CPUID leaf 0: EBX, EDX, ECX).
#[cfg(target_arch = "x86_64")]
fn amd_like() -> bool {
    let r = std::arch::x86_64::__cpuid(0);
    let v: Vec<u8> = [r.ebx, r.edx, r.ecx]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    matches!(&v[..], b"AuthenticAMD" | b"HygonGenuine")
}

#[test]
fn the_avx2_form_runs_where_the_cpu_has_avx2_and_the_pair_table_applies() {
    assert_eq!(dot("rtl").uses_simd(), avx2());
    assert_eq!(dot("hopper-mma-fp8").uses_simd(), avx2());
    // `exact` has no window: no pair table, no SIMD form.
    assert!(!dot("exact").uses_simd());
    assert!(!dot("rtl").force_portable().uses_simd());
    assert!(!dot("rtl").force_generic().uses_simd());
}

#[cfg(target_arch = "x86_64")]
#[test]
fn gathers_except_on_amd_and_hygon_cores() {
    assert_eq!(dot("rtl").gathers(), !amd_like());
}

#[test]
fn the_gather_choice_can_be_forced_both_ways() {
    assert!(dot("rtl").force_gather(true).gathers());
    assert!(!dot("rtl").force_gather(false).gathers());
}
