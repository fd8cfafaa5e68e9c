#!/usr/bin/env bash
# Independent references in Python (ml_dtypes, numpy): decode of every code and the floor
# quantization rule, checked against the mxref binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
cargo build --release -p mxref
export MXREF_BIN="$PWD/target/release/mxref"
set +e
.venv/bin/python -m pytest -q tests/python
rc=$?
set -e
# pytest exits 5 when it collects nothing: fine only if there is genuinely nothing to run.
if [ "$rc" -eq 5 ] && ! ls tests/python/test_*.py >/dev/null 2>&1; then
    echo "10-python-ref: no Python tests present"
    exit 0
fi
exit "$rc"
