"""`mxref quantize` with the two-level `nvfp4` rule against an independent reference: exact
rationals (fractions.Fraction) for every quotient, ml_dtypes for the nearest-even cast to
UE4M3 (float8_e4m3fn, non-negative) and E2M1 (float4_e2m1fn), numpy for FP32.

A rational is cast through float64 first; that is exact-or-correctly-rounded, and a second
rounding could only differ on an exact float64 midpoint of the target, which is checked for."""
import zlib
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

from conftest import run_jsonl


def _cast_f64(f: float, dtype):
    q = np.array([f], dtype=np.float64).astype(dtype)
    return q.view(np.uint8)[0], float(q.astype(np.float64)[0])


def cast(fr: Fraction, dtype, maxv: float):
    """Round-to-nearest-even of a non-negative rational to `dtype`, saturating at maxv."""
    f = min(float(fr), maxv)  # float(fr) is correctly rounded to float64
    code, val = _cast_f64(f, dtype)
    if Fraction(f) != fr and f < maxv:
        # A second rounding can only go wrong if f is exactly a midpoint of `dtype`; then the
        # side of the exact value decides.
        lo = _cast_f64(float(np.nextafter(f, -np.inf)), dtype)
        hi = _cast_f64(float(np.nextafter(f, np.inf)), dtype)
        if lo[1] != hi[1] and f == (lo[1] + hi[1]) / 2:
            code, val = hi if fr > Fraction(f) else lo
    return code, val


def f32_nearest(fr: Fraction) -> float:
    return float(np.float32(float(fr)))


def reference(x: np.ndarray):
    vals = [Fraction(float(v)) for v in x]
    amax_t = max(abs(v) for v in vals)
    ts = 1.0 if amax_t == 0 else f32_nearest(amax_t / 2688)
    if ts == 0.0:
        ts = float(np.float32(2.0**-149))
    scales, codes = [], []
    for b in range(0, len(vals), 16):
        blk = vals[b : b + 16]
        amax = max(abs(v) for v in blk)
        if amax == 0:
            s_code, s_val = 0, 0.0
        else:
            s_code, s_val = cast(amax / (6 * Fraction(ts)), ml_dtypes.float8_e4m3fn, 448.0)
        scales.append(int(s_code))
        for v in blk:
            if s_val == 0 or v == 0:
                c = 0x8 if (v < 0 or (v == 0 and np.signbit(float(v)))) else 0
            else:
                c, _ = cast(abs(v) / (Fraction(s_val) * Fraction(ts)), ml_dtypes.float4_e2m1fn, 6.0)
                c = int(c) | (0x8 if v < 0 else 0)
            codes.append(int(c))
    return ts, scales, codes


@pytest.mark.parametrize("case", range(12))
def test_nvfp4_matches_rational_reference(case):
    rng = np.random.default_rng(zlib.crc32(f"nvfp4{case}".encode()))
    n = 16 * int(rng.integers(1, 9))
    # Blocks of very different magnitudes, so block scales spread over UE4M3's range and
    # some blocks flush to a zero scale.
    mags = np.exp2(rng.integers(-30, 30, n // 16)).repeat(16)
    x = (rng.standard_normal(n) * mags).astype(np.float32)
    x[rng.integers(0, n, 2)] = 0.0
    ts, scales, codes = reference(x)
    out = run_jsonl("quantize", [{"elem": "e2m1", "scale_rule": "nvfp4", "x": [f"0x{b:08x}" for b in x.view(np.uint32)]}])[0]
    assert out["tensor_scale"] == f"0x{np.float32(ts).view(np.uint32):08x}"
    assert out["scales"] == scales
    assert out["codes"] == codes


def test_negative_zero_keeps_its_sign():
    x = np.array([-0.0, 1.0] + [0.0] * 14, dtype=np.float32)
    out = run_jsonl("quantize", [{"elem": "e2m1", "scale_rule": "nvfp4", "x": [f"0x{b:08x}" for b in x.view(np.uint32)]}])[0]
    assert out["codes"][0] == 0x8 and out["codes"][2] == 0
