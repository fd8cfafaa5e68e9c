#!/usr/bin/env bash
# Run every test of mxref: each executable ci/steps/*.sh in name order. Each step installs
# what it needs (apt-get, a venv under the repo). Fails if any step fails; the last line is
# a summary in the form "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

passed=0
failed=0
failed_names=()
start=$(date +%s)
for step in ci/steps/*.sh; do
    [ -x "$step" ] || { echo "== skip $step (not executable)"; continue; }
    echo "== $step"
    t0=$(date +%s)
    if "$step"; then
        passed=$((passed + 1))
        echo "== $step: ok ($(( $(date +%s) - t0 ))s)"
    else
        rc=$?
        failed=$((failed + 1))
        failed_names+=("$step")
        echo "== $step: FAILED with exit code $rc ($(( $(date +%s) - t0 ))s)"
    fi
done
echo
echo "test.sh: $(( $(date +%s) - start ))s; failed steps: ${failed_names[*]:-none}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
