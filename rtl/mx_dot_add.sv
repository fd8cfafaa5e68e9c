// ADD stage: the exact sum of the 32 aligned terms (SumW bits, two's complement: |S| < 2^41).
// Registers s3_*.

module mx_dot_add
  import mx_pkg::*;
(
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  ctrl_t                             s2_ctrl_q,
  input  logic [Lanes-1:0][TermW-1:0]       s2_term_q,
  input  logic [ExpW-1:0]                   s2_emax_q,
  input  logic                              s2_negz_q,
  input  flags_t                            s2_flags_q,
  output ctrl_t                             s3_ctrl_q,
  output logic [SumW-1:0]                   s3_sum_q,
  output logic [ExpW-1:0]                   s3_emax_q,
  output logic                              s3_negz_q,
  output flags_t                            s3_flags_q
);

  // Binary adder tree, widening by one bit a level.
  localparam int unsigned Levels = $clog2(Lanes);
  logic [Levels:0][Lanes-1:0][SumW-1:0] tree;
  always_comb begin
    tree = '0;
    for (int k = 0; k < Lanes; k++) begin
      tree[0][k] = SumW'($signed(s2_term_q[k]));
    end
    for (int l = 0; l < Levels; l++) begin
      for (int k = 0; k < (Lanes >> (l + 1)); k++) begin
        tree[l+1][k] = tree[l][2*k] + tree[l][2*k+1];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s3_ctrl_q  <= '0;
      s3_sum_q   <= '0;
      s3_emax_q  <= '0;
      s3_negz_q  <= 1'b0;
      s3_flags_q <= '0;
    end else begin
      s3_ctrl_q  <= s2_ctrl_q;
      s3_sum_q   <= tree[Levels][0];
      s3_emax_q  <= s2_emax_q;
      s3_negz_q  <= s2_negz_q;
      s3_flags_q <= s2_flags_q;
    end
  end

endmodule
