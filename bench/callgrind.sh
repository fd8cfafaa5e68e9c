#!/usr/bin/env bash
# Instructions per dot product (valgrind callgrind), by numerics and dot length: repeatable on
# a loaded machine, unlike timings. Each figure is (Ir(2N dots) - Ir(N dots)) / N with the
# fixed workload of model/examples/dotloop.rs, so start-up and table building cancel out.
# Prints a Markdown table. Usage: bench/callgrind.sh [A_FMT B_FMT]  (default e4m3 e4m3);
# NUMERICS="exact rtl hopper-wgmma-fp8 ..." and BLOCKS="1 8" choose the rows (default: exact
# and rtl at 1 2 4 8 32 128 blocks).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p mxref-model --example dotloop
fa="${1:-e4m3}" fb="${2:-e4m3}"
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/dotloop \
        "$@" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| numerics | blocks (K) | instructions / dot | instructions / block |"
echo "|---|---|---|---|"
for numerics in ${NUMERICS:-exact rtl}; do
    for blocks in ${BLOCKS:-1 2 4 8 32 128}; do
        n=$((20000 / blocks + 200))
        a=$(ir "$numerics" "$fa" "$fb" "$blocks" "$n")
        b=$(ir "$numerics" "$fa" "$fb" "$blocks" $((2 * n)))
        per=$(( (b - a) / n ))
        echo "| $numerics | $blocks ($((32 * blocks))) | $per | $((per / blocks)) |"
    done
done
# The speed ceiling for comparison: numpy float64 einsum over 32-element dots (bench/.venv).
if [ -x bench/.venv/bin/python ]; then
    py=$(mktemp --suffix .py)
    trap 'rm -f "$py"' EXIT
    cat > "$py" <<'PY'
import sys, numpy as np
r = np.random.default_rng(1)
A, B = r.standard_normal((8192, 32)), r.standard_normal((8192, 32))
for _ in range(int(sys.argv[1])):
    np.einsum("nk,nk->n", A, B)
PY
    a=$(ir_py() { valgrind --tool=callgrind --callgrind-out-file=/dev/null bench/.venv/bin/python "$py" "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }; echo "$(ir_py 1) $(ir_py 11)")
    set -- $a
    echo
    echo "numpy float64 einsum, 32-element dots: $(( ($2 - $1) / 10 / 8192 )) instructions / dot"
fi
