#!/usr/bin/env bash
# Summarise a cargo-mutants output directory: counts, score over viable mutants, survivors.
# Usage: mutation/summary.sh OUT   (OUT/mutants.out/ as written by cargo-mutants)
set -euo pipefail
d="${1:?usage: $0 OUT}/mutants.out"
n() { if [ -s "$d/$1.txt" ]; then grep -c . "$d/$1.txt"; else echo 0; fi; }
caught=$(n caught) missed=$(n missed) timeout=$(n timeout) unviable=$(n unviable)
viable=$((caught + missed + timeout))
echo "caught $caught, missed $missed, timeout $timeout, unviable $unviable"
if [ "$viable" -gt 0 ]; then
    # A timeout counts as caught (the mutant made the tests hang), as cargo-mutants counts it.
    pm=$(((caught + timeout) * 1000 / viable))
    echo "score: $((pm / 10)).$((pm % 10))% of $viable viable mutants"
fi
if [ "$missed" -gt 0 ]; then
    echo "survivors:"
    sed 's/^/  /' "$d/missed.txt"
fi
