// Blackwell (sm_120a) block-scaled mma.sync paths: built and disassembled on the device machine
// (cuda/device.sh), NOT run: no Blackwell part has been lent. One warp per 16x8 tile, like
// cuda/mma_sync.cu, but the operands arrive as per-lane register images so that the packing
// (FP4 pairs, FP6 in 8-bit containers, scale bytes) is done on the host, once, from codes.
//
// Register images per tile: A: 32 lanes x 4 u32, B: 32 lanes x 2 u32, SA/SB: 32 lanes x 1 u32,
// C/D: 32 lanes x 4 FP32 bits (fragment order of PTX "mma.m16n8k32"/"m16n8k64").
// byte-id and thread-id selectors are 0: SF_A from lanes with %laneid % 4 in {0, 1}, SF_B from
// lanes with %laneid % 4 == 0, scale_vec::1X/2X/4X reading byte 0, bytes 0-1 or bytes 0-3 (PTX
// ISA 9.7.14.3 "Block Scaling for mma.sync"). cuda/mxgpu.py (bw_pack, BW_KINDS) packs every
// kernel below and cites the ISA text per bit; which of the two SF_A lanes of a quad carries
// row g or g + 8, and which byte scales which K chunk, the text leaves to its figures, and the
// packer follows a published probe of sm_120 there: the first Blackwell run must confirm it
// (characterize.py's single-product probes, then a scale probe).

#include <cstdint>

#define BW_MMA(NAME, SHAPE, KIND, SVEC, TA, TB, ST)                                              \
  extern "C" __global__ void NAME(const uint32_t* A, const uint32_t* B, const uint32_t* SA,     \
                                  const uint32_t* SB, const uint32_t* C, uint32_t* D, int T) {   \
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;            \
    if (warp >= T) return;                                                                       \
    size_t l = (size_t)warp * 32 + lane;                                                         \
    uint32_t a0 = A[l * 4], a1 = A[l * 4 + 1], a2 = A[l * 4 + 2], a3 = A[l * 4 + 3];             \
    uint32_t b0 = B[l * 2], b1 = B[l * 2 + 1], sa = SA[l], sb = SB[l];                           \
    float c0 = __uint_as_float(C[l * 4]), c1 = __uint_as_float(C[l * 4 + 1]);                    \
    float c2 = __uint_as_float(C[l * 4 + 2]), c3 = __uint_as_float(C[l * 4 + 3]);                \
    float d0, d1, d2, d3;                                                                        \
    asm volatile("mma.sync.aligned." SHAPE ".row.col.kind::" KIND ".block_scale.scale_vec::" SVEC \
                 ".f32." TA "." TB ".f32." ST " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "         \
                 "{%10,%11,%12,%13}, %14, {0, 0}, %15, {0, 0};\n"                                \
                 : "=f"(d0), "=f"(d1), "=f"(d2), "=f"(d3)                                        \
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "f"(c0), "f"(c1),       \
                   "f"(c2), "f"(c3), "r"(sa), "r"(sb));                                          \
    D[l * 4] = __float_as_uint(d0);                                                              \
    D[l * 4 + 1] = __float_as_uint(d1);                                                          \
    D[l * 4 + 2] = __float_as_uint(d2);                                                          \
    D[l * 4 + 3] = __float_as_uint(d3);                                                          \
  }

// MXFP8/MXFP6/MXFP4 through kind::mxf8f6f4 (k = 32, one UE8M0 scale per 32 elements).
BW_MMA(bw_mxf8f6f4_e4m3_e4m3, "m16n8k32", "mxf8f6f4", "1X", "e4m3", "e4m3", "ue8m0")
BW_MMA(bw_mxf8f6f4_e5m2_e5m2, "m16n8k32", "mxf8f6f4", "1X", "e5m2", "e5m2", "ue8m0")
BW_MMA(bw_mxf8f6f4_e3m2_e2m3, "m16n8k32", "mxf8f6f4", "1X", "e3m2", "e2m3", "ue8m0")
BW_MMA(bw_mxf8f6f4_e4m3_e2m1, "m16n8k32", "mxf8f6f4", "1X", "e4m3", "e2m1", "ue8m0")
// MXFP4 (k = 64, UE8M0 per 32) and NVFP4 (UE4M3 per 16) through kind::mxf4nvf4 / kind::mxf4.
BW_MMA(bw_mxf4nvf4_2x_ue8m0, "m16n8k64", "mxf4nvf4", "2X", "e2m1", "e2m1", "ue8m0")
BW_MMA(bw_mxf4nvf4_4x_ue4m3, "m16n8k64", "mxf4nvf4", "4X", "e2m1", "e2m1", "ue4m3")
BW_MMA(bw_mxf4_2x_ue8m0, "m16n8k64", "mxf4", "2X", "e2m1", "e2m1", "ue8m0")

// Host entry for cuda/mxgpu.py (paths bw-*): copies the register images in, runs T tiles of
// kernel `kind` (the order above, BwKind.kernel in mxgpu.py), copies D out. Returns 0 or a CUDA
// error code.
#include <cuda_runtime.h>

typedef void (*BwKernel)(const uint32_t*, const uint32_t*, const uint32_t*, const uint32_t*,
                         const uint32_t*, uint32_t*, int);

extern "C" int mxgpu_bw(int kind, int T, const uint32_t* A, const uint32_t* B, const uint32_t* SA,
                        const uint32_t* SB, const uint32_t* C, uint32_t* D) {
  const BwKernel kernels[] = {bw_mxf8f6f4_e4m3_e4m3, bw_mxf8f6f4_e5m2_e5m2,
                              bw_mxf8f6f4_e3m2_e2m3, bw_mxf8f6f4_e4m3_e2m1,
                              bw_mxf4nvf4_2x_ue8m0,  bw_mxf4nvf4_4x_ue4m3,
                              bw_mxf4_2x_ue8m0};
  if (kind < 0 || kind >= 7 || T <= 0) return -1;
  size_t lanes = (size_t)T * 32;
  size_t sz[6] = {lanes * 16, lanes * 8, lanes * 4, lanes * 4, lanes * 16, lanes * 16};
  const void* src[5] = {A, B, SA, SB, C};
  void* dev[6];
  for (int i = 0; i < 6; i++)
    if (cudaError_t e = cudaMalloc(&dev[i], sz[i])) return (int)e;
  for (int i = 0; i < 5; i++) cudaMemcpy(dev[i], src[i], sz[i], cudaMemcpyHostToDevice);
  cudaMemset(dev[5], 0xA5, sz[5]);  // poison: an unwritten D cannot pass
  kernels[kind]<<<(T * 32 + 127) / 128, 128>>>(
      (const uint32_t*)dev[0], (const uint32_t*)dev[1], (const uint32_t*)dev[2],
      (const uint32_t*)dev[3], (const uint32_t*)dev[4], (uint32_t*)dev[5], T);
  cudaError_t e = cudaGetLastError();
  if (!e) e = cudaDeviceSynchronize();
  if (!e) e = cudaMemcpy(D, dev[5], sz[5], cudaMemcpyDeviceToHost);
  for (int i = 0; i < 6; i++) cudaFree(dev[i]);
  return (int)e;
}
