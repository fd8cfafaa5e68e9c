// cuBLASLt block-scaled GEMM runner for mxref vector files (spec/gpu.md "sm_100a: cuBLASLt
// block-scaled GEMM"): each tile of a `mxref gpu gen --block 32|16` file runs as one
// cublasLtMatmul with per-block scales (A_SCALE_MODE / B_SCALE_MODE = VEC32_UE8M0 or
// VEC16_UE4M3), FP32 C with beta = 1, FP32 D; the D bits go to a result file for `mxref gpu check`.
//
//   bs_gemm VECTORS RESULTS [--mode mxfp8|nvfp4|mxfp4]   run (mode defaults from the file)
//   bs_gemm --selftest VECTORS [RESULTS] [--mode ...]    packing round trips, no GPU; RESULTS
//                                                        gets D = C through the C/D layouts
//
// The host only moves bits: codes and scales are the model's, from the vector file. Exit
// status: 0 done, 1 CUDA/cuBLASLt failure, 2 bad input (file and field named), 3 cuBLASLt
// reports the block-scaled matmul unsupported on this device (expected before sm_100).
//
// Device build (cuda/device.sh blackwell_cublas):
//   nvcc -O2 -std=c++17 -gencode arch=compute_90a,code=sm_90a
//        -gencode arch=compute_100a,code=sm_100a -o cuda/build/bs_gemm cuda/bs_gemm.cu -lcublasLt
// The file has no kernels of its own: the tensor-core kernels are cuBLASLt's, chosen at run
// time for the device. Host-only build (CI, no CUDA toolkit):
//   g++ -O2 -std=c++17 -DBS_GEMM_HOST_ONLY -x c++ -o bs_gemm_host cuda/bs_gemm.cu
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>
#ifndef BS_GEMM_HOST_ONLY
#include <cublasLt.h>
#include <cuda_runtime_api.h>
#endif

namespace {

constexpr size_t kHeader = 64;

// Bad input: exit 2, the message names the file and the field.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A CUDA or cuBLASLt failure; `code` is the exit status (3: not supported here).
struct DeviceError : std::runtime_error {
  int code;
  DeviceError(const std::string& m, int c) : std::runtime_error(m), code(c) {}
};

enum class ScaleMode { Vec32Ue8m0, Vec16Ue4m3 };

struct Mode {
  const char* name;
  const char* elems[2];  // element formats the mode takes (nullptr: none)
  const char* scale;     // scale format name in the vector file
  uint32_t block;
  ScaleMode scale_mode;
  bool fp4;  // elements are E2M1, packed two to a byte
};

// The three block-scaled cuBLASLt input kinds (cublasLtMatmulMatrixScale_t in cublasLt.h:
// VEC32_UE8M0 = "a CUDA_R_8F_UE8M0 scale per 32 elements of the innermost dimension",
// VEC16_UE4M3 = "a CUDA_R_8F_UE4M3 scale per 16 elements"). Whether cuBLASLt has E2M1 with
// UE8M0 scales (mxfp4) is for the library to say at run time.
const Mode kModes[] = {
    {"mxfp8", {"e4m3", "e5m2"}, "e8m0", 32, ScaleMode::Vec32Ue8m0, false},
    {"nvfp4", {"e2m1", nullptr}, "ue4m3", 16, ScaleMode::Vec16Ue4m3, true},
    {"mxfp4", {"e2m1", nullptr}, "e8m0", 32, ScaleMode::Vec32Ue8m0, true},
};

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// One mxref GPU vector file (layout: spec/gpu.md "Vector and result files").
struct Vectors {
  std::string path;
  uint32_t t = 0, m = 0, n = 0, k = 0, block = 0;
  std::string a_fmt, b_fmt, s_fmt;
  std::vector<uint8_t> raw;
  const Mode* mode = nullptr;

  uint32_t nsb() const { return k / block; }
  // Every format bs_gemm takes is 1 byte a code, 1 byte a scale.
  size_t tile_bytes() const {
    return size_t(m) * k + size_t(n) * k + (size_t(m) + n) * nsb() + size_t(m) * n * 4;
  }
  const uint8_t* a(size_t i) const { return raw.data() + kHeader + i * tile_bytes(); }
  const uint8_t* b(size_t i) const { return a(i) + size_t(m) * k; }
  const uint8_t* sa(size_t i) const { return b(i) + size_t(n) * k; }
  const uint8_t* sb(size_t i) const { return sa(i) + size_t(m) * nsb(); }
  const uint8_t* c(size_t i) const { return sb(i) + size_t(n) * nsb(); }
};

std::string hex(unsigned v) {
  char s[16];
  snprintf(s, sizeof s, "0x%02x", v);
  return s;
}

Vectors read_vectors(const std::string& path, const char* mode_name) {
  Vectors v;
  v.path = path;
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) throw BadInput(path + ": cannot open: " + strerror(errno));
  uint8_t buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) v.raw.insert(v.raw.end(), buf, buf + got);
  bool err = ferror(f);
  fclose(f);
  if (err) throw BadInput(path + ": read error");
  const uint8_t* r = v.raw.data();
  if (v.raw.size() < kHeader || memcmp(r, "MXGPUVEC", 8) != 0)
    throw BadInput(path + ": not an mxref GPU vector file (no MXGPUVEC header)");
  if (le32(r + 8) != 1)
    throw BadInput(path + ": header field version: " + std::to_string(le32(r + 8)) +
                   " (bs_gemm reads 1)");
  v.t = le32(r + 12), v.m = le32(r + 16), v.n = le32(r + 20), v.k = le32(r + 24);
  v.block = le32(r + 28);
  auto name = [&](int i) {
    return std::string(reinterpret_cast<const char*>(r + 32 + 8 * i),
                       strnlen(reinterpret_cast<const char*>(r + 32 + 8 * i), 8));
  };
  v.a_fmt = name(0), v.b_fmt = name(1), v.s_fmt = name(2);
  if (v.m == 0 || v.n == 0 || v.k == 0)
    throw BadInput(path + ": header fields M, N, K must be positive");
  // Bounds that keep every size below in 64 bits (a tile is one matmul; real ones are small).
  if (v.m > 65536 || v.n > 65536 || v.k > 65536)
    throw BadInput(path + ": header fields M, N, K: " + std::to_string(v.m) + ", " +
                   std::to_string(v.n) + ", " + std::to_string(v.k) +
                   " (bs_gemm takes at most 65536 each)");
  if (v.block == 0)
    throw BadInput(path + ": header field block: 0 (bs_gemm runs block-scaled vectors: " +
                   "mxref gpu gen --block 32, or --block 16 --scale ue4m3)");
  if (v.k % v.block != 0)
    throw BadInput(path + ": header field block: " + std::to_string(v.block) +
                   " does not divide K = " + std::to_string(v.k));
  // The mode: named, or the one whose element and scale formats the file has.
  for (const Mode& md : kModes) {
    bool elem = v.a_fmt == md.elems[0] || (md.elems[1] && v.a_fmt == md.elems[1]);
    if (mode_name ? std::string(mode_name) == md.name : elem && v.s_fmt == md.scale) v.mode = &md;
  }
  if (!v.mode) {
    if (mode_name)
      throw BadInput(std::string("--mode ") + mode_name + ": not mxfp8, nvfp4 or mxfp4");
    throw BadInput(path + ": header fields a_fmt, scale_fmt: " + v.a_fmt + " with " + v.s_fmt +
                   " is none of mxfp8 (e4m3/e5m2, e8m0), nvfp4 (e2m1, ue4m3), mxfp4 (e2m1, e8m0)");
  }
  const Mode& md = *v.mode;
  const std::string want =
      md.elems[1] ? std::string(md.elems[0]) + " or " + md.elems[1] : md.elems[0];
  for (auto [field, fmt] :
       {std::pair<const char*, std::string*>{"a_fmt", &v.a_fmt}, {"b_fmt", &v.b_fmt}})
    if (*fmt != md.elems[0] && !(md.elems[1] && *fmt == md.elems[1]))
      throw BadInput(path + ": header field " + field + ": " + *fmt + ", but " + md.name +
                     " takes " + want);
  if (v.s_fmt != md.scale)
    throw BadInput(path + ": header field scale_fmt: " + v.s_fmt + ", but " + md.name + " takes " +
                   md.scale);
  if (v.block != md.block)
    throw BadInput(path + ": header field block: " + std::to_string(v.block) + ", but " + md.name +
                   " takes " + std::to_string(md.block));
  // Two E2M1 codes share a byte, so a row of A or B must fill whole bytes.
  if (md.fp4 && v.k % 2 != 0) throw BadInput(path + ": header field K: odd K with e2m1");
  const size_t tb = v.tile_bytes(), body = v.raw.size() - kHeader;
  if (body % tb != 0 || body / tb != v.t)
    throw BadInput(path + ": " + std::to_string(v.raw.size()) + " bytes, but the header promises " +
                   std::to_string(v.t) + " tiles of " + std::to_string(tb) + " bytes after 64");
  // Every code must be a code of its format (E2M1: 4 bits; UE4M3: 7 bits, sign bit clear).
  const unsigned elem_max = md.fp4 ? 0x0f : 0xff, scale_max = v.s_fmt == "ue4m3" ? 0x7f : 0xff;
  for (size_t i = 0; i < v.t; i++) {
    const uint8_t* arr[] = {v.a(i), v.b(i), v.sa(i), v.sb(i)};
    const char* what[] = {"A", "B", "SA", "SB"};
    const size_t rows[] = {v.m, v.n, v.m, v.n}, cols[] = {v.k, v.k, v.nsb(), v.nsb()};
    for (int w = 0; w < 4; w++)
      for (size_t j = 0; j < rows[w] * cols[w]; j++)
        if (arr[w][j] > (w < 2 ? elem_max : scale_max))
          throw BadInput(path + ": tile " + std::to_string(i) + ": " + what[w] + "[" +
                         std::to_string(j / cols[w]) + "][" + std::to_string(j % cols[w]) +
                         "] = " + hex(arr[w][j]) + " is not a valid " +
                         (w == 0   ? v.a_fmt
                          : w == 1 ? v.b_fmt
                                   : v.s_fmt) +
                         " code");
  }
  return v;
}

// ---- Bit placement (pure; what --selftest checks) ----
//
// Operands: cuBLASLt's narrow-precision matmuls take A transposed and B not ("TN"), column-
// major: A is stored K x M with leading dimension K, so column r of the stored matrix (row r
// of op(A)) is the K codes of output row r, contiguous -- which is the vector file's A row.
// B is stored K x N, column c being the file's B row c. FP8 codes are copied byte for byte.

// E2M1 (CUDA_R_4F_E2M1) packs two codes a byte, the lower-indexed element in the low nibble:
// cuda_fp4.hpp's __nv_cvt_float2_to_fp4x2 puts .x in bits 3:0 and .y in bits 7:4, the same
// order as PTX's e2m1x2. `out` holds rows * k / 2 bytes.
void pack_fp4(const uint8_t* codes, size_t count, uint8_t* out) {
  for (size_t j = 0; j < count; j += 2) out[j / 2] = uint8_t(codes[j] | codes[j + 1] << 4);
}

// Block scales: cuBLAS documentation, cuBLASLt API, "1D Block Scaling Factors Layout" (the
// layout for VEC32_UE8M0 and VEC16_UE4M3; the same 128x4 tiled layout is spelled out in
// NVIDIA's cuDNN-frontend note "The 128x4 Tiled Layout for Block Scaling Factors"). The
// logical scale tensor of an operand is outer x inner: outer = M for A, N for B (the non-K
// dimension), inner = K / block. It is padded to a multiple of 128 rows and 4 columns (pad
// bytes zero) and cut into 128 x 4 tiles of 512 bytes, stored tile-row-major; inside a tile,
// (row, col) sits at (row % 32) * 16 + (row / 32) * 4 + col.
size_t pad_to(size_t x, size_t m) { return (x + m - 1) / m * m; }
size_t scale_bytes(size_t outer, size_t inner) { return pad_to(outer, 128) * pad_to(inner, 4); }
size_t scale_offset(size_t row, size_t col, size_t inner) {
  const size_t tiles_per_row = pad_to(inner, 4) / 4;
  const size_t tile = (row / 128) * tiles_per_row + col / 4;
  const size_t r = row % 128, c = col % 4;
  return tile * 512 + (r % 32) * 16 + (r / 32) * 4 + c;
}
// `scales` is outer x inner row-major (the vector file's SA or SB); `out` has scale_bytes.
void pack_scales(const uint8_t* scales, size_t outer, size_t inner, uint8_t* out) {
  memset(out, 0, scale_bytes(outer, inner));
  for (size_t r = 0; r < outer; r++)
    for (size_t c = 0; c < inner; c++) out[scale_offset(r, c, inner)] = scales[r * inner + c];
}

// C and D are column-major M x N (ld = M); the vector file's C and the result file's D are
// row-major. FP32 bits move unchanged.
void c_to_colmajor(const uint8_t* c_le, size_t m, size_t n, uint32_t* out) {
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < n; c++) out[r + c * m] = le32(c_le + 4 * (r * n + c));
}
void d_to_rowmajor(const uint32_t* d, size_t m, size_t n, uint32_t* out) {
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < n; c++) out[r * n + c] = d[r + c * m];
}

// Per-tile strides of the packed buffers, each a multiple of 256 bytes (cuBLASLt's default
// minimum alignment preference; scale tensors need 16).
struct Packed {
  size_t a_bytes, b_bytes, sa_bytes, sb_bytes, cd_bytes;
  size_t a_stride, b_stride, sa_stride, sb_stride, cd_stride;
  std::vector<uint8_t> a, b, sa, sb;
  std::vector<uint32_t> c;  // column-major C, cd_stride / 4 words a tile
};

Packed pack_all(const Vectors& v) {
  Packed p;
  const bool fp4 = v.mode->fp4;
  p.a_bytes = fp4 ? size_t(v.m) * v.k / 2 : size_t(v.m) * v.k;
  p.b_bytes = fp4 ? size_t(v.n) * v.k / 2 : size_t(v.n) * v.k;
  p.sa_bytes = scale_bytes(v.m, v.nsb());
  p.sb_bytes = scale_bytes(v.n, v.nsb());
  p.cd_bytes = size_t(v.m) * v.n * 4;
  p.a_stride = pad_to(p.a_bytes, 256), p.b_stride = pad_to(p.b_bytes, 256);
  p.sa_stride = pad_to(p.sa_bytes, 256), p.sb_stride = pad_to(p.sb_bytes, 256);
  p.cd_stride = pad_to(p.cd_bytes, 256);
  p.a.assign(p.a_stride * v.t, 0), p.b.assign(p.b_stride * v.t, 0);
  p.sa.assign(p.sa_stride * v.t, 0), p.sb.assign(p.sb_stride * v.t, 0);
  p.c.assign(p.cd_stride / 4 * v.t, 0);
  for (size_t i = 0; i < v.t; i++) {
    if (fp4) {
      pack_fp4(v.a(i), size_t(v.m) * v.k, &p.a[i * p.a_stride]);
      pack_fp4(v.b(i), size_t(v.n) * v.k, &p.b[i * p.b_stride]);
    } else {
      memcpy(&p.a[i * p.a_stride], v.a(i), p.a_bytes);
      memcpy(&p.b[i * p.b_stride], v.b(i), p.b_bytes);
    }
    pack_scales(v.sa(i), v.m, v.nsb(), &p.sa[i * p.sa_stride]);
    pack_scales(v.sb(i), v.n, v.nsb(), &p.sb[i * p.sb_stride]);
    c_to_colmajor(v.c(i), v.m, v.n, &p.c[i * p.cd_stride / 4]);
  }
  return p;
}

// Result file: "MXGPURES", u32 version 1, T, M, N, 24-byte path name, pad to 64, then
// T*M*N FP32 bits, row-major per tile. Written to a temporary file and renamed.
void write_results(const std::string& path, const std::string& name, const Vectors& v,
                   const std::vector<uint32_t>& d) {
  std::vector<uint8_t> out(kHeader, 0);
  memcpy(out.data(), "MXGPURES", 8);
  const uint32_t head[] = {1, v.t, v.m, v.n};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) out[8 + 4 * i + j] = uint8_t(head[i] >> (8 * j));
  memcpy(out.data() + 24, name.data(), name.size() < 24 ? name.size() : 24);
  for (uint32_t x : d)
    for (int j = 0; j < 4; j++) out.push_back(uint8_t(x >> (8 * j)));
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error(tmp + ": cannot create: " + strerror(errno));
  bool ok = fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    remove(tmp.c_str());
    throw std::runtime_error(path + ": write failed: " + strerror(errno));
  }
}

// ---- --selftest: the packing undone by the layout's inverse, no GPU ----

// Inverse of scale_offset, from the same documentation: offset -> (row, col).
void scale_position(size_t off, size_t inner, size_t* row, size_t* col) {
  const size_t tiles_per_row = pad_to(inner, 4) / 4, tile = off / 512, local = off % 512;
  *row = (tile / tiles_per_row) * 128 + ((local % 16) / 4) * 32 + local / 16;
  *col = (tile % tiles_per_row) * 4 + local % 4;
}

int fail(const std::string& what) {
  fprintf(stderr, "bs_gemm selftest: FAIL: %s\n", what.c_str());
  return 1;
}

int selftest(const Vectors& v, const std::string& out_path) {
  // Offsets the documentation lists (the cuDNN-frontend note's tables): within one tile,
  // offsets 0-3 are row 0, 4-7 row 32, 8-11 row 64, 12-15 row 96, 16 starts row 1; for a
  // 256 x 8 scale tensor the tiles are [rows 0-127, cols 0-3] [0-127, 4-7] [128-255, 0-3] ...
  const struct {
    size_t row, col, inner, off;
  } doc[] = {
      {0, 0, 4, 0},      {0, 3, 4, 3},   {32, 0, 4, 4},    {64, 1, 4, 9},  {96, 3, 4, 15},
      {1, 0, 4, 16},     {33, 2, 4, 22}, {127, 3, 4, 511}, {0, 4, 8, 512}, {128, 0, 8, 1024},
      {128, 4, 8, 1536}, {2, 1, 2, 33},  {3, 0, 2, 48},
  };
  for (auto& d : doc)
    if (scale_offset(d.row, d.col, d.inner) != d.off)
      return fail("scale (" + std::to_string(d.row) + ", " + std::to_string(d.col) + ") at " +
                  std::to_string(scale_offset(d.row, d.col, d.inner)) + ", documented " +
                  std::to_string(d.off));
  const Packed p = pack_all(v);
  const size_t nsb = v.nsb();
  std::vector<uint32_t> all_d;
  for (size_t i = 0; i < v.t; i++) {
    const std::string at = v.path + ": tile " + std::to_string(i) + ": ";
    // Operands: every code back from its packed place.
    const uint8_t* src[] = {v.a(i), v.b(i)};
    const uint8_t* dst[] = {&p.a[i * p.a_stride], &p.b[i * p.b_stride]};
    const size_t rows[] = {v.m, v.n};
    for (int w = 0; w < 2; w++)
      for (size_t j = 0; j < rows[w] * v.k; j++) {
        const unsigned got = v.mode->fp4 ? (dst[w][j / 2] >> (4 * (j % 2))) & 0x0f : dst[w][j];
        if (got != src[w][j])
          return fail(at + (w ? "B" : "A") + " code " + std::to_string(j) + " packs to " +
                      hex(got));
      }
    // Scales: each packed byte is the file's scale at the position the inverse gives, or a
    // zero pad byte; each file scale lands exactly once.
    const uint8_t* ssrc[] = {v.sa(i), v.sb(i)};
    const uint8_t* sdst[] = {&p.sa[i * p.sa_stride], &p.sb[i * p.sb_stride]};
    const size_t sbytes[] = {p.sa_bytes, p.sb_bytes};
    for (int w = 0; w < 2; w++) {
      std::vector<int> seen(rows[w] * nsb, 0);
      for (size_t off = 0; off < sbytes[w]; off++) {
        size_t r, c;
        scale_position(off, nsb, &r, &c);
        if (scale_offset(r, c, nsb) != off)
          return fail(at + "scale offset " + std::to_string(off) + " not inverted");
        const bool real = r < rows[w] && c < nsb;
        const unsigned want = real ? ssrc[w][r * nsb + c] : 0;
        if (sdst[w][off] != want)
          return fail(at + (w ? "SB" : "SA") + " byte " + std::to_string(off) + " = " +
                      hex(sdst[w][off]) + ", want " + hex(want));
        if (real) seen[r * nsb + c]++;
      }
      for (int s : seen)
        if (s != 1)
          return fail(at + (w ? "SB" : "SA") + ": a scale placed " + std::to_string(s) + " times");
    }
    // C in column-major, read back as if D were C: the file's words again.
    std::vector<uint32_t> back(size_t(v.m) * v.n);
    d_to_rowmajor(&p.c[i * p.cd_stride / 4], v.m, v.n, back.data());
    for (size_t j = 0; j < back.size(); j++)
      if (back[j] != le32(v.c(i) + 4 * j)) return fail(at + "C word " + std::to_string(j));
    all_d.insert(all_d.end(), back.begin(), back.end());
  }
  // A result file whose D is C, for checking the result layout against another writer.
  if (!out_path.empty()) write_results(out_path, "selftest:C", v, all_d);
  printf(
      "bs_gemm selftest: %s: %u tiles of %ux%ux%u %s (%s x %s, %s per %u): operands, scales "
      "(%zu + %zu bytes a tile, 128x4 tiled), C/D ok\n",
      v.path.c_str(), v.t, v.m, v.n, v.k, v.mode->name, v.a_fmt.c_str(), v.b_fmt.c_str(),
      v.s_fmt.c_str(), v.block, p.sa_bytes, p.sb_bytes);
  return 0;
}

#ifndef BS_GEMM_HOST_ONLY
// ---- The GPU run ----

void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw DeviceError(
        std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")", 1);
}

// NOT_SUPPORTED is the answer expected on a device without block-scaled tensor cores: exit 3
// with `hint`; any other failure is exit 1.
void lt_ok(cublasStatus_t s, const std::string& what, const std::string& hint) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  const bool unsupported = s == CUBLAS_STATUS_NOT_SUPPORTED;
  throw DeviceError(what + ": " + cublasLtGetStatusName(s) + " (" + cublasLtGetStatusString(s) +
                        ")" + (unsupported ? hint : ""),
                    unsupported ? 3 : 1);
}

cudaDataType elem_type(const std::string& f) {
  return f == "e4m3" ? CUDA_R_8F_E4M3 : f == "e5m2" ? CUDA_R_8F_E5M2 : CUDA_R_4F_E2M1;
}

template <class T>
T* upload(const std::vector<T>& h, const char* what) {
  void* d = nullptr;
  cuda_ok(cudaMalloc(&d, h.size() * sizeof(T)), what);
  cuda_ok(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), what);
  return static_cast<T*>(d);
}

int run(const Vectors& v, const std::string& out_path) {
  int ndev = 0;
  cuda_ok(cudaGetDeviceCount(&ndev), "cudaGetDeviceCount");
  cudaDeviceProp prop;
  cuda_ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  const std::string dev = std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
                          std::to_string(prop.minor) + ")";
  printf("bs_gemm: %s, cuBLASLt %zu; %s: %u tiles of %ux%ux%u, %s x %s, %s per %u\n", dev.c_str(),
         cublasLtGetVersion(), v.mode->name, v.t, v.m, v.n, v.k, v.a_fmt.c_str(), v.b_fmt.c_str(),
         v.s_fmt.c_str(), v.block);
  const std::string hint = ": cuBLASLt has no " + std::string(v.mode->name) +
                           " block-scaled matmul for " + dev +
                           " (its block-scaled modes are for Blackwell)";

  const Packed p = pack_all(v);
  uint8_t *da = upload(p.a, "A"), *db = upload(p.b, "B"), *dsa = upload(p.sa, "SA"),
          *dsb = upload(p.sb, "SB");
  uint32_t* dc = upload(p.c, "C");
  void* dd_raw = nullptr;
  cuda_ok(cudaMalloc(&dd_raw, p.c.size() * 4), "D");
  uint32_t* dd = static_cast<uint32_t*>(dd_raw);
  const size_t ws_bytes = size_t(32) << 20;
  void* ws = nullptr;
  cuda_ok(cudaMalloc(&ws, ws_bytes), "workspace");

  cublasLtHandle_t lt;
  lt_ok(cublasLtCreate(&lt), "cublasLtCreate", "");
  cublasLtMatmulDesc_t desc;
  lt_ok(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate",
        "");
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  const int32_t smode = v.mode->scale_mode == ScaleMode::Vec32Ue8m0
                            ? CUBLASLT_MATMUL_MATRIX_SCALE_VEC32_UE8M0
                            : CUBLASLT_MATMUL_MATRIX_SCALE_VEC16_UE4M3;
  auto set = [&](cublasLtMatmulDescAttributes_t attr, const void* val, size_t size,
                 const char* name) {
    lt_ok(cublasLtMatmulDescSetAttribute(desc, attr, val, size), std::string("set ") + name, hint);
  };
  set(CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta, "TRANSA");
  set(CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb, "TRANSB");
  set(CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &smode, sizeof smode, "A_SCALE_MODE");
  set(CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &smode, sizeof smode, "B_SCALE_MODE");
  const void* sa0 = dsa;
  const void* sb0 = dsb;
  set(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &sa0, sizeof sa0, "A_SCALE_POINTER");
  set(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &sb0, sizeof sb0, "B_SCALE_POINTER");

  // Stored A: K x M, ld K; stored B: K x N, ld K; C and D: M x N FP32, ld M (column-major).
  cublasLtMatrixLayout_t la, lb, lc, ld;
  lt_ok(cublasLtMatrixLayoutCreate(&la, elem_type(v.a_fmt), v.k, v.m, v.k), "layout A", "");
  lt_ok(cublasLtMatrixLayoutCreate(&lb, elem_type(v.b_fmt), v.k, v.n, v.k), "layout B", "");
  lt_ok(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, v.m, v.n, v.m), "layout C", "");
  lt_ok(cublasLtMatrixLayoutCreate(&ld, CUDA_R_32F, v.m, v.n, v.m), "layout D", "");

  cublasLtMatmulPreference_t pref;
  lt_ok(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate", "");
  lt_ok(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                             &ws_bytes, sizeof ws_bytes),
        "set MAX_WORKSPACE_BYTES", "");
  cublasLtMatmulHeuristicResult_t heur = {};
  int found = 0;
  lt_ok(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, ld, pref, 1, &heur, &found),
        "cublasLtMatmulAlgoGetHeuristic", hint);
  if (found == 0) throw DeviceError("cublasLtMatmulAlgoGetHeuristic: no algorithm" + hint, 3);

  const float alpha = 1.0f, beta = 1.0f;  // D = A*B + C: the dot products plus C, unscaled
  for (size_t i = 0; i < v.t; i++) {
    const void* psa = dsa + i * p.sa_stride;
    const void* psb = dsb + i * p.sb_stride;
    set(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &psa, sizeof psa, "A_SCALE_POINTER");
    set(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &psb, sizeof psb, "B_SCALE_POINTER");
    lt_ok(cublasLtMatmul(lt, desc, &alpha, da + i * p.a_stride, la, db + i * p.b_stride, lb, &beta,
                         dc + i * p.cd_stride / 4, lc, dd + i * p.cd_stride / 4, ld, &heur.algo, ws,
                         ws_bytes, 0),
          "cublasLtMatmul, tile " + std::to_string(i), hint);
  }
  cuda_ok(cudaDeviceSynchronize(), "after the matmuls");
  std::vector<uint32_t> dcol(p.c.size());
  cuda_ok(cudaMemcpy(dcol.data(), dd, dcol.size() * 4, cudaMemcpyDeviceToHost), "D to host");
  std::vector<uint32_t> d(size_t(v.t) * v.m * v.n);
  for (size_t i = 0; i < v.t; i++)
    d_to_rowmajor(&dcol[i * p.cd_stride / 4], v.m, v.n, &d[i * size_t(v.m) * v.n]);
  write_results(out_path, std::string("cublaslt-bs-") + v.mode->name, v, d);

  cublasLtMatmulPreferenceDestroy(pref);
  for (auto l : {la, lb, lc, ld}) cublasLtMatrixLayoutDestroy(l);
  cublasLtMatmulDescDestroy(desc);
  cublasLtDestroy(lt);
  for (void* x : {(void*)da, (void*)db, (void*)dsa, (void*)dsb, (void*)dc, (void*)dd, ws})
    cudaFree(x);
  printf("bs_gemm: %zu dots -> %s\n", d.size(), out_path.c_str());
  return 0;
}
#endif

int usage() {
  fprintf(stderr,
          "usage: bs_gemm VECTORS RESULTS [--mode mxfp8|nvfp4|mxfp4]\n"
          "       bs_gemm --selftest VECTORS [RESULTS] [--mode mxfp8|nvfp4|mxfp4]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos;
  const char* mode = nullptr;
  bool self = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--mode" && i + 1 < argc)
      mode = argv[++i];
    else if (a == "--selftest")
      self = true;
    else if (a.rfind("--", 0) == 0)
      return usage();
    else
      pos.push_back(a);
  }
  if (pos.size() != 2 && !(self && pos.size() == 1)) return usage();
  try {
    const Vectors v = read_vectors(pos[0], mode);
    if (self) return selftest(v, pos.size() == 2 ? pos[1] : "");
#ifdef BS_GEMM_HOST_ONLY
    fprintf(stderr, "bs_gemm: built host-only (-DBS_GEMM_HOST_ONLY): --selftest only\n");
    return 2;
#else
    return run(v, pos[1]);
#endif
  } catch (const BadInput& e) {
    fprintf(stderr, "bs_gemm: %s\n", e.what());
    return 2;
  } catch (const DeviceError& e) {
    fprintf(stderr, "bs_gemm: %s\n", e.what());
    if (e.code == 3) fprintf(stderr, "bs_gemm: NOT SUPPORTED on this device\n");
    return e.code;
  } catch (const std::exception& e) {
    fprintf(stderr, "bs_gemm: %s\n", e.what());
    return 1;
  }
}
