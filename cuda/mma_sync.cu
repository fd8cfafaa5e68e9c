// Hopper tensor-core paths driven through PTX `mma.sync`, exposed to Python (cuda/mxgpu.py)
// as a C ABI. Each warp computes one M=16 x N=8 tile over K (a chain of mma instructions,
// D of one step is C of the next). Operands are raw codes; nothing here does arithmetic of
// its own: the tensor core's result is written back bit for bit.
//
// Layout of a problem (all tiles alike, T tiles):
//   A: T x 16 x K codes (row r of tile t is the A vector of output row r)
//   B: T x 8  x K codes (row c is the B vector of output column c)
//   C, D: T x 16 x 8 FP32 bits
// Element width is 1 byte (FP8), 2 bytes (FP16/BF16) or 4 (TF32 as FP32 bits).
//
// Fragment layouts follow the PTX ISA's "Matrix fragments for mma.m16n8k32" (8-bit types) and
// "mma.m16n8k16" (16-bit types); cuda/characterize.py checks them with single-product probes.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cuda_runtime.h>

namespace {

enum Path : int {
  MMA_E4M3_E4M3 = 0,
  MMA_E4M3_E5M2 = 1,
  MMA_E5M2_E4M3 = 2,
  MMA_E5M2_E5M2 = 3,
  MMA_F16 = 4,
  MMA_BF16 = 5,
  MMA_TF32 = 6,
};

template <int P>
__device__ __forceinline__ void mma_fp8(float d[4], const uint32_t a[4], const uint32_t b[2],
                                        const float c[4]) {
#define MXGPU_MMA8(TA, TB)                                                                   \
  asm volatile("mma.sync.aligned.m16n8k32.row.col.f32." TA "." TB ".f32 "                     \
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"                 \
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])                               \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), \
                 "f"(c[1]), "f"(c[2]), "f"(c[3]))
  if constexpr (P == MMA_E4M3_E4M3) MXGPU_MMA8("e4m3", "e4m3");
  if constexpr (P == MMA_E4M3_E5M2) MXGPU_MMA8("e4m3", "e5m2");
  if constexpr (P == MMA_E5M2_E4M3) MXGPU_MMA8("e5m2", "e4m3");
  if constexpr (P == MMA_E5M2_E5M2) MXGPU_MMA8("e5m2", "e5m2");
#undef MXGPU_MMA8
}

// One warp per tile; K a multiple of 32.
template <int P>
__global__ void mma8_kernel(const uint8_t* __restrict__ A, const uint8_t* __restrict__ B,
                            const uint32_t* __restrict__ C, uint32_t* __restrict__ D, int T,
                            int K) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  int lane = threadIdx.x % 32;
  if (warp >= T) return;
  int g = lane >> 2, t = lane & 3;
  const uint8_t* At = A + (size_t)warp * 16 * K;
  const uint8_t* Bt = B + (size_t)warp * 8 * K;
  const uint32_t* Ct = C + (size_t)warp * 128;
  uint32_t* Dt = D + (size_t)warp * 128;
  // c_i: row g (+8 for i >= 2), column 2t + (i & 1).
  float acc[4];
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    acc[i] = __uint_as_float(Ct[row * 8 + col]);
  }
  for (int k0 = 0; k0 < K; k0 += 32) {
    // a register j holds 4 consecutive k: rows g (j = 0, 2) / g + 8 (j = 1, 3),
    // columns 4t.. (j < 2) / 16 + 4t.. (j >= 2). Byte i of a register is k + i.
    uint32_t a[4], b[2];
    for (int j = 0; j < 4; j++) {
      int row = g + ((j & 1) ? 8 : 0), col = k0 + 4 * t + (j >= 2 ? 16 : 0);
      uint32_t v = 0;
      for (int i = 0; i < 4; i++) v |= (uint32_t)At[row * K + col + i] << (8 * i);
      a[j] = v;
    }
    // b register j: column g, rows 4t.. (+16 for j = 1).
    for (int j = 0; j < 2; j++) {
      int col = k0 + 4 * t + 16 * j;
      uint32_t v = 0;
      for (int i = 0; i < 4; i++) v |= (uint32_t)Bt[g * K + col + i] << (8 * i);
      b[j] = v;
    }
    float d[4];
    mma_fp8<P>(d, a, b, acc);
    for (int i = 0; i < 4; i++) acc[i] = d[i];
  }
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    Dt[row * 8 + col] = __float_as_uint(acc[i]);
  }
}

// 16-bit inputs, m16n8k16; K a multiple of 16.
template <int P>
__global__ void mma16_kernel(const uint16_t* __restrict__ A, const uint16_t* __restrict__ B,
                             const uint32_t* __restrict__ C, uint32_t* __restrict__ D, int T,
                             int K) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  int lane = threadIdx.x % 32;
  if (warp >= T) return;
  int g = lane >> 2, t = lane & 3;
  const uint16_t* At = A + (size_t)warp * 16 * K;
  const uint16_t* Bt = B + (size_t)warp * 8 * K;
  const uint32_t* Ct = C + (size_t)warp * 128;
  uint32_t* Dt = D + (size_t)warp * 128;
  float acc[4];
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    acc[i] = __uint_as_float(Ct[row * 8 + col]);
  }
  for (int k0 = 0; k0 < K; k0 += 16) {
    // a register j holds 2 consecutive k: rows g (j = 0, 2) / g + 8 (j = 1, 3),
    // columns 2t.. (j < 2) / 8 + 2t.. (j >= 2); the lower half is the lower k.
    uint32_t a[4], b[2];
    for (int j = 0; j < 4; j++) {
      int row = g + ((j & 1) ? 8 : 0), col = k0 + 2 * t + (j >= 2 ? 8 : 0);
      a[j] = (uint32_t)At[row * K + col] | ((uint32_t)At[row * K + col + 1] << 16);
    }
    for (int j = 0; j < 2; j++) {
      int col = k0 + 2 * t + 8 * j;
      b[j] = (uint32_t)Bt[g * K + col] | ((uint32_t)Bt[g * K + col + 1] << 16);
    }
    float d[4];
    if constexpr (P == MMA_F16)
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
          "{%8,%9}, {%10,%11,%12,%13};\n"
          : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(acc[0]),
            "f"(acc[1]), "f"(acc[2]), "f"(acc[3]));
    else
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
          "{%8,%9}, {%10,%11,%12,%13};\n"
          : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(acc[0]),
            "f"(acc[1]), "f"(acc[2]), "f"(acc[3]));
    for (int i = 0; i < 4; i++) acc[i] = d[i];
  }
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    Dt[row * 8 + col] = __float_as_uint(acc[i]);
  }
}

// TF32 inputs (FP32 bit patterns whose 13 low bits are zero), m16n8k8; K a multiple of 8.
__global__ void mma_tf32_kernel(const uint32_t* __restrict__ A, const uint32_t* __restrict__ B,
                                const uint32_t* __restrict__ C, uint32_t* __restrict__ D, int T,
                                int K) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  int lane = threadIdx.x % 32;
  if (warp >= T) return;
  int g = lane >> 2, t = lane & 3;
  const uint32_t* At = A + (size_t)warp * 16 * K;
  const uint32_t* Bt = B + (size_t)warp * 8 * K;
  const uint32_t* Ct = C + (size_t)warp * 128;
  uint32_t* Dt = D + (size_t)warp * 128;
  float acc[4];
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    acc[i] = __uint_as_float(Ct[row * 8 + col]);
  }
  for (int k0 = 0; k0 < K; k0 += 8) {
    // a_j: row g (j = 0, 2) / g + 8 (j = 1, 3), column t (j < 2) / t + 4 (j >= 2);
    // b_j: column g, row t / t + 4.
    uint32_t a[4], b[2];
    for (int j = 0; j < 4; j++)
      a[j] = At[(g + ((j & 1) ? 8 : 0)) * K + k0 + t + (j >= 2 ? 4 : 0)];
    for (int j = 0; j < 2; j++) b[j] = Bt[g * K + k0 + t + 4 * j];
    float d[4];
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%10,%11,%12,%13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(acc[0]),
          "f"(acc[1]), "f"(acc[2]), "f"(acc[3]));
    for (int i = 0; i < 4; i++) acc[i] = d[i];
  }
  for (int i = 0; i < 4; i++) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
    Dt[row * 8 + col] = __float_as_uint(acc[i]);
  }
}

char g_err[512];

int fail(const char* what, cudaError_t e) {
  snprintf(g_err, sizeof g_err, "%s: %s", what, cudaGetErrorString(e));
  return 1;
}

}  // namespace

extern "C" {

const char* mxgpu_error() { return g_err; }

// Run T tiles of path `path` (see enum Path). Host pointers in, host pointer out.
// Returns 0 on success; otherwise mxgpu_error() says why.
int mxgpu_mma(int path, int T, int K, const void* A, const void* B, const uint32_t* C,
              uint32_t* D) {
  int esz = path == MMA_TF32 ? 4 : path >= MMA_F16 ? 2 : 1;
  int kstep = esz == 1 ? 32 : esz == 2 ? 16 : 8;
  if (T <= 0 || K <= 0 || K % kstep != 0) {
    snprintf(g_err, sizeof g_err, "K must be a positive multiple of %d, T > 0", kstep);
    return 1;
  }
  size_t na = (size_t)T * 16 * K * esz, nb = (size_t)T * 8 * K * esz, nc = (size_t)T * 128 * 4;
  void *dA, *dB, *dC, *dD;
  cudaError_t e;
  if ((e = cudaMalloc(&dA, na))) return fail("cudaMalloc A", e);
  if ((e = cudaMalloc(&dB, nb))) return fail("cudaMalloc B", e);
  if ((e = cudaMalloc(&dC, nc))) return fail("cudaMalloc C", e);
  if ((e = cudaMalloc(&dD, nc))) return fail("cudaMalloc D", e);
  cudaMemcpy(dA, A, na, cudaMemcpyHostToDevice);
  cudaMemcpy(dB, B, nb, cudaMemcpyHostToDevice);
  cudaMemcpy(dC, C, nc, cudaMemcpyHostToDevice);
  // Poison D so an unwritten output cannot pass as a result.
  cudaMemset(dD, 0xA5, nc);
  int threads = 128, blocks = (T * 32 + threads - 1) / threads;
  auto a8 = (const uint8_t*)dA;
  auto b8 = (const uint8_t*)dB;
  auto a16 = (const uint16_t*)dA;
  auto b16 = (const uint16_t*)dB;
  auto c = (const uint32_t*)dC;
  auto d = (uint32_t*)dD;
  switch (path) {
    case MMA_E4M3_E4M3: mma8_kernel<MMA_E4M3_E4M3><<<blocks, threads>>>(a8, b8, c, d, T, K); break;
    case MMA_E4M3_E5M2: mma8_kernel<MMA_E4M3_E5M2><<<blocks, threads>>>(a8, b8, c, d, T, K); break;
    case MMA_E5M2_E4M3: mma8_kernel<MMA_E5M2_E4M3><<<blocks, threads>>>(a8, b8, c, d, T, K); break;
    case MMA_E5M2_E5M2: mma8_kernel<MMA_E5M2_E5M2><<<blocks, threads>>>(a8, b8, c, d, T, K); break;
    case MMA_F16: mma16_kernel<MMA_F16><<<blocks, threads>>>(a16, b16, c, d, T, K); break;
    case MMA_BF16: mma16_kernel<MMA_BF16><<<blocks, threads>>>(a16, b16, c, d, T, K); break;
    case MMA_TF32:
      mma_tf32_kernel<<<blocks, threads>>>((const uint32_t*)dA, (const uint32_t*)dB, c, d, T, K);
      break;
    default: snprintf(g_err, sizeof g_err, "unknown path %d", path); return 1;
  }
  if ((e = cudaGetLastError())) return fail("launch", e);
  if ((e = cudaDeviceSynchronize())) return fail("kernel", e);
  if ((e = cudaMemcpy(D, dD, nc, cudaMemcpyDeviceToHost))) return fail("copy D", e);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
  cudaFree(dD);
  return 0;
}
}
