#!/usr/bin/env python3
"""Kill table of an RTL mutant run (mutation/rtl/run.sh).

Reads OUT/src/mutants.tsv (the mutants), OUT/results.tsv (harness rows: mutant, file index,
first bad line, cycles), OUT/suites.tsv (the vector files, in harness order) and
mutation/rtl/equivalent.tsv (the survivors judged equivalent, with reasons).
Prints a Markdown table per suite, the committed suites together, and every survivor.
With --check, exits 1 if a mutant that is not in equivalent.tsv survives the committed suites,
or if the unmutated design (mutant 0) fails any suite.

Usage: summary.py OUT [--check]
"""

import csv
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COMMITTED = ["trace", "dot-directed", "dot-random", "products", "decode"]


def keyed(mutants):
    """A key that survives renumbering: file, source line text, mutation, occurrence."""
    seen = defaultdict(int)
    lines = {}
    out = {}
    for m in mutants:
        f = m["file"]
        if f not in lines:
            lines[f] = (ROOT / "rtl" / f).read_text().split("\n")
        text = lines[f][int(m["line"]) - 1].split("//")[0].strip()
        k = (f, text, m["mutation"])
        seen[k] += 1
        out[int(m["id"])] = (f, text, m["mutation"], str(seen[k]))
    return out


def load_equivalent():
    eq = {}
    with open(HERE / "equivalent.tsv") as f:
        for r in csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"):
            eq[(r["file"], r["line"], r["mutation"], r["occurrence"])] = (r["verdict"], r["reason"])
    return eq


def main():
    out = Path(sys.argv[1])
    check = "--check" in sys.argv[2:]
    mutants = list(csv.DictReader(open(out / "src" / "mutants.tsv"), delimiter="\t"))
    keys = keyed(mutants)
    suites = [l.split("\t")[0] for l in open(out / "suites.tsv").read().splitlines()]
    res = defaultdict(dict)
    for line in open(out / "results.tsv"):
        m, i, bad, _ = line.split()
        res[int(m)][suites[int(i)]] = int(bad)
    eq = load_equivalent()
    ok = True
    if 0 in res:
        failed = [s for s, b in res[0].items() if b]
        if failed:
            print(f"FAIL: the unmutated design fails {failed}")
            ok = False
    run = sorted(m for m in res if m)
    committed = [s for s in COMMITTED if s in suites]
    killed_by = {m: {s for s, b in res[m].items() if b} for m in run}
    excluded = {m for m in run if keys[m] in eq}
    nonequiv = [m for m in run if m not in excluded]
    print(f"{len(run)} mutants run; {len(excluded)} in equivalent.tsv\n")
    print("| suite | killed of all mutants | of the non-equivalent ones |")
    print("|---|---:|---:|")

    def frac(ms, members):
        a = sum(1 for m in ms if killed_by[m] & members)
        return f"{a} / {len(ms)} ({100 * a / max(len(ms), 1):.1f} %)"

    def row(name, members):
        print(f"| {name} | {frac(run, members)} | {frac(nonequiv, members)} |")

    for s in suites:
        row(s, {s})
    row("**committed suites together**", set(committed))
    if "random-only" in suites:
        row("committed minus dot-directed", set(committed) - {"dot-directed"})
    print("\nSurvivors of the committed suites:")
    for m in run:
        if killed_by[m] & set(committed):
            continue
        f, text, mut, occ = keys[m]
        verdict = eq.get(keys[m], ("NOT LISTED", ""))[0]
        also = " (killed by random-only)" if "random-only" in killed_by[m] else ""
        print(f"  {m}\t{verdict}\t{f}: {text}  [{mut}]#{occ}{also}")
        if verdict == "NOT LISTED":
            ok = False
    for m in excluded:
        if killed_by[m] & set(committed):
            print(f"  note: equivalent.tsv lists mutant {m}, which the committed suites kill: "
                  f"{keys[m]}")
    for k in eq:
        if k not in keys.values():
            print(f"  note: equivalent.tsv entry matches no mutant: {k}")
    if check and not ok:
        print("FAIL: a mutant outside mutation/rtl/equivalent.tsv survives the committed suites")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
