// MUL stage: decode 32 element pairs and the block scales, 32 significand multipliers of one
// shape for every element format, scale significand multiply, exponent add. Registers s1_*.

module mx_dot_mul
  import mx_pkg::*;
#(
  parameter logic [5:0] ElemFmts = 6'b11_1111,  // element formats built, bit i = fmt_e i
  parameter bit         Nvfp4    = 1'b1         // UE4M3 16-element block scaling built
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  ctrl_t                             ctrl_i,
  input  logic [2:0]                        a_fmt_i,
  input  logic [2:0]                        b_fmt_i,
  input  logic                              nvfp4_i,
  input  logic [Lanes-1:0][7:0]             a_i,
  input  logic [Lanes-1:0][7:0]             b_i,
  input  logic [1:0][7:0]                   sa_i,
  input  logic [1:0][7:0]                   sb_i,
  output ctrl_t                             s1_ctrl_q,
  output logic [Lanes-1:0][MagW-1:0]        s1_mag_q,
  output logic [Lanes-1:0]                  s1_neg_q,
  output logic [Lanes-1:0][ExpW-1:0]        s1_exp_q,
  output logic [Lanes-1:0]                  s1_nz_q,
  output logic                              s1_negz_q,
  output flags_t                            s1_flags_q
);

  // Element format info; formats not built (or codes 6, 7) decode every lane as zero.
  function automatic fmt_info_t elem_info(input logic [2:0] fmt);
    return fmt_info(fmt_e'({1'b0, fmt}));
  endfunction

  logic a_built, b_built, nv;
  assign a_built = (a_fmt_i < 3'd6) && ElemFmts[a_fmt_i];
  assign b_built = (b_fmt_i < 3'd6) && ElemFmts[b_fmt_i];
  assign nv      = Nvfp4 && nvfp4_i;

  // Block scales: one E8M0 each, or two UE4M3 each (bit 7 ignored). Significands with 3
  // fraction bits (E8M0 is 1.000), product with 6.
  dec_t [1:0]       sa_dec, sb_dec;
  logic [1:0][7:0]  ssig;
  logic [1:0][ExpW-1:0] sexp;
  logic [1:0]       snan, szero;
  always_comb begin
    for (int j = 0; j < 2; j++) begin
      if (nv) begin
        sa_dec[j] = decode(fmt_info(FmtUE4M3), {1'b0, sa_i[j][6:0]});
        sb_dec[j] = decode(fmt_info(FmtUE4M3), {1'b0, sb_i[j][6:0]});
      end else begin
        sa_dec[j] = decode(fmt_info(FmtE8M0), sa_i[0]);
        sb_dec[j] = decode(fmt_info(FmtE8M0), sb_i[0]);
        // E8M0 significand 1 has no fraction bits: align it to UE4M3's three.
        sa_dec[j].sig = sa_dec[j].sig << 3;
        sb_dec[j].sig = sb_dec[j].sig << 3;
      end
      ssig[j]  = sa_dec[j].sig[3:0] * sb_dec[j].sig[3:0];
      sexp[j]  = sa_dec[j].exp + sb_dec[j].exp;
      snan[j]  = sa_dec[j].nan | sb_dec[j].nan;
      szero[j] = sa_dec[j].zero | sb_dec[j].zero;
    end
  end

  logic [Lanes-1:0][MagW-1:0] mag_d;
  logic [Lanes-1:0][ExpW-1:0] exp_d;
  logic [Lanes-1:0]           neg_d, nz_d;
  logic                       negz_d;
  flags_t                     flags_d;

  always_comb begin
    dec_t       a, b;
    fmt_info_t  ai, bi;
    logic       nan, inf, zero;
    logic [7:0] asig, bsig;
    logic [15:0] prod;
    int         j;
    ai      = elem_info(a_fmt_i);
    bi      = elem_info(b_fmt_i);
    negz_d  = 1'b1;
    flags_d = '0;
    mag_d   = '0;
    exp_d   = '0;
    prod    = '0;
    j       = 0;
    for (int k = 0; k < Lanes; k++) begin
      j    = (nv && k >= Lanes / 2) ? 1 : 0;
      a    = decode(ai, a_i[k]);
      b    = decode(bi, b_i[k]);
      if (!a_built) begin
        a      = '0;
        a.zero = 1'b1;
      end
      if (!b_built) begin
        b      = '0;
        b.zero = 1'b1;
      end
      nan  = a.nan | b.nan | snan[j];
      inf  = a.inf | b.inf;
      zero = a.zero | b.zero | szero[j];
      neg_d[k] = a.neg ^ b.neg;
      flags_d.nan  |= nan | (inf & zero);
      flags_d.pinf |= ~nan & inf & ~zero & ~neg_d[k];
      flags_d.ninf |= ~nan & inf & ~zero & neg_d[k];
      negz_d &= zero & ~nan & ~inf & neg_d[k];
      nz_d[k] = ~nan & ~inf & ~zero;
      // Significands normalised to 7 fraction bits: one 8x8 multiplier for every format.
      asig = a.sig << (3'd7 - ai.man_bits);
      bsig = b.sig << (3'd7 - bi.man_bits);
      prod = 16'(asig) * 16'(bsig);
      if (nz_d[k]) begin
        mag_d[k] = MagW'(prod) * MagW'(ssig[j]);
        exp_d[k] = a.exp + b.exp + sexp[j];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_ctrl_q  <= '0;
      s1_mag_q   <= '0;
      s1_neg_q   <= '0;
      s1_exp_q   <= '0;
      s1_nz_q    <= '0;
      s1_negz_q  <= 1'b0;
      s1_flags_q <= '0;
    end else begin
      s1_ctrl_q  <= ctrl_i;
      s1_mag_q   <= mag_d;
      s1_neg_q   <= neg_d;
      s1_exp_q   <= exp_d;
      s1_nz_q    <= nz_d;
      s1_negz_q  <= negz_d;
      s1_flags_q <= flags_d;
    end
  end

endmodule
