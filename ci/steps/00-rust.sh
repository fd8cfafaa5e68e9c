#!/usr/bin/env bash
# Rust: formatting, lints, and every test of the workspace (tests build with opt-level 2,
# see [profile.test] in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 1
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
