//! `Dot`'s operand checks (cargo-mutants on dot.rs found them untested by the model suite; the
//! CLI's hostile-input tests reach them only through JSON): each malformed operand set is refused
//! naming its field, the message says what is wrong, and the limits sit exactly where stated.

use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::preset;
use mxref_model::FormatId;

fn spec(block: usize) -> DotSpec {
    DotSpec {
        a_fmt: FormatId::E4m3,
        b_fmt: FormatId::E4m3,
        scale_fmt: FormatId::E8m0,
        block,
    }
}

/// The error of evaluating `a`, `b` with scales `sa`, `sb` under `rtl`, as (field, message).
fn err(a: &[u32], b: &[u32], sa: &[u32], sb: &[u32]) -> (String, String) {
    let dot = Dot::new(spec(2), &preset("rtl").unwrap()).unwrap();
    let e = dot
        .eval(&Operands { a, b, sa, sb, c: 0 })
        .expect_err("malformed operands must be refused");
    (e.field().to_string(), e.to_string())
}

#[test]
fn malformed_operands_name_their_field() {
    let s = [127, 127];
    assert_eq!(
        err(&[0; 4], &[0; 3], &s, &s),
        ("b".into(), "b: has 3 elements but a has 4".into())
    );
    assert_eq!(
        err(&[0; 3], &[0; 3], &s, &s),
        (
            "a".into(),
            "a: length 3 is not a multiple of the block size 2".into()
        )
    );
    assert_eq!(
        err(&[0; 4], &[0; 4], &[127], &s),
        (
            "sa".into(),
            "sa: has 1 scales but there are 2 blocks".into()
        )
    );
    assert_eq!(err(&[0; 4], &[0; 4], &s, &[127; 3]).0, "sb");
}

#[test]
fn out_of_range_codes_are_found_wherever_they_are() {
    let s = [127, 127];
    // E4M3 has codes 0..255: 256 is the first outside, alone or twice (an XOR of the two
    // would cancel), and after in-range codes whose OR is 255.
    assert_eq!(
        err(&[0, 256, 0, 0], &[0; 4], &s, &s),
        (
            "a".into(),
            "a: [1] = 256 is out of range for e4m3 (0..255)".into()
        )
    );
    assert_eq!(err(&[256, 256, 0, 0], &[0; 4], &s, &s).0, "a");
    assert_eq!(err(&[0x80, 0x7f, 0, 300], &[0; 4], &s, &s).0, "a");
    assert_eq!(err(&[0; 4], &[0, 0, 0, 511], &s, &s).0, "b");
    // E8M0 scales: 0..255.
    assert_eq!(err(&[0; 4], &[0; 4], &[127, 256], &s).0, "sa");
    assert_eq!(err(&[0; 4], &[0; 4], &s, &[999, 127]).0, "sb");
    // Every code in range (OR = 255) is accepted.
    let dot = Dot::new(spec(2), &preset("rtl").unwrap()).unwrap();
    let (a, b) = ([0x80, 0x7f, 0x01, 0xfe], [0x38, 0x38, 0x38, 0x38]);
    assert!(dot
        .eval(&Operands {
            a: &a,
            b: &b,
            sa: &s,
            sb: &s,
            c: 0
        })
        .is_ok());
}

/// A single windowed group (group = 0) holds at most 2^16 products; grouped or exact
/// numerics have no such limit.
#[test]
fn one_windowed_group_holds_at_most_65536_products() {
    let eval = |n: &mxref_model::numerics::Numerics, k: usize| {
        let dot = Dot::new(spec(32), n).unwrap();
        let (a, b) = (vec![0x38u32; k], vec![0x38u32; k]);
        let s = vec![127u32; k / 32];
        dot.eval(&Operands {
            a: &a,
            b: &b,
            sa: &s,
            sb: &s,
            c: 0,
        })
        .map_err(|e| e.field())
    };
    let mut one = preset("rtl").unwrap();
    one.group = 0;
    assert!(eval(&one, 32).is_ok());
    assert!(eval(&one, 1 << 16).is_ok());
    assert_eq!(eval(&one, (1 << 16) + 32), Err("a"));
    // Grouped (rtl: groups of 32) and exact numerics take the same long dot.
    assert!(eval(&preset("rtl").unwrap(), (1 << 16) + 32).is_ok());
    assert!(eval(&preset("exact").unwrap(), (1 << 16) + 32).is_ok());
}

mod support;
use support::reference::{general, reference};

/// A small deterministic generator (SplitMix64), so the cases are the same on every run.
fn draws(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed;
    move || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `exact` with a wide format on one side and a narrow one on the other: the block sums fit
/// an i64 (FP16 x E2M1 and FP16 x INT8 over 32 products) but FP16 has no 256-entry integer
/// table, so `Dot::block_sum` takes its second i64 loop, which no preset reaches. Every
/// result must equal the exact rational reference.
#[test]
fn exact_wide_times_narrow_block_sums_match_the_reference() {
    let exact = preset("exact").unwrap();
    let mut next = draws(0xb10c5);
    for (b_fmt, b_codes) in [(FormatId::E2m1, 16u64), (FormatId::Int8, 256)] {
        let spec = DotSpec {
            a_fmt: FormatId::Fp16,
            b_fmt,
            scale_fmt: FormatId::E8m0,
            block: 32,
        };
        let dot = Dot::new(spec, &exact).unwrap();
        for case in 0..300 {
            let k = 64;
            // FP16 codes of finite values (exponent field below 31), signs mixed.
            let a: Vec<u32> = (0..k)
                .map(|_| {
                    let v = next() as u32 & 0xffff;
                    if (v >> 10) & 0x1f == 0x1f {
                        v & !0x4000
                    } else {
                        v
                    }
                })
                .collect();
            let b: Vec<u32> = (0..k).map(|_| (next() % b_codes) as u32).collect();
            let sa = [120 + (next() % 16) as u32, 127];
            let sb = [127, 110 + (next() % 30) as u32];
            let c = if case % 3 == 0 {
                0
            } else {
                next() as u32 & 0xbfff_ffff
            };
            let got = dot
                .eval(&Operands {
                    a: &a,
                    b: &b,
                    sa: &sa,
                    sb: &sb,
                    c,
                })
                .unwrap();
            let want = reference(&spec, &a, &b, &sa, &sb, c);
            assert_eq!(
                got, want,
                "{b_fmt:?} case {case}: {got:#010x} != {want:#010x}"
            );
        }
    }
}

/// With subnormal inputs flushed and the IEEE zero-sign rule, C = -0 and every product a
/// flushed -0 give -0 (`Dot::zero_bits`); one flushed +0 product, or a flushed product next
/// to a normal one, gives what the reference says.
#[test]
fn flushed_subnormal_products_take_the_zero_sign_rule() {
    let mut n = preset("rtl").unwrap();
    n.flush_subnormal_inputs = true;
    n.zero_sign = mxref_model::numerics::ZeroSign::Ieee;
    let spec = spec(4);
    let dot = Dot::new(spec, &n).unwrap();
    // E4M3: 0x01..0x07 positive subnormals, 0x81..0x87 negative; 0x38 = 1.0, 0xb8 = -1.0.
    let cases: [([u32; 4], [u32; 4]); 6] = [
        ([0x81, 0x82, 0x87, 0x83], [0x38; 4]), // a subnormal, every product -0
        ([0x38, 0xb8, 0x38, 0x38], [0x81, 0x05, 0x84, 0x82]), // b subnormal, every product -0
        ([0x81, 0x02, 0x87, 0x83], [0x38; 4]), // one +0 among -0
        ([0x81, 0x82, 0x87, 0x83], [0x38, 0x38, 0x38, 0x81]), // both subnormal: +0 product
        ([0x81, 0x82, 0x87, 0x00], [0x38; 4]), // a true +0
        ([0x81, 0x82, 0x87, 0x80], [0x38; 4]), // a true -0
    ];
    for (i, (a, b)) in cases.iter().enumerate() {
        for c in [0x8000_0000u32, 0] {
            let (sa, sb) = ([127], [127]);
            let got = dot
                .eval(&Operands {
                    a,
                    b,
                    sa: &sa,
                    sb: &sb,
                    c,
                })
                .unwrap();
            let want = general(&n, &spec, a, b, &sa, &sb, c);
            assert_eq!(got, want, "case {i}, c {c:#x}: {got:#010x} != {want:#010x}");
        }
    }
    // The first two cases are -0 by IEEE 754's rule, independently of the reference.
    let neg0 = |a: &[u32; 4], b: &[u32; 4]| {
        dot.eval(&Operands {
            a,
            b,
            sa: &[127],
            sb: &[127],
            c: 0x8000_0000,
        })
        .unwrap()
    };
    assert_eq!(neg0(&cases[0].0, &cases[0].1), 0x8000_0000);
    assert_eq!(neg0(&cases[1].0, &cases[1].1), 0x8000_0000);
}
