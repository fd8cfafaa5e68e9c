#!/usr/bin/env python3
"""CPU checks of the Blackwell operand packing in mxgpu.py (ci/steps/50-cuda.sh runs this).

No Blackwell part has been lent, so the packing is checked here, against a second transcription
of the PTX ISA (9.2) text: the per-element formulas of "Matrix Fragments for mma.m16n8k32" and
"... for mma.m16n8k64" (a_i, b_i, c_i as the ISA numbers them, low to high in each register)
and the selector rules of 9.7.14.3 "Block Scaling for mma.sync" (thread-id and byte-id 0).
mxgpu.bw_pack computes the same maps as register/slot arithmetic; the two must agree on every
code and scale of vector files written by `mxref gpu gen`, each in exactly one place.

    python3 bw_pack_test.py MXREF TMPDIR
"""
import os
import subprocess
import sys

import numpy as np

import mxgpu

# path -> (a, b, K, block, scale format), as the vector files for it are generated.
GEN = {
    "bw-mxf8f6f4-e4m3-e4m3": ("e4m3", "e4m3", 32, 32, "e8m0"),
    "bw-mxf8f6f4-e5m2-e5m2": ("e5m2", "e5m2", 32, 32, "e8m0"),
    "bw-mxf8f6f4-e3m2-e2m3": ("e3m2", "e2m3", 32, 32, "e8m0"),
    "bw-mxf8f6f4-e4m3-e2m1": ("e4m3", "e2m1", 32, 32, "e8m0"),
    "bw-mxf4nvf4-2x-e2m1-e2m1": ("e2m1", "e2m1", 64, 32, "e8m0"),
    "bw-mxf4nvf4-4x-e2m1-e2m1": ("e2m1", "e2m1", 64, 16, "ue4m3"),
    "bw-mxf4-e2m1-e2m1": ("e2m1", "e2m1", 64, 32, "e8m0"),
}


def element(fmt, kind, x):
    """The codes in one register slot of every tile (kind::mxf8f6f4: a byte; kind::mxf4*: a
    nibble), with the container's padding required to be zero."""
    if kind.packed:
        return x
    if fmt == "e2m1":
        assert (x & 0xC3 == 0).all(), f"e2m1 container: padding not zero"
        return x >> 2
    if fmt in ("e3m2", "e2m3"):
        assert (x & 0xC0 == 0).all(), f"{fmt} container: padding not zero"
    return x


def ptx_unpack(kind, p, A, B, SA, SB, C):
    """Register images back to matrices, element by element, with the PTX ISA's formulas.
    Every position is asserted to be written exactly once (-1 marks an empty one)."""
    T, K, X = A.shape[0], kind.k, kind.svec
    a = np.full((T, 16, K), -1, np.int64)
    b = np.full((T, 8, K), -1, np.int64)
    sa = np.full((T, 16, X), -1, np.int64)
    sb = np.full((T, 8, X), -1, np.int64)
    c = np.full((T, 16, 8), -1, np.int64)

    def put(dst, idx, v):
        assert (dst[(slice(None),) + idx] == -1).all(), f"position {idx} written twice"
        dst[(slice(None),) + idx] = v

    A, B, SA, SB, C = (x.astype(np.int64) for x in (A, B, SA, SB, C))
    for lane in range(32):
        g, t = lane >> 2, lane % 4
        if K == 32:  # a0..a15 in 4 registers of 4 bytes; b0..b7 in 2
            for i in range(16):
                row = g if i < 4 or 8 <= i < 12 else g + 8
                col = t * 4 + (i & 3) + (16 if i >= 8 else 0)
                x = A[:, lane, i // 4] >> (8 * (i % 4)) & 0xFF
                put(a, (row, col), element(p.a_fmt, kind, x))
            for i in range(8):
                k = t * 4 + (i & 3) + (16 if i >= 4 else 0)
                x = B[:, lane, i // 4] >> (8 * (i % 4)) & 0xFF
                put(b, (g, k), element(p.b_fmt, kind, x))
        else:  # a0..a31 in 4 registers of 8 nibbles; b0..b15 in 2
            for i in range(32):
                row = g if i < 8 or 16 <= i < 24 else g + 8
                col = t * 8 + (i & 7) + (32 if i >= 16 else 0)
                put(a, (row, col), A[:, lane, i // 8] >> (4 * (i % 8)) & 0xF)
            for i in range(16):
                k = t * 8 + (i & 7) + (32 if i >= 8 else 0)
                put(b, (g, k), B[:, lane, i // 8] >> (4 * (i % 8)) & 0xF)
        for i in range(4):
            put(c, (g + (8 if i >= 2 else 0), 2 * t + (i & 1)), C[:, lane, i])
        # thread-id-a = 0: lanes with %laneid % 4 in {0, 1}; thread-id-b = 0: % 4 == 0.
        # byte-id = 0: bytes 0 .. X-1, byte j scaling the j-th K/X elements.
        wa, wb = SA[:, lane], SB[:, lane]
        if t < 2:
            for j in range(X):
                put(sa, (g + 8 * t, j), wa >> (8 * j) & 0xFF)
            assert (wa >> (8 * X) == 0).all(), f"lane {lane}: SA bytes beyond {X}"
        else:
            assert (wa == 0).all(), f"lane {lane} carries no SF_A"
        if t == 0:
            for j in range(X):
                put(sb, (g, j), wb >> (8 * j) & 0xFF)
            assert (wb >> (8 * X) == 0).all(), f"lane {lane}: SB bytes beyond {X}"
        else:
            assert (wb == 0).all(), f"lane {lane} carries no SF_B"
    for name, m in (("A", a), ("B", b), ("SA", sa), ("SB", sb), ("C", c)):
        assert (m >= 0).all(), f"{name}: positions never written"
    return a, b, sa, sb, c


def round_trip(path, vec):
    """Vectors from mxref -> register images -> matrices: every code and scale comes back."""
    kind = mxgpu.BW_KINDS[path]
    p = mxgpu.read_vectors(vec)
    assert (p.a_fmt, p.b_fmt, p.s_fmt, p.block) == (*GEN[path][:2], GEN[path][4], GEN[path][3])
    A, B, SA, SB, C = mxgpu.bw_pack(p, kind)
    assert A.shape[1:] == (32, 4) and B.shape[1:] == (32, 2) and SA.shape[1:] == (32,)
    a, b, sa, sb, c = ptx_unpack(kind, p, A, B, SA, SB, C)
    assert (a == p.A).all() and (b == p.B).all(), path
    assert (sa == p.SA).all() and (sb == p.SB).all(), path
    assert (c == p.C).all() and (mxgpu.bw_unpack_d(C) == p.C).all(), path


def one_place_each(path):
    """T tiles, tile t holding one non-zero value at position t of one operand: the register
    images of tile t hold exactly one non-zero slot, and it is the one the ISA names."""
    kind = mxgpu.BW_KINDS[path]
    a_fmt, b_fmt, K, blk, s_fmt = GEN[path]
    X = K // blk
    one = {"e2m1": 0x7, "e3m2": 0x1F, "e2m3": 0x1F}  # a code using every value bit but the sign
    for op, (rows, cols) in (("A", (16, K)), ("B", (8, K)), ("SA", (16, X)), ("SB", (8, X)),
                             ("C", (16, 8))):
        T = rows * cols
        z = {n: np.zeros((T, r, c), np.uint8) for n, (r, c) in
             (("A", (16, K)), ("B", (8, K)), ("SA", (16, X)), ("SB", (8, X)))}
        Cm = np.zeros((T, 16, 8), np.uint32)
        tgt = Cm if op == "C" else z[op]
        fmt = {"A": a_fmt, "B": b_fmt}.get(op, "")
        v = one.get(fmt, 0x5A) if op != "C" else 0x3F80_0001
        tgt.reshape(T, -1)[np.arange(T), np.arange(T)] = v
        p = mxgpu.Problem(a_fmt, b_fmt, z["A"], z["B"], Cm, s_fmt, blk, z["SA"], z["SB"])
        imgs = mxgpu.bw_pack(p, kind)
        bits = {"A": 4 if kind.packed else 8, "B": 4 if kind.packed else 8}.get(op, 8)
        if op == "C":
            bits = 32
        img = imgs[["A", "B", "SA", "SB", "C"].index(op)].reshape(T, -1).astype(np.uint64)
        slots = np.stack([(img >> np.uint64(s)) & np.uint64((1 << bits) - 1)
                          for s in range(0, 32, bits)], axis=-1)
        assert ((slots != 0).sum(axis=(1, 2)) == 1).all(), f"{path} {op}: not exactly one slot"
        got = ptx_unpack(kind, p, *imgs)[["A", "B", "SA", "SB", "C"].index(op)]
        assert (got.reshape(T, -1)[np.arange(T), np.arange(T)] == v).all(), f"{path} {op}"


def nibble_order():
    """kind::mxf4*: two E2M1 codes per byte, the lower k in the low nibble (a0 lowest)."""
    kind = mxgpu.BW_KINDS["bw-mxf4-e2m1-e2m1"]
    A = np.zeros((1, 16, 64), np.uint8)
    A[0, 0, :16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0]
    A[0, 8, 0] = 0xF  # row 8 is a8..a15 of lane 0 (register 1)
    A[0, 0, 32] = 0x9  # k 32 of row 0 is a16 of lane 0 (register 2)
    B = np.zeros((1, 8, 64), np.uint8)
    B[0, 3, 40:42] = [0x2, 0xE]  # column 3, k 40, 41: lane 13 (g 3, t 1), b8 and b9
    z = np.zeros((1, 16, 2), np.uint8)
    p = mxgpu.Problem("e2m1", "e2m1", A, B, np.zeros((1, 16, 8), np.uint32), "e8m0", 32,
                      z, z[:, :8])
    A_, B_, _, _, _ = mxgpu.bw_pack(p, kind)
    assert A_[0, 0, 0] == 0x87654321, hex(A_[0, 0, 0])
    assert A_[0, 1, 0] == 0x0FEDCBA9, hex(A_[0, 1, 0])
    assert A_[0, 0, 1] == 0xF and A_[0, 0, 2] == 0x9 and A_[0, 0, 3] == 0
    assert B_[0, 13, 1] == 0xE2 and B_[0, 13, 0] == 0, (hex(B_[0, 13, 1]), hex(B_[0, 13, 0]))
    # kind::mxf8f6f4: E2M1 in the central 4 bits of a byte, FP6 in the low 6.
    for path, fa, fb, ca, cb, wa, wb in (
            ("bw-mxf8f6f4-e4m3-e2m1", "e4m3", "e2m1", 0xB7, 0xF, 0xB7, 0x3C),
            ("bw-mxf8f6f4-e3m2-e2m3", "e3m2", "e2m3", 0x3F, 0x21, 0x3F, 0x21)):
        A = np.zeros((1, 16, 32), np.uint8)
        B = np.zeros((1, 8, 32), np.uint8)
        A[0, 0, 1], B[0, 0, 2] = ca, cb  # lane 0: A byte 1 of register 0, B byte 2
        z = np.zeros((1, 16, 1), np.uint8)
        p = mxgpu.Problem(fa, fb, A, B, np.zeros((1, 16, 8), np.uint32), "e8m0", 32, z, z[:, :8])
        A_, B_, _, _, _ = mxgpu.bw_pack(p, mxgpu.BW_KINDS[path])
        assert A_[0, 0, 0] == wa << 8 and B_[0, 0, 0] == wb << 16, path


def word(bs):
    """Bytes, low first, as one .b32."""
    return sum(int(x) << (8 * j) for j, x in enumerate(bs))


def scale_layouts():
    """Which lane and byte carries which row's / column's scale, per scale_vec (1X, 2X, 4X)."""
    for path, X in (("bw-mxf8f6f4-e4m3-e4m3", 1), ("bw-mxf4-e2m1-e2m1", 2),
                    ("bw-mxf4nvf4-4x-e2m1-e2m1", 4)):
        kind = mxgpu.BW_KINDS[path]
        a = b = "e4m3" if X == 1 else "e2m1"
        SA = (np.arange(16)[:, None] * 16 + np.arange(X)[None, :] + 1).astype(np.uint8)[None]
        SB = (np.arange(8)[:, None] * 16 + np.arange(X)[None, :] + 0x81).astype(np.uint8)[None]
        p = mxgpu.Problem(a, b, np.zeros((1, 16, kind.k), np.uint8),
                          np.zeros((1, 8, kind.k), np.uint8), np.zeros((1, 16, 8), np.uint32),
                          kind.s_fmt, kind.block, SA, SB)
        _, _, wa, wb, _ = mxgpu.bw_pack(p, kind)
        # Lane 4g carries row g, lane 4g + 1 row g + 8, lanes 4g + 2, 4g + 3 nothing.
        want_a = {0: SA[0, 0], 1: SA[0, 8], 2: [0], 3: [0], 21: SA[0, 13], 28: SA[0, 7],
                  29: SA[0, 15]}
        # Lane 4n carries column n.
        want_b = {0: SB[0, 0], 1: [0], 12: SB[0, 3], 28: SB[0, 7], 30: [0]}
        for lane, bs in want_a.items():
            assert wa[0, lane] == word(bs), (path, lane, hex(wa[0, lane]))
        for lane, bs in want_b.items():
            assert wb[0, lane] == word(bs), (path, lane, hex(wb[0, lane]))
    assert word([1, 2, 3, 4]) == 0x04030201


def main(mx, tmp):
    for path, (a, b, K, blk, s_fmt) in GEN.items():
        vec = os.path.join(tmp, "bw.bin")
        subprocess.run([mx, "gpu", "gen", "--a", a, "--b", b, "--m", "16", "--n", "8", "--k",
                        str(K), "--block", str(blk), "--scale", s_fmt, "--scale-extremes",
                        "--tiles", "20", "--seed", "9", "-o", vec], check=True,
                       stderr=subprocess.DEVNULL)
        round_trip(path, vec)
        one_place_each(path)
    assert sorted(GEN) == sorted(mxgpu.BW_KINDS), "a kind without a packing test"
    assert sorted(k.kernel for k in mxgpu.BW_KINDS.values()) == list(range(7))
    nibble_order()
    scale_layouts()
    print(f"bw_pack_test: {len(GEN)} kinds packed and unpacked exactly; nibble order, "
          "containers and scale_vec 1X/2X/4X layouts ok")


if __name__ == "__main__":
    main(*sys.argv[1:3])
