"""Deterministic random dot-product cases for the peer comparisons (peers/README.md).

The same module runs on the machine that runs a peer model and on the machine that runs mxref:
a case depends only on (job name, tile index), through Python's string-seeded Mersenne Twister,
so both sides rebuild identical operands from nothing but the job list. Only codes are made
here (bit patterns); no arithmetic on them.
"""

import random

# Code layout of the formats the peers take: (bits, exponent bits, mantissa bits, signed).
LAYOUT = {
    "e4m3": (8, 4, 3),
    "e5m2": (8, 5, 2),
    "e2m1": (4, 2, 1),
    "fp16": (16, 5, 10),
    "bf16": (16, 8, 7),
    "tf32": (19, 8, 10),
    "fp32": (32, 8, 23),
    # FNUZ (AMD CDNA3 fp8/bf8): 0x80 is the one NaN, no Inf, no -0.
    "e4m3fnuz": (8, 4, 3),
    "e5m2fnuz": (8, 5, 2),
}


def is_special(fmt, code):
    """NaN or Inf of an element format (E4M3: S.1111.111 is NaN; E2M1 has none)."""
    bits, eb, mb = LAYOUT[fmt]
    mag = code & ((1 << (bits - 1)) - 1)
    if fmt == "e4m3":
        return mag == 0x7F
    if fmt == "e2m1":
        return False
    if fmt.endswith("fnuz"):
        return code == 0x80
    return (mag >> mb) == (1 << eb) - 1


def special_codes(fmt):
    bits, eb, mb = LAYOUT[fmt]
    sign = 1 << (bits - 1)
    if fmt == "e2m1":
        return [0, sign]
    if fmt == "e4m3":
        return [0x7F, 0xFF, 0, sign]
    if fmt.endswith("fnuz"):
        return [0x80, 0, 0, 0]
    inf = ((1 << eb) - 1) << mb
    return [inf, inf | sign, inf | 1, inf | (1 << (mb - 1)) | sign, 0, sign]


class Gen:
    def __init__(self, job, tile):
        self.r = random.Random(f"{job['name']}:{tile}")

    def bits(self, n):
        return self.r.getrandbits(n)

    def below(self, n):
        return self.r.randrange(n)

    def chance(self, p):
        return self.r.random() < p

    def element(self, fmt, mode, center):
        bits, eb, mb = LAYOUT[fmt]
        if self.chance(0.004):
            return self.r.choice(special_codes(fmt))
        while True:
            if mode == "narrow":
                emax = (1 << eb) - 1
                e = min(max(center + self.below(5) - 2, 0), emax)
                c = (self.bits(1) << (bits - 1)) | (e << mb) | self.bits(mb)
            elif mode == "tiny":
                c = (self.bits(1) << (bits - 1)) | (self.below(2) << mb) | self.bits(mb)
            elif mode == "sparse" and self.chance(0.6):
                c = self.bits(1) << (bits - 1)
            else:
                c = self.bits(bits)
            if not is_special(fmt, c):
                return c

    def vector(self, fmt, k):
        """k codes in one mode: uniform, narrow exponents, subnormals, sparse, or cancelling."""
        bits, eb, mb = LAYOUT[fmt]
        mode = self.r.choice(["uniform", "uniform", "narrow", "narrow", "tiny", "sparse", "cancel"])
        center = self.below(1 << eb)
        if mode == "cancel":
            half = [self.element(fmt, "narrow", center) for _ in range(k // 2)]
            sign = 1 << (bits - 1)
            v = half + [c ^ sign for c in half]
            if fmt.endswith("fnuz"):
                v = [0 if c == 0x80 else c for c in v]  # FNUZ has no -0: 0x80 is its NaN
            v[self.below(k)] = self.element(fmt, "narrow", center)
            return v, True
        return [self.element(fmt, mode, center) for _ in range(k)], False

    def c_value(self, no_inf=False):
        """FP32 bits of C: zeros, moderate, wide, extremes, specials."""
        c = self._c_value()
        while no_inf and c & 0x7FFFFFFF == 0x7F800000:
            c = self._c_value()
        return c

    def _c_value(self):
        kind = self.below(16)
        s = self.bits(1) << 31
        if kind < 3:
            return s
        if kind < 9:
            return s | ((127 + self.below(61) - 30) << 23) | self.bits(23)
        if kind < 12:
            return self.bits(32) & 0x7F7FFFFF | s if self.chance(0.9) else self.bits(32)
        if kind == 12:
            return s | self.r.choice([0x7F7FFFFF, 0x00800000, 0x00000001, 0x007FFFFF, 0x7F000000])
        if kind == 13:
            return s | self.bits(23)  # subnormal
        if kind == 14:
            return s | ((127 + 100 + self.below(28)) << 23) | self.bits(23)  # huge
        return self.r.choice([0x7F800000, 0xFF800000, 0x7FC00000, s])

    def c16(self):
        """FP16 code of C for FP16-output paths: zeros, moderate, anywhere, extremes, specials."""
        kind = self.below(16)
        s = self.bits(1) << 15
        if kind < 3:
            return s
        if kind < 10:
            return s | ((15 + self.below(13) - 6) << 10) | self.bits(10)
        if kind < 13:
            return s | (self.below(31) << 10) | self.bits(10)
        if kind == 13:
            return s | self.r.choice([0x7BFF, 0x0400, 0x0001, 0x03FF])
        if kind == 14:
            return s | self.bits(10)  # subnormal
        return self.r.choice([0x7C00, 0xFC00, 0x7E00, s])

    def scale(self, fmt):
        if fmt == "e8m0":
            if self.chance(0.003):
                return 0xFF
            if self.chance(0.2):
                return self.below(255)
            return 127 + self.below(21) - 10
        # ue4m3: codes 0..0x7e, 0x7f is NaN
        if self.chance(0.003):
            return 0x7F
        if self.chance(0.2):
            return self.below(0x7F)
        return 0x38 + self.below(17) - 8  # around 1.0 (0x38)


def tile(job, t):
    """Operands of tile t: A (m x k codes, row-major), B (k x n codes, B[l][j]), C (m x n FP32
    bits, or FP16 codes for an FP16-output job), scale_A (m x k/block), scale_B (k/block x n)."""
    g = Gen(job, t)
    m, n, k = job["m"], job["n"], job["k"]
    A = [g.vector(job["a_fmt"], k)[0] for _ in range(m)]
    Bt = [g.vector(job["b_fmt"], k)[0] for _ in range(n)]
    # Cancelling pairs: where A's row cancels, give B's column the matching structure.
    if g.chance(0.3):
        for j in range(n):
            half = Bt[j][: k // 2]
            Bt[j] = half + half
    B = [[Bt[j][l] for j in range(n)] for l in range(k)]
    if job.get("d16"):
        C = [[g.c16() for _ in range(n)] for _ in range(m)]
    else:
        C = [[g.c_value(job.get("c_no_inf", False)) for _ in range(n)] for _ in range(m)]
    sa = sb = None
    if job.get("scale_fmt"):
        nb = k // job["block"]
        sa = [[g.scale(job["scale_fmt"]) for _ in range(nb)] for _ in range(m)]
        sb = [[g.scale(job["scale_fmt"]) for _ in range(n)] for _ in range(nb)]
    return A, B, C, sa, sb


def tiles_for(job):
    per = job["m"] * job["n"]
    return (job["dots"] + per - 1) // per
