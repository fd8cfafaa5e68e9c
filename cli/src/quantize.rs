//! `mxref quantize` (being written).
use crate::jsonl::IoArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub io: IoArgs,
}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("quantize: not built yet")
}
