// ALN stage: maximum nominal exponent over the beat's non-zero terms (a tree), then every
// term shifted right by its distance to it and truncated to Window fraction bits. Registers s2_*.

module mx_dot_align
  import mx_pkg::*;
(
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  ctrl_t                             s1_ctrl_q,
  input  logic [Lanes-1:0][MagW-1:0]        s1_mag_q,
  input  logic [Lanes-1:0]                  s1_neg_q,
  input  logic [Lanes-1:0][ExpW-1:0]        s1_exp_q,
  input  logic [Lanes-1:0]                  s1_nz_q,
  input  logic                              s1_negz_q,
  input  flags_t                            s1_flags_q,
  output ctrl_t                             s2_ctrl_q,
  output logic [Lanes-1:0][TermW-1:0]       s2_term_q,
  output logic [ExpW-1:0]                   s2_emax_q,
  output logic                              s2_negz_q,
  output flags_t                            s2_flags_q
);

  // Max tree: level l holds Lanes >> l candidates (exponent and "any non-zero" bit).
  localparam int unsigned Levels = $clog2(Lanes);
  logic [Levels:0][Lanes-1:0][ExpW-1:0] tree_exp;
  logic [Levels:0][Lanes-1:0]           tree_nz;

  always_comb begin
    tree_exp    = '0;
    tree_nz     = '0;
    tree_exp[0] = s1_exp_q;
    tree_nz[0]  = s1_nz_q;
    for (int l = 0; l < Levels; l++) begin
      for (int k = 0; k < (Lanes >> (l + 1)); k++) begin
        logic signed [ExpW-1:0] x, y;
        logic                   xn, yn;
        x  = tree_exp[l][2*k];
        y  = tree_exp[l][2*k+1];
        xn = tree_nz[l][2*k];
        yn = tree_nz[l][2*k+1];
        tree_nz[l+1][k]  = xn | yn;
        tree_exp[l+1][k] = (yn && (!xn || y > x)) ? y : x;
      end
    end
  end

  logic signed [ExpW-1:0]        emax;
  logic [Lanes-1:0][TermW-1:0]   term_d;
  assign emax = tree_nz[Levels][0] ? tree_exp[Levels][0] : '0;

  always_comb begin
    for (int k = 0; k < Lanes; k++) begin
      logic [ExpW-1:0]   gap;  // emax - E >= 0 for every non-zero term
      logic [AlignW-1:0] wide, cut;
      gap = emax - s1_exp_q[k];
      wide = {s1_mag_q[k], (Window - TermFrac)'(0)};
      cut  = (gap >= ExpW'(AlignW)) ? '0 : wide >> gap;
      if (!s1_nz_q[k]) term_d[k] = '0;
      else term_d[k] = s1_neg_q[k] ? -{1'b0, cut} : {1'b0, cut};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s2_ctrl_q  <= '0;
      s2_term_q  <= '0;
      s2_emax_q  <= '0;
      s2_negz_q  <= 1'b0;
      s2_flags_q <= '0;
    end else begin
      s2_ctrl_q  <= s1_ctrl_q;
      s2_term_q  <= term_d;
      s2_emax_q  <= emax;
      s2_negz_q  <= s1_negz_q;
      s2_flags_q <= s1_flags_q;
    end
  end

endmodule
