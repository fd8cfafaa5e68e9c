#!/usr/bin/env python3
"""Characterise a tensor-core path's accumulation with probe dot products and print the
measured parameters as an mxref `Numerics` preset (plus the raw evidence).

Method: Fasi, Higham, Mikaitis, Pranesh (2021) and Khattak & Mikaitis (2025): dot products
built so that each answer depends on one design choice (cancelling pairs expose what was
aligned together, a small term walked down exposes the window, and so on). Every probe value
is exactly representable; expected answers are exact binary fractions (Python floats of
FP32 results are exact).

  python3 cuda/characterize.py PATH [--json OUT.json] [--evidence OUT.txt]

PATH is one of cuda/mxgpu.py's paths. Runs on the device machine (needs the GPU).
"""
import argparse
import functools
import json
import math
import sys

import ml_dtypes
import numpy as np

import mxgpu

NP = {"e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2,
      "fp16": np.float16, "bf16": ml_dtypes.bfloat16}
CODE = {"e4m3": np.uint8, "e5m2": np.uint8, "fp16": np.uint16, "bf16": np.uint16,
        "tf32": np.uint32}
# Products per instruction by input format.
KSTEP = {"e4m3": 32, "e5m2": 32, "fp16": 16, "bf16": 16, "tf32": 8}


def code(fmt, v):
    """Code of an exactly representable value (refuses anything inexact)."""
    if fmt == "tf32":
        # TF32's 19-bit code is the top of the FP32 pattern; its 13 low bits must be zero.
        b = int(np.array([v], dtype=np.float32).view(np.uint32)[0])
        if (float(np.float32(v)) != v and not math.isnan(v)) or b & 0x1FFF:
            raise ValueError(f"{v} is not exact in tf32")
        return b >> 13
    x = np.array([v], dtype=np.float64).astype(NP[fmt])
    if float(x[0].astype(np.float64)) != v and not math.isnan(v):
        raise ValueError(f"{v} is not exact in {fmt}")
    return int(x.view(CODE[fmt])[0])


def f32bits(v):
    return int(np.array([v], dtype=np.float32).view(np.uint32)[0])


def bits_f32(b):
    return float(np.array([b], dtype=np.uint32).view(np.float32)[0])


class Prober:
    """Packs probe dot products on the diagonal of tiles and runs them on one path."""

    def __init__(self, path, K):
        self.path, self.K = path, K
        p = path.split("-")
        if p[0] == "mma" and p[1] in ("f16", "bf16", "tf32"):
            self.fa = self.fb = "fp16" if p[1] == "f16" else p[1]
        else:
            self.fa, self.fb = p[-2], p[-1]
        self.tile = (16, 8) if p[0] in ("mma", "bw") else (64, 64)
        # Block-scaled instructions (Blackwell) are probed with unit scales.
        self.scaled = p[0] == "bw"
        self.diag = min(self.tile)
        self.cublas = p[0] == "cublas"

    @functools.lru_cache(maxsize=None)
    def split(self, v):
        """a, b codes with a * b == v exactly (v = m * 2^e, m in [1, 2) with few bits)."""
        if v == 0:
            return code(self.fa, 0.0 if math.copysign(1, v) > 0 else -0.0), code(self.fb, 0.0)
        m, e = math.frexp(abs(v))
        m, e = m * 2, e - 1
        for d in sorted(range(-30, 31), key=abs):
            ea = e // 2 + d
            try:
                return (code(self.fa, math.copysign(m * 2.0 ** ea, v)),
                        code(self.fb, 2.0 ** (e - ea)))
            except ValueError:
                continue
        raise ValueError(f"no split of {v} into {self.fa} x {self.fb}")

    def run(self, probes):
        """probes: list of (terms {k: value or (a_code, b_code)}, c_bits). Returns D bits."""
        K, (M, N), n = self.K, self.tile, self.diag
        T = (len(probes) + n - 1) // n
        wa, wb = CODE[self.fa], CODE[self.fb]
        za, zb = code(self.fa, 0.0), code(self.fb, 0.0)
        A = np.full((T, M, K), za, dtype=wa)
        B = np.full((T, N, K), zb, dtype=wb)
        C = np.zeros((T, M, N), dtype=np.uint32)
        for i, (terms, c) in enumerate(probes):
            t, r = divmod(i, n)
            for k, v in terms.items():
                a, b = v if isinstance(v, tuple) else self.split(v)
                A[t, r, k], B[t, r, k] = a, b
            C[t, r, r] = c
        if self.cublas and np.any(C):
            raise ValueError("cuBLAS path takes no C")
        if self.scaled:
            ones = (np.full((T, M, K // 32), 127, np.uint8), np.full((T, N, K // 32), 127, np.uint8))
            p = mxgpu.Problem(self.fa, self.fb, A, B, C, "e8m0", 32, *ones)
        else:
            p = mxgpu.Problem(self.fa, self.fb, A, B, C)
        D = mxgpu.run(self.path, p)
        return [int(D[i // n, i % n, i % n]) for i in range(len(probes))]

    def values(self, probes):
        return [bits_f32(b) for b in self.run(probes)]


def groups_from_probes(pr, K, X, y, log):
    """Partition 0..K-1 into alignment groups; also tell fused from separate accumulation.

    Probe (i, k, j): X at i, -X at k, y at j, C = 0, with y far below X's window. The answer is
    y only when X and -X cancel inside one group and y's group is summed on its own after it
    (or in any order, when groups are summed separately from the accumulator)."""
    probes, keys = [], []
    for i in range(K):
        for k in range(i + 1, K):
            for j in range(K):
                if j not in (i, k):
                    probes.append(({i: X, k: -X, j: y}, 0))
                    keys.append((i, k, j))
    res = pr.values(probes)
    parent = list(range(K))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    later = set()
    for (i, k, j), r in zip(keys, res):
        if r != 0:
            parent[find(i)] = find(k)
            later.add((i, j))
    comps = {}
    for x in range(K):
        comps.setdefault(find(x), []).append(x)
    multi = [sorted(v) for v in comps.values() if len(v) > 1]
    rest = sorted(x for v in comps.values() if len(v) == 1 for x in v)
    groups = multi + ([rest] if rest else [])
    gid = {x: g for g, members in enumerate(groups) for x in members}
    before = {(gid[i], gid[j]) for i, j in later}
    separate = any((b, a) in before for a, b in before)
    log(f"groups ({len(groups)}): {groups}")
    log(f"group order seen (earlier -> later): {sorted(before)}; separate accumulation: {separate}")
    return groups, separate


def layout_of(groups, K):
    """Express a partition of 0..K-1 as the model's group_layout: (group size, layout, how)."""
    sizes = {len(g) for g in groups}
    if len(groups) == 1:
        return K, "contiguous", "one group"
    if len(sizes) != 1:
        return None, None, f"unequal group sizes {sorted(sizes)}"
    g = sizes.pop()
    want = sorted(sorted(m) for m in groups)
    if all(m == list(range(m[0], m[0] + g)) for m in want):
        return g, "contiguous", "contiguous"
    ways = len(groups)
    # Interleaved: within each span, product i goes to group (i / chunk) % ways.
    for chunk in range(1, K // ways + 1):
        for span in range(ways * chunk, K + 1, ways * chunk):
            if K % span:
                continue
            parts = {}
            for x in range(K):
                parts.setdefault((x // span, (x % span) // chunk % ways), []).append(x)
            # Groups of the same index in successive spans are successive groups.
            if sorted(parts.values()) == want:
                layout = {"interleaved": {"ways": ways, "span": span, "chunk": chunk}}
                return span // ways, layout, "interleaved"
    return g, None, "neither contiguous nor interleaved: " + str(groups)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--json")
    ap.add_argument("--evidence")
    ap.add_argument("--promote-k", type=int, default=0,
                    help="also probe promotion to FP32 along a K this long (library paths)")
    args = ap.parse_args()
    out = []

    def log(s):
        out.append(s)
        print(s, flush=True)

    path = args.path
    pr = Prober(path, 32)
    K = pr.K = KSTEP[pr.fa]
    if path.startswith("wgmma") and pr.fa == "tf32":
        K = pr.K = 16  # Triton's smallest tl.dot: two chained wgmma k8 (group detection sees 2)
    log(f"# characterize {path}: {mxgpu.info()}")
    X = 2.0 ** 16
    # 1. Layout: a single product anywhere comes back exactly.
    single = [({k: v}, 0) for k in range(K) for v in (1.0, -0.5, 3.0)]
    got = pr.values(single)
    bad = [(p[0], g) for p, g in zip(single, got) if list(p[0].values())[0] != g]
    log(f"single products exact: {not bad} {bad[:4]}")
    if bad:
        sys.exit("fragment layout or product exactness broken; stopping")

    # 2. Groups.
    groups, separate = groups_from_probes(pr, K, X, 2.0 ** -12, log)
    g, layout, how = layout_of(groups, K)
    log(f"group size {g}, layout {layout} ({how})")
    g0 = groups[0]
    i, k, m = g0[0], g0[1], g0[2]

    # 3. Window and alignment reference: {Y, -Y, 2^-j}, Y with nominal exponent 16 but
    # leading exponent 16 or 17; the smallest kept 2^-j tells where the window ends.
    def smallest_kept(Yab):
        probes = [({i: Yab[0], k: Yab[1], m: 2.0 ** (16 - j)}, 0) for j in range(0, 31)]
        got = pr.values(probes)
        kept = [j for j, r in zip(range(0, 31), got) if r == 2.0 ** (16 - j)]
        return max(kept) if kept else None

    def pair(ma, mb, sign):
        a = code(pr.fa, sign * ma * 256.0)
        b = code(pr.fb, mb * 256.0)
        return (a, b)

    w1 = smallest_kept((pair(1, 1, 1), pair(1, 1, -1)))
    w225 = smallest_kept((pair(1.5, 1.5, 1), pair(1.5, 1.5, -1)))
    w306 = smallest_kept((pair(1.75, 1.75, 1), pair(1.75, 1.75, -1)))
    log(f"window: 2^(16-j) kept up to j = {w1} (Y = 2^16), {w225} (Y = 2.25 * 2^16), "
        f"{w306} (Y = 3.0625 * 2^16)")
    align = "nominal" if w1 == w225 == w306 else ("leading" if w225 == w306 == w1 - 1 else "?")
    window = w1
    log(f"align {align}, window_bits {window}")

    # 3b. Which exponent a subnormal input aligns by: {P, -P, 2^(lead(P) - w)} with
    # P = (smallest subnormal of A) x 2^e. With the format's emin (the FP8 exponent field) the
    # window ends higher and the small term is lost; with the subnormal's own leading one (as
    # after conversion to a wider format where it is normal) it is kept.
    sub_align = "not observable"
    if pr.fa == "tf32":
        a_sub = 2.0 ** -136
    else:
        a_sub = float(np.array([1], dtype=CODE[pr.fa]).view(NP[pr.fa]).astype(np.float64)[0])
    for eb in range(15, -1, -1):
        try:
            bb = code(pr.fb, 2.0 ** eb)
            P = a_sub * 2.0 ** eb
            yv = 2.0 ** (math.floor(math.log2(P)) - window)
            ya, yb = pr.split(yv)
            break
        except ValueError:
            continue
    else:
        bb = None
    if bb is not None:
        neg1 = code(pr.fa, -a_sub)
        got = pr.values([({i: (1, bb), k: (neg1, bb), m: (ya, yb)}, 0)])[0]
        sub_align = "normalised" if got == yv else "emin" if got == 0 else f"? {got}"
        log(f"subnormal alignment: P = {P}, -P, {yv} -> {got}: {sub_align}")
    else:
        log("subnormal alignment: not observable for these formats and window")

    # 4. Shifted-out bits: {X, -X, f * u} with u the window's last bit (exponent 16 - w).
    u = 2.0 ** (16 - window)
    fs = [0.5, 0.75, 1.25, 1.5, -0.5, -0.75, -1.25, -1.5]
    got = pr.values([({i: X, k: -X, m: f * u}, 0) for f in fs])
    cand = {
        "truncate": [math.trunc(f) * u for f in fs],
        "floor": [math.floor(f) * u for f in fs],
        "rne": [round(f) * u for f in fs],
    }
    log(f"shifted out: f = {fs} -> {[r / u for r in got]} (in units of u)")
    shifted = [n for n, c in cand.items() if c == got]
    if not shifted and all((r / u) in (math.trunc(f), math.trunc(f) + math.copysign(0.5, f))
                           for f, r in zip(fs, got)):
        shifted = ["sticky"]
    log(f"shifted_out candidates matching: {shifted}")

    # 5. Precision kept in the result and its rounding: {X, X, 2^(16-j)}, j <= window.
    probes = [({i: X, k: X, m: 2.0 ** (16 - j)}, 0) for j in range(1, window + 1)]
    got = pr.values(probes)
    kept = [j for j, r in zip(range(1, window + 1), got) if r == 2 * X + 2.0 ** (16 - j)]
    p = max(kept) + 1 if kept else None
    log(f"result keeps 2^(17-p) with p = {p} fraction bits (sum 2^17 + 2^(16-j) exact up to j = {p and p - 1})")
    rounding = "?"
    if p is not None:
        ulp = 2.0 ** (17 - p)
        fs = [0.5, 1.5, 2.5, 0.75] if ulp * 0.25 >= u else [0.5, 1.5, 2.5]
        probes, expect = [], {"rz": [], "rne": [], "rna": [], "up": [], "down": []}
        for s in (1, -1):
            for f in fs:
                probes.append(({i: s * X, k: s * X, m: s * f * ulp}, 0))
                for name, fn in (("rz", math.trunc), ("rne", round),
                                 ("rna", lambda x: math.floor(abs(x) + 0.5) * (1 if x > 0 else -1)),
                                 ("up", math.ceil), ("down", math.floor)):
                    expect[name].append(s * 2 * X + fn(s * f) * ulp)
        got = pr.values(probes)
        rounding = [n for n, e in expect.items() if e == got]
        log(f"rounding of the group sum: {rounding} (got {got})")
        rounding = rounding[0] if len(rounding) == 1 else "?"

    # 6. How C enters. (a) C tiny beside cancelling products: kept only if C is added apart
    # from the alignment. (b) C = X cancelling a product with y below the window.
    cs = [2.0 ** (16 - window - 4), 1.0]
    res = {}
    if not pr.cublas:
        got = pr.values([({i: X, k: -X}, f32bits(c)) for c in cs])
        res["c_tiny"] = got
        got2 = pr.values([({i: -X, m: 2.0 ** (16 - window - 4)}, f32bits(X))])
        res["c_cancel"] = got2
        log(f"C entry: C={cs} with X-X -> {got}; C=X, -X + 2^{16 - window - 4} -> {got2}")
        c_entry = "end" if got[0] == cs[0] else "accumulator"
        # Rounding of the final C addition, seen when C enters at the end: C = 2^16 plus
        # products summing to 0.75 of its ulp (2^-7).
        got3 = pr.values([({i: 2.0 ** -8, k: 2.0 ** -9}, f32bits(X)),
                          ({i: -(2.0 ** -8), k: -(2.0 ** -9)}, f32bits(-X))])
        log(f"C = 2^16 plus products 3 * 2^-9 -> {got3} (RNE gives 2^16 + 2^-7, RZ 2^16)")
        c_round = ("rne" if got3[0] == X + 2.0 ** -7 else "rz" if got3[0] == X else "?")
    else:
        c_entry, c_round = "accumulator", rounding
    log(f"c_entry {c_entry}; final rounding after C {c_round}")

    # 7. Subnormals, zeros, specials.
    sub_a = (1, code(pr.fb, 1.0))
    probes = [({i: sub_a}, 0)]
    specials = {}
    if not pr.cublas:
        probes += [({}, f32bits(2.0 ** -140)), ({i: 2.0 ** -12}, f32bits(-(2.0 ** -140))),
                   ({i: (code(pr.fa, -0.0), code(pr.fb, 1.0))}, 0x80000000),
                   ({i: 1.0, k: -1.0}, 0x80000000),
                   ({}, 0x7FC12345), ({}, 0xFFC00001), ({}, 0x7F800000),
                   ({}, f32bits(-(2.0 ** -140))),
                   ({i: (code(pr.fa, -0.0), code(pr.fb, 1.0))}, 0),
                   ({i: (code(pr.fa, 0.0), code(pr.fb, 1.0))}, 0x80000000),
                   ({}, 0x007FFFFF)]
    got = pr.run(probes)
    log(f"subnormal input x 1 -> {got[0]:#010x}")
    names = ["C=2^-140 alone", "2^-12 + C=-2^-140", "-0*1 + C=-0", "1-1 + C=-0", "C=NaN 0x7fc12345",
             "C=NaN 0xffc00001", "C=+Inf", "C=-2^-140 alone", "-0*1 + C=+0", "+0*1 + C=-0", "C=max subnormal alone"]
    for nm, x in zip(names, got[1:]):
        log(f"  {nm} -> {x:#010x}")
        specials[nm] = f"{x:#010x}"
    specials["subnormal_input_kept"] = bits_f32(got[0]) != 0
    nan_a = {"e4m3": 0x7F, "e5m2": 0x7F, "fp16": 0x7E00, "bf16": 0x7FC0, "tf32": 0x3FE00}[pr.fa]
    nan_probes = [({i: (nan_a, code(pr.fb, 1.0))}, 0)]
    infs = {"e5m2": 0x7C, "fp16": 0x7C00, "bf16": 0x7F80, "tf32": 0x3FC00}
    if pr.fa in infs and pr.fb in infs:
        inf_a, inf_b = infs[pr.fa], infs[pr.fb]
        nan_probes += [({i: (inf_a, code(pr.fb, 1.0))}, 0),
                       ({i: (inf_a, code(pr.fb, 0.0))}, 0),
                       ({i: (inf_a, code(pr.fb, 1.0)), k: (inf_a, code(pr.fb, -1.0))}, 0),
                       ({i: (inf_a, inf_b)}, 0)]
    got = pr.run(nan_probes)
    log(f"NaN x 1 -> {got[0]:#010x}; Inf cases (Inf*1, Inf*0, Inf-Inf, Inf*Inf): {[hex(x) for x in got[1:]]}")
    nan_bits = got[0]

    # 8. Promotion interval of a library path: X at 0, 2^-4 at j, -X at the end.
    promote = None
    if args.promote_k:
        KP = args.promote_k
        pp = Prober(path, KP)
        js = list(range(1, KP - 1))
        got = pp.values([({0: X, j: 2.0 ** -4, KP - 1: -X}, 0) for j in js])
        kept = [j for j, r in zip(js, got) if r != 0]
        log(f"promotion probe K={KP}: 2^-4 survives at positions {kept[:3]}..{kept[-3:] if kept else ''} "
            f"({len(kept)} of {len(js)})")
        if kept:
            # Rounding of the FP32 promotion add: 2^16 in the first interval, 3 * 2^-9
            # (0.75 of 2^16's ulp) in the second.
            e = kept[0]
            got = pp.values([({0: s * X, e: s * 2.0 ** -8, e + 1: s * 2.0 ** -9}, 0) for s in (1, -1)])
            pround = {X + 2.0 ** -7: "rne", X: "rz"}.get(got[0], "?")
            if pround == "rz" and got[1] == -X - 2.0 ** -7:
                pround = "down"
            log(f"promotion add: 2^16 + 3 * 2^-9 -> {got} ({pround})")
            promote = {"every": e, "round": pround}

    # The largest FP32 subnormal as C alone comes back as zero when subnormal results are
    # flushed (2^-140 alone is no test: it lies below an E8M13 result's last bit).
    keep_sub = specials.get("C=max subnormal alone", "0x007fffff") != "0x00000000"
    preset = {
        "name": f"hopper-{path}",
        "description": f"{path} on Hopper as measured by cuda/characterize.py",
        "source": "measured on " + mxgpu.info()["gpu"] + ", cuda/characterize.py (spec/gpu.md)",
        "group": g if g is not None else -1,
        "group_layout": layout if layout is not None else f"NOT EXPRESSIBLE: {how}",
        "align": align,
        "window_bits": window,
        "shifted_out": shifted[0] if len(shifted) == 1 else f"? {shifted}",
        "scale": "product",
        "accumulate": "separate" if separate else "fused",
        "c_entry": c_entry,
        # A result cut below FP32 (E8M13) is also what the next chained instruction adds onto.
        "acc": {"man_bits": p if p and p <= window and p < 23 else 23, "exp_bits": 8,
                "round": rounding, "subnormals": keep_sub},
        "promote": promote,
        # p == window + 1 only says "more than the window": take FP32's 23 then.
        # With promotion the result is the FP32 outer sum.
        "output": {"man_bits": p if p and p <= window and p < 23 and not promote else 23, "exp_bits": 8,
                   "round": c_round if c_entry == "end" else rounding, "subnormals": keep_sub},
        "flush_subnormal_inputs": not specials["subnormal_input_kept"],

        "nan_bits": f"{nan_bits:#010x}",
    }
    # What the Numerics description has no parameter for yet (spec/gpu.md, "Open").
    findings = {
        "subnormal_alignment": sub_align,
        # IEEE gives -0 for (-0 * 1) + (-0); these units return +0 for every zero result.
        "zero_sign": "ieee" if specials.get("-0*1 + C=-0") == "0x80000000" else "positive",
    }
    log("findings: " + json.dumps(findings))
    log(json.dumps(preset, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(preset, f, indent=2)
            f.write("\n")
    if args.evidence:
        with open(args.evidence, "w") as f:
            f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
