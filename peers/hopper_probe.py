"""Probes that decide how zeros and subnormal accumulators enter the alignment, on Hopper.

MMA-Sim gives a zero element, and a zero C, the exponent -126 (so zero x 2^127 in BF16 sets
the alignment maximum), and aligns a subnormal C at -126; mxref's presets so far left zeros out
of the alignment and aligned C by its leading bit. Each probe below has a different answer
under each rule (spec/presets.md, "Zeros and subnormal C"). Runs on the device machine through
the GPU work's harness (cuda/characterize.py Prober, cuda/mma_sync.cu, Triton wgmma):

  python3 peers/hopper_probe.py        (after cuda/device.sh has built cuda/build/libmxgpu.so)
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cuda"))
from characterize import Prober, code  # noqa: E402


def probes(fmt):
    c = lambda v: code(fmt, v)  # noqa: E731
    z = c(0.0)
    # Sign of an exact zero: C = -0 and all 16 products -0 (-0 x +0), then one +0 product.
    nz = {k: (c(-0.0), z) for k in range(16)}
    zero_sign = [
        ("C = -0, every product -0", nz, 0x80000000, {"IEEE (-0)": -0.0, "+0 (MMA-Sim)": 0.0}),
        ("C = -0, products -0 but one +0 (control)", {**nz, 5: (z, z)}, 0x80000000, {"IEEE (+0)": 0.0}),
    ]
    if fmt == "bf16":
        p = (1 + 2**-7) ** 2 * 2.0**-30
        return [
            # name, terms {k: (a, b)}, C bits, {rule: expected value}
            ("zero x 2^127 beside a small product", {0: (z, c(2.0**127)), 1: (c(1 + 2**-7), c((1 + 2**-7) * 2**-30))}, 0,
             {"zeros excluded": p, "zero at -126 (MMA-Sim)": 0.0}),
            ("zero x 2^-100 (control)", {0: (z, c(2.0**-100)), 1: (c(1 + 2**-7), c((1 + 2**-7) * 2**-30))}, 0,
             {"any": p}),
            ("C = +0 beside products near 2^-140", {0: (c(2.0**-70), c(2.0**-70)), 1: (c(1.5 * 2**-100), c(-(2.0**-54)))}, 0,
             {"zero C excluded": 2.0**-140 - 2.0**-149, "zero C at -126 (MMA-Sim)": 2.0**-140}),
            ("subnormal C = 2^-130 and -2^-153", {0: (c(-(2.0**-77)), c(2.0**-76))}, 0x00080000,
             {"C by leading bit": 2.0**-130 - 2.0**-149, "C at -126 (MMA-Sim)": 2.0**-130}),
        ] + zero_sign
    return [
        ("zero x 2^15 beside a small product", {0: (z, c(2.0**15)), 1: (c(1 + 2**-10), c((1 + 2**-10) * 2**-12))}, 0,
         {"zeros excluded or at -126 (MMA-Sim)": (1 + 2**-10) ** 2 * 2.0**-12,
          "zero at fp16 emin -14": (1 + 2**-9) * 2.0**-12}),
    ] + zero_sign


def main():
    out = {}
    for path, fmt in [("mma-bf16", "bf16"), ("mma-f16", "fp16"), ("wgmma-bf16-bf16", "bf16"),
                      ("wgmma-fp16-fp16", "fp16")]:
        ps = probes(fmt)
        try:
            got = Prober(path, 16).values([(t, cbits) for _, t, cbits, _ in ps])
        except Exception as e:  # a path the harness lacks is reported, not fatal
            out[path] = f"not run: {type(e).__name__}: {e}"
            continue
        rows = []
        for (name, _, cbits, expect), g in zip(ps, got):
            match = [r for r, v in expect.items() if v == g and math.copysign(1, v) == math.copysign(1, g)]
            rows.append({"probe": name, "c": f"0x{cbits:08x}", "d": g.hex(), "matches": match})
        out[path] = rows
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
