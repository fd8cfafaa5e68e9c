#!/usr/bin/env bash
# cargo-mutants on the model (issue 9, docs/reliability.md). Mutates FILES (default: the
# arithmetic core) in a copy of the committed tree (git archive HEAD), never in the shared
# working tree. Proptest case counts are lowered (MXREF_PROPTEST_CASES, MXREF_VECTOR_CASES) so a
# mutant's test run takes seconds; every mutant is still judged by the whole model test suite.
# Needs `cargo install cargo-mutants`. Results: OUT/mutants.out/{caught,missed,timeout,unviable}.txt
# Usage: mutation/cargo-mutants.sh OUT [FILE...]
#   MUTANTS_SHARD=k/n   test every n-th mutant only (a sample)
#   MUTANTS_SKIP=name   a test to skip (e.g. one failing at HEAD for reasons of its own)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:?usage: $0 OUT [FILE...]}")"
shift
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(model/src/round.rs model/src/format.rs model/src/dot.rs
    model/src/dot/hw.rs model/src/add.rs model/src/wide.rs model/src/quantize.rs)
# A private copy, mutated in place (its target/ is kept between runs: set MUTANTS_SRC to reuse).
if [ -n "${MUTANTS_SRC:-}" ]; then
    src="$MUTANTS_SRC"
    mkdir -p "$src"
else
    src="$(mktemp -d)"
    trap 'rm -rf "$src"' EXIT
fi
git -C "$root" archive HEAD Cargo.toml Cargo.lock model cli testvectors spec rtl | tar -x -C "$src"
args=(--in-place -p mxref-model --timeout 180 --build-timeout 900 --cap-lints true -o "$out")
for f in "${files[@]}"; do args+=(-f "$f"); done
[ -n "${MUTANTS_SHARD:-}" ] && args+=(--shard "$MUTANTS_SHARD" --sharding round-robin)
test_args=()
# cargo-mutants hands what follows its `--` to cargo test; the second `--` reaches the harness.
[ -n "${MUTANTS_SKIP:-}" ] && test_args=(-- -- --skip "$MUTANTS_SKIP")
cd "$src"
MXREF_PROPTEST_CASES="${MXREF_PROPTEST_CASES:-2000}" MXREF_VECTOR_CASES="${MXREF_VECTOR_CASES:-300}" \
    nice -n 10 cargo mutants "${args[@]}" "${test_args[@]}" || true
"$root/mutation/summary.sh" "$out"
