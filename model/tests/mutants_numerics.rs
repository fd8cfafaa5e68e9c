//! `Numerics::validate`, `is_exact` and the preset table, rule by rule at each rule's boundary
//! (the value just allowed and the value just refused). Written for the cargo-mutants survivors
//! of numerics.rs (docs/reliability.md); each expected verdict is the rule as spec/numerics.md
//! states it.

use mxref_model::numerics::{
    preset, preset_names, Accumulate, CEntry, GroupLayout, Numerics, Promote, ScaleApply,
    MAX_MAN_BITS, MAX_WINDOW_BITS, PRESETS,
};
use mxref_model::round::{Round, Target};

fn rtl() -> Numerics {
    preset("rtl").unwrap()
}

fn ok(n: &Numerics) {
    if let Err(e) = n.validate() {
        panic!("refused: {e}\n{n:?}");
    }
}

/// Refused, with a message naming `field`.
fn refused(n: &Numerics, field: &str) {
    match n.validate() {
        Ok(()) => panic!("accepted, expected an error naming {field}\n{n:?}"),
        Err(e) => assert!(e.contains(field), "error {e:?} does not name {field}"),
    }
}

#[test]
fn window_bits_limit() {
    let mut n = rtl();
    n.window_bits = Some(MAX_WINDOW_BITS);
    ok(&n);
    n.window_bits = Some(MAX_WINDOW_BITS + 1);
    refused(&n, "window_bits");
    n.window_bits = None;
    ok(&n);
    assert_eq!(MAX_WINDOW_BITS, 64);
}

#[test]
fn exponent_and_significand_widths() {
    for field in ["acc", "output"] {
        let set = |n: &mut Numerics, e: u32| {
            if field == "acc" {
                n.acc.exp_bits = e
            } else {
                n.output.exp_bits = e
            }
        };
        for (e, good) in [(1, false), (2, true), (8, true), (15, true), (16, false)] {
            let mut n = rtl();
            set(&mut n, e);
            // The output must also fit FP32 (exp_bits <= 8): judged separately below.
            if field == "output" && e > 8 && good {
                continue;
            }
            if good {
                ok(&n);
            } else {
                refused(&n, &format!("{field}.exp_bits"));
            }
        }
    }
    let mut n = rtl();
    n.acc.man_bits = Some(MAX_MAN_BITS);
    ok(&n);
    n.acc.man_bits = Some(MAX_MAN_BITS + 1);
    refused(&n, "acc.man_bits");
    assert_eq!(MAX_MAN_BITS, 62);
}

#[test]
fn output_must_fit_fp32() {
    for (m, e, good) in [
        (Some(23), 8, true),
        (Some(10), 5, true),
        (Some(24), 8, false),
        (Some(23), 9, false),
        (None, 8, false),
    ] {
        let mut n = rtl();
        n.output.man_bits = m;
        n.output.exp_bits = e;
        if good {
            ok(&n);
        } else {
            refused(&n, "output");
        }
    }
}

fn interleaved(ways: usize, span: usize, chunk: usize, group: usize) -> Numerics {
    let mut n = rtl();
    n.group_layout = GroupLayout::Interleaved { ways, span, chunk };
    n.group = group;
    n
}

#[test]
fn interleaved_layout_rules() {
    ok(&interleaved(2, 32, 1, 16));
    ok(&interleaved(2, 32, 4, 16));
    ok(&interleaved(4, 64, 2, 16));
    // Each zero, a span not a multiple of ways * chunk, an overflowing ways * chunk.
    refused(&interleaved(0, 32, 1, 16), "group_layout");
    refused(&interleaved(2, 32, 0, 16), "group_layout");
    refused(&interleaved(2, 0, 1, 0), "group_layout");
    refused(&interleaved(2, 30, 4, 15), "group_layout");
    refused(&interleaved(3, 32, 1, 10), "group_layout");
    refused(&interleaved(usize::MAX, 32, 2, 16), "group_layout");
    // group must be span / ways.
    refused(&interleaved(2, 32, 1, 32), "group_layout");
    refused(&interleaved(2, 32, 1, 8), "group_layout");
    // Not with block sums.
    let mut n = interleaved(2, 32, 1, 16);
    n.scale = ScaleApply::BlockSum;
    refused(&n, "block_sum");
}

#[test]
fn fused_accumulator_needs_a_width_when_the_window_is_finite() {
    let mut n = rtl();
    n.accumulate = Accumulate::Fused;
    ok(&n);
    n.acc.man_bits = None;
    refused(&n, "acc.man_bits");
    n.window_bits = None;
    ok(&n);
    n.accumulate = Accumulate::Separate;
    n.window_bits = Some(32);
    ok(&n);
}

#[test]
fn promote_rules() {
    let mut n = rtl();
    n.promote = Some(Promote {
        every: 64,
        round: Round::Rne,
    });
    ok(&n);
    n.promote = Some(Promote {
        every: 0,
        round: Round::Rne,
    });
    refused(&n, "promote.every");
    n.promote = Some(Promote {
        every: 48,
        round: Round::Rne,
    });
    refused(&n, "promote.every");
    // With group 0 (one group) any positive period is allowed.
    n.group = 0;
    ok(&n);
}

#[test]
fn block_sum_chunk_rules() {
    let mut n = rtl();
    n.scale = ScaleApply::BlockSum;
    n.block_sum_chunk = Some(16);
    ok(&n);
    n.block_sum_chunk = Some(0);
    refused(&n, "block_sum_chunk");
    n.block_sum_chunk = Some(16);
    n.scale = ScaleApply::Product;
    refused(&n, "block_sum_chunk");
    n.block_sum_chunk = None;
    ok(&n);
}

#[test]
fn scale_promote_needs_promote_and_a_finite_accumulator() {
    let mut n = rtl();
    n.scale = ScaleApply::Promote;
    refused(&n, "scale");
    n.promote = Some(Promote {
        every: 32,
        round: Round::Rne,
    });
    ok(&n);
    n.acc.man_bits = None;
    n.window_bits = None;
    refused(&n, "scale");
}

type Change = Box<dyn Fn(&mut Numerics)>;

#[test]
fn is_exact_needs_every_clause() {
    let e = preset("exact").unwrap();
    assert!(e.is_exact());
    let changes: Vec<(&str, Change)> = vec![
        ("group", Box::new(|n| n.group = 32)),
        ("window", Box::new(|n| n.window_bits = Some(32))),
        ("acc", Box::new(|n| n.acc.man_bits = Some(47))),
        (
            "promote",
            Box::new(|n| {
                n.promote = Some(Promote {
                    every: 32,
                    round: Round::Rne,
                })
            }),
        ),
        ("c_entry", Box::new(|n| n.c_entry = CEntry::End)),
        ("scale", Box::new(|n| n.scale = ScaleApply::Promote)),
        ("flush", Box::new(|n| n.flush_subnormal_inputs = true)),
    ];
    for (what, f) in &changes {
        let mut n = e.clone();
        f(&mut n);
        assert!(!n.is_exact(), "{what}");
    }
    // Fields outside the list leave it exact.
    let mut n = e.clone();
    n.scale = ScaleApply::BlockSum;
    n.accumulate = Accumulate::Fused;
    assert!(n.is_exact());
}

#[test]
fn float_spec_target() {
    let n = rtl();
    assert_eq!(n.output.target(), Some(Target::FP32));
    let t = n.acc.target().unwrap();
    assert_eq!((t.man_bits, t.emin, t.emax), (47, -510, 511));
    assert_eq!(preset("exact").unwrap().acc.target(), None);
}

#[test]
fn preset_lookup() {
    assert!(preset("no-such-preset").is_none());
    let names: Vec<&str> = preset_names().collect();
    assert_eq!(names.len(), PRESETS.len());
    assert!(names.len() > 40);
    assert_eq!(names[0], "exact");
    assert_eq!(names[1], "rtl");
    for name in names {
        assert_eq!(preset(name).unwrap().name, name);
    }
}

#[test]
fn json_defaults_and_nan_bits() {
    let text = r#"{"name":"t","group":32,"window_bits":null,"accumulate":"separate",
        "c_entry":"end","acc":{"man_bits":null,"exp_bits":8,"round":"rne"},
        "output":{"man_bits":23,"exp_bits":8,"round":"rne"}}"#;
    let n = Numerics::from_json(text).unwrap();
    assert_eq!(n.nan_bits, 0x7fc0_0000);
    assert!(n.output.subnormals && n.acc.subnormals);
    assert_eq!(n.group_layout, GroupLayout::Contiguous);
    assert_eq!(n.scale, ScaleApply::Product);
    let with_nan = text.replace(r#""name":"t","#, r#""name":"t","nan_bits":"0x7fffffff","#);
    assert_eq!(
        Numerics::from_json(&with_nan).unwrap().nan_bits,
        0x7fff_ffff
    );
    let bad = text.replace(r#""name":"t","#, r#""name":"t","nan_bits":"7fffffff","#);
    assert!(Numerics::from_json(&bad).unwrap_err().contains("hex"));
    // Serialised back, nan_bits is the 0x-prefixed 8-digit form.
    let json = serde_json::to_string(&n).unwrap();
    assert!(json.contains(r#""nan_bits":"0x7fc00000""#), "{json}");
    // An interleaved layout without chunk takes chunk 1.
    let il = text.replace(
        r#""group":32,"#,
        r#""group":16,"group_layout":{"interleaved":{"ways":2,"span":32}},"#,
    );
    assert_eq!(
        Numerics::from_json(&il).unwrap().group_layout,
        GroupLayout::Interleaved {
            ways: 2,
            span: 32,
            chunk: 1
        }
    );
    // validate runs inside from_json.
    let wide = text.replace(r#""window_bits":null"#, r#""window_bits":65"#);
    assert!(Numerics::from_json(&wide)
        .unwrap_err()
        .contains("window_bits"));
}

/// `FloatSpec::is_fp16`: IEEE binary16 is 10 fraction bits and 5 exponent bits, nothing else
/// (the CLI emits an FP16 D's bits only then); FP32, BF16-range FP16-width and FP16-range
/// BF16-width specs are not it.
#[test]
fn is_fp16_is_binary16_only() {
    use mxref_model::numerics::FloatSpec;
    let f = |m: u32, e: u32| FloatSpec {
        man_bits: Some(m),
        exp_bits: e,
        round: mxref_model::Round::Rne,
        subnormals: true,
    };
    assert!(f(10, 5).is_fp16());
    assert!(!f(23, 8).is_fp16());
    assert!(!f(10, 8).is_fp16());
    assert!(!f(7, 5).is_fp16());
    assert!(!FloatSpec {
        man_bits: None,
        ..f(10, 5)
    }
    .is_fp16());
}

/// `join` checks (spec/numerics.md): starting from the valid `cdna3-mfma-fp8` (two lanes, lane
/// window 24 = window_bits, groups of 16 contiguous products), each change below breaks exactly
/// one rule and must be refused with that rule's field.
#[test]
fn join_rules_are_each_enforced() {
    use mxref_model::numerics::{Accumulate, GroupLayout, ScaleApply};
    let base = preset("cdna3-mfma-fp8").unwrap();
    assert_eq!(base.validate(), Ok(()));
    let refused = |n: &mxref_model::numerics::Numerics, field: &str| {
        let e = n.validate().expect_err(field);
        assert!(e.starts_with(field), "{field}: {e}");
    };
    let mut n = base.clone();
    n.accumulate = Accumulate::Separate;
    refused(&n, "join: needs a finite window_bits");
    let mut n = base.clone();
    n.join.as_mut().unwrap().lane_window = Some(25); // wider than window_bits 24
    refused(&n, "join.lane_window");
    let mut n = base.clone();
    n.join.as_mut().unwrap().lanes = 3; // 16 products do not split into 3 lanes
    refused(&n, "join.lanes");
    let mut n = base.clone();
    n.group_layout = GroupLayout::Interleaved {
        ways: 2,
        span: 32,
        chunk: 1,
    };
    refused(&n, "join.lanes");
    let mut n = base.clone();
    n.scale = ScaleApply::BlockSum;
    refused(&n, "join.lanes");
}
