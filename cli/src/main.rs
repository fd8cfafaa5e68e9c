//! `mxref`: the command line over the mxref model.
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run` function; adding
//! one is a variant in [`Cmd`] and an arm in `main`. JSON Lines plumbing shared by the
//! streaming commands is in [`jsonl`].

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod check;
mod dot;
mod explain;
mod formats;
mod gen;
mod gpu;
mod jsonl;
mod presets;
mod quantize;
mod sim;

#[derive(Parser)]
#[command(
    name = "mxref",
    version,
    about = "Bit-exact reference for OCP Microscaling (MX) formats, conversion and dot products"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Properties of every element and scale format (derived from the one format table).
    Formats(formats::Args),
    /// Convert FP32 vectors to MX blocks (JSON Lines in, JSON Lines out).
    Quantize(quantize::Args),
    /// Evaluate MX dot products bit-exactly (JSON Lines in, JSON Lines out).
    Dot(dot::Args),
    /// Every built-in numerics preset: instruction, inputs, parameters, source, status.
    Presets(presets::Args),
    /// Write the golden conformance vectors (no arguments: the standard suites to testvectors/).
    Gen(gen::Args),
    /// Compare device results with golden vectors; the exit status is the verdict.
    Check(check::Args),
    /// Decode one dot vector and print every step of its evaluation under its numerics.
    Explain(explain::Args),
    /// Run a beat stream through the cycle-level model of the RTL unit (table, VCD, vectors).
    Sim(sim::Args),
    /// GPU tensor-core cross-check: vector files for cuda/mxgpu.py, results against the model.
    Gpu(gpu::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Formats(a) => formats::run(a),
        Cmd::Quantize(a) => quantize::run(a),
        Cmd::Dot(a) => dot::run(a),
        Cmd::Presets(a) => presets::run(a),
        Cmd::Gen(a) => gen::run(a),
        Cmd::Check(a) => check::run(a),
        Cmd::Explain(a) => explain::run(a),
        Cmd::Sim(a) => sim::run(a),
        Cmd::Gpu(a) => gpu::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mxref: {e:#}");
            ExitCode::FAILURE
        }
    }
}
