#!/usr/bin/env bash
# Summarise a cargo-mutants output directory: counts, score over viable mutants, survivors.
# Usage: mutation/summary.sh OUT   (OUT/mutants.out/ as written by cargo-mutants)
set -euo pipefail
d="${1:?usage: $0 OUT}/mutants.out"
n() { [ -f "$d/$1.txt" ] && grep -c . "$d/$1.txt" || echo 0; }
caught=$(n caught) missed=$(n missed) timeout=$(n timeout) unviable=$(n unviable)
viable=$((caught + missed + timeout))
echo "caught $caught, missed $missed, timeout $timeout, unviable $unviable"
if [ "$viable" -gt 0 ]; then
    # Timeouts count as caught (the mutant made the tests hang), as cargo-mutants itself says.
    echo "score: $(( (caught + timeout) * 1000 / viable / 10 )).$(( (caught + timeout) * 1000 / viable % 10 ))% of $viable viable mutants"
fi
[ "$missed" -gt 0 ] && { echo "survivors:"; sed 's/^/  /' "$d/missed.txt"; }
exit 0
