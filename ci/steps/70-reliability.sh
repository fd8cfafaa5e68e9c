#!/usr/bin/env bash
# Reliability (issue 9, docs/reliability.md): hostile CLI input including the 200 MB streaming
# tests (bounded peak RSS), then a fuzz smoke run: every target in fuzz/ built with libFuzzer
# coverage (the flags cargo-fuzz passes, no sanitizer: stable Rust, no cargo-fuzz install),
# run over its committed corpus and the reproducers of past findings, then FUZZ_SECONDS
# (default 10) of fresh fuzzing each. From a clean target dir: about 3 minutes of CPU, 4 to 6
# minutes of wall time on 2 busy cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo test -q -p mxref --test hostile --test hostile_large -- --include-ignored

host=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions"
# --target keeps RUSTFLAGS off build scripts and proc macros, as cargo-fuzz does.
(cd fuzz && cargo build -q --release --target "$host" --bins)
unset RUSTFLAGS
bin="fuzz/target/$host/release"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
secs="${FUZZ_SECONDS:-10}"
opts=(-close_fd_mask=1 -rss_limit_mb=2048 -timeout=10)
for t in dot_jsonl quantize_jsonl sim_stimulus check_files numerics_json dot_diff; do
    # Regressions: each committed input once (-runs=0 only replays the corpus).
    "$bin/$t" "${opts[@]}" -runs=0 "fuzz/corpus/$t" 2>"$tmp/$t.replay" ||
        { tail -40 "$tmp/$t.replay"; echo "70-reliability: $t failed on its corpus" >&2; exit 1; }
    shopt -s nullglob
    found=(fuzz/found/"$t"-*)
    shopt -u nullglob
    if [ ${#found[@]} -gt 0 ]; then
        "$bin/$t" "${opts[@]}" "${found[@]}" 2>"$tmp/$t.found" ||
            { tail -40 "$tmp/$t.found"; echo "70-reliability: $t failed on fuzz/found" >&2; exit 1; }
    fi
    # Fresh fuzzing; new inputs go to a scratch dir, the committed corpus is read only.
    mkdir -p "$tmp/new-$t" "$tmp/art-$t"
    extra=()
    [ "$t" = dot_diff ] && extra=(-max_len=2048)
    if ! "$bin/$t" "${opts[@]}" "${extra[@]}" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$tmp/art-$t/" "$tmp/new-$t" "fuzz/corpus/$t" 2>"$tmp/$t.log"; then
        tail -60 "$tmp/$t.log"
        echo "70-reliability: fuzz target $t found a crash (input: $(ls "$tmp/art-$t"))" >&2
        exit 1
    fi
    echo "70-reliability: $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log") runs, no finding"
done
