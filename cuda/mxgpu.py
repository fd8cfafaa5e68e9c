#!/usr/bin/env python3
"""Run mxref vector files through Hopper tensor-core paths and write the D bits back.

Paths (name: what runs):
  mma-e4m3-e4m3 .. mma-e5m2-e5m2  PTX mma.sync.m16n8k32 FP8 (cuda/mma_sync.cu), tile 16x8
  mma-f16, mma-bf16               PTX mma.sync.m16n8k16, tile 16x8 (vectors in fp16 / bf16)
  mma-tf32                        PTX mma.sync.m16n8k8 TF32, tile 16x8
  wgmma-<a>-<b>                   Triton tl.dot, which lowers to wgmma on sm_90a (QGMMA for FP8, HGMMA for
                                  fp16/bf16), tile 64x64
  cublas-<a>-<b>, cublas-fast-<a>-<b>
                                  torch._scaled_mm (cuBLASLt FP8 GEMM), scales 1, fast accumulation off/on;
                                  C must be zero (the library adds no FP32 C here)
  bw-<kind>-<a>-<b>                Blackwell sm_120a mma.sync block_scale (cuda/blackwell.cu; BW_KINDS below):
                                  kind::mxf8f6f4 (FP8/FP6/FP4 in bytes, 16x8x32, E8M0 per 32),
                                  kind::mxf4nvf4 2X (E8M0 per 32) / 4X (UE4M3 per 16) and kind::mxf4
                                  (FP4 pairs, 16x8x64); built, NOT yet run on hardware
  mxfp8-sw-e4m3-e4m3              block-scaled FP8 as run on Hopper: per 32-element block one wgmma from a
                                  zero accumulator, its result times 2^(sa-127) * 2^(sb-127) added into an
                                  FP32 accumulator that starts at C (Triton kernel below)

The vector and result file layouts are specified in spec/gpu.md ("Vector files"); mxref's
`mxref gpu gen` writes vector files and `mxref gpu check` compares result files with the model.

Usage on the device machine:
  python3 cuda/mxgpu.py run PATH VECTORS RESULTS
  python3 cuda/mxgpu.py info
"""
import ctypes
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VEC_MAGIC = b"MXGPUVEC"
RES_MAGIC = b"MXGPURES"
HEADER = 64

# Element width in bytes by format name.
# FP6 and FP4 codes take one byte each in a vector file (cuda/blackwell.cu packs them).
WIDTH = {"e4m3": 1, "e5m2": 1, "e3m2": 1, "e2m3": 1, "e2m1": 1, "fp16": 2, "bf16": 2, "tf32": 4}
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


class Problem:
    """T tiles of an M x N x K product: A[T,M,K], B[T,N,K] codes, SA[T,M,K/blk], SB, C[T,M,N] bits."""

    def __init__(self, a_fmt, b_fmt, A, B, C, s_fmt="", block=0, SA=None, SB=None):
        self.a_fmt, self.b_fmt, self.s_fmt, self.block = a_fmt, b_fmt, s_fmt, block
        self.A, self.B, self.C, self.SA, self.SB = A, B, C, SA, SB

    @property
    def shape(self):
        T, M, K = self.A.shape
        return T, M, self.B.shape[1], K


def _name(b):
    return b.rstrip(b"\0").decode()


def read_vectors(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != VEC_MAGIC:
        sys.exit(f"{path}: not an mxref GPU vector file (magic {raw[:8]!r})")
    ver, T, M, N, K, block = struct.unpack_from("<6I", raw, 8)
    if ver != 1:
        sys.exit(f"{path}: version {ver}, this runner reads version 1")
    a_fmt, b_fmt, s_fmt = (_name(raw[32 + 8 * i: 40 + 8 * i]) for i in range(3))
    for field, fmt in (("a_fmt", a_fmt), ("b_fmt", b_fmt)):
        if fmt not in WIDTH:
            sys.exit(f"{path}: header field {field}: format '{fmt}' not runnable here")
    wa, wb = WIDTH[a_fmt], WIDTH[b_fmt]
    nsb = K // block if block else 0
    tile = M * K * wa + N * K * wb + (M + N) * nsb + M * N * 4
    if len(raw) != HEADER + T * tile:
        sys.exit(f"{path}: {len(raw)} bytes, header promises {HEADER + T * tile}")
    body = np.frombuffer(raw, dtype=np.uint8, offset=HEADER).reshape(T, tile)
    o = 0

    def take(n, dt, shape):
        nonlocal o
        v = body[:, o: o + n].copy().view(dt).reshape((T,) + shape)
        o += n
        return v

    A = take(M * K * wa, UINT[wa], (M, K))
    B = take(N * K * wb, UINT[wb], (N, K))
    SA = take(M * nsb, np.uint8, (M, nsb)) if nsb else None
    SB = take(N * nsb, np.uint8, (N, nsb)) if nsb else None
    C = take(M * N * 4, np.uint32, (M, N))
    return Problem(a_fmt, b_fmt, A, B, C, s_fmt, block, SA, SB)


def write_vectors(path, p):
    T, M, N, K = p.shape
    hdr = VEC_MAGIC + struct.pack("<6I", 1, T, M, N, K, p.block)
    for s in (p.a_fmt, p.b_fmt, p.s_fmt):
        hdr += s.encode().ljust(8, b"\0")
    hdr = hdr.ljust(HEADER, b"\0")
    parts = [p.A.reshape(T, -1).view(np.uint8), p.B.reshape(T, -1).view(np.uint8)]
    if p.block:
        parts += [p.SA.reshape(T, -1), p.SB.reshape(T, -1)]
    parts.append(p.C.reshape(T, -1).view(np.uint8))
    with open(path, "wb") as f:
        f.write(hdr)
        f.write(np.concatenate(parts, axis=1).tobytes())


def write_results(path, name, D, device=""):
    T, M, N = D.shape
    hdr = RES_MAGIC + struct.pack("<4I", 1, T, M, N) + name.encode()[:24].ljust(24, b"\0")
    hdr = hdr.ljust(HEADER, b"\0")
    with open(path, "wb") as f:
        f.write(hdr)
        f.write(np.ascontiguousarray(D, dtype=np.uint32).tobytes())


# ---------------------------------------------------------------- mma.sync (CUDA C++)
MMA_IDS = {"mma-e4m3-e4m3": 0, "mma-e4m3-e5m2": 1, "mma-e5m2-e4m3": 2, "mma-e5m2-e5m2": 3,
           "mma-f16": 4, "mma-bf16": 5, "mma-tf32": 6}
_lib = None


def lib():
    global _lib
    if _lib is None:
        so = os.environ.get("MXGPU_LIB", os.path.join(HERE, "build", "libmxgpu.so"))
        _lib = ctypes.CDLL(so)
        _lib.mxgpu_error.restype = ctypes.c_char_p
        vp = ctypes.c_void_p
        _lib.mxgpu_mma.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, vp, vp, vp, vp]
        _lib.mxgpu_mma.restype = ctypes.c_int
    return _lib


def run_mma(path, p):
    T, M, N, K = p.shape
    if (M, N) != (16, 8):
        sys.exit(f"{path}: tiles must be 16 x 8, got {M} x {N}")
    D = np.empty((T, M, N), dtype=np.uint32)
    A, B, C = (np.ascontiguousarray(x) for x in (p.A, p.B, p.C))
    if p.a_fmt == "tf32":
        # The 19-bit TF32 code is the top of an FP32 bit pattern.
        A, B = (np.ascontiguousarray(x << 13) for x in (A, B))
    rc = lib().mxgpu_mma(MMA_IDS[path], T, K, A.ctypes.data, B.ctypes.data, C.ctypes.data,
                         D.ctypes.data)
    if rc:
        sys.exit(f"{path}: {lib().mxgpu_error().decode()}")
    return D


# ---------------------------------------------------------------- torch / triton paths
def _torch():
    import torch
    return torch


def _tdtype(fmt):
    torch = _torch()
    return {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2, "fp16": torch.float16,
            "bf16": torch.bfloat16}[fmt]


def _dev(x, fmt):
    torch = _torch()
    if fmt == "tf32":
        # FP32 tensors holding exact TF32 values: the TF32 conversion leaves them unchanged.
        return torch.from_numpy(np.ascontiguousarray(x << 13)).cuda().view(torch.float32)
    return torch.from_numpy(np.ascontiguousarray(x)).cuda().view(_tdtype(fmt))


_tri = {}


def _triton_kernels():
    if _tri:
        return _tri
    import triton
    import triton.language as tl

    @triton.jit
    def wgmma_kernel(A, B, C, D, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr,
                     KS: tl.constexpr, PREC: tl.constexpr, OUT: tl.constexpr):
        # OUT = tl.float16 keeps an FP16 accumulator (wgmma .f16.f16.f16, HGMMA.*.F16).
        t = tl.program_id(0)
        om = tl.arange(0, M)
        on = tl.arange(0, N)
        ok = tl.arange(0, KS)
        acc = tl.load(C + t * M * N + om[:, None] * N + on[None, :])
        for k0 in range(0, K, KS):
            a = tl.load(A + t * M * K + om[:, None] * K + k0 + ok[None, :])
            b = tl.load(B + t * N * K + on[None, :] * K + k0 + ok[:, None])
            acc = tl.dot(a, b, acc, input_precision=PREC, out_dtype=OUT)
        tl.store(D + t * M * N + om[:, None] * N + on[None, :], acc)

    @triton.jit
    def mxfp8_kernel(A, B, SA, SB, C, D, M: tl.constexpr, N: tl.constexpr, K: tl.constexpr):
        t = tl.program_id(0)
        om = tl.arange(0, M)
        on = tl.arange(0, N)
        ok = tl.arange(0, 32)
        acc = tl.load(C + t * M * N + om[:, None] * N + on[None, :])
        for k0 in range(0, K, 32):
            a = tl.load(A + t * M * K + om[:, None] * K + k0 + ok[None, :])
            b = tl.load(B + t * N * K + on[None, :] * K + k0 + ok[:, None])
            part = tl.dot(a, b, tl.zeros((M, N), dtype=tl.float32))
            ea = tl.load(SA + t * M * (K // 32) + om * (K // 32) + k0 // 32).to(tl.int32)
            eb = tl.load(SB + t * N * (K // 32) + on * (K // 32) + k0 // 32).to(tl.int32)
            # 2^(e-127) built from the bits: exact for every e in 1..254.
            sa = (ea << 23).to(tl.float32, bitcast=True)
            sb = (eb << 23).to(tl.float32, bitcast=True)
            s = sa[:, None] * sb[None, :]
            acc = acc + part * s
        tl.store(D + t * M * N + om[:, None] * N + on[None, :], acc)

    _tri["wgmma"] = wgmma_kernel
    _tri["mxfp8"] = mxfp8_kernel
    return _tri


def run_wgmma(path, p):
    torch = _torch()
    T, M, N, K = p.shape
    # Triton's tl.dot needs K >= 16: for TF32 one step is two chained wgmma k8 instructions
    # (the SASS is checked in cuda/device.sh), i.e. two groups of 8 on one FP32 accumulator.
    ks = {"e4m3": 32, "e5m2": 32, "fp16": 16, "bf16": 16, "tf32": 16}[p.a_fmt]
    if M % 64 or N % 16 or K % ks:
        sys.exit(f"{path}: tiles must be M % 64 == 0, N % 16 == 0, K % {ks} == 0")
    A, B = _dev(p.A, p.a_fmt), _dev(p.B, p.b_fmt)
    C = torch.from_numpy(p.C.view(np.float32)).cuda()
    if "-f16out-" in path:
        # C must hold FP16 values (mxref gpu gen --c-fp16): the conversion is then exact, and
        # so is D's conversion back to FP32 bits for the result file.
        C16 = C.to(torch.float16)
        if not bool(((C16.float() == C) | (C.isnan() & C16.isnan())).all()):
            sys.exit(f"{path}: C values must be FP16 values (mxref gpu gen --c-fp16)")
        D16 = torch.empty_like(C16)
        import triton.language as tl
        k = _triton_kernels()["wgmma"]
        _tri["last_wgmma"] = k[(T,)](A, B, C16, D16, M=M, N=N, K=K, KS=ks, PREC="tf32",
                                     OUT=tl.float16, num_warps=4)
        torch.cuda.synchronize()
        # Widened on the host by numpy, which keeps a NaN's payload (0x7FFF -> 0x7FFFE000);
        # the GPU's own F2F would return its canonical FP32 NaN and hide the FP16 bits.
        return D16.cpu().numpy().astype(np.float32).view(np.uint32)
    D = torch.empty_like(C)
    k = _triton_kernels()["wgmma"]
    # One tl.dot per KS-wide step: wgmma m64nNk32 (FP8) or m64nNk16 (FP16/BF16) on one
    # accumulator that starts at C.
    import triton.language as tl
    _tri["last_wgmma"] = k[(T,)](A, B, C, D, M=M, N=N, K=K, KS=ks, PREC="tf32",
                                 OUT=tl.float32, num_warps=4)
    torch.cuda.synchronize()
    return D.cpu().numpy().view(np.uint32)


def run_mxfp8_sw(path, p):
    torch = _torch()
    T, M, N, K = p.shape
    if p.block != 32 or p.s_fmt != "e8m0":
        sys.exit(f"{path}: needs E8M0 scales with block 32")
    if np.any((p.SA == 0) | (p.SA == 255)) or np.any((p.SB == 0) | (p.SB == 255)):
        sys.exit(f"{path}: scale codes 0 and 255 are not supported by this kernel")
    A, B = _dev(p.A, p.a_fmt), _dev(p.B, p.b_fmt)
    SA = torch.from_numpy(p.SA).cuda()
    SB = torch.from_numpy(p.SB).cuda()
    C = torch.from_numpy(p.C.view(np.float32)).cuda()
    D = torch.empty_like(C)
    k = _triton_kernels()["mxfp8"]
    _tri["last_mxfp8"] = k[(T,)](A, B, SA, SB, C, D, M=M, N=N, K=K, num_warps=4)
    torch.cuda.synchronize()
    return D.cpu().numpy().view(np.uint32)


def run_cublas(path, p, fast):
    torch = _torch()
    T, M, N, K = p.shape
    if np.any(p.C != 0):
        sys.exit(f"{path}: C must be +0 for this path")
    one = torch.ones((), device="cuda", dtype=torch.float32)
    A, B = _dev(p.A, p.a_fmt), _dev(p.B, p.b_fmt)
    out = np.empty((T, M, N), dtype=np.uint32)
    for t in range(T):
        # B[t] is N x K row-major, so its transpose is the column-major K x N cuBLASLt wants.
        d = torch._scaled_mm(A[t], B[t].t(), scale_a=one, scale_b=one, out_dtype=torch.float32,
                             use_fast_accum=fast)
        out[t] = d.cpu().numpy().view(np.uint32)
    return out


# ---------------------------------------------------------------- Blackwell (sm_120a), not run yet
# Every bit position below is from the PTX ISA (9.2), section 9.7.14 "Warp Level Matrix Multiply-
# Accumulate Instructions":
#   - element fragments: "Matrix Fragments for mma.m16n8k32" (8-bit containers: .e4m3, .e5m2,
#     .e3m2, .e2m3, .e2m1; four per .b32 register, a0 in the low byte) and "Matrix Fragments for
#     mma.m16n8k64" (.e2m1, eight per .b32 register, a0 in the low nibble: "elements (low to
#     high)"); C/D as for every m16n8 FP32 accumulator;
#   - containers: the `mma` Description: with .kind::mxf8f6f4 an .e2m1 element sits in the
#     central 4 bits of its byte (code << 2), an .e3m2/.e2m3 element in the low 6 bits; with
#     .kind::mxf4/.kind::mxf4nvf4 the .e2m1 elements are packed with no padding;
#   - scales: 9.7.14.3 "Block Scaling for mma.sync": thread-id-a = 0 selects the lanes with
#     %laneid % 4 in {0, 1} for SF_A, thread-id-b = 0 the lanes with %laneid % 4 == 0 for SF_B;
#     byte-id = 0 selects byte 0 (scale_vec::1X), bytes 0-1 (2X) or all four bytes (4X).
# Where the text is silent (its Figures 43-45 are drawings): which row each of the two SF_A lanes
# of a quad carries (lane 4g supplies row g, lane 4g + 1 row g + 8) and which K chunk each byte
# of a pair/quad scales (byte j: the j-th chunk, K/X elements each, low byte first). Both follow
# a published third-party probe of sm_120 (A row m from lane 4(m % 8) + m / 8, B column n from
# lane 4n) and agree with CUTLASS's SM120 block-scaled MMA traits; neither has been confirmed on
# a Blackwell part by this project.


class BwKind:
    """One block-scaled mma.sync form of cuda/blackwell.cu."""

    def __init__(self, kernel, k, svec, s_fmt, packed):
        # kernel: index of the kernel in mxgpu_bw(); k: the instruction's K; svec: scales per
        # row/column per instruction (scale_vec::1X/2X/4X); packed: FP4 pairs (kind::mxf4*)
        # rather than one element per byte (kind::mxf8f6f4).
        self.kernel, self.k, self.svec, self.s_fmt, self.packed = kernel, k, svec, s_fmt, packed

    @property
    def block(self):
        return self.k // self.svec


BW_KINDS = {
    "bw-mxf8f6f4-e4m3-e4m3": BwKind(0, 32, 1, "e8m0", False),
    "bw-mxf8f6f4-e5m2-e5m2": BwKind(1, 32, 1, "e8m0", False),
    "bw-mxf8f6f4-e3m2-e2m3": BwKind(2, 32, 1, "e8m0", False),
    "bw-mxf8f6f4-e4m3-e2m1": BwKind(3, 32, 1, "e8m0", False),
    "bw-mxf4nvf4-2x-e2m1-e2m1": BwKind(4, 64, 2, "e8m0", True),
    "bw-mxf4nvf4-4x-e2m1-e2m1": BwKind(5, 64, 4, "ue4m3", True),
    "bw-mxf4-e2m1-e2m1": BwKind(6, 64, 2, "e8m0", True),
}


def _bw_maps(kind):
    """Where each operand value sits in the register images, per lane (axis 0):
    A (32, 4 registers, s slots): row, k; B (32, 2, s): col, k; C/D (32, 4): row, col;
    SA (32,): the row whose scales the lane carries (-1: none), SB (32,): the column.
    s = 4 byte slots (K = 32) or 8 nibble slots (K = 64); slot i is bits [i*32/s, (i+1)*32/s)."""
    s = 8 if kind.packed else 4
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    j = np.arange(4)[None, :, None]
    i = np.arange(s)[None, None, :]
    gg, tt = g[:, None, None], t[:, None, None]
    a_row = gg + 8 * (j & 1) + 0 * i
    a_k = s * tt + 4 * s * (j >> 1) + i
    jb = np.arange(2)[None, :, None]
    b_col = gg + 0 * jb + 0 * i
    b_k = s * tt + 4 * s * jb + i
    ci = np.arange(4)[None, :]
    c_row = g[:, None] + 8 * (ci >= 2)
    c_col = 2 * t[:, None] + (ci & 1)
    sa_row = np.where(t < 2, g + 8 * t, -1)
    sb_col = np.where(t == 0, g, -1)
    return dict(a_row=a_row, a_k=a_k, b_col=b_col, b_k=b_k, c_row=c_row, c_col=c_col,
                sa_row=sa_row, sb_col=sb_col)


def bw_container(fmt, codes, kind):
    """Element codes as the instruction reads them: the byte for kind::mxf8f6f4 (E2M1 in the
    central 4 bits, FP6 in the low 6, FP8 whole); the 4-bit code itself for kind::mxf4*."""
    codes = codes.astype(np.uint32)
    if kind.packed:
        if fmt != "e2m1":
            sys.exit(f"kind::mxf4/mxf4nvf4 takes e2m1 elements, not {fmt}")
        return codes & 0xF
    if fmt == "e2m1":
        return (codes & 0xF) << 2
    if fmt in ("e3m2", "e2m3"):
        return codes & 0x3F
    return codes & 0xFF


def _words(x, bits):
    """Sum slot values (last axis) into .b32 words, slot i at bit i * bits."""
    sh = (bits * np.arange(x.shape[-1], dtype=np.uint32)).astype(np.uint32)
    return (x.astype(np.uint32) << sh).sum(axis=-1, dtype=np.uint32)


def bw_pack(p, kind):
    """Register images (A, B, SA, SB, C) of T tiles for one kind of cuda/blackwell.cu:
    A (T, 32, 4), B (T, 32, 2), SA (T, 32), SB (T, 32), C (T, 32, 4), all uint32."""
    T, M, N, K = p.shape
    if (M, N, K) != (16, 8, kind.k) or p.block != kind.block or p.s_fmt != kind.s_fmt:
        sys.exit(f"tiles must be 16 x 8 x {kind.k} with {kind.s_fmt} scales per {kind.block}, "
                 f"got {M} x {N} x {K} with {p.s_fmt or 'no'} scales per {p.block}")
    m = _bw_maps(kind)
    bits = 4 if kind.packed else 8
    A = _words(bw_container(p.a_fmt, p.A[:, m["a_row"], m["a_k"]], kind), bits)
    B = _words(bw_container(p.b_fmt, p.B[:, m["b_col"], m["b_k"]], kind), bits)
    # Scale byte j of a carrying lane: the row's (column's) j-th block along K.
    sa = p.SA[:, np.maximum(m["sa_row"], 0), :].astype(np.uint32)     # T, 32, svec
    sb = p.SB[:, np.maximum(m["sb_col"], 0), :].astype(np.uint32)
    SA = np.where(m["sa_row"] >= 0, _words(sa, 8), 0).astype(np.uint32)
    SB = np.where(m["sb_col"] >= 0, _words(sb, 8), 0).astype(np.uint32)
    C = p.C[:, m["c_row"], m["c_col"]].astype(np.uint32)
    return A, B, SA, SB, C


def bw_unpack_d(D):
    """D register images (T, 32, 4) back to (T, 16, 8) (the same map for every kind)."""
    m = _bw_maps(BW_KINDS["bw-mxf8f6f4-e4m3-e4m3"])
    out = np.empty((D.shape[0], 16, 8), dtype=np.uint32)
    out[:, m["c_row"], m["c_col"]] = D
    return out


def run_bw(path, p):
    kind = BW_KINDS[path]
    A, B, SA, SB, C = (np.ascontiguousarray(x) for x in bw_pack(p, kind))
    T = A.shape[0]
    so = os.environ.get("MXGPU_BW_LIB", os.path.join(HERE, "build", "libmxgpu_bw.so"))
    lib_bw = ctypes.CDLL(so)
    vp = ctypes.c_void_p
    lib_bw.mxgpu_bw.argtypes = [ctypes.c_int, ctypes.c_int, vp, vp, vp, vp, vp, vp]
    D = np.empty((T, 32, 4), dtype=np.uint32)
    rc = lib_bw.mxgpu_bw(kind.kernel, T, A.ctypes.data, B.ctypes.data, SA.ctypes.data,
                         SB.ctypes.data, C.ctypes.data, D.ctypes.data)
    if rc:
        sys.exit(f"{path}: CUDA error {rc}")
    return bw_unpack_d(D)


def run(path, p):
    if path in MMA_IDS:
        want = path.split("-")[1:]
        if want[0] in ("f16", "bf16", "tf32"):
            want = ["fp16" if want[0] == "f16" else want[0]] * 2
        if [p.a_fmt, p.b_fmt] != want:
            sys.exit(f"{path}: vectors are {p.a_fmt} x {p.b_fmt}")
        return run_mma(path, p)
    parts = path.split("-")
    if parts[-2:] != [p.a_fmt, p.b_fmt]:
        sys.exit(f"{path}: vectors are {p.a_fmt} x {p.b_fmt}")
    if path in BW_KINDS:
        return run_bw(path, p)
    if parts[-2:] != [p.a_fmt, p.b_fmt]:
        sys.exit(f"{path}: vectors are {p.a_fmt} x {p.b_fmt}")
    if parts[0] == "wgmma":
        return run_wgmma(path, p)
    if parts[0] == "mxfp8":
        return run_mxfp8_sw(path, p)
    if parts[0] == "cublas":
        return run_cublas(path, p, fast=parts[1] == "fast")
    sys.exit(f"unknown path '{path}'")


def info():
    torch = _torch()
    import subprocess
    smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip()
    nvcc = subprocess.run(["nvcc", "--version"], capture_output=True, text=True).stdout.strip()
    return {"gpu": smi, "torch": torch.__version__, "cuda_runtime": torch.version.cuda,
            "nvcc": nvcc.splitlines()[-1] if nvcc else "", "capability": torch.cuda.get_device_capability()}


def main(argv):
    if len(argv) >= 1 and argv[0] == "info":
        print(info())
        return
    if len(argv) != 4 or argv[0] != "run":
        sys.exit(__doc__)
    _, path, vin, vout = argv
    p = read_vectors(vin)
    D = run(path, p)
    write_results(vout, path, D)


if __name__ == "__main__":
    main(sys.argv[1:])
