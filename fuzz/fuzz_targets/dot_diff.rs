//! Differential: `Dot::eval` against `Dot::force_generic().eval` (the i128 / wide engine) on
//! arbitrary numerics (a preset with fuzzed parameters), shapes and operands: the same bits
//! every time, `explain` agreeing too, and no panic for any Numerics that validates.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mxref_fuzz::Cursor;
use mxref_model::dot::{Dot, DotSpec, Operands};
use mxref_model::numerics::{
    self, Accumulate, Align, CEntry, GroupLayout, Numerics, Promote, ScaleApply, ShiftedOut,
};
use mxref_model::round::Round;
use mxref_model::FormatId;

const ROUNDS: [Round; 6] = [
    Round::Rne,
    Round::Rna,
    Round::Rz,
    Round::Up,
    Round::Down,
    Round::Odd,
];

fn numerics(c: &mut Cursor) -> Numerics {
    let names: Vec<&str> = numerics::preset_names().collect();
    let mut n = numerics::preset(c.pick(&names)).expect("listed preset");
    // Each parameter is kept (byte even) or replaced, so presets stay reachable.
    if c.bool() {
        n.group = c.pick(&[0, 1, 2, 4, 8, 16, 32, 64, 3]);
    }
    if c.bool() {
        n.group_layout = if c.bool() {
            GroupLayout::Contiguous
        } else {
            GroupLayout::Interleaved {
                ways: c.pick(&[1, 2, 4]),
                span: c.pick(&[4, 8, 16, 32]),
                chunk: c.pick(&[1, 2]),
            }
        };
    }
    if c.bool() {
        n.align = c.pick(&[Align::Nominal, Align::Leading]);
    }
    if c.bool() {
        n.window_bits = if c.bool() {
            None
        } else {
            Some(c.u8() as u32 % 66)
        };
    }
    if c.bool() {
        n.shifted_out = c.pick(&[ShiftedOut::Truncate, ShiftedOut::Rne]);
    }
    if c.bool() {
        n.scale = c.pick(&[
            ScaleApply::Product,
            ScaleApply::BlockSum,
            ScaleApply::Promote,
        ]);
    }
    if c.bool() {
        n.accumulate = c.pick(&[Accumulate::Fused, Accumulate::Separate]);
    }
    if c.bool() {
        n.c_entry = c.pick(&[CEntry::Accumulator, CEntry::End]);
    }
    if c.bool() {
        n.acc.man_bits = if c.bool() {
            None
        } else {
            Some(c.u8() as u32 % 66)
        };
        n.acc.exp_bits = 2 + c.u8() as u32 % 14;
        n.acc.round = c.pick(&ROUNDS);
        n.acc.subnormals = c.bool();
    }
    if c.bool() {
        n.promote = if c.bool() {
            None
        } else {
            Some(Promote {
                every: c.pick(&[1, 2, 4, 8, 16, 32, 64, 128]),
                round: c.pick(&ROUNDS),
            })
        };
    }
    if c.bool() {
        n.output.man_bits = Some(c.u8() as u32 % 24);
        n.output.exp_bits = 2 + c.u8() as u32 % 7;
        n.output.round = c.pick(&ROUNDS);
        n.output.subnormals = c.bool();
    }
    if c.bool() {
        n.flush_subnormal_inputs = c.bool();
    }
    if c.bool() {
        n.block_sum_chunk = c.pick(&[None, Some(1), Some(2), Some(4), Some(16)]);
    }
    if c.bool() {
        n.nan_bits = c.u32();
    }
    n
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let n = numerics(&mut c);
    let elems: Vec<FormatId> = FormatId::elements()
        .chain(FormatId::wide_elements())
        .collect();
    let scales: Vec<FormatId> = FormatId::scales().collect();
    let spec = DotSpec {
        a_fmt: c.pick(&elems),
        b_fmt: c.pick(&elems),
        scale_fmt: c.pick(&scales),
        block: c.pick(&[1, 2, 4, 8, 16, 32, 64, 3]),
    };
    let dot = match Dot::new(spec, &n) {
        Ok(d) => d,
        Err(_) => return,
    };
    let blocks = 1 + c.u8() as usize % 4;
    let k = blocks * spec.block;
    // Code counts in u64: FP32 has 2^32 codes (a u32 count would be 0).
    let (fa, fb, fs) = (
        spec.a_fmt.format().codes(),
        spec.b_fmt.format().codes(),
        spec.scale_fmt.format().codes(),
    );
    // Codes: from the input while it lasts; scales biased to the middle of their range so
    // products neither always overflow nor always vanish.
    let a: Vec<u32> = (0..k).map(|_| (c.u32() as u64 % fa) as u32).collect();
    let b: Vec<u32> = (0..k).map(|_| (c.u32() as u64 % fb) as u32).collect();
    let scale = |c: &mut Cursor| {
        if c.bool() {
            (c.u32() as u64 % fs) as u32
        } else {
            ((fs / 2 + c.u8() as u64 % 16).saturating_sub(8) % fs) as u32
        }
    };
    let sa: Vec<u32> = (0..blocks).map(|_| scale(&mut c)).collect();
    let sb: Vec<u32> = (0..blocks).map(|_| scale(&mut c)).collect();
    let cv = c.u32();
    let ops = Operands {
        a: &a,
        b: &b,
        sa: &sa,
        sb: &sb,
        c: cv,
    };
    let d = dot.eval(&ops).expect("well-formed operands");
    let g = dot.clone().force_generic().eval(&ops).expect("generic");
    assert_eq!(
        d, g,
        "fast 0x{d:08x} != generic 0x{g:08x}\nspec {spec:?}\nnumerics {n:?}\nops {ops:?}"
    );
    assert_eq!(
        dot.explain(&ops).expect("explain").d,
        d,
        "explain differs from eval"
    );
});
