//! `mxref presets`: every built-in numerics preset with its instruction, inputs, parameters,
//! source and status, all read from the preset data (model/presets/*.json).

use anyhow::bail;
use mxref_model::numerics::{self, Accumulate, CEntry, FloatSpec, GroupLayout, Numerics};
use std::fmt::Write as _;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the presets as one JSON array (every field of each preset file) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only these presets (default: all).
    pub names: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut list: Vec<Numerics> = Vec::new();
    if args.names.is_empty() {
        list.extend(numerics::preset_names().filter_map(numerics::preset));
    } else {
        for n in &args.names {
            match numerics::preset(n) {
                Some(p) => list.push(p),
                None => {
                    let names: Vec<&str> = numerics::preset_names().collect();
                    bail!("unknown preset {n:?} (known: {})", names.join(", "));
                }
            }
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&list)? + "\n"
    } else {
        list.iter().map(text_block).collect::<Vec<_>>().join("\n")
    };
    use std::io::Write;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn float(f: &FloatSpec) -> String {
    let m = f
        .man_bits
        .map_or("exact".to_string(), |m| format!("E{}M{m}", f.exp_bits));
    let r = format!("{:?}", f.round).to_lowercase();
    let sub = if f.subnormals { "" } else { ", FTZ" };
    format!("{m} {r}{sub}")
}

/// Every parameter in one line each, in the order the engine applies them.
fn text_block(n: &Numerics) -> String {
    let mut o = String::new();
    let status = if n.status.is_empty() {
        "(no status recorded)"
    } else {
        &n.status
    };
    let _ = writeln!(o, "{}: {status}", n.name);
    let mut row = |k: &str, v: String| {
        if !v.is_empty() {
            let _ = writeln!(o, "  {k:<12} {v}");
        }
    };
    row("instruction", n.instruction.clone());
    row("inputs", n.inputs.join(", "));
    let layout = match n.group_layout {
        GroupLayout::Contiguous => "contiguous".to_string(),
        GroupLayout::Interleaved { ways, span, chunk } => {
            format!("interleaved {ways} ways over {span}, runs of {chunk}")
        }
    };
    let group = if n.group == 0 {
        "all products".to_string()
    } else {
        format!("{} products", n.group)
    };
    let mut scale = format!("{:?}", n.scale).to_lowercase();
    if let Some(c) = n.block_sum_chunk {
        let _ = write!(scale, " (chunks of {c})");
    }
    row("scale", scale);
    row("group", format!("{group}, {layout}"));
    row("align", format!("{:?}", n.align).to_lowercase());
    row(
        "window",
        match n.window_bits {
            Some(w) => format!("{w} bits, {:?}", n.shifted_out).to_lowercase(),
            None => "unbounded".into(),
        },
    );
    if let Some(j) = n.join {
        let mut t = String::new();
        if j.lanes > 1 {
            let _ = write!(
                t,
                "{} lanes, lane sums cut to {} bits; ",
                j.lanes,
                j.lane_window.unwrap_or(0)
            );
        }
        let _ = write!(
            t,
            "group sum {} bits, accumulator {} bits below their joint maximum, {}",
            j.sum_window,
            j.acc_window,
            format!("{:?}", j.shifted_out).to_lowercase()
        );
        if let Some(d) = j.acc_drop_below {
            let _ = write!(t, "; accumulator dropped more than {d} below");
        }
        if let Some(x) = j.product_inf_exp {
            let _ = write!(t, "; products >= 2^{x} are Inf");
        }
        row("join", t);
    }
    row(
        "accumulate",
        match n.accumulate {
            Accumulate::Fused if n.join.is_some() => {
                "fused (accumulator joins the second stage)".into()
            }
            Accumulate::Fused => "fused (accumulator joins the alignment)".into(),
            Accumulate::Separate => "separate (exact group sum added to it)".into(),
        },
    );
    row("acc", float(&n.acc));
    row(
        "promote",
        n.promote.map_or("none".into(), |p| {
            format!(
                "every {} products into FP32, {}",
                p.every,
                format!("{:?}", p.round).to_lowercase()
            )
        }),
    );
    row(
        "c_entry",
        match n.c_entry {
            CEntry::Accumulator => "accumulator's initial value".into(),
            CEntry::End => "added after the last group".into(),
        },
    );
    row(
        "align_min_exp",
        n.align_min_exp.map_or("none".into(), |e| format!("2^{e}")),
    );
    row("output", float(&n.output));
    row(
        "inputs FTZ",
        if n.flush_subnormal_inputs {
            "yes"
        } else {
            "no"
        }
        .into(),
    );
    row("nan_bits", format!("0x{:08x}", n.nan_bits));
    row("zero_sign", format!("{:?}", n.zero_sign).to_lowercase());
    row("source", n.source.clone());
    row("description", n.description.clone());
    o
}
