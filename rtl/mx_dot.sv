// mx_dot: pipelined MX dot-product unit. One beat (32 element pairs, their block scales) a
// cycle; D = C + sum of a dot's beats, rounded once to FP32, LATENCY = 5 cycles after the
// beat with last_i. Numerics: the `rtl` preset of the mxref model. Spec:
// spec/microarchitecture.md. Element lane k of a_i/b_i is bits [8k+7:8k].

module mx_dot
  import mx_pkg::*;
#(
  parameter logic [5:0] ElemFmts = 6'b11_1111,  // element formats built, bit i = fmt_e i
  parameter bit         Nvfp4    = 1'b1         // NVFP4 (UE4M3, 16-element blocks) built
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              valid_i,
  input  logic              first_i,
  input  logic              last_i,
  input  logic [2:0]        a_fmt_i,
  input  logic [2:0]        b_fmt_i,
  input  logic              nvfp4_i,
  input  logic [8*Lanes-1:0] a_i,
  input  logic [8*Lanes-1:0] b_i,
  input  logic [15:0]       sa_i,
  input  logic [15:0]       sb_i,
  input  logic [31:0]       c_i,
  output logic              valid_o,
  output logic [31:0]       d_o
);

  ctrl_t ctrl;
  assign ctrl = '{valid: valid_i, first: first_i, last: last_i, c: c_i};

  ctrl_t                        s1_ctrl_q, s2_ctrl_q, s3_ctrl_q;
  logic [Lanes-1:0][MagW-1:0]   s1_mag_q;
  logic [Lanes-1:0]             s1_neg_q, s1_nz_q;
  logic [Lanes-1:0][ExpW-1:0]   s1_exp_q;
  logic                         s1_negz_q, s2_negz_q, s3_negz_q;
  flags_t                       s1_flags_q, s2_flags_q, s3_flags_q, acc_flags_q;
  logic [Lanes-1:0][TermW-1:0]  s2_term_q;
  logic [ExpW-1:0]              s2_emax_q, s3_emax_q;
  logic [SumW-1:0]              s3_sum_q;
  acc_t                         acc_q;
  logic                         acc_done_q;

  mx_dot_mul #(
    .ElemFmts(ElemFmts),
    .Nvfp4   (Nvfp4)
  ) u_mul (
    .clk_i,
    .rst_ni,
    .ctrl_i (ctrl),
    .a_fmt_i,
    .b_fmt_i,
    .nvfp4_i,
    .a_i    (a_i),
    .b_i    (b_i),
    .sa_i   (sa_i),
    .sb_i   (sb_i),
    .s1_ctrl_q,
    .s1_mag_q,
    .s1_neg_q,
    .s1_exp_q,
    .s1_nz_q,
    .s1_negz_q,
    .s1_flags_q
  );

  mx_dot_align u_aln (
    .clk_i,
    .rst_ni,
    .s1_ctrl_q,
    .s1_mag_q,
    .s1_neg_q,
    .s1_exp_q,
    .s1_nz_q,
    .s1_negz_q,
    .s1_flags_q,
    .s2_ctrl_q,
    .s2_term_q,
    .s2_emax_q,
    .s2_negz_q,
    .s2_flags_q
  );

  mx_dot_add u_add (
    .clk_i,
    .rst_ni,
    .s2_ctrl_q,
    .s2_term_q,
    .s2_emax_q,
    .s2_negz_q,
    .s2_flags_q,
    .s3_ctrl_q,
    .s3_sum_q,
    .s3_emax_q,
    .s3_negz_q,
    .s3_flags_q
  );

  mx_dot_acc u_acc (
    .clk_i,
    .rst_ni,
    .s3_ctrl_q,
    .s3_sum_q,
    .s3_emax_q,
    .s3_negz_q,
    .s3_flags_q,
    .acc_q,
    .acc_flags_q,
    .acc_done_q
  );

  mx_dot_round u_rnd (
    .clk_i,
    .rst_ni,
    .acc_q,
    .acc_flags_q,
    .acc_done_q,
    .valid_q(valid_o),
    .d_q    (d_o)
  );

endmodule
