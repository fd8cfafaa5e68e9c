#!/usr/bin/env bash
# cargo-mutants on the model (issue 9, docs/reliability.md). Mutates FILES (default: the
# arithmetic core) in a copy of the committed tree (git archive HEAD), never in the shared
# working tree. Every mutant is judged by the whole model test suite (lib, tests/*.rs), with
# proptest and fresh-vector counts lowered (MXREF_PROPTEST_CASES, MXREF_VECTOR_CASES) so that
# one mutant costs seconds, not minutes.
# Where a mutant's time goes (measured 2026-11-25 on the shared 2-core machine): an incremental
# build of the model and its 10 test binaries 7-10 s; the tests 5 s, plus 13 s for
# vectors::engine_matches_general_reference_on_fresh_cases, whose cost is the directed cases of
# every preset under every preset, not MXREF_VECTOR_CASES. Hence a `mutants` cargo profile
# (opt-level 1, no debuginfo: links faster, tests run as fast as at opt-level 2), one build job
# and one test thread (the machine is shared), and cargo test rather than nextest (nextest took 21 s for what cargo test runs in 7 s).
# Needs `cargo install cargo-mutants`. Results: OUT/mutants.out/{caught,missed,timeout,unviable}.txt
# Usage: mutation/cargo-mutants.sh OUT [FILE...]
#   MUTANTS_SHARD=k/n   test every n-th mutant only (a sample)
#   MUTANTS_SKIP=name   a test to skip (e.g. one failing at HEAD for reasons of its own)
#   MUTANTS_SRC=dir     the private copy to mutate (kept, with its target/, between runs)
#   MUTANTS_BASELINE=skip  skip the unmutated run (it checks the suite passes before any mutant
#                       is judged by it: a test failing there would count every mutant caught)
#   MUTANTS_RE=regex    only the mutants whose name (as `cargo mutants --list` shows it) matches
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
cat >>"$src/Cargo.toml" <<'TOML'

[profile.mutants]
inherits = "test"
opt-level = 1
debug = 0
TOML
args=(--in-place -p mxref-model --profile mutants --baseline "${MUTANTS_BASELINE:-run}" --timeout "${MUTANTS_TIMEOUT:-90}"
    --build-timeout 900 --cap-lints true --jobserver-tasks 1 -o "$out")
for f in "${files[@]}"; do args+=(-f "$f"); done
[ -n "${MUTANTS_SHARD:-}" ] && args+=(--shard "$MUTANTS_SHARD" --sharding round-robin)
[ -n "${MUTANTS_RE:-}" ] && args+=(--re "$MUTANTS_RE")
test_args=()
# cargo-mutants hands what follows its `--` to cargo test; the second `--` reaches the harness.
[ -n "${MUTANTS_SKIP:-}" ] && test_args=(-- -- --skip "$MUTANTS_SKIP")
cd "$src"
CARGO_BUILD_JOBS=1 RUST_TEST_THREADS=1 \
    MXREF_PROPTEST_CASES="${MXREF_PROPTEST_CASES:-2000}" MXREF_VECTOR_CASES="${MXREF_VECTOR_CASES:-60}" \
    nice -n 10 cargo mutants "${args[@]}" "${test_args[@]}" || true
"$root/mutation/summary.sh" "$out"
