// Fast co-simulation harness: drives the Verilated mx_dot from a vector file written by
// `mxref sim --vectors` (inputs and the cycle model's expected outputs, one cycle a line) and
// checks valid_o and d_o in every cycle. Usage: harness VECTORS [MAX_MISMATCHES]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

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

// 64 hex digits, lane 31 first, into Verilator's 8 words (word 0 = bits 31:0).
void wide256(const char *s, VlWide<8> &w) {
  for (int k = 0; k < 8; k++) w[k] = hex32(s + 8 * (7 - k), 8);
}

struct Line {
  int rst, valid, first, last, a_fmt, b_fmt, nvfp4;
  char a[65], b[65];
  unsigned sa, sb, c, valid_o, d_o;
};

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VECTORS [MAX_MISMATCHES]\n", argv[0]);
    return 2;
  }
  long max_bad = argc > 2 ? std::atol(argv[2]) : 10;
  FILE *f = std::fopen(argv[1], "r");
  if (!f) {
    std::perror(argv[1]);
    return 2;
  }
  auto ctx = std::make_unique<VerilatedContext>();
  auto dut = std::make_unique<Vmx_dot>(ctx.get());
  // Reset for one cycle before the first vector.
  dut->clk_i = 0;
  dut->rst_ni = 0;
  dut->eval();
  dut->clk_i = 1;
  dut->eval();
  dut->clk_i = 0;
  dut->rst_ni = 1;
  dut->eval();

  Line l;
  long cycle = 0, bad = 0, results = 0, beats = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (std::fscanf(f, "%d %d %d %d %d %d %d %64s %64s %x %x %x %u %x", &l.rst, &l.valid,
                     &l.first, &l.last, &l.a_fmt, &l.b_fmt, &l.nvfp4, l.a, l.b, &l.sa, &l.sb,
                     &l.c, &l.valid_o, &l.d_o) == 14) {
    dut->rst_ni = !l.rst;
    dut->valid_i = l.valid;
    dut->first_i = l.first;
    dut->last_i = l.last;
    dut->a_fmt_i = l.a_fmt;
    dut->b_fmt_i = l.b_fmt;
    dut->nvfp4_i = l.nvfp4;
    wide256(l.a, dut->a_i);
    wide256(l.b, dut->b_i);
    dut->sa_i = l.sa;
    dut->sb_i = l.sb;
    dut->c_i = l.c;
    dut->clk_i = 0;
    dut->eval();
    if (dut->valid_o != l.valid_o || dut->d_o != l.d_o) {
      if (bad < max_bad)
        std::printf(
            "MISMATCH line %ld (cycle %ld): valid_o/d_o got %u/%08x want %u/%08x\n"
            "  inputs: rst=%d valid=%d first=%d last=%d a_fmt=%d b_fmt=%d nvfp4=%d sa=%04x "
            "sb=%04x c=%08x\n  a=%s\n  b=%s\n",
            cycle + 1, cycle, (unsigned)dut->valid_o, (unsigned)dut->d_o, l.valid_o, l.d_o,
            l.rst, l.valid, l.first, l.last, l.a_fmt, l.b_fmt, l.nvfp4, l.sa, l.sb, l.c, l.a,
            l.b);
      bad++;
    }
    results += l.valid_o;
    beats += l.valid && !l.rst;
    dut->clk_i = 1;
    dut->eval();
    cycle++;
  }
  std::fclose(f);
  dut->final();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("harness: %ld cycles, %ld beats, %ld dot products checked, %ld mismatches, "
              "%.2f s, %.0f beats/s, %.0f dots/s\n",
              cycle, beats, results, bad, s, beats / s, results / s);
  if (cycle == 0) {
    std::printf("harness: no vectors read from %s\n", argv[1]);
    return 1;
  }
  return bad ? 1 : 0;
}
