#!/usr/bin/env bash
# RTL mutation smoke (issue 9, docs/reliability.md "RTL mutants"): the mutant build of
# mutation/rtl (every mutant of rtl/*.sv in one Verilator build, +MUT=K selects one), the
# unmutated design (MUT=0) on every committed suite that applies to the unit, then the 22
# mutants of mutation/rtl/smoke.txt, each of which the committed suites must kill. About
# 2 minutes on 2 idle cores (the builds are most of it). The full run is mutation/rtl/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    apt-get update -qq && apt-get install -y -qq g++ make >/dev/null
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv-rtl/bin/python ] || python3 -m venv .venv-rtl
.venv-rtl/bin/python -m pip install -q --disable-pip-version-check -r requirements-rtl.txt
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mutation/rtl/run.sh --smoke "$tmp"
