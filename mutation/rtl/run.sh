#!/usr/bin/env bash
# RTL mutation testing of the committed suites (issue 9, docs/reliability.md). mutate.py writes
# every mutant of rtl/*.sv into one set of sources, selected at run time by +MUT=K; Verilator
# builds it once (about a minute); harness.cpp replays each suite of suites.py for each mutant
# (a fresh model per run, stopping at the first wrong output). Mutant 0, the unmutated design,
# must pass every suite; a survivor of the committed suites that mutation/rtl/equivalent.tsv
# does not list fails the run.
# Two builds, differing only in how Verilator resolves an X (an out-of-range bit select, an
# explicit 'x): --x-assign 0 (the `fast` default) and --x-assign 1. A 4-state simulator gives X
# there, so a mutant is killed if either build tells it from the original (e.g. `a_built` read
# past ElemFmts for the reserved codes), and the original must pass both.
# Usage: mutation/rtl/run.sh [OUT]            every mutant (default OUT: /tmp/mxref-rtl-mutants)
#        mutation/rtl/run.sh --smoke [OUT]    CI: mutant 0 and the mutants of smoke.txt only
# Needs .venv-rtl (ci/steps/40-rtl.sh makes it) and cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/mutation/rtl"
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
out="$(realpath -m "${1:-/tmp/mxref-rtl-mutants}")"
mkdir -p "$out"
cd "$root"
VERILATOR_ROOT="$(.venv-rtl/bin/python -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')"
export VERILATOR_ROOT PATH="$VERILATOR_ROOT/bin:$PATH"
cargo build --release -q -p mxref
mxref="${CARGO_TARGET_DIR:-$root/target}/release/mxref"

python3 "$here/mutate.py" "$out/src.new"
# Rebuild only when the mutated sources or the harness changed.
stamp="$(cat "$out"/src.new/*.sv "$here/harness.cpp" | sha256sum | cut -c1-16)"
rm -rf "$out/src"
mv "$out/src.new" "$out/src"
for x in 0 1; do
    obj="$out/obj-x$x"
    if [ -x "$obj/harness" ] && [ "$(cat "$obj/stamp" 2>/dev/null)" = "$stamp" ]; then
        continue
    fi
    rm -rf "$obj"
    t0=$(date +%s)
    (cd "$out/src" && verilator --cc --exe --build -j 2 -O3 --x-assign "$x" --x-initial fast \
        -Wno-fatal -Wno-lint -Wno-style -MAKEFLAGS "CFG_CXXFLAGS_PCH_I=-include" \
        -Mdir "$obj" --top-module mx_dot mx_pkg.sv mx_dot_mul.sv mx_dot_align.sv \
        mx_dot_add.sv mx_dot_acc.sv mx_dot_round.sv mx_dot.sv "$here/harness.cpp" -o harness \
        >"$out/build-x$x.log" 2>&1) || { tail -30 "$out/build-x$x.log"; exit 1; }
    echo "$stamp" >"$obj/stamp"
    echo "verilator build (--x-assign $x): $(($(date +%s) - t0)) s"
done

python3 "$here/suites.py" "$out/vec" --mxref "$mxref" >"$out/suites.tsv"
column -t "$out/suites.tsv"
mapfile -t files < <(cut -f4 "$out/suites.tsv")
n="$(($(wc -l <"$out/src/mutants.tsv") - 1))"

t0=$(date +%s)
if [ "$smoke" = 1 ]; then
    # smoke.txt names mutants by key (file, line text, mutation, occurrence): resolve to ids.
    mapfile -t ids < <(python3 - "$out" <<'EOF'
import csv, sys
sys.path.insert(0, "mutation/rtl")
import summary
keys = summary.keyed(csv.DictReader(open(sys.argv[1] + "/src/mutants.tsv"), delimiter="\t"))
ids = {v: k for k, v in keys.items()}
for line in open("mutation/rtl/smoke.txt"):
    if line.strip() and not line.startswith("#"):
        k = tuple(line.rstrip("\n").split("\t"))
        if k not in ids:
            sys.exit(f"mutation/rtl/smoke.txt: no mutant {k}")
        print(ids[k])
EOF
)
    # The committed suites only (random-only is the last file).
    unset 'files[${#files[@]}-1]'
    for x in 0 1; do
        : >"$out/results-x$x.tsv"
        for id in 0 "${ids[@]}"; do
            "$out/obj-x$x/harness" "$id" "$id" -- "${files[@]}" >>"$out/results-x$x.tsv"
        done
    done
    head -n "${#files[@]}" "$out/suites.tsv" >"$out/suites.tsv.tmp" && mv "$out/suites.tsv.tmp" "$out/suites.tsv"
else
    for x in 0 1; do
        # Two shards, one per core.
        "$out/obj-x$x/harness" 0 "$n" 2 0 -- "${files[@]}" >"$out/results.0" &
        "$out/obj-x$x/harness" 0 "$n" 2 1 -- "${files[@]}" >"$out/results.1"
        wait
        sort -n -k1,1 -k2,2 "$out/results.0" "$out/results.1" >"$out/results-x$x.tsv"
    done
fi
# Per (mutant, file): the row of the build that kills it (first bad line != 0), else x0's.
python3 - "$out" <<'EOF'
import sys
out = sys.argv[1]
rows = [{(r[0], r[1]): r for r in (l.split("\t") for l in open(f"{out}/results-x{x}.tsv"))}
        for x in (0, 1)]
with open(f"{out}/results.tsv", "w") as f:
    for k, r0 in rows[0].items():
        r1 = rows[1][k]
        f.write("\t".join(r1 if r0[2] == "0" and r1[2] != "0" else r0))
EOF
echo "harness: $(($(date +%s) - t0)) s"
python3 "$here/summary.py" "$out" --check
