#!/usr/bin/env python3
"""The committed suites that apply to the RTL unit, as cycle-by-cycle vector files for
mutation/rtl/harness.cpp (the `mxref sim --vectors` format: inputs, expected valid_o, d_o).

  trace         testvectors/trace/trace.jsonl, line for line
  dot-directed  testvectors/dot-directed/rtl.jsonl } the dots the unit computes (MX elements,
  dot-random    testvectors/dot-random/rtl.jsonl   } E8M0/32 or UE4M3/16, K a multiple of 32),
                beats back to back, each D expected LATENCY cycles after its last beat
  products      testvectors/products/exact.jsonl   } one product per vector (block 1): placed
  decode        testvectors/formats/decode.jsonl   } in lane 0 of a 32-lane beat, the other
                lanes +0 x +0 (NVFP4: a second scale 1.0); the expected D of that padded dot
                under the `rtl` numerics comes from `mxref dot` (the model), since the padding
                can change a zero's sign. UE5M3 scales (no RTL support) are left out.
  random-only   `mxref gen --suite dot-random --numerics rtl --seed SEED --count N`, N the
                number of dots in the committed files above: what random vectors alone do.

Usage: suites.py OUT_DIR [--mxref BIN] [--seed SEED]. Prints `name vectors cycles file` rows.
No arithmetic here: every expected D is a committed value or the model's.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FMTS = ["e4m3", "e5m2", "e2m3", "e3m2", "e2m1", "int8"]


def port_code(f):
    """A trace format field as its port code: a format name, or a reserved code 6/7 as an
    integer (every lane of that operand reads as +0; spec/vectors.md, "trace")."""
    if isinstance(f, int) and not isinstance(f, bool):
        if f in (6, 7):
            return f
        raise ValueError(f"format code {f} is not a reserved port code (6, 7)")
    return FMTS.index(f)


SCALING = {("e8m0", 32): 0, ("ue4m3", 16): 1}  # (scale_fmt, block) -> nvfp4_i
LATENCY = 5
UE4M3_ONE = 0x38
ZERO_LANES = "0" * 64


def lanes_hex(codes):
    """32 lane codes as 64 hex digits, lane 31 first."""
    return "".join(f"{int(c):02x}" for c in reversed(codes))


def code(x):
    return int(x, 16) if isinstance(x, str) else int(x)


def trace_lines(src):
    with open(src) as f:
        for n, text in enumerate(f, 1):
            t = json.loads(text)
            try:
                nv = int(t["nvfp4"])
                sa = t["sa"][0] | (t["sa"][1] << 8 if nv else 0)
                sb = t["sb"][0] | (t["sb"][1] << 8 if nv else 0)
                yield (f"{int(t['rst'])} {int(t['valid'])} {int(t['first'])} {int(t['last'])} "
                       f"{port_code(t['a_fmt'])} {port_code(t['b_fmt'])} {nv} "
                       f"{lanes_hex(t['a'])} {lanes_hex(t['b'])} {sa:04x} {sb:04x} "
                       f"{code(t['c']):08x} {int(t['out_valid'])} {code(t['d']):08x}")
            except (KeyError, ValueError, IndexError) as e:
                raise SystemExit(f"{src}: line {n}: {e!r}") from None


def applies(case):
    nv = SCALING.get((case.get("scale_fmt", "e8m0"), case.get("block", 32)))
    k = len(case["a"])
    ok = (case.get("numerics") == "rtl" and nv is not None and k > 0 and k % 32 == 0
          and case["a_fmt"] in FMTS and case["b_fmt"] in FMTS)
    return nv if ok else None


def dot_lines(cases):
    """Beats of each case back to back; yields vector lines and counts dots."""
    due, cycle, hold = {}, 0, 0
    out = []
    for case in cases:
        nv = case["nvfp4"]
        a, b = [code(x) for x in case["a"]], [code(x) for x in case["b"]]
        sa, sb = [code(x) for x in case["sa"]], [code(x) for x in case["sb"]]
        n = len(a) // 32
        for j in range(n):
            if nv:
                sav, sbv = sa[2 * j] | sa[2 * j + 1] << 8, sb[2 * j] | sb[2 * j + 1] << 8
            else:
                sav, sbv = sa[j], sb[j]
            if j == n - 1:
                due[cycle + LATENCY] = code(case["d"])
            v = cycle in due
            if v:
                hold = due.pop(cycle)
            out.append(f"0 1 {int(j == 0)} {int(j == n - 1)} {FMTS.index(case['a_fmt'])} "
                       f"{FMTS.index(case['b_fmt'])} {nv} {lanes_hex(a[32 * j:32 * j + 32])} "
                       f"{lanes_hex(b[32 * j:32 * j + 32])} {sav:04x} {sbv:04x} "
                       f"{code(case['c']):08x} {int(v)} {hold:08x}")
            cycle += 1
    while due:
        v = cycle in due
        if v:
            hold = due.pop(cycle)
        out.append(f"0 0 0 0 0 0 0 {ZERO_LANES} {ZERO_LANES} 0000 0000 00000000 {int(v)} {hold:08x}")
        cycle += 1
    return out


def suite_cases(path):
    cases = []
    with open(path) as f:
        for text in f:
            case = json.loads(text)
            nv = applies(case)
            if nv is not None:
                case["nvfp4"] = nv
                cases.append(case)
    return cases


def padded(path, mxref, tmp):
    """Block-1 vectors as one-beat rtl dots, expected D from `mxref dot`."""
    src = tmp / (path.parent.name + "-" + path.stem + ".padded.jsonl")
    dst = src.with_suffix(".d.jsonl")
    with open(path) as f, open(src, "w") as out:
        for text in f:
            case = json.loads(text)
            if case["block"] != 1 or len(case["a"]) != 1:
                continue
            if case["a_fmt"] not in FMTS or case["b_fmt"] not in FMTS:
                continue
            if case["scale_fmt"] == "e8m0":
                block, sa, sb = 32, case["sa"], case["sb"]
            elif case["scale_fmt"] == "ue4m3":
                block, sa, sb = 16, case["sa"] + [UE4M3_ONE], case["sb"] + [UE4M3_ONE]
            else:
                continue
            case.pop("d")
            case.update(numerics="rtl", block=block, sa=sa, sb=sb,
                        a=case["a"] + [0] * 31, b=case["b"] + [0] * 31)
            out.write(json.dumps(case, separators=(",", ":")) + "\n")
    subprocess.run([mxref, "dot", "--input", str(src), "--output", str(dst)], check=True)
    return suite_cases(dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--mxref", default=str(ROOT / "target" / "release" / "mxref"))
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tv = ROOT / "testvectors"
    suites = {
        "trace": None,
        "dot-directed": suite_cases(tv / "dot-directed" / "rtl.jsonl"),
        "dot-random": suite_cases(tv / "dot-random" / "rtl.jsonl"),
        "products": padded(tv / "products" / "exact.jsonl", args.mxref, out),
        "decode": padded(tv / "formats" / "decode.jsonl", args.mxref, out),
    }
    rows = []
    total = 0
    for name, cases in suites.items():
        if cases is None:
            lines = list(trace_lines(tv / "trace" / "trace.jsonl"))
            dots = sum(int(line.split()[12]) for line in lines)
        else:
            lines, dots = dot_lines(cases), len(cases)
        total += dots
        path = out / f"{name}.vec"
        path.write_text("\n".join(lines) + "\n")
        rows.append((name, dots, len(lines), path))
    # The random-only comparison: as many dots as all committed files together.
    gen = out / "random-only"
    subprocess.run([args.mxref, "gen", "--suite", "dot-random", "--numerics", "rtl", "--seed",
                    str(args.seed), "--count", str(total), "--out", str(gen)], check=True,
                   stdout=subprocess.DEVNULL)
    cases = suite_cases(next(gen.rglob("rtl.jsonl")))
    lines = dot_lines(cases)
    path = out / "random-only.vec"
    path.write_text("\n".join(lines) + "\n")
    rows.append(("random-only", len(cases), len(lines), path))
    for r in rows:
        print(*r, sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main())
