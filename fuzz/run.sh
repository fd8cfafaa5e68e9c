#!/usr/bin/env bash
# Run fuzz targets for SECONDS each (default 600), all at once, at low priority; logs to
# fuzz/logs/<target>.log. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets it pass the -Z flags it needs.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dot_jsonl quantize_jsonl sim_stimulus check_files numerics_json dot_diff)
export RUSTC_BOOTSTRAP=1
# No sanitizer (the project has no unsafe code); -a keeps overflow checks and debug asserts.
cargo fuzz build -s none -a >/dev/null
mkdir -p logs
pids=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    # dot_diff reads up to 4 blocks of 64 codes of 4 bytes: let inputs grow that long.
    extra=()
    [ "$t" = dot_diff ] && extra=(-max_len=2048)
    # stdout closed: the CLI entry points print their results there.
    nice -n 15 cargo fuzz run -s none -a "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=1 \
        -print_final_stats=1 "${extra[@]}" >"logs/$t.log" 2>&1 &
    pids+=($!)
done
rc=0
for k in "${!pids[@]}"; do
    if ! wait "${pids[$k]}"; then
        echo "fuzz ${targets[$k]}: FINDING (see fuzz/logs/${targets[$k]}.log, fuzz/artifacts/)"
        rc=1
    else
        echo "fuzz ${targets[$k]}: $(grep -E '^stat::number_of_executed_units' "logs/${targets[$k]}.log" | awk '{print $2}') execs, no finding"
    fi
done
exit "$rc"
