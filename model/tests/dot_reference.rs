//! The `exact` dot product against an independent slow reference: exact rational arithmetic
//! on big integers, its own decoding from the bit fields and its own round-to-FP32. Nothing
//! here calls the model's decode, rounding or accumulators (TestFloat's `slowfloat` idea).

mod support;

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{preset, Accumulate, Numerics, ScaleApply};
use mxref_model::FormatId;
use proptest::prelude::*;
use support::reference::reference;

const ELEMS: [FormatId; 6] = [
    FormatId::E4m3,
    FormatId::E5m2,
    FormatId::E2m3,
    FormatId::E3m2,
    FormatId::E2m1,
    FormatId::Int8,
];

/// A code biased toward interesting values: extremes, subnormals, zeros, rare specials.
fn elem_code(id: FormatId) -> impl Strategy<Value = u32> {
    let n = id.format().codes() as u32;
    let max_pos = id.format().max_code(false);
    let sub = id.format().man_bits.max(1);
    prop_oneof![
        12 => 0..n,
        2 => Just(max_pos),
        2 => 0..(1u32 << sub),
        1 => Just(0u32),
        1 => Just(n / 2), // -0 for sign-magnitude formats, -128 for int8
    ]
    .prop_filter("mostly finite", move |&c| {
        let v = id.format().decode_unchecked(c);
        !v.is_nan() && v.class != mxref_model::Class::Inf || c % 7 == 0
    })
}

fn scale_code(id: FormatId) -> impl Strategy<Value = u32> {
    let n = id.format().codes() as u32;
    prop_oneof![
        10 => 0..n - 1,
        2 => Just(0u32),
        2 => Just(n - 2),
        2 => (120u32..135).prop_map(move |c| c.min(n - 2)),
        1 => Just(n - 1), // NaN for every scale format here
    ]
}

#[derive(Debug, Clone)]
struct Case {
    spec: DotSpec,
    a: Vec<u32>,
    b: Vec<u32>,
    sa: Vec<u32>,
    sb: Vec<u32>,
    c: u32,
}

fn case() -> impl Strategy<Value = Case> {
    let fmts = (
        0..6usize,
        0..6usize,
        prop_oneof![6 => Just(FormatId::E8m0), 1 => Just(FormatId::Ue4m3), 1 => Just(FormatId::Ue5m3)],
    );
    let shape = (
        prop_oneof![4 => Just(32usize), 2 => Just(16usize), 2 => 1usize..9],
        1usize..4,
    );
    (fmts, shape, any::<bool>()).prop_flat_map(|((ia, ib, s), (block, nb), mirror)| {
        let (fa, fb) = (ELEMS[ia], ELEMS[ib]);
        let k = block * nb;
        let c = prop_oneof![
            3 => Just(0u32),
            3 => any::<u32>(),
            1 => Just(0x8000_0000u32),
            1 => Just(0x7f7f_ffffu32),
            1 => Just(0x0000_0001u32),
            1 => Just(0xff7f_ffffu32),
        ];
        (
            proptest::collection::vec(elem_code(fa), k),
            proptest::collection::vec(elem_code(fb), k),
            proptest::collection::vec(scale_code(s), nb),
            proptest::collection::vec(scale_code(s), nb),
            c,
        )
            .prop_map(move |(mut a, mut b, sa, sb, c)| {
                if mirror && block >= 2 && fa == fb {
                    // Cancellation: the second half of each block negates the first.
                    let fmt = fa.format();
                    for blk in 0..nb {
                        let h = block / 2;
                        for j in 0..h {
                            let (x, y) = (blk * block + j, blk * block + h + j);
                            a[y] = negate(fmt, a[x]);
                            b[y] = b[x];
                        }
                    }
                }
                Case {
                    spec: DotSpec {
                        a_fmt: fa,
                        b_fmt: fb,
                        scale_fmt: s,
                        block,
                    },
                    a,
                    b,
                    sa,
                    sb,
                    c,
                }
            })
    })
}

fn negate(f: &mxref_model::Format, code: u32) -> u32 {
    match f.kind {
        mxref_model::format::Kind::Int => (code as u8 as i8).wrapping_neg() as u8 as u32,
        _ => code ^ (1 << (f.bits() - 1)),
    }
}

fn eval(n: &Numerics, c: &Case) -> u32 {
    let dot = Dot::new(c.spec, n).unwrap();
    dot.eval(&Operands {
        a: &c.a,
        b: &c.b,
        sa: &c.sa,
        sb: &c.sb,
        c: c.c,
    })
    .unwrap()
}

fn cases() -> u32 {
    std::env::var("MXREF_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn exact_matches_rational_reference(c in case()) {
        let want = reference(&c.spec, &c.a, &c.b, &c.sa, &c.sb, c.c);
        let got = eval(&preset("exact").unwrap(), &c);
        prop_assert_eq!(got, want, "got {:#010x} want {:#010x}", got, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 10, failure_persistence: None, ..ProptestConfig::default() })]

    /// Permuting elements within and across blocks (with their scales' products kept) leaves
    /// `exact` unchanged: here blocks are permuted, and elements within each block.
    #[test]
    fn exact_is_permutation_invariant(c in case(), seed in any::<u64>()) {
        let base = eval(&preset("exact").unwrap(), &c);
        let bs = c.spec.block;
        let nb = c.a.len() / bs;
        let mut order: Vec<usize> = (0..nb).collect();
        let mut s = seed;
        for i in (1..nb).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut p = c.clone();
        for (dst, &src) in order.iter().enumerate() {
            p.sa[dst] = c.sa[src];
            p.sb[dst] = c.sb[src];
            for j in 0..bs {
                let jj = (j + (seed as usize % bs)) % bs;
                p.a[dst * bs + j] = c.a[src * bs + jj];
                p.b[dst * bs + j] = c.b[src * bs + jj];
            }
        }
        prop_assert_eq!(eval(&preset("exact").unwrap(), &p), base);
    }

    /// Adding k to every E8M0 scale multiplies D by 2^(2k) exactly when nothing over- or
    /// underflows: checked when D and the shifted D are both normal.
    #[test]
    fn scale_shift_multiplies_exactly(c in case(), k in -20i32..20) {
        let mut c = c;
        c.spec.scale_fmt = FormatId::E8m0;
        c.c = 0;
        for x in c.sa.iter_mut().chain(c.sb.iter_mut()) { *x = 107 + *x % 40; }
        let d = eval(&preset("exact").unwrap(), &c);
        let mut s = c.clone();
        for x in s.sa.iter_mut().chain(s.sb.iter_mut()) { *x = (*x as i32 + k) as u32; }
        let e = ((d >> 23) & 0xff) as i32;
        if !(e > 0 && e < 255 && e + 2 * k > 0 && e + 2 * k < 255) {
            return Ok(()); // zero, subnormal, special or pushed out of range: nothing to check
        }
        let want = (d & 0x807f_ffff) | (((e + 2 * k) as u32) << 23);
        prop_assert_eq!(eval(&preset("exact").unwrap(), &s), want);
    }

    /// Hardware numerics with an unbounded window and exact accumulator equal `exact`,
    /// whatever the grouping: the engine's generic path against its fast path.
    #[test]
    fn unbounded_window_equals_exact(c in case(), group in 1usize..40, fused in any::<bool>()) {
        let mut n = preset("exact").unwrap();
        n.group = group;
        n.accumulate = if fused { Accumulate::Fused } else { Accumulate::Separate };
        n.name = "unbounded".into();
        prop_assert!(!n.is_exact());
        prop_assert_eq!(eval(&n, &c), eval(&preset("exact").unwrap(), &c));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 20, failure_persistence: None, ..ProptestConfig::default() })]

    /// `explain` runs the traced generic engine; its result must be `eval`'s, for `exact`
    /// (fast path vs generic path) and for `rtl`.
    #[test]
    fn explain_agrees_with_eval(c in case(), rtl in any::<bool>()) {
        let n = preset(if rtl { "rtl" } else { "exact" }).unwrap();
        let dot = Dot::new(c.spec, &n).unwrap();
        let ops = Operands { a: &c.a, b: &c.b, sa: &c.sa, sb: &c.sb, c: c.c };
        let e = dot.explain(&ops).unwrap();
        prop_assert_eq!(e.d, dot.eval(&ops).unwrap());
        prop_assert!(e.special || !e.steps.is_empty() || c.a.is_empty());
    }
}

/// Random hardware numerics built from the parameters of spec/numerics.md.
fn hw_numerics() -> impl Strategy<Value = Numerics> {
    use mxref_model::numerics::{Align, CEntry, FloatSpec, GroupLayout, ShiftedOut};
    let rounds = prop_oneof![
        Just(mxref_model::Round::Rne),
        Just(mxref_model::Round::Rz),
        Just(mxref_model::Round::Odd)
    ];
    (
        prop_oneof![Just(8usize), Just(16), Just(32), Just(4)],
        any::<bool>(),
        1u32..64,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        (
            prop_oneof![Just(23u32), Just(13), Just(30), Just(47)],
            rounds.clone(),
            // FP32's exponent range (the GPU accumulators: overflow reachable) or wider.
            prop_oneof![Just(8u32), Just(10)],
        ),
        (prop_oneof![Just(23u32), Just(13)], rounds),
        (
            any::<bool>(),
            prop_oneof![Just(None), (-40i32..40).prop_map(Some)],
        ),
    )
        .prop_map(
            |(
                group,
                interleave,
                w,
                leading,
                rne,
                fused,
                (am, ar, ae),
                (om, or),
                (c_end, floor),
            )| {
                let mut n = preset("rtl").unwrap();
                n.name = "random".into();
                n.group = group;
                if interleave {
                    n.group_layout = GroupLayout::Interleaved {
                        ways: 2,
                        span: 2 * group,
                        chunk: 2,
                    };
                    if group % 2 != 0 {
                        n.group_layout = GroupLayout::Contiguous;
                    }
                }
                n.window_bits = Some(w);
                n.align_min_exp = floor;
                n.align = if leading {
                    Align::Leading
                } else {
                    Align::Nominal
                };
                n.shifted_out = if rne {
                    ShiftedOut::Rne
                } else {
                    ShiftedOut::Truncate
                };
                n.accumulate = if fused {
                    Accumulate::Fused
                } else {
                    Accumulate::Separate
                };
                n.acc = FloatSpec {
                    man_bits: Some(am),
                    exp_bits: ae,
                    round: ar,
                    subnormals: true,
                };
                n.output = FloatSpec {
                    man_bits: Some(om),
                    exp_bits: 8,
                    round: or,
                    subnormals: true,
                };
                n.c_entry = if c_end {
                    CEntry::End
                } else {
                    CEntry::Accumulator
                };
                n
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, max_global_rejects: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// The engine's fast paths (i64 windows, pair-table groups with every shift variant,
    /// packed tables, the output-format shortcut) give the same bits as its general i128
    /// path, for random hardware numerics: interleaved groups, promotion (with products
    /// scaled or partial sums scaled), flushed subnormals, inputs widened to FP16, and
    /// accumulators far above the products (C at the extremes).
    #[test]
    fn fast_paths_equal_general_path(
        c in case(),
        mut n in hw_numerics(),
        (promote, flush, fp16, chunk) in (0..4u8, any::<bool>(), any::<bool>(), prop_oneof![Just(1usize), Just(2), Just(4)]),
    ) {
        use mxref_model::numerics::{GroupLayout, Promote};
        let round = mxref_model::Round::Rne;
        match promote {
            1 => n.promote = Some(Promote { every: n.group * 2, round }),
            2 => {
                // Promotion per block needs groups that tile the block.
                if c.spec.block % n.group != 0 {
                    n.group = c.spec.block;
                }
                n.scale = ScaleApply::Promote;
                n.promote = Some(Promote { every: c.spec.block, round });
            }
            _ => {}
        }
        if let GroupLayout::Interleaved { ways, .. } = n.group_layout {
            n.group_layout = GroupLayout::Interleaved { ways, span: ways * n.group, chunk };
        }
        n.flush_subnormal_inputs = flush;
        if fp16 {
            n.input_format = Some(FormatId::Fp16);
        }
        prop_assume!(n.validate().is_ok());
        let Ok(dot) = Dot::new(c.spec, &n) else {
            // Shapes a numerics does not take (fp16 cannot hold e5m2, promotion per block).
            prop_assume!(false);
            unreachable!()
        };
        let ops = Operands { a: &c.a, b: &c.b, sa: &c.sa, sb: &c.sb, c: c.c };
        let fast = dot.eval(&ops).unwrap();
        let general = dot.clone().force_generic().eval(&ops).unwrap();
        prop_assert_eq!(fast, general, "fast {:#010x} general {:#010x}", fast, general);
        // The other SIMD look-up form (gathers or scalar loads, chosen per CPU family).
        let other = dot.clone().force_gather(!dot.gathers());
        let o = other.eval(&ops).unwrap();
        prop_assert_eq!(o, general, "gather={} {:#010x} general {:#010x}", other.gathers(), o, general);
        // On an AVX2 machine `fast` ran the SIMD forms; the portable ones must agree too.
        let portable = dot.clone().force_portable();
        prop_assert!(!portable.uses_simd());
        let p = portable.eval(&ops).unwrap();
        prop_assert_eq!(p, general, "portable {:#010x} general {:#010x}", p, general);
        prop_assert_eq!(dot.explain(&ops).unwrap().d, fast);
    }
}

/// A subnormal accumulator joins a group at the accumulator's emin under nominal alignment
/// (spec/numerics.md): with C = 2^-149 and one product -2^-160, the window of 25 bits below
/// 2^-126 cuts the product to zero and D = C. Aligned at C's own leading bit instead, the
/// product would survive and RZ would give +0. Checked on the SIMD, portable and general paths.
#[test]
fn subnormal_accumulator_aligns_at_emin() {
    let spec = DotSpec {
        a_fmt: FormatId::E4m3,
        b_fmt: FormatId::E4m3,
        scale_fmt: FormatId::E8m0,
        block: 32,
    };
    let (mut a, mut b) = (vec![0u32; 32], vec![0u32; 32]);
    (a[0], b[0]) = (0x38, 0xb8); // 1.0 x -1.0
    let s = [127 - 80]; // 2^-80 each
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &s,
        sb: &s,
        c: 0x0000_0001,
    };
    let dot = Dot::new(spec, &preset("blackwell-tcgen05-f8f6f4").unwrap()).unwrap();
    for d in [
        dot.clone(),
        dot.clone().force_portable(),
        dot.clone().force_generic(),
    ] {
        assert_eq!(d.eval(&ops).unwrap(), 0x0000_0001);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 20, failure_persistence: None, ..ProptestConfig::default() })]

    /// `join` with lanes of more than 16 products and more than 8 lanes (past the in-place
    /// buffers of dot/hw/join.rs, which the presets never leave) against the independent
    /// general reference.
    #[test]
    fn join_past_the_inline_buffers(c in case(), lanes in prop_oneof![Just(1usize), Just(2), Just(16)]) {
        let mut n = preset("cdna3-mfma-fp8").unwrap();
        n.group = 64;
        n.join.as_mut().unwrap().lanes = lanes;
        if lanes == 1 {
            n.join.as_mut().unwrap().lane_window = None;
        }
        prop_assume!(n.validate().is_ok());
        let Ok(dot) = Dot::new(c.spec, &n) else {
            prop_assume!(false);
            unreachable!()
        };
        let got = dot.eval(&Operands { a: &c.a, b: &c.b, sa: &c.sa, sb: &c.sb, c: c.c }).unwrap();
        let want = support::reference::general(&n, &c.spec, &c.a, &c.b, &c.sa, &c.sb, c.c);
        prop_assert_eq!(got, want, "got {:#010x} want {:#010x}", got, want);
    }
}
