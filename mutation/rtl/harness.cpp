// Mutant runner: the Verilated mx_dot built from mutation/rtl/mutate.py's sources (every
// mutant present, +MUT=K selects one) replays vector files in the format of
// `mxref sim --vectors` (one cycle a line: inputs, expected valid_o and d_o) and reports, per
// mutant and file, the first line whose outputs differ (0: the file did not kill the mutant).
// Every (mutant, file) pair gets a fresh context and model, reset for one cycle first, so no
// state leaks between runs. Output: TSV lines `mutant file_index first_bad_line cycles`.
// Usage: harness FIRST LAST [STEP [OFFSET]] -- FILE...   (mutants FIRST..LAST, every STEP-th
// starting at FIRST+OFFSET: a shard)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vmx_dot.h"
#include "verilated.h"

namespace {

uint32_t hex32(const char *s, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) {
    char c = s[i];
    v = v << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

struct Line {
  uint8_t rst, valid, first, last, a_fmt, b_fmt, nvfp4, valid_o;
  uint32_t a[8], b[8];  // word 0 = bits 31:0
  uint32_t sa, sb, c, d_o;
};

std::vector<Line> load(const char *path) {
  std::vector<Line> out;
  FILE *f = std::fopen(path, "r");
  if (!f) {
    std::perror(path);
    std::exit(2);
  }
  int rst, valid, first, last, af, bf, nv, vo;
  char a[65], b[65];
  unsigned sa, sb, c, d;
  while (std::fscanf(f, "%d %d %d %d %d %d %d %64s %64s %x %x %x %d %x", &rst, &valid, &first,
                     &last, &af, &bf, &nv, a, b, &sa, &sb, &c, &vo, &d) == 14) {
    if (std::strlen(a) != 64 || std::strlen(b) != 64) {
      std::fprintf(stderr, "%s: line %zu: fields a, b: expected 64 hex digits\n", path,
                   out.size() + 1);
      std::exit(2);
    }
    Line l{};
    l.rst = rst, l.valid = valid, l.first = first, l.last = last, l.a_fmt = af, l.b_fmt = bf;
    l.nvfp4 = nv, l.valid_o = vo, l.sa = sa, l.sb = sb, l.c = c, l.d_o = d;
    for (int k = 0; k < 8; k++) {
      l.a[k] = hex32(a + 8 * (7 - k), 8);
      l.b[k] = hex32(b + 8 * (7 - k), 8);
    }
    out.push_back(l);
  }
  if (!std::feof(f)) {
    std::fprintf(stderr, "%s: line %zu: expected 14 fields\n", path, out.size() + 1);
    std::exit(2);
  }
  std::fclose(f);
  if (out.empty()) {
    std::fprintf(stderr, "%s: no vectors\n", path);
    std::exit(2);
  }
  return out;
}

// 1-based line of the first mismatch, 0 if none.
long run(long mutant, const std::vector<Line> &lines) {
  auto ctx = std::make_unique<VerilatedContext>();
  std::string arg = "+MUT=" + std::to_string(mutant);
  const char *argv[] = {"harness", arg.c_str()};
  ctx->commandArgs(2, argv);
  auto dut = std::make_unique<Vmx_dot>(ctx.get());
  dut->clk_i = 0;
  dut->rst_ni = 0;
  dut->eval();
  dut->clk_i = 1;
  dut->eval();
  dut->clk_i = 0;
  dut->rst_ni = 1;
  dut->eval();
  long bad = 0;
  for (size_t n = 0; n < lines.size(); n++) {
    const Line &l = lines[n];
    dut->rst_ni = !l.rst;
    dut->valid_i = l.valid;
    dut->first_i = l.first;
    dut->last_i = l.last;
    dut->a_fmt_i = l.a_fmt;
    dut->b_fmt_i = l.b_fmt;
    dut->nvfp4_i = l.nvfp4;
    for (int k = 0; k < 8; k++) {
      dut->a_i[k] = l.a[k];
      dut->b_i[k] = l.b[k];
    }
    dut->sa_i = l.sa;
    dut->sb_i = l.sb;
    dut->c_i = l.c;
    dut->clk_i = 0;
    dut->eval();
    if (dut->valid_o != l.valid_o || dut->d_o != l.d_o) {
      bad = n + 1;
      break;
    }
    dut->clk_i = 1;
    dut->eval();
  }
  dut->final();
  return bad;
}

}  // namespace

int main(int argc, char **argv) {
  int sep = 1;
  while (sep < argc && std::strcmp(argv[sep], "--") != 0) sep++;
  if (sep < 3 || sep >= argc - 1) {
    std::fprintf(stderr, "usage: %s FIRST LAST [STEP [OFFSET]] -- FILE...\n", argv[0]);
    return 2;
  }
  long first = std::atol(argv[1]), last = std::atol(argv[2]);
  long step = sep > 3 ? std::atol(argv[3]) : 1, offset = sep > 4 ? std::atol(argv[4]) : 0;
  if (step < 1) step = 1;
  std::vector<std::vector<Line>> files;
  for (int i = sep + 1; i < argc; i++) files.push_back(load(argv[i]));
  for (long m = first + offset; m <= last; m += step) {
    for (size_t i = 0; i < files.size(); i++) {
      std::printf("%ld\t%zu\t%ld\t%zu\n", m, i, run(m, files[i]), files[i].size());
      std::fflush(stdout);
    }
  }
  return 0;
}
