//! Shared pieces of the fuzz targets: the CLI's parsing modules compiled in place (the CLI is
//! a binary crate, so its modules are included by path rather than linked), a byte cursor for
//! structured targets, and a scratch file for targets that drive file-reading entry points.
#![allow(dead_code)]

#[path = "../../cli/src/check.rs"]
pub mod check;
#[path = "../../cli/src/dot.rs"]
pub mod dot;
#[path = "../../cli/src/jsonl.rs"]
pub mod jsonl;
#[path = "../../cli/src/quantize.rs"]
pub mod quantize;
#[path = "../../cli/src/sim.rs"]
pub mod sim;

use std::path::PathBuf;

/// Reads fuzz bytes as small integers; past the end it yields zeros, so every input decodes.
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Cursor<'a> {
        Cursor { data }
    }
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    /// One of `items`, chosen by the next byte.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.u8() as usize % items.len()]
    }
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A per-process scratch file (under /dev/shm when it exists, so no disk traffic per run).
pub fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let p = dir.join(format!("mxref-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).expect("scratch file");
    p
}

/// Whether every line's `numerics` (if a string) names a built-in preset. Other strings are
/// file paths, and a fuzzer must not make the CLI read arbitrary files (/dev/zero never ends).
pub fn numerics_are_presets(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n')
        .all(|l| match serde_json::from_slice::<serde_json::Value>(l) {
            Ok(v) => match v.get("numerics") {
                Some(serde_json::Value::String(s)) => mxref_model::numerics::preset(s).is_some(),
                _ => true,
            },
            Err(_) => true,
        })
}

/// `mxref check`'s verdict function (crate-visible in the CLI), for the check_files target.
pub fn check_files(args: &check::Args) -> anyhow::Result<bool> {
    check::check(args)
}
