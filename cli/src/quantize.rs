//! `mxref quantize`: FP32 vectors to MX blocks over JSON Lines (contract in issue 2,
//! README.md and spec/quantize.md).
//!
//! Input line: `{"elem":"e4m3","scale_fmt":"e8m0","block":32,"scale_rule":"floor",
//! "round":"rne","x":["0x3f800000", ...]}`; `scale_fmt`, `block`, `scale_rule`, `round` are
//! optional with these defaults (for `scale_rule` `nvfp4`: `ue4m3` and 16). `seed` (integer,
//! default 0) and `first_index` (the index of `x[0]` in the whole tensor, default 0) feed
//! `round` `stochastic`; `tensor_scale` (FP32 hex) is the `nvfp4` per-tensor
//! scale, computed from this line's `x` when absent. Output: the input object plus
//! `"scales":[codes]`, `"codes":[codes]` and, for `nvfp4`, `"tensor_scale"`.

use crate::jsonl::{self, FieldError, FieldResult, IoArgs, Line};
use mxref_model::quantize::{ElemRound, QuantError, QuantSpec, Quantizer, ScaleRule};
use mxref_model::FormatId;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub io: IoArgs,
}

const FIELDS: &[&str] = &[
    "id",
    "elem",
    "scale_fmt",
    "block",
    "scale_rule",
    "round",
    "seed",
    "first_index",
    "tensor_scale",
    "x",
    "scales",
    "codes",
];

#[derive(Default)]
struct Buffers {
    x: Vec<u32>,
    scales: Vec<u32>,
    codes: Vec<u32>,
    text: String,
}

fn qerr(e: QuantError) -> FieldError {
    FieldError::new(e.field, e.msg)
}

fn one_line(line: &Line, text: &str, buf: &mut Buffers, out: &mut String) -> FieldResult<()> {
    line.check_fields(FIELDS)?;
    let elem = line.format("elem")?;
    let rule: ScaleRule = line
        .str_or("scale_rule", "floor")?
        .parse()
        .map_err(|m| FieldError::new("scale_rule", m))?;
    let (def_scale, def_block) = if rule.is_pow2() {
        (FormatId::E8m0, 32)
    } else {
        (FormatId::Ue4m3, 16)
    };
    let scale_fmt = line.format_or("scale_fmt", def_scale)?;
    let block = line.usize_or("block", def_block)?;
    let seed = line.u64_or("seed", 0)?;
    let round_name = line.str_or("round", "rne")?;
    let round = ElemRound::parse(round_name, seed).map_err(|m| FieldError::new("round", m))?;
    let first_index = line.u64_or("first_index", 0)?;
    for f in ["seed", "first_index"] {
        if line.has(f) && !matches!(round, ElemRound::Stochastic { .. }) {
            return Err(FieldError::new(
                f,
                "only used with \"round\":\"stochastic\"",
            ));
        }
    }
    let q = Quantizer::new(QuantSpec {
        elem,
        scale_fmt,
        block,
        rule,
        round,
    })
    .map_err(qerr)?;
    line.hex_u32_array("x", &mut buf.x)?;
    if !buf.x.len().is_multiple_of(block) {
        return Err(FieldError::new(
            "x",
            format!("length {} is not a multiple of block {block}", buf.x.len()),
        ));
    }
    let tensor_scale = if q.needs_tensor_scale() {
        if line.has("tensor_scale") {
            line.hex_u32("tensor_scale")?
        } else {
            q.tensor_scale(&buf.x)
        }
    } else {
        if line.has("tensor_scale") {
            return Err(FieldError::new(
                "tensor_scale",
                format!(
                    "only used with \"scale_rule\":\"nvfp4\", not {:?}",
                    rule.name()
                ),
            ));
        }
        0
    };
    buf.scales.clear();
    buf.scales.resize(buf.x.len() / block, 0);
    buf.codes.clear();
    buf.codes.resize(buf.x.len(), 0);
    if first_index.checked_add(buf.x.len() as u64).is_none() {
        return Err(FieldError::new(
            "first_index",
            format!("{first_index} plus the length of x overflows 64 bits"),
        ));
    }
    q.quantize(
        &buf.x,
        tensor_scale,
        first_index,
        &mut buf.scales,
        &mut buf.codes,
    )
    .map_err(qerr)?;
    buf.text.clear();
    jsonl::push_int_array(&buf.scales, &mut buf.text);
    let split = buf.text.len();
    jsonl::push_int_array(&buf.codes, &mut buf.text);
    let ts = format!("\"0x{tensor_scale:08x}\"");
    let (scales, codes) = buf.text.split_at(split);
    let mut fields = vec![("scales", scales), ("codes", codes)];
    if q.needs_tensor_scale() {
        fields.push(("tensor_scale", &ts));
    }
    jsonl::emit(text, line, &fields, out);
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut buf = Buffers::default();
    jsonl::run(&args.io, |line, text, out| {
        one_line(line, text, &mut buf, out)
    })?;
    Ok(())
}
