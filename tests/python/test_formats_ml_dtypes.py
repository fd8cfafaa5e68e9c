"""Every code of every format decoded by mxref agrees with ml_dtypes (an independent
implementation); INT8 is checked as numpy int8 times 2^-6."""
import json

import ml_dtypes
import numpy as np
import pytest

from conftest import run_mxref

# mxref name -> (ml_dtypes type, code width in bits)
REFERENCES = {
    "e4m3": (ml_dtypes.float8_e4m3fn, 8),
    "e5m2": (ml_dtypes.float8_e5m2, 8),
    "e2m3": (ml_dtypes.float6_e2m3fn, 6),
    "e3m2": (ml_dtypes.float6_e3m2fn, 6),
    "e2m1": (ml_dtypes.float4_e2m1fn, 4),
    "e8m0": (ml_dtypes.float8_e8m0fnu, 8),
    # UE4M3 is E4M3 with the sign bit fixed at 0: its 7-bit codes are E4M3's codes 0..127.
    "ue4m3": (ml_dtypes.float8_e4m3fn, 7),
    "fp16": (np.float16, 16),
    "bf16": (ml_dtypes.bfloat16, 16),
    # AMD CDNA3's FP8 (mfma "fp8"/"bf8"): one NaN (0x80), no -0, no Inf.
    "e4m3fnuz": (ml_dtypes.float8_e4m3fnuz, 8),
    "e5m2fnuz": (ml_dtypes.float8_e5m2fnuz, 8),
}


@pytest.fixture(scope="module")
def listing():
    r = run_mxref("formats", "--json")
    assert r.returncode == 0, r.stderr
    return {f["name"]: f for f in json.loads(r.stdout)["formats"]}


def mxref_values(fmt: dict) -> np.ndarray:
    special = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}
    return np.array([special[v] if isinstance(v, str) else v for v in fmt["values"]], dtype=np.float64)


def reference_values(dtype, bits: int) -> np.ndarray:
    # ml_dtypes' sub-byte types hold one code per byte, in the low bits.
    codes = np.arange(1 << bits, dtype=np.uint8 if bits <= 8 else np.uint16)
    with np.errstate(invalid="ignore"):  # signalling NaN patterns convert quietly to NaN
        return codes.view(dtype).astype(np.float64)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_every_code_matches_ml_dtypes(listing, name):
    dtype, bits = REFERENCES[name]
    fmt = listing[name]
    assert fmt["bits"] == bits
    ours = mxref_values(fmt)
    ref = reference_values(dtype, bits)
    assert len(ours) == len(ref) == 1 << bits
    nan_ours, nan_ref = np.isnan(ours), np.isnan(ref)
    bad = np.flatnonzero((nan_ours != nan_ref) | (~nan_ref & (ours != ref)) | (np.signbit(ours) != np.signbit(ref)) & ~nan_ref)
    assert bad.size == 0, f"{name}: codes {[hex(c) for c in bad[:8]]}: mxref {ours[bad[:8]]} ml_dtypes {ref[bad[:8]]}"
    # The listed properties follow from the same values.
    finite = ref[np.isfinite(ref)]
    assert fmt["max_normal"] == finite.max()
    positive = finite[finite > 0]
    if fmt["min_subnormal"] is not None:
        assert fmt["min_subnormal"] == positive.min()
    assert fmt["nan_codes"] == [int(c) for c in np.flatnonzero(nan_ref)]
    assert fmt["inf_codes"] == [int(c) for c in np.flatnonzero(np.isinf(ref))]


def test_int8_is_twos_complement_times_2_pow_minus_6(listing):
    ours = mxref_values(listing["int8"])
    ref = np.arange(256, dtype=np.uint8).view(np.int8).astype(np.float64) / 64.0
    assert np.array_equal(ours, ref)
    assert listing["int8"]["max_normal"] == 127 / 64


def test_tf32_is_the_top_19_bits_of_fp32(listing):
    ours = mxref_values(listing["tf32"])
    with np.errstate(invalid="ignore"):  # signalling NaN patterns convert quietly to NaN
        ref = (np.arange(1 << 19, dtype=np.uint32) << 13).view(np.float32).astype(np.float64)
    nan = np.isnan(ref)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(ours[~nan], ref[~nan])
    assert np.array_equal(np.signbit(ours[~nan]), np.signbit(ref[~nan]))


def test_every_format_is_listed_once(listing):
    assert set(REFERENCES) | {"int8", "ue5m3", "tf32", "fp32"} == set(listing)


def test_ue5m3_monotone_and_extremes(listing):
    # No ml_dtypes type for UE5M3: check the documented extremes and that codes 0..0xfe increase.
    v = mxref_values(listing["ue5m3"])
    assert np.isnan(v[0xFF]) and np.all(np.diff(v[:0xFF]) > 0)
    assert v[0xFE] == 114688.0 and v[1] == 2.0**-17 and v[8] == 2.0**-14


def test_fp32_properties_match_numpy(listing):
    # 2^32 codes are not listed; the decode itself is checked against f32::from_bits in
    # model/tests/formats.rs. Here: the listed properties against numpy's float32.
    f = listing["fp32"]
    fi = np.finfo(np.float32)
    assert f["bits"] == 32 and f["values"] is None and f["nan_codes"] is None
    assert f["max_normal"] == float(fi.max)
    assert f["min_normal"] == float(fi.tiny)
    assert f["min_subnormal"] == float(fi.smallest_subnormal)
    assert (f["emin"], f["emax"], f["bias"]) == (int(fi.minexp), int(fi.maxexp) - 1, 127)
    inf = np.array([np.inf, -np.inf], dtype=np.float32).view(np.uint32)
    assert f["inf_codes"] == [int(c) for c in inf]
    assert f["nan_code_count"] == 2 * ((1 << 23) - 1)
