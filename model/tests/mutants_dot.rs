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
