//! The tensor-core presets (spec/presets.md): every one is complete data, documented, and
//! computes what its source says on hand-worked cases whose answers are derived here by hand
//! (and, for Hopper, measured on an H100); the engine agrees with the independent rational
//! reference (`support/reference.rs`) on random wide-format cases under every preset.

mod support;

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, preset_names, Align, Numerics};
use mxref_model::FormatId;
use support::reference::general;

/// The presets of published tensor-core paths (everything but the design presets).
fn tensor_core_presets() -> Vec<Numerics> {
    preset_names()
        .filter(|n| !matches!(*n, "exact" | "rtl"))
        .map(|n| preset(n).unwrap())
        .collect()
}

#[test]
fn every_preset_is_complete_data() {
    let list = tensor_core_presets();
    assert!(list.len() >= 31, "{} presets", list.len());
    for n in &list {
        assert!(!n.instruction.is_empty(), "{}: instruction", n.name);
        assert!(!n.inputs.is_empty(), "{}: inputs", n.name);
        assert!(!n.source.is_empty(), "{}: source", n.name);
        assert!(
            n.status.starts_with("confirmed on ")
                || n.status == "published model, not confirmed on hardware",
            "{}: status {:?}",
            n.name,
            n.status
        );
        for f in n.inputs.iter().filter(|f| !f.starts_with('/')) {
            let id: FormatId = f.parse().unwrap_or_else(|e| panic!("{}: {e}", n.name));
            assert_eq!(id.format().role, mxref_model::format::Role::Element);
        }
        // Named <arch>-<instruction>-<inputs>.
        let parts: Vec<&str> = n.name.splitn(3, '-').collect();
        assert_eq!(parts.len(), 3, "{}", n.name);
        assert!(
            [
                "volta",
                "turing",
                "ampere",
                "ada",
                "hopper",
                "blackwell",
                "rtxblackwell",
                "cdna3"
            ]
            .contains(&parts[0]),
            "{}: unknown architecture",
            n.name
        );
    }
}

#[test]
fn spec_lists_every_preset() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/presets.md"))
        .expect("spec/presets.md");
    for n in tensor_core_presets() {
        assert!(
            spec.contains(&format!("| `{}` |", n.name)),
            "spec/presets.md has no table row for {}",
            n.name
        );
    }
}

/// One dot product under `n`, checked against the rational reference before it is returned.
#[allow(clippy::too_many_arguments)]
fn eval(
    n: &Numerics,
    fa: FormatId,
    fb: FormatId,
    fs: FormatId,
    block: usize,
    a: &[u32],
    b: &[u32],
    sa: &[u32],
    sb: &[u32],
    c: u32,
) -> u32 {
    let spec = DotSpec {
        a_fmt: fa,
        b_fmt: fb,
        scale_fmt: fs,
        block,
    };
    let d = Dot::new(spec, n)
        .unwrap()
        .eval(&Operands { a, b, sa, sb, c })
        .unwrap();
    let want = general(n, &spec, a, b, sa, sb, c);
    assert_eq!(
        d, want,
        "{}: engine {d:#010x}, reference {want:#010x}",
        n.name
    );
    d
}

/// A dot of `k` wide-format elements, unscaled (one E8M0 block of scale 1.0).
fn plain(name: &str, f: FormatId, k: usize, terms: &[(usize, u32, u32)], c: u32) -> u32 {
    plain_n(&preset(name).unwrap(), f, k, terms, c)
}

fn plain_n(n: &Numerics, f: FormatId, k: usize, terms: &[(usize, u32, u32)], c: u32) -> u32 {
    let (mut a, mut b) = (vec![0; k], vec![0; k]);
    for &(i, x, y) in terms {
        a[i] = x;
        b[i] = y;
    }
    eval(n, f, f, FormatId::E8m0, k, &a, &b, &[127], &[127], c)
}

// FP16 codes: 1.0, 2^-12, -2^-12, -2^-13.
const H1: u32 = 0x3c00;
const H2M12: u32 = 0x0c00;
const HN2M12: u32 = 0x8c00;
const HN2M13: u32 = 0x8800;

#[test]
fn window_bits_23_24_25() {
    use FormatId::Fp16;
    // 1 - 2^-24: a 24-bit window keeps the small product, a 23-bit one truncates it.
    let t = [(0, H1, H1), (1, H2M12, HN2M12)];
    assert_eq!(plain("volta-mma-f16", Fp16, 4, &t, 0), 0x3f80_0000);
    assert_eq!(plain("turing-mma-f16", Fp16, 8, &t, 0), 0x3f7f_ffff);
    // 1 - 2^-25: only 25 bits keep it; RZ of 1 - 2^-25 to FP32 is 1 - 2^-24.
    let t = [(0, H1, H1), (1, H2M12, HN2M13)];
    assert_eq!(plain("turing-mma-f16", Fp16, 8, &t, 0), 0x3f80_0000);
    assert_eq!(plain("hopper-wgmma-f16", Fp16, 16, &t, 0), 0x3f7f_ffff);
    assert_eq!(plain("blackwell-tcgen05-f16", Fp16, 16, &t, 0), 0x3f7f_ffff);
}

#[test]
fn ampere_splits_k_in_halves() {
    use FormatId::Fp16;
    // Products 1 and 2^-24 in the first half, 2^-24 in the second. Halves: RZ(1 + 2^-24) = 1
    // twice. One group: 1 + 2^-23 exactly.
    let t = [(0, H1, H1), (1, H2M12, H2M12), (8, H2M12, H2M12)];
    assert_eq!(plain("ampere-mma-f16", Fp16, 16, &t, 0), 0x3f80_0000);
    assert_eq!(plain("ada-mma-f16", Fp16, 16, &t, 0), 0x3f80_0000);
    assert_eq!(plain("blackwell-mma-f16", Fp16, 16, &t, 0), 0x3f80_0001);
    assert_eq!(plain("rtxblackwell-mma-f16", Fp16, 16, &t, 0), 0x3f80_0001);
}

#[test]
fn ada_fp8_keeps_13_bits() {
    use FormatId::E4m3;
    // 1 + 2^-14 (E4M3 2^-7 is the subnormal 0x04): 13 bits drop it, 25 keep it.
    let t = [(0, 0x38, 0x38), (1, 0x04, 0x04)];
    assert_eq!(plain("ada-mma-fp8", E4m3, 32, &t, 0), 0x3f80_0000);
    assert_eq!(plain("rtxblackwell-mma-fp8", E4m3, 32, &t, 0), 0x3f80_0200);
    // 1 + 2^-12 fits 13 bits: E8M13 keeps it.
    let t = [(0, 0x38, 0x38), (1, 0x08, 0x08)];
    assert_eq!(plain("ada-mma-fp8", E4m3, 32, &t, 0), 0x3f80_0800);
}

// BF16 codes: 1 + 2^-7, 2^127, (1 + 2^-7) 2^-30, -2^-77, 2^-76.
const B1P: u32 = 0x3f81;
const B2P127: u32 = 0x7f00;
const B1P2M30: u32 = 0x3081;

#[test]
fn zeros_take_no_part_in_the_alignment() {
    // Measured on an H100 (mma.sync and wgmma, bf16; peers/hopper_probe.py): 0 x 2^127 does
    // not set the alignment maximum, so (1 + 2^-7)^2 2^-30 = (1 + 2^-6 + 2^-14) 2^-30 is kept
    // whole. MMA-Sim gives the zero exponent -126 (+127 = 1) and returns 0 here.
    let t = [(0, 0, B2P127), (1, B1P, B1P2M30)];
    for p in [
        "hopper-wgmma-bf16",
        "ampere-mma-bf16",
        "blackwell-tcgen05-bf16",
    ] {
        assert_eq!(plain(p, FormatId::Bf16, 16, &t, 0), 0x3082_0200, "{p}");
    }
}

#[test]
fn a_subnormal_accumulator_aligns_at_emin() {
    // Measured on an H100: C = 2^-130 (subnormal) with the product -2^-153. C's exponent field
    // says -126, so the window (25 bits) ends at 2^-151 and the product is cut: D = C.
    // Aligned by its leading bit (2^-130) the window would reach 2^-155 and keep it:
    // RZ(2^-130 - 2^-153) = 2^-130 - 2^-149.
    let t = [(0, 0x9900, 0x1980)];
    let n = preset("hopper-wgmma-bf16").unwrap();
    assert_eq!(
        plain_n(&n, FormatId::Bf16, 16, &t, 0x0008_0000),
        0x0008_0000
    );
    let leading = Numerics {
        align: Align::Leading,
        ..n
    };
    assert_eq!(
        plain_n(&leading, FormatId::Bf16, 16, &t, 0x0008_0000),
        0x0007_ffff
    );
}

#[test]
fn an_overflowed_half_meets_a_later_inf() {
    // 2^127 x 2^127 overflows the first half to +Inf; the second half holds 1 x -Inf. Split K
    // (Ampere): +Inf + -Inf = NaN; one group of 16 (Blackwell): 2^254 - Inf = -Inf.
    let t = [(0, B2P127, B2P127), (8, 0x3f80, 0xff80)];
    assert_eq!(
        plain("ampere-mma-bf16", FormatId::Bf16, 16, &t, 0),
        0x7fff_ffff
    );
    assert_eq!(
        plain("blackwell-mma-bf16", FormatId::Bf16, 16, &t, 0),
        0xff80_0000
    );
}

#[test]
fn an_exact_zero_is_plus_zero() {
    // Measured on an H100 (mma.sync and wgmma, f16 and bf16): C = -0 with every product -0
    // gives +0, where IEEE 754 addition gives -0 (the `exact` rule).
    let t: Vec<(usize, u32, u32)> = (0..16).map(|i| (i, 0x8000, 0)).collect();
    assert_eq!(
        plain("hopper-wgmma-f16", FormatId::Fp16, 16, &t, 0x8000_0000),
        0
    );
    let n = Numerics {
        zero_sign: mxref_model::numerics::ZeroSign::Ieee,
        ..preset("hopper-wgmma-f16").unwrap()
    };
    assert_eq!(
        plain_n(&n, FormatId::Fp16, 16, &t, 0x8000_0000),
        0x8000_0000
    );
}

/// An FP4 dot of 64 elements under a block-scaled preset.
fn fp4(
    n: &Numerics,
    fs: FormatId,
    block: usize,
    terms: &[(usize, u32, u32)],
    sa: &[u32],
    c: u32,
) -> u32 {
    let (mut a, mut b) = (vec![0; 64], vec![0; 64]);
    for &(i, x, y) in terms {
        a[i] = x;
        b[i] = y;
    }
    let sb = vec![127; sa.len()];
    eval(
        n,
        FormatId::E2m1,
        FormatId::E2m1,
        fs,
        block,
        &a,
        &b,
        sa,
        &sb,
        c,
    )
}

#[test]
fn fp4_chunks_of_16_are_cut_one_by_one() {
    // C = 2^40. Block 0 (scale 1): chunk 0 = 6*6 + 2*2 = 40, chunk 1 = 3*(-3) = -9. Block 1
    // (scale 2^37): (-4)*2 = -8, i.e. -2^40, cancelling C. The window (35 bits below 2^40)
    // ends at 2^5 = 32: chunk by chunk trunc(40) + trunc(-9) = 32 + 0 = 32; the whole block
    // at once would be trunc(31) = 0.
    let t = [(0, 0x7, 0x7), (1, 0x4, 0x4), (16, 0x5, 0xd), (32, 0xe, 0x4)];
    let n = preset("blackwell-tcgen05-mxf4").unwrap();
    let sa = [127, 127 + 37];
    assert_eq!(
        fp4(&n, FormatId::E8m0, 32, &t, &sa, 0x5380_0000),
        0x4200_0000
    );
    let whole = Numerics {
        block_sum_chunk: None,
        ..n
    };
    assert_eq!(fp4(&whole, FormatId::E8m0, 32, &t, &sa, 0x5380_0000), 0);
}

#[test]
fn fp4_chunk_sums_align_by_their_scales() {
    // Blocks of 16: +576 and -576 (scale 1), then 0.5*0.5 at scale 2^-32 = 2^-34. Aligned by
    // the scale exponents (nominal) the maximum is 0, the window reaches 2^-35 and 2^-34
    // survives; aligned by the leading bit of 576 (2^9) it is cut.
    let mut t: Vec<(usize, u32, u32)> = (0..16).map(|i| (i, 0x7, 0x7)).collect();
    t.extend((16..32).map(|i| (i, 0x7, 0xf)));
    t.push((32, 0x1, 0x1));
    let n = preset("blackwell-tcgen05-mxf4nvf4").unwrap();
    let sa = [127, 127, 127 - 32, 127];
    assert_eq!(fp4(&n, FormatId::E8m0, 16, &t, &sa, 0), 0x2e80_0000);
    let leading = Numerics {
        align: Align::Leading,
        ..n
    };
    assert_eq!(fp4(&leading, FormatId::E8m0, 16, &t, &sa, 0), 0);
}

/// SplitMix64 (Steele, Lea, Flood 2014).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random code: uniform, or with its exponent field near `center`, or tiny; rarely special.
fn code(r: &mut Rng, f: FormatId, center: u32) -> u32 {
    let fm = f.format();
    let (bits, eb, mb) = (fm.bits(), fm.exp_bits, fm.man_bits);
    let c = match r.below(8) {
        0..=3 => r.next() as u32 & fm.code_mask(), // FP32 has 2^32 codes: no 1 << 32
        4..=5 => {
            let e = (center + r.below(5) as u32)
                .saturating_sub(2)
                .min((1 << eb) - 1);
            (r.below(2) as u32) << (bits - 1) | e << mb | (r.next() as u32 & ((1 << mb) - 1))
        }
        6 => (r.below(2) as u32) << (bits - 1) | (r.next() as u32 & ((2 << mb) - 1)),
        _ => (r.below(2) as u32) << (bits - 1),
    };
    let v = fm.decode(c).unwrap();
    let finite = matches!(
        v.class,
        mxref_model::Class::Finite | mxref_model::Class::Zero
    );
    if finite || r.below(20) == 0 {
        c // finite, or an occasional NaN/Inf kept
    } else {
        c & !(1 << (bits - 2)) // clear the exponent's top bit: finite
    }
}

fn c_bits(r: &mut Rng) -> u32 {
    let s = (r.below(2) as u32) << 31;
    match r.below(8) {
        0 => s,
        1..=4 => s | ((127 + r.below(61) as u32 - 30) << 23) | (r.next() as u32 & 0x7f_ffff),
        5 => s | (r.next() as u32 & 0x7f_ffff),
        6 => s | [0x7f7f_ffff, 0x0080_0000, 1, 0x7f80_0000][r.below(4) as usize],
        _ => r.next() as u32 & 0x7f7f_ffff | s,
    }
}

#[test]
fn engine_equals_reference_on_random_cases_under_every_preset() {
    let mut r = Rng(11);
    let mut checked = 0;
    for n in tensor_core_presets() {
        let elems: Vec<FormatId> = n
            .inputs
            .iter()
            .filter(|s| !s.starts_with('/'))
            .map(|s| s.parse().unwrap())
            .collect();
        // Block-scaled inputs ("/e8m0 block 32"), else one unit E8M0 scale per dot.
        let scaled: Vec<(FormatId, usize)> = n
            .inputs
            .iter()
            .filter_map(|s| s.strip_prefix('/'))
            .map(|s| {
                let mut w = s.split_whitespace();
                let f = w.next().unwrap().parse().unwrap();
                (f, w.nth(1).unwrap().parse().unwrap())
            })
            .collect();
        let k = if n.group == 0 { 32 } else { 2 * n.group };
        for _ in 0..150 {
            let fa = elems[r.below(elems.len() as u64) as usize];
            let fb = elems[r.below(elems.len() as u64) as usize];
            let (fs, block) = if scaled.is_empty() {
                (FormatId::E8m0, k)
            } else {
                scaled[r.below(scaled.len() as u64) as usize]
            };
            let (ca, cb) = (
                r.below(1 << fa.format().exp_bits) as u32,
                r.below(1 << fb.format().exp_bits) as u32,
            );
            let a: Vec<u32> = (0..k).map(|_| code(&mut r, fa, ca)).collect();
            let b: Vec<u32> = (0..k).map(|_| code(&mut r, fb, cb)).collect();
            let nb = k / block;
            let scale = |r: &mut Rng| -> u32 {
                if scaled.is_empty() {
                    127
                } else if fs == FormatId::E8m0 {
                    127 + r.below(41) as u32 - 20
                } else {
                    0x30 + r.below(16) as u32
                }
            };
            let sa: Vec<u32> = (0..nb).map(|_| scale(&mut r)).collect();
            let sb: Vec<u32> = (0..nb).map(|_| scale(&mut r)).collect();
            eval(&n, fa, fb, fs, block, &a, &b, &sa, &sb, c_bits(&mut r));
            checked += 1;
        }
    }
    assert!(checked >= 31 * 150);
}

/// Results measured on Hopper (docs/gpu/mismatches/mma-bf16.txt, an H100; the TF32 run of
/// docs/gpu/README.md): sums far below FP32's normal range lose the bits under 2^-158 even
/// when every product is that small (`align_min_exp = -133` with the 25-bit window).
#[test]
fn hopper_alignment_floor_measured() {
    let bf16_a = [
        36261, 36109, 36165, 36257, 36158, 3395, 36116, 36277, 36105, 3421, 36349, 36167, 3483,
        36228, 36311, 3403,
    ];
    let bf16_b = [
        9686, 43378, 10380, 42546, 43019, 9801, 9702, 9793, 43061, 10579, 43192, 43459, 42550,
        9660, 10538, 42796,
    ];
    let tf32_a = [310574, 48202, 308713, 309776, 307760, 48583, 47399, 308414];
    let tf32_b = [
        324748, 324747, 325136, 325508, 325367, 62739, 324822, 325301,
    ];
    for (name, f, a, b, c, gpu) in [
        (
            "hopper-mma-bf16",
            FormatId::Bf16,
            &bf16_a[..],
            &bf16_b[..],
            0x8000_0000,
            0x3e,
        ),
        (
            "hopper-mma-tf32",
            FormatId::Tf32,
            &tf32_a[..],
            &tf32_b[..],
            0x8000_0000,
            0x20,
        ),
    ] {
        let mut n = preset(name).unwrap();
        let k = a.len();
        let got = eval(&n, f, f, FormatId::E8m0, k, a, b, &[127], &[127], c);
        assert_eq!(got, gpu, "{name}");
        // Without the floor the model gives the next value up or down: the floor is what
        // makes these measured cases agree.
        n.align_min_exp = None;
        let without = eval(&n, f, f, FormatId::E8m0, k, a, b, &[127], &[127], c);
        assert_ne!(without, gpu, "{name} without align_min_exp");
    }
}

/// AMD CDNA3 F32 mfma is a chain of FP32 FMAs: 1 + 2^-24 + 2^-24 rounds twice to 1 (each step a
/// tie to even), where the exact sum 1 + 2^-23 is representable. A product that underflows
/// keeps its sign through the FMA's rounding (IEEE 754): 2^-100 * -2^-100 + 0 = -0.
#[test]
fn cdna3_f32_is_a_chain_of_fmas() {
    let t = [
        (0, 0x3f80_0000, 0x3f80_0000),
        (1, 0x3380_0000, 0x3f80_0000),
        (2, 0x3380_0000, 0x3f80_0000),
    ];
    assert_eq!(
        plain("cdna3-mfma-f32", FormatId::Fp32, 3, &t, 0),
        0x3f80_0000
    );
    assert_eq!(plain("exact", FormatId::Fp32, 3, &t, 0), 0x3f80_0001);
    let tiny = [(0, 0x0d80_0000, 0x8d80_0000)];
    assert_eq!(
        plain("cdna3-mfma-f32", FormatId::Fp32, 1, &tiny, 0),
        0x8000_0000
    );
}
