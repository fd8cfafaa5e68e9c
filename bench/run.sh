#!/usr/bin/env bash
# Side-by-side throughput of every leg of mxref (see docs/benchmarks.md). Builds the release
# binaries, makes bench/.venv (numpy, ml_dtypes, matplotlib, torch CPU + torchao from PyPI),
# then runs bench/side_by_side.py, which writes docs/benchmarks/{results.json,results.md,
# throughput_vs_k.png}. Arguments go to side_by_side.py (--quick, --rounds N, --no-torch,
# --no-rtl). The RTL part needs .venv-rtl (ci/steps/40-rtl.sh makes it).
# About 10 minutes on 2 busy cores; not part of ./test.sh (benchmarks are not tests).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p mxref
cargo build --release -q -p mxref-model --example mxbench
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/pip install -q -r bench/requirements.txt
uptime
nice -n 10 bench/.venv/bin/python bench/side_by_side.py "$@"
uptime
