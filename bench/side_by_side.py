#!/usr/bin/env python3
"""mxref throughput, side by side with what users would otherwise run, on the same inputs.

Run through bench/run.sh (builds the binaries, makes bench/.venv). Writes
docs/benchmarks/results.json, docs/benchmarks/results.md (tables) and
docs/benchmarks/throughput_vs_k.png.

Method: the machine may be loaded, so contenders are interleaved (round r runs every contender
once, in the same order) and each figure is the median over rounds of the median over timed
passes. Every contender is single-threaded (numpy einsum is; torch is pinned to one thread).
The Rust figures come from model/examples/mxbench.rs (the library, no JSON); the CLI is
timed end to end separately.

Correctness rides along: the model's D must equal a Python exact-rational reference on every
dot it checks (the run stops otherwise); the numpy float64 result rounded to FP32 is compared
with it too and its mismatches are counted (float64 is the speed ceiling, not exact).
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUTDIR = ROOT / "docs" / "benchmarks"
MXBENCH = ROOT / "target" / "release" / "examples" / "mxbench"
MXREF = ROOT / "target" / "release" / "mxref"

# Element formats as ml_dtypes knows them (the independent decoder used by numpy and Fractions).
ML = {
    "e4m3": ml_dtypes.float8_e4m3fn,
    "e5m2": ml_dtypes.float8_e5m2,
    "e2m3": ml_dtypes.float6_e2m3fn,
    "e3m2": ml_dtypes.float6_e3m2fn,
    "e2m1": ml_dtypes.float4_e2m1fn,
    "int8": np.int8,
}
BITS = {"e4m3": 8, "e5m2": 8, "e2m3": 6, "e3m2": 6, "e2m1": 4, "int8": 8}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load():
    return os.getloadavg()


def value_table(fmt):
    """float64 value of every code of `fmt` (NaN for NaN/Inf codes), from ml_dtypes."""
    codes = np.arange(1 << BITS[fmt], dtype=np.uint8)
    v = codes.view(ML[fmt]).astype(np.float64)
    if fmt == "int8":
        v /= 64.0  # OCP MX INT8: two's complement with an implicit scale of 2^-6
    v[~np.isfinite(v)] = np.nan
    return v


def finite_codes(fmt):
    return np.flatnonzero(np.isfinite(value_table(fmt))).astype(np.uint8)


def make_dots(rng, fa, fb, blocks, dots):
    k = 32 * blocks
    a = rng.choice(finite_codes(fa), size=(dots, k))
    b = rng.choice(finite_codes(fb), size=(dots, k))
    sa = (112 + rng.integers(0, 30, size=(dots, blocks))).astype(np.uint8)
    sb = (112 + rng.integers(0, 30, size=(dots, blocks))).astype(np.uint8)
    return a, b, sa, sb


def write_dots(d, a, b, sa, sb):
    d.mkdir(parents=True, exist_ok=True)
    for name, arr in (("a", a), ("b", b), ("sa", sa), ("sb", sb)):
        np.ascontiguousarray(arr, dtype=np.uint8).tofile(d / f"{name}.u8")


def decode_scaled(fmt, codes, scales):
    """float64 operand values with their block scale applied (exact: powers of two)."""
    v = value_table(fmt)[codes]
    s = np.exp2(scales.astype(np.float64) - 127.0)
    return (v.reshape(v.shape[0], -1, 32) * s[:, :, None]).reshape(v.shape)


def median_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


# --- the exact-rational reference a verification engineer would write --------------------

def f32_bits_of(q: Fraction) -> int:
    """Round an exact rational to FP32 (RNE, subnormals, overflow to Inf); +0 for 0."""
    if q == 0:
        return 0
    sign = 0x80000000 if q < 0 else 0
    q = abs(q)
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1  # now 2^e <= q < 2^(e+1)
    e = max(e, -126)
    sh = 23 - e
    num, den = (n << sh, d) if sh >= 0 else (n, d << -sh)
    m, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and m & 1):
        m += 1
    if m == 1 << 24:
        m >>= 1
        e += 1
    if e > 127:
        return sign | 0x7F800000
    if m < 1 << 23:  # subnormal (e == -126)
        return sign | m
    return sign | ((e + 127) << 23) | (m - (1 << 23))


def fraction_dots(fa, fb, a, b, sa, sb):
    ta = [Fraction(float(x)) if np.isfinite(x) else None for x in value_table(fa)]
    tb = [Fraction(float(x)) if np.isfinite(x) else None for x in value_table(fb)]
    out = []
    for i in range(a.shape[0]):
        acc = Fraction(0)
        for blk in range(sa.shape[1]):
            s = Fraction(2) ** (int(sa[i, blk]) + int(sb[i, blk]) - 254)
            lo = blk * 32
            part = sum((ta[a[i, j]] * tb[b[i, j]] for j in range(lo, lo + 32)), Fraction(0))
            acc += part * s
        out.append(f32_bits_of(acc))
    return np.array(out, dtype=np.uint32)


def same_f32(x, y):
    """Bit equality, except that +0 and -0 count as equal (a rational has no -0)."""
    x = np.asarray(x, np.uint32)
    y = np.asarray(y, np.uint32)
    zero = ((x & 0x7FFFFFFF) == 0) & ((y & 0x7FFFFFFF) == 0)
    return (x == y) | zero


# --- contenders ------------------------------------------------------------------------

def rust_dot(preset, fa, fb, blocks, d, reps, out=None):
    cmd = [str(MXBENCH), "dot", preset, fa, fb, str(blocks), str(d), str(reps)]
    if out:
        cmd.append(str(out))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def dot_side_by_side(rng, tmp, fa, fb, blocks, dots, rounds, n_frac, presets=("exact",)):
    """One format pair and length: Rust presets, numpy einsum (prepared and from codes),
    Fractions. Returns {contender: dots/s} and agreement counts."""
    a, b, sa, sb = make_dots(rng, fa, fb, blocks, dots)
    d = tmp / f"dot-{fa}-{fb}-{blocks}"
    write_dots(d, a, b, sa, sb)
    A = decode_scaled(fa, a, sa)
    B = decode_scaled(fb, b, sb)
    ta, tb = value_table(fa), value_table(fb)

    def from_codes():
        x = decode_scaled(fa, a, sa)
        y = decode_scaled(fb, b, sb)
        return np.einsum("nk,nk->n", x, y)

    del ta, tb
    fa_sub = slice(0, n_frac)
    res = {f"rust-{p}": [] for p in presets}
    res.update({"numpy-einsum": [], "numpy-vecdot": [], "numpy-from-codes": [], "fractions": []})
    for r in range(rounds):
        for p in presets:
            j = rust_dot(p, fa, fb, blocks, d, 5, d / f"d-{p}.u32" if r == 0 else None)
            res[f"rust-{p}"].append(j["dots_per_s"])
        t = median_time(lambda: np.einsum("nk,nk->n", A, B), 5)
        res["numpy-einsum"].append(dots / t)
        t = median_time(lambda: np.vecdot(A, B), 5)
        res["numpy-vecdot"].append(dots / t)
        t = median_time(from_codes, 3)
        res["numpy-from-codes"].append(dots / t)
        t0 = time.perf_counter()
        ref = fraction_dots(fa, fb, a[fa_sub], b[fa_sub], sa[fa_sub], sb[fa_sub])
        res["fractions"].append(n_frac / (time.perf_counter() - t0))
    rates = {k: statistics.median(v) for k, v in res.items()}
    # Ratios taken within each round (the contenders ran back to back), then the median: less
    # exposed to load that changes between rounds than a ratio of medians.
    best = [max(x, y) for x, y in zip(res["numpy-einsum"], res["numpy-vecdot"])]
    rates["ratio_vs_best_numpy"] = statistics.median(r / b for r, b in zip(res[f"rust-{presets[0]}"], best))
    rates["ratio_vs_einsum"] = statistics.median(r / b for r, b in zip(res[f"rust-{presets[0]}"], res["numpy-einsum"]))
    rates["rounds"] = {k: v for k, v in res.items()}
    # Agreement on the dots the rational reference computed.
    dex = np.fromfile(d / "d-exact.u32", dtype=np.uint32) if "exact" in presets else None
    agree = {}
    if dex is not None:
        ok = same_f32(dex[:n_frac], ref)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise SystemExit(f"exact dot {fa}x{fb} blocks={blocks} dot {i}: model "
                             f"0x{dex[i]:08x}, Fractions 0x{ref[i]:08x}")
        agree["exact_vs_fractions"] = f"{n_frac}/{n_frac}"
        np32 = np.einsum("nk,nk->n", A[:n_frac], B[:n_frac]).astype(np.float32).view(np.uint32)
        agree["numpy_f32_mismatches"] = int((~same_f32(np32, ref)).sum())
        agree["checked"] = n_frac
    return rates, agree


def cancellation(tmp):
    """A dot where float64 loses the answer: 2^30 + 2^-30 - 2^30 over three e4m3 blocks
    (element 1.0, scales 2^15, 2^-15, 2^15 on both sides). Exact: 2^-30."""
    a = np.zeros((1, 96), np.uint8)
    b = np.zeros((1, 96), np.uint8)
    a[0, 0], a[0, 32], a[0, 64] = 0x38, 0x38, 0xB8  # 1.0, 1.0, -1.0
    b[0, 0], b[0, 32], b[0, 64] = 0x38, 0x38, 0x38
    sc = np.array([[142, 112, 142]], np.uint8)
    d = tmp / "cancel"
    write_dots(d, a, b, sc, sc)
    rust_dot("exact", "e4m3", "e4m3", 3, d, 1, d / "d.u32")
    model = int(np.fromfile(d / "d.u32", dtype=np.uint32)[0])
    ref = int(fraction_dots("e4m3", "e4m3", a, b, sc, sc)[0])
    f64 = np.einsum("nk,nk->n", decode_scaled("e4m3", a, sc), decode_scaled("e4m3", b, sc))
    npb = int(f64.astype(np.float32).view(np.uint32)[0])
    if model != ref:
        raise SystemExit(f"cancellation: model 0x{model:08x}, Fractions 0x{ref:08x}")
    return {"mxref_exact": f"0x{model:08x}", "fractions": f"0x{ref:08x}", "numpy_f64_to_f32": f"0x{npb:08x}"}


def quant_inputs(rng, n):
    """FP32 inputs: Gaussian values, each 32-block scaled by its own power of two in
    2^-20..2^20, so blocks have different scales (as activations do)."""
    x = rng.standard_normal(n).astype(np.float32).reshape(-1, 32)
    x *= np.exp2(rng.integers(-20, 21, size=(x.shape[0], 1))).astype(np.float32)
    return x.reshape(-1)


def np_block_floor(x, elem, emax, maxv):
    """The block quantizer a user writes with numpy + ml_dtypes (OCP floor rule)."""
    xb = x.reshape(-1, 32)
    amax = np.abs(xb).max(axis=1)
    e = ((amax.view(np.uint32) >> 23) & 0xFF).astype(np.int32) - 127
    se = np.clip(e - emax, -127, 127)
    y = xb * np.exp2(-se).astype(np.float32)[:, None]
    return (se + 127).astype(np.uint8), np.clip(y, -maxv, maxv).astype(elem)


def rust_quant(rule, elem, sfmt, block, rnd, xpath, reps, out=None):
    cmd = [str(MXBENCH), "quant", rule, elem, sfmt, str(block), rnd, str(xpath), str(reps)]
    if out:
        cmd.append(str(out))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def quant_side_by_side(rng, tmp, n, rounds, torch_mod):
    x = quant_inputs(rng, n)
    xpath = tmp / "x.f32"
    x.view(np.uint32).tofile(xpath)
    rules = [("floor", "e4m3", "e8m0", 32, "rne"), ("ceil", "e4m3", "e8m0", 32, "rne"),
             ("rceil", "e4m3", "e8m0", 32, "rne"), ("floor", "e4m3", "e8m0", 32, "stochastic"),
             ("floor", "e2m1", "e8m0", 32, "rne"), ("nvfp4", "e2m1", "ue4m3", 16, "rne")]
    res = {}
    to_mx = mode = None
    if torch_mod is not None:
        from torchao.prototype.mx_formats.mx_tensor import to_mx
        from torchao.prototype.mx_formats.config import ScaleCalculationMode as mode
        xt = torch_mod.from_numpy(x)
    for r in range(rounds):
        for spec in rules:
            j = rust_quant(*spec, xpath, 5, tmp / "q-floor.u8" if r == 0 and spec == rules[0] else None)
            res.setdefault("rust " + "/".join(map(str, spec)), []).append(j["elements_per_s"])
        t = median_time(lambda: x.astype(ml_dtypes.float8_e4m3fn), 5)
        res.setdefault("ml_dtypes cast e4m3 (no scale)", []).append(n / t)
        t = median_time(lambda: x.astype(ml_dtypes.float4_e2m1fn), 5)
        res.setdefault("ml_dtypes cast e2m1 (no scale)", []).append(n / t)
        t = median_time(lambda: np_block_floor(x, ml_dtypes.float8_e4m3fn, 8, 448.0), 5)
        res.setdefault("numpy+ml_dtypes block floor e4m3", []).append(n / t)
        if to_mx is not None:
            for m in ("FLOOR", "CEIL", "RCEIL"):
                t = median_time(lambda: to_mx(xt, torch_mod.float8_e4m3fn, 32, getattr(mode, m)), 5)
                res.setdefault(f"torchao to_mx e4m3 {m.lower()}", []).append(n / t)
            t = median_time(lambda: to_mx(xt, torch_mod.float4_e2m1fn_x2, 32, mode.FLOOR), 3)
            res.setdefault("torchao to_mx e2m1 floor", []).append(n / t)
    rates = {k: statistics.median(v) for k, v in res.items()}
    cast = res["ml_dtypes cast e4m3 (no scale)"]
    ratios = {k: statistics.median(x / c for x, c in zip(v, cast)) for k, v in res.items()}
    # Agreement of the floor rule's codes with the numpy+ml_dtypes and torchao versions.
    q = np.fromfile(tmp / "q-floor.u8", dtype=np.uint8)
    ns = n // 32
    sc, codes = q[:ns], q[ns:]
    agree = {}
    s_np, c_np = np_block_floor(x, ml_dtypes.float8_e4m3fn, 8, 448.0)
    agree["numpy_block_floor: scale mismatches"] = int((s_np != sc).sum())
    agree["numpy_block_floor: code mismatches"] = int((c_np.reshape(-1).view(np.uint8) != codes).sum())
    if to_mx is not None:
        s_t, c_t = to_mx(xt, torch_mod.float8_e4m3fn, 32, mode.FLOOR)
        s_t = s_t.view(torch_mod.uint8).numpy().reshape(-1)
        c_t = c_t.view(torch_mod.uint8).numpy().reshape(-1)
        agree["torchao floor: scale mismatches"] = int((s_t != sc).sum())
        agree["torchao floor: code mismatches"] = int((c_t != codes).sum())
    agree["elements"] = n
    return rates, ratios, agree


def cli_quant(tmp, n, rounds):
    """`mxref quantize` end to end: JSON Lines file in, file out (1024 elements a line)."""
    rng = np.random.default_rng(5)
    x = quant_inputs(rng, n).view(np.uint32).reshape(-1, 1024)
    inp = tmp / "cli-q.jsonl"
    with open(inp, "w") as f:
        for row in x:
            f.write(json.dumps({"elem": "e4m3", "scale_fmt": "e8m0", "block": 32,
                                "scale_rule": "floor", "round": "rne",
                                "x": [f"0x{v:08x}" for v in row]}) + "\n")
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([str(MXREF), "quantize", "--input", str(inp), "--output",
                        str(tmp / "cli-q.out")], check=True)
        ts.append(time.perf_counter() - t0)
    return n / statistics.median(ts)


def cli_dot(tmp, dots, rounds):
    """`mxref dot` end to end, exact numerics, e4m3 x e4m3, one block a dot."""
    rng = np.random.default_rng(6)
    a, b, sa, sb = make_dots(rng, "e4m3", "e4m3", 1, dots)
    inp = tmp / "cli-d.jsonl"
    with open(inp, "w") as f:
        for i in range(dots):
            f.write(json.dumps({"a_fmt": "e4m3", "b_fmt": "e4m3", "a": a[i].tolist(),
                                "b": b[i].tolist(), "sa": sa[i].tolist(),
                                "sb": sb[i].tolist()}) + "\n")
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([str(MXREF), "dot", "--input", str(inp), "--output",
                        str(tmp / "cli-d.out")], check=True)
        ts.append(time.perf_counter() - t0)
    return dots / statistics.median(ts)


def cli_gen(tmp, count, rounds):
    """`mxref gen` end to end to disk: the dot-random suite (every preset) and the full
    standard set; vectors/s counts the vectors mxref reports writing."""
    out = {}
    for name, extra in (("dot-random", ["--suite", "dot-random", "--count", str(count)]),
                        ("all suites (standard)", [])):
        ts, nvec, size = [], 0, 0
        for _ in range(rounds):
            d = tmp / "gen"
            shutil.rmtree(d, ignore_errors=True)
            t0 = time.perf_counter()
            r = subprocess.run([str(MXREF), "gen", "--out", str(d)] + extra,
                               capture_output=True, text=True, check=True)
            ts.append(time.perf_counter() - t0)
            nvec = sum(int(m) for m in re.findall(r": (\d+) vectors in", r.stderr + r.stdout))
            size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
        t = statistics.median(ts)
        out[name] = {"vectors": nvec, "bytes": size, "sec": t, "vectors_per_s": nvec / t,
                     "MB_per_s": size / t / 1e6}
    return out


def cycle_model(rounds):
    res = {}
    for r in range(rounds):
        for per in (1, 4):
            cmd = [str(MXBENCH), "cycle", "e4m3", "e4m3", str(per), "200000", "5"]
            j = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            res.setdefault(f"{per} beat(s) a dot", []).append(j["beats_per_s"])
    return {k: statistics.median(v) for k, v in res.items()}


# --- RTL ------------------------------------------------------------------------------

def rtl_bench(tmp, cycles, cocotb_cycles):
    """Verilator: the fast C++ harness and cocotb, in a private copy of rtl/ and cocotb/ (so
    as not to share a build directory with anyone). Needs .venv-rtl (ci/steps/40-rtl.sh)."""
    vpy = ROOT / ".venv-rtl" / "bin" / "python"
    if not vpy.exists():
        return {"skipped": ".venv-rtl missing (run ci/steps/40-rtl.sh once)"}
    w = tmp / "rtlcopy"
    shutil.copytree(ROOT / "rtl", w / "rtl")
    shutil.copytree(ROOT / "cocotb", w / "cocotb", ignore=shutil.ignore_patterns("sim_build"))
    vroot = subprocess.run([str(vpy), "-c", "import os, verilator; print(os.path.dirname(verilator.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, VERILATOR_ROOT=vroot, PATH=f"{vroot}/bin:" + os.environ["PATH"],
               MXREF_BIN=str(MXREF))
    srcs = [f"rtl/{f}" for f in ("mx_pkg.sv", "mx_dot_mul.sv", "mx_dot_align.sv", "mx_dot_add.sv",
                                 "mx_dot_acc.sv", "mx_dot_round.sv", "mx_dot.sv")]
    out = {}
    subprocess.run(["verilator", "--cc", "--exe", "--build", "-j", "2", "-O3", "--x-assign", "fast",
                    "--x-initial", "fast", "-Wno-fatal", "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
                    "-Mdir", "obj", "--top-module", "mx_dot", *srcs, "cocotb/fast/harness.cpp",
                    "-o", "harness"], cwd=w, env=env, check=True, capture_output=True)
    vec = w / "fast.vec"
    subprocess.run([str(MXREF), "sim", "--random", str(cycles), "--seed", "1", "--mixed", "--quiet",
                    "--vectors", str(vec)], check=True)
    r = subprocess.run([str(w / "obj" / "harness"), str(vec)], capture_output=True, text=True, check=True)
    m = re.search(r"harness: (\d+) cycles, (\d+) beats, (\d+) dot products checked, (\d+) mismatches, "
                  r"([\d.]+) s", r.stdout)
    cyc, beats, dots, mism, sec = int(m[1]), int(m[2]), int(m[3]), int(m[4]), float(m[5])
    out["fast harness"] = {"cycles": cyc, "dots": dots, "mismatches": mism, "sec": sec,
                           "cycles_per_s": cyc / sec, "dots_per_s": dots / sec}
    t0 = time.perf_counter()
    r = subprocess.run([str(vpy), "cocotb/run.py", "--random", str(cocotb_cycles), "--seed", "1",
                        "--suites"], cwd=w, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    text = r.stdout + r.stderr
    m = re.search(r"cocotb/run.py: ([\d.]+) s; random/vector-file cycles: (\d+)", text)
    d = re.search(r"(\d+) cycles, (\d+) beats, (\d+) dot products, (\d+) mismatches", text)
    if r.returncode or not m or not d:
        out["cocotb"] = {"error": text[-2000:]}
    else:
        sec, cyc = float(m[1]), int(m[2])
        out["cocotb"] = {"cycles": cyc, "dots": int(d[3]), "mismatches": int(d[4]), "sec": sec,
                         "wall_with_build": wall, "cycles_per_s": cyc / sec, "dots_per_s": int(d[3]) / sec}
    return out


# --- report ---------------------------------------------------------------------------

def fmt_rate(x):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g} {unit}"
    return f"{x:.3g}"


def machine():
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    keep = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "L1d cache", "L2 cache",
            "L3 cache", "Hypervisor vendor", "CPU max MHz", "BogoMIPS")
    lines = [l for l in lscpu.splitlines() if l.split(":")[0].strip() in keep]
    vers = {"python": platform.python_version(), "numpy": np.__version__,
            "ml_dtypes": ml_dtypes.__version__}
    if shutil.which("rustc"):
        vers["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True,
                                       text=True).stdout.strip()
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return {"lscpu": lines, "versions": vers, "kernel": platform.release(), "commit": git or None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--no-torch", action="store_true", help="skip torchao")
    ap.add_argument("--no-rtl", action="store_true", help="skip Verilator and cocotb")
    ap.add_argument("--out", type=Path, default=OUTDIR)
    args = ap.parse_args()
    q = args.quick
    torch_mod = None
    res = {"machine": machine(), "load": {"start": load()}, "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    if not args.no_torch:
        try:
            import torch
            import torchao
            torch.set_num_threads(1)
            torch_mod = torch
            res["machine"]["versions"].update(torch=torch.__version__, torchao=torchao.__version__)
        except Exception as e:  # recorded, not fatal: the other contenders still run
            res["torch_error"] = repr(e)
    rng = np.random.default_rng(2026)
    tmp = Path(tempfile.mkdtemp(prefix="mxref-bench-"))
    try:
        R = args.rounds
        # 1. Exact dot per format pair, 1 and 32 blocks, side by side.
        pairs = [("e4m3", "e4m3"), ("e5m2", "e5m2"), ("e2m3", "e2m3"), ("e3m2", "e3m2"),
                 ("e2m1", "e2m1"), ("int8", "int8"), ("e4m3", "e2m1")]
        res["dot_pairs"] = []
        for fa, fb in pairs:
            for blocks, dots, nf in ((1, 8192 if q else 131072, 300 if q else 2000),
                                     (32, 256 if q else 4096, 30 if q else 200)):
                log(f"dot {fa}x{fb} blocks={blocks} load={load()[0]:.2f}")
                rates, agree = dot_side_by_side(rng, tmp, fa, fb, blocks, dots, R, nf)
                res["dot_pairs"].append({"a": fa, "b": fb, "blocks": blocks, "dots": dots,
                                         "rates": rates, "agree": agree, "load": load()[0]})
        res["cancellation"] = cancellation(tmp)
        # 2. Hardware numerics.
        presets = ["exact", "rtl", "blackwell-tcgen05-mxf8f6f4", "rtxblackwell-mma-mxf8f6f4",
                   "ada-mma-fp8"] + [str(ROOT / "model" / "presets" / f"{p}.json") for p in
                                     ("hopper-wgmma-fp8", "hopper-mma-fp8", "hopper-cublas-fp8",
                                      "hopper-mxfp8-sw")]
        res["dot_presets"] = []
        for blocks, dots in ((1, 8192 if q else 131072), (32, 256 if q else 4096)):
            log(f"presets blocks={blocks} load={load()[0]:.2f}")
            a, b, sa, sb = make_dots(rng, "e4m3", "e4m3", blocks, dots)
            d = tmp / f"presets-{blocks}"
            write_dots(d, a, b, sa, sb)
            acc = {}
            for _ in range(R):
                for p in presets:
                    try:
                        acc.setdefault(p, []).append(rust_dot(p, "e4m3", "e4m3", blocks, d, 5)["dots_per_s"])
                    except RuntimeError as e:
                        acc[p] = [str(e)]
            res["dot_presets"].append({"blocks": blocks, "dots": dots, "load": load()[0],
                                       "rates": {p: (statistics.median(v) if not isinstance(v[0], str) else v[0])
                                                 for p, v in acc.items()}})
        # 3. Growth with dot length K (e4m3 x e4m3).
        res["scaling"] = []
        total = 1 << (18 if q else 21)  # elements per operand, the same at every K
        for blocks in (1, 2, 4, 8, 16, 32, 64, 128):
            dots = total // (32 * blocks)
            nf = max(4, (200 if q else 1500) // blocks)
            log(f"scaling blocks={blocks} load={load()[0]:.2f}")
            rates, agree = dot_side_by_side(rng, tmp, "e4m3", "e4m3", blocks, dots, R, nf,
                                            presets=("exact", "rtl"))
            res["scaling"].append({"blocks": blocks, "k": 32 * blocks, "dots": dots,
                                   "rates": rates, "agree": agree, "load": load()[0]})
        # 4. Quantize.
        log(f"quantize load={load()[0]:.2f}")
        n = 1 << (16 if q else 20)
        rates, ratios, agree = quant_side_by_side(rng, tmp, n, R, torch_mod)
        res["quantize"] = {"elements": n, "rates": rates, "ratio_vs_cast": ratios, "agree": agree,
                           "load": load()[0]}
        # 5. CLI end to end, gen, cycle model.
        log(f"cli load={load()[0]:.2f}")
        res["cli"] = {"quantize_elements_per_s": cli_quant(tmp, 1 << (14 if q else 18), R),
                      "dot_dots_per_s": cli_dot(tmp, 2000 if q else 50000, R), "load": load()[0]}
        res["gen"] = cli_gen(tmp, 2000 if q else 50000, R)
        res["cycle"] = cycle_model(R)
        # 6. RTL.
        if not args.no_rtl:
            log(f"rtl load={load()[0]:.2f}")
            res["rtl"] = rtl_bench(tmp, 100000 if q else 1000000, 5000 if q else 30000)
            res["rtl"]["cycle model beats/s (same machine, 1 beat a dot)"] = res["cycle"]["1 beat(s) a dot"]
        res["load"]["end"] = load()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "results.md").write_text(report(res))
    try:
        plot(res, args.out / "throughput_vs_k.png")
    except ImportError as e:  # matplotlib missing: the tables still stand
        log(f"no plot: {e}")
    log(f"wrote {args.out}/results.json, results.md, throughput_vs_k.png")


def report(res):
    L = [f"Generated by bench/side_by_side.py on {res['started']} (tree {res['machine'].get('commit')}); load average "
         f"{res['load']['start'][0]:.2f} at the start, {res['load']['end'][0]:.2f} at the end "
         f"(2 = both cores busy). Rates are per single thread.", ""]
    L += ["### Exact dot vs numpy float64 and a Fractions reference (dots/s)", "",
          "| A × B | blocks | mxref exact | numpy einsum (f64) | numpy vecdot | numpy from codes | Fractions | mxref / best numpy | mxref / Fractions | blocks/s (mxref) | numpy≠exact (f32) | load |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in res["dot_pairs"]:
        r = e["rates"]
        best = max(r["numpy-einsum"], r["numpy-vecdot"])
        ag = e["agree"]
        L.append(f"| {e['a']} × {e['b']} | {e['blocks']} | {fmt_rate(r['rust-exact'])} | "
                 f"{fmt_rate(r['numpy-einsum'])} | {fmt_rate(r['numpy-vecdot'])} | {fmt_rate(r['numpy-from-codes'])} | "
                 f"{fmt_rate(r['fractions'])} | {r['ratio_vs_best_numpy']:.2f} | {r['rust-exact'] / r['fractions']:.0f} | "
                 f"{fmt_rate(r['rust-exact'] * e['blocks'])} | {ag['numpy_f32_mismatches']}/{ag['checked']} | {e['load']:.1f} |")
    c = res["cancellation"]
    L += ["", f"Directed cancellation (2^30 + 2^-30 − 2^30 over three e4m3 blocks): mxref exact "
          f"{c['mxref_exact']}, Fractions {c['fractions']}, numpy float64 → FP32 {c['numpy_f64_to_f32']}."]
    L += ["", "### Hardware numerics, e4m3 × e4m3 (dots/s)", "",
          "| preset | " + " | ".join(f"{e['blocks']} block(s)" for e in res["dot_presets"]) + " |",
          "|---|" + "---|" * len(res["dot_presets"])]
    for p in res["dot_presets"][0]["rates"]:
        cells = []
        for e in res["dot_presets"]:
            v = e["rates"][p]
            cells.append(fmt_rate(v) if isinstance(v, float) else "n/a")
        L.append(f"| {Path(p).stem} | " + " | ".join(cells) + " |")
    L += ["", "### Growth with dot length K, e4m3 × e4m3 (blocks/s = 32-element blocks a second)", "",
          "| K | dots | mxref exact | mxref rtl | numpy einsum | Fractions | exact / einsum |",
          "|---|---|---|---|---|---|---|"]
    for e in res["scaling"]:
        r, b = e["rates"], e["blocks"]
        L.append(f"| {e['k']} | {e['dots']} | {fmt_rate(r['rust-exact'] * b)} | {fmt_rate(r['rust-rtl'] * b)} | "
                 f"{fmt_rate(r['numpy-einsum'] * b)} | {fmt_rate(r['fractions'] * b)} | "
                 f"{r['ratio_vs_einsum']:.2f} |")
    qd = res["quantize"]
    L += ["", f"### Quantize FP32 → MX ({qd['elements']} elements; elements/s)", "",
          "| contender | elements/s | vs ml_dtypes cast e4m3 (per round, median) |", "|---|---|---|"]
    for k, v in qd["rates"].items():
        L.append(f"| {k} | {fmt_rate(v)} | {qd['ratio_vs_cast'][k]:.2f} |")
    L += ["", "Agreement of the floor/e4m3/rne codes: " +
          ", ".join(f"{k} {v}" for k, v in qd["agree"].items()), ""]
    c = res["cli"]
    L += ["### End to end (CLI, files on disk)", "", "| what | rate |", "|---|---|",
          f"| `mxref quantize` (JSON Lines, floor e4m3) | {fmt_rate(c['quantize_elements_per_s'])} elements/s |",
          f"| `mxref dot` (JSON Lines, exact, 1 block) | {fmt_rate(c['dot_dots_per_s'])} dots/s |"]
    for k, g in res["gen"].items():
        L.append(f"| `mxref gen` {k}: {g['vectors']} vectors, {g['bytes'] / 1e6:.1f} MB | "
                 f"{fmt_rate(g['vectors_per_s'])} vectors/s, {g['MB_per_s']:.0f} MB/s |")
    L += ["", "### Cycle model and RTL simulation", "", "| what | cycles/s | dots checked/s |", "|---|---|---|"]
    for k, v in res["cycle"].items():
        L.append(f"| Rust cycle model (`mxref_model::cycle`), {k} | {fmt_rate(v)} | {fmt_rate(v / int(k[0]))} |")
    for k, v in res.get("rtl", {}).items():
        if isinstance(v, dict) and "cycles_per_s" in v:
            L.append(f"| Verilator, {k} ({v['cycles']} cycles, {v['mismatches']} mismatches) | "
                     f"{fmt_rate(v['cycles_per_s'])} | {fmt_rate(v['dots_per_s'])} |")
        elif isinstance(v, dict):
            L.append(f"| Verilator, {k} | failed | see results.json |")
    return "\n".join(L) + "\n"


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ks = [e["k"] for e in res["scaling"]]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, style in (("rust-exact", "mxref exact (Rust library)", "o-"),
                              ("rust-rtl", "mxref rtl numerics", "s-"),
                              ("numpy-einsum", "numpy float64 einsum (not exact)", "^--"),
                              ("numpy-from-codes", "numpy decode + einsum", "v--"),
                              ("fractions", "Python Fractions (exact)", "x:")):
        ax.plot(ks, [e["rates"][key] * e["k"] for e in res["scaling"]], style, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("dot length K (elements; 32 per block)")
    ax.set_ylabel("elements/s (one thread)")
    ax.set_title("MX dot throughput vs dot length (e4m3 × e4m3, E8M0 scales)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
