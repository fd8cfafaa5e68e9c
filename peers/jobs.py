"""Which mxref preset is compared with which MMA-Sim instruction, on which formats.

Each job: an mxref preset, the peer's (class, architecture, PTX qualifier), the tile shape the
peer computes per call (every D element is one dot product), the element/scale formats, and
how many dot products to compare.
"""

DOTS = 100_000

# PTX type names used in MMA-Sim qualifiers, by mxref format name.
PTX = {"e4m3": "e4m3", "e5m2": "e5m2", "e2m1": "e2m1", "fp16": "f16", "bf16": "bf16", "tf32": "tf32"}


def _job(preset, cls, arch, qual, m, n, k, a, b, scale=None, block=None, dots=DOTS):
    name = f"{preset}.{a}.{b}" + (f".{scale}{block}" if scale else "")
    return dict(name=name, preset=preset, cls=cls, arch=arch, qualifier=qual, m=m, n=n, k=k,
                a_fmt=a, b_fmt=b, scale_fmt=scale, block=block, dots=dots)


def _mma(preset, arch, shape, a, b, dots=DOTS, d16=False):
    m, rest = shape[1:].split("n")
    n, k = rest.split("k")
    d = "f16" if d16 else "f32"
    qual = f"{shape}.{d}.{PTX[a]}.{PTX[b]}.{d}"
    return dict(_job(preset, "mma", arch, qual, int(m), int(n), int(k), a, b, dots=dots), d16=d16)


def _warpgroup(preset, cls, arch, m, k, a, b, dots=DOTS, d16=False):
    qual = f"m{m}n8k{k}.{'f16' if d16 else 'f32'}.{PTX[a]}.{PTX[b]}"
    return dict(_job(preset, cls, arch, qual, m, 8, k, a, b, dots=dots), d16=d16)


FP8_PAIRS = [("e4m3", "e4m3"), ("e5m2", "e5m2"), ("e4m3", "e5m2"), ("e5m2", "e4m3")]

# AMD mfma type names by mxref format name (fp8/bf8 are the FNUZ formats).
AMD = {"fp16": "f16", "bf16": "bf16", "e4m3fnuz": "fp8", "e5m2fnuz": "bf8", "fp32": "f32",
       "tf32": "xf32"}


def _mfma(preset, shape, a, b, dots=DOTS):
    """MMA-Sim's amd.mfma('CDNA3', qualifier): shape "MxNxK" plus a multi-block suffix."""
    dims, *blocks = shape.split("_")
    m, n, k = map(int, dims.split("x"))
    if a.endswith("fnuz"):
        qual = f"f32_{shape}_{AMD[a]}_{AMD[b]}"
    else:
        qual = "_".join(["f32", dims, *blocks, AMD[a]])
    return dict(_job(preset, "mfma", "CDNA3", qual, m, n, k, a, b, dots=dots), module="amd")


def _split(dots, parts):
    # Every format pair gets the full count: the peer runs fast enough.
    return dots


def jobs():
    J = []
    J.append(_mma("volta-mma-f16", "Volta", "m8n8k4", "fp16", "fp16"))
    J.append(_mma("turing-mma-f16", "Turing", "m16n8k8", "fp16", "fp16"))
    for arch, p in [("Ampere", "ampere"), ("Ada Lovelace", "ada")]:
        J.append(_mma(f"{p}-mma-f16", arch, "m16n8k16", "fp16", "fp16"))
        J.append(_mma(f"{p}-mma-bf16", arch, "m16n8k16", "bf16", "bf16"))
        J.append(_mma(f"{p}-mma-tf32", arch, "m16n8k8", "tf32", "tf32"))
    for a, b in FP8_PAIRS:
        J.append(_mma("ada-mma-fp8", "Ada Lovelace", "m16n8k32", a, b, _split(DOTS, 4)))
    # Hopper mma f16/bf16 (measured presets of the GPU work) and tf32 (published model).
    J.append(_mma("hopper-mma-f16", "Hopper", "m16n8k16", "fp16", "fp16"))
    J.append(_mma("hopper-mma-bf16", "Hopper", "m16n8k16", "bf16", "bf16"))
    J.append(_mma("hopper-mma-tf32", "Hopper", "m16n8k8", "tf32", "tf32"))
    J.append(_warpgroup("hopper-wgmma-f16", "wgmma", "Hopper", 64, 16, "fp16", "fp16"))
    J.append(_warpgroup("hopper-wgmma-bf16", "wgmma", "Hopper", 64, 16, "bf16", "bf16"))
    J.append(_warpgroup("hopper-wgmma-tf32", "wgmma", "Hopper", 64, 8, "tf32", "tf32"))
    for a, b in FP8_PAIRS:
        J.append(_warpgroup("hopper-wgmma-fp8", "wgmma", "Hopper", 64, 32, a, b, _split(DOTS, 4)))
    J.append(_mma("blackwell-mma-f16", "Blackwell", "m16n8k16", "fp16", "fp16"))
    J.append(_mma("blackwell-mma-bf16", "Blackwell", "m16n8k16", "bf16", "bf16"))
    J.append(_mma("blackwell-mma-tf32", "Blackwell", "m16n8k8", "tf32", "tf32"))
    J.append(_warpgroup("blackwell-tcgen05-f16", "tcgen05mma", "Blackwell", 64, 16, "fp16", "fp16"))
    J.append(_warpgroup("blackwell-tcgen05-bf16", "tcgen05mma", "Blackwell", 64, 16, "bf16", "bf16"))
    J.append(_warpgroup("blackwell-tcgen05-tf32", "tcgen05mma", "Blackwell", 64, 8, "tf32", "tf32"))
    for a, b in FP8_PAIRS:
        J.append(_warpgroup("blackwell-tcgen05-f8f6f4", "tcgen05mma", "Blackwell", 64, 32, a, b,
                            _split(DOTS, 4)))
    for a, b in FP8_PAIRS:
        J.append(_job("blackwell-tcgen05-mxf8f6f4", "tcgen05mma_block_scale", "Blackwell",
                      f"m128n8k32.block32.f32.{a}.{b}.ue8m0", 128, 8, 32, a, b, "e8m0", 32,
                      _split(DOTS, 4)))
    J.append(_job("blackwell-tcgen05-mxf4", "tcgen05mma_block_scale", "Blackwell",
                  "m128n8k64.block32.f32.e2m1.e2m1.ue8m0", 128, 8, 64, "e2m1", "e2m1", "e8m0", 32))
    for scale, block in [("e8m0", 16), ("ue4m3", 16)]:
        ptx = "ue8m0" if scale == "e8m0" else "ue4m3"
        J.append(_job("blackwell-tcgen05-mxf4nvf4", "tcgen05mma_block_scale", "Blackwell",
                      f"m128n8k64.block{block}.f32.e2m1.e2m1.{ptx}", 128, 8, 64, "e2m1", "e2m1",
                      scale, block))
    # RTX Blackwell (sm_120): mma f16/bf16/tf32/fp8 and the block-scaled mma.
    J.append(_mma("rtxblackwell-mma-f16", "RTX Blackwell", "m16n8k16", "fp16", "fp16"))
    J.append(_mma("rtxblackwell-mma-bf16", "RTX Blackwell", "m16n8k16", "bf16", "bf16"))
    J.append(_mma("rtxblackwell-mma-tf32", "RTX Blackwell", "m16n8k8", "tf32", "tf32"))
    for a, b in FP8_PAIRS:
        J.append(_mma("rtxblackwell-mma-f8f6f4", "RTX Blackwell", "m16n8k32", a, b, _split(DOTS, 4)))
    for a, b in FP8_PAIRS:
        J.append(_job("rtxblackwell-mma-mxf8f6f4", "mma_block_scale", "RTX Blackwell",
                      f"m16n8k32.block32.f32.{a}.{b}.f32.ue8m0", 16, 8, 32, a, b, "e8m0", 32,
                      _split(DOTS, 4)))
    J.append(_job("rtxblackwell-mma-mxf4", "mma_block_scale", "RTX Blackwell",
                  "m16n8k64.block32.f32.e2m1.e2m1.f32.ue8m0", 16, 8, 64, "e2m1", "e2m1", "e8m0", 32))
    for scale, block in [("e8m0", 16), ("ue4m3", 16)]:
        ptx = "ue8m0" if scale == "e8m0" else "ue4m3"
        J.append(_job("rtxblackwell-mma-mxf4nvf4", "mma_block_scale", "RTX Blackwell",
                      f"m16n8k64.block{block}.f32.e2m1.e2m1.f32.{ptx}", 16, 8, 64, "e2m1", "e2m1",
                      scale, block))
    # FP16 C and D (C and D are FP16; mxref returns D as the FP32 pattern of its FP16 value).
    J.append(_mma("volta-mma-f16-f16out", "Volta", "m8n8k4", "fp16", "fp16", d16=True))
    J.append(_mma("turing-mma-f16-f16out", "Turing", "m16n8k8", "fp16", "fp16", d16=True))
    J.append(_mma("ampere-mma-f16-f16out", "Ampere", "m16n8k16", "fp16", "fp16", d16=True))
    for a, b in FP8_PAIRS:
        J.append(_mma("ada-mma-fp8-f16out", "Ada Lovelace", "m16n8k32", a, b, d16=True))
    J.append(_warpgroup("hopper-wgmma-f16-f16out", "wgmma", "Hopper", 64, 16, "fp16", "fp16", d16=True))
    J.append(_warpgroup("blackwell-tcgen05-f16-f16out", "tcgen05mma", "Blackwell", 64, 16, "fp16", "fp16",
                        d16=True))
    # AMD CDNA3 (MI300) mfma: MMA-Sim's AMD model.
    J.append(_mfma("cdna3-mfma-f16", "16x16x16", "fp16", "fp16"))
    J.append(_mfma("cdna3-mfma-f16-k4", "32x32x4_2b", "fp16", "fp16"))
    J.append(_mfma("cdna3-mfma-bf16", "16x16x16", "bf16", "bf16"))
    J.append(_mfma("cdna3-mfma-bf16-k4", "32x32x4_2b", "bf16", "bf16"))
    J.append(_mfma("cdna3-mfma-xf32", "16x16x8", "tf32", "tf32"))
    J.append(_mfma("cdna3-mfma-f32", "16x16x4", "fp32", "fp32"))
    for a, b in [("e4m3fnuz", "e4m3fnuz"), ("e5m2fnuz", "e5m2fnuz"), ("e4m3fnuz", "e5m2fnuz"),
                 ("e5m2fnuz", "e4m3fnuz")]:
        J.append(_mfma("cdna3-mfma-fp8", "16x16x32", a, b))
    for j in J:
        j.setdefault("d16", False)
        j.setdefault("module", "nv_ptx")
        # MMA-Sim's FP4 block-scaled path raises OverflowError on C = +-Inf (spec/presets.md):
        # its cases keep C finite so that the rest of each tile is compared.
        j["c_no_inf"] = j["k"] == 64 and j["scale_fmt"] is not None
    return J
