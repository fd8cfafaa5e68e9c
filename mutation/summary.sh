#!/usr/bin/env bash
# Summarise a cargo-mutants output directory: counts per file and in all, score over viable
# mutants, survivors.
# Usage: mutation/summary.sh OUT   (OUT/mutants.out/ as written by cargo-mutants)
set -euo pipefail
d="${1:?usage: $0 OUT}/mutants.out"
n() { if [ -s "$d/$1.txt" ]; then grep -c . "$d/$1.txt"; else echo 0; fi; }
# nf OUTCOME FILE: mutants of FILE with that outcome.
nf() { if [ -s "$d/$1.txt" ]; then grep -c "^$2:" "$d/$1.txt" || true; else echo 0; fi; }
files=$(cat "$d"/{caught,missed,timeout,unviable}.txt 2>/dev/null | cut -d: -f1 | sort -u)
printf '%-28s %7s %7s %7s %8s %s\n' file caught missed timeout unviable "score (viable)"
for f in $files; do
    c=$(nf caught "$f") m=$(nf missed "$f") t=$(nf timeout "$f") u=$(nf unviable "$f")
    v=$((c + m + t))
    s=-
    [ "$v" -gt 0 ] && s="$(((c + t) * 1000 / v / 10)).$(((c + t) * 1000 / v % 10))% of $v"
    printf '%-28s %7d %7d %7d %8d %s\n' "$f" "$c" "$m" "$t" "$u" "$s"
done
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
