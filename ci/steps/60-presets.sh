#!/usr/bin/env bash
# Tensor-core presets (spec/presets.md): the peer results in docs/peers stay consistent with
# the model: each names a built-in preset, its counts add up, and every recorded disagreement
# with MMA-Sim replays through `mxref dot` to the recorded value. The peer itself is not run
# here (it needs PyTorch; peers/README.md). Preset data and hand-worked cases are tested in
# step 00 (model/tests/presets.rs, cli/tests/presets.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p mxref
python3 peers/check_docs.py "${CARGO_TARGET_DIR:-$PWD/target}/release/mxref"
