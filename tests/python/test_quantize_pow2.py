"""`mxref quantize` with the power-of-two scale rules (OCP `floor`, `ceil`, `rceil`) against an
independent numpy + ml_dtypes implementation: exponents from the FP32 bits (never float log2),
elements divided by the power-of-two scale in float64 (exact), clipped to max normal, then cast
by ml_dtypes (round to nearest even). INT8 uses numpy's rint (ties to even)."""
import zlib

import ml_dtypes
import numpy as np
import pytest

from conftest import run_jsonl

ELEMS = {
    "e4m3": (ml_dtypes.float8_e4m3fn, 448.0, 8),
    "e5m2": (ml_dtypes.float8_e5m2, 57344.0, 15),
    "e2m3": (ml_dtypes.float6_e2m3fn, 7.5, 2),
    "e3m2": (ml_dtypes.float6_e3m2fn, 28.0, 4),
    "e2m1": (ml_dtypes.float4_e2m1fn, 6.0, 2),
    "int8": (None, 127 / 64, 0),
}


def floor_log2_from_bits(a: np.ndarray) -> np.ndarray:
    """floor(log2(|a|)) for non-zero float32 values, from the exponent field."""
    bits = a.view(np.uint32) & 0x7FFFFFFF
    e = (bits >> 23).astype(np.int64)
    man = (bits & 0x7FFFFF).astype(np.int64)
    sub = e == 0
    # Subnormals: the position of the mantissa's leading one.
    lead = np.where(sub, np.floor(np.log2(np.maximum(man, 1))).astype(np.int64), 0)
    return np.where(sub, lead - 149, e - 127)


def ceil_pow2_exponent(q: np.ndarray) -> np.ndarray:
    """The exponent of the smallest power of two >= q (q > 0 float32), from the bits."""
    fl = floor_log2_from_bits(q)
    bits = q.view(np.uint32) & 0x7FFFFFFF
    is_pow2 = np.where((bits >> 23) == 0, (bits & (bits - 1)) == 0, (bits & 0x7FFFFF) == 0)
    return np.where(is_pow2, fl, fl + 1)


def scale_exponent(amax: np.ndarray, elem: str, rule: str) -> np.ndarray:
    _, maxv, emax = ELEMS[elem]
    safe = np.where(amax == 0, np.float32(1), amax).astype(np.float32)
    if rule == "floor":
        k = floor_log2_from_bits(safe) - emax
    elif rule == "ceil":
        # Smallest k with amax <= max * 2^k; float64 products of these values are exact.
        k = floor_log2_from_bits(safe) - int(np.floor(np.log2(maxv)))
        k = np.where(safe.astype(np.float64) <= maxv * np.exp2(k - 1.0), k - 1, k)
        k = np.where(safe.astype(np.float64) > maxv * np.exp2(k.astype(np.float64)), k + 1, k)
    elif rule == "rceil":
        # What FP32 arithmetic gives: amax * (1 / max), then up to a power of two.
        q = (safe * (np.float32(1) / np.float32(maxv))).astype(np.float32)
        k = np.where(q == 0, -127, ceil_pow2_exponent(np.where(q == 0, np.float32(1), q)))
    else:
        raise ValueError(rule)
    return np.clip(np.where(amax == 0, -127, k), -127, 127)


def reference(x: np.ndarray, elem: str, block: int, rule: str = "floor"):
    dtype, maxv, emax = ELEMS[elem]
    blocks = x.reshape(-1, block)
    amax_bits = (blocks.view(np.uint32) & 0x7FFFFFFF).max(axis=1)
    amax = amax_bits.view(np.float32)
    k = scale_exponent(amax, elem, rule)
    y = blocks.astype(np.float64) / np.exp2(k.astype(np.float64))[:, None]
    y = np.clip(y, -maxv, maxv)  # saturate first: ml_dtypes' e4m3fn cast makes NaN on overflow
    if dtype is None:
        codes = np.rint(y * 64).astype(np.int8).view(np.uint8)
    else:
        q = y.astype(dtype)
        codes = q.view(np.uint8) if np.dtype(dtype).itemsize == 1 else q.view(np.uint8)
    return (k + 127).astype(np.int64), codes.reshape(-1).astype(np.int64)


def random_fp32(rng, n):
    """Finite float32 values over many binades, with zeros, subnormals and values just below
    powers of two (where float log2 goes wrong)."""
    kind = rng.integers(0, 10, n)
    sign = rng.integers(0, 2, n).astype(np.uint32) << 31
    e = np.where(kind < 6, rng.integers(100, 150, n), rng.integers(1, 255, n)).astype(np.uint32)
    man = rng.integers(0, 1 << 23, n).astype(np.uint32)
    man = np.where(kind == 7, 0x7FFFFF, man)  # just below a power of two
    bits = sign | (e << 23) | man
    bits = np.where(kind == 8, sign | (man & 0x7FFFFF), bits)  # subnormal
    bits = np.where(kind == 9, sign, bits)  # signed zero
    return bits.astype(np.uint32).view(np.float32)


@pytest.mark.parametrize("elem", sorted(ELEMS))
@pytest.mark.parametrize("block", [16, 32])
@pytest.mark.parametrize("rule", ["floor", "ceil", "rceil"])
def test_scale_rule_matches_numpy_ml_dtypes(elem, block, rule):
    rng = np.random.default_rng(zlib.crc32(f"{elem}{block}{rule}".encode()))
    n_lines, per_line = 40, 8 * block
    xs = [random_fp32(rng, per_line) for _ in range(n_lines)]
    # A block with one value just under a power of two and everything else tiny.
    xs.append(np.array([np.float32(7.9999995)] + [np.float32(1e-30)] * (block - 1), dtype=np.float32))
    lines = [
        {"elem": elem, "scale_fmt": "e8m0", "block": block, "scale_rule": rule, "round": "rne",
         "x": [f"0x{b:08x}" for b in x.view(np.uint32)]}
        for x in xs
    ]
    out = run_jsonl("quantize", lines)
    assert len(out) == len(lines)
    for x, o, line in zip(xs, out, lines):
        assert o["x"] == line["x"]  # the input object is echoed
        scales, codes = reference(x, elem, block, rule)
        assert o["scales"] == scales.tolist(), f"{rule} {elem} block {block}"
        assert o["codes"] == codes.tolist(), f"{rule} {elem} block {block}"


def test_power_of_two_edge_uses_the_bits():
    # log2(7.9999995f) rounds to 3.0 in float32; the floor rule needs 2, so E2M1's scale is 2^0.
    x = np.array([7.9999995] + [0.0] * 31, dtype=np.float32)
    out = run_jsonl("quantize", [{"elem": "e2m1", "x": [f"0x{b:08x}" for b in x.view(np.uint32)]}])
    assert out[0]["scales"] == [127]
    assert out[0]["codes"][0] == 0x7  # saturates to 6
