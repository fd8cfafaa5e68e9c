// RND stage: a finished accumulator rounded to FP32 (round to nearest even, subnormals kept,
// overflow to Inf), or the special value its flags call for. Registers the outputs.

module mx_dot_round
  import mx_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,
  input  acc_t        acc_q,
  input  flags_t      acc_flags_q,
  input  logic        acc_done_q,
  output logic        valid_q,
  output logic [31:0] d_q
);

  logic [31:0] d;
  always_comb begin
    logic signed [AccExpW:0] be;
    logic [5:0]              drop;
    logic [24:0]             kept;  // at most 24 bits remain
    logic [AccExpW:0]        field;
    logic                    half, rest, up;
    logic [33:0]             bits;
    be = (AccExpW + 1)'($signed(acc_q.exp)) + (AccExpW + 1)'(127);
    // Bits dropped from the significand: 24 for a normal result, more for a subnormal.
    if (be >= 1) drop = 6'd24;
    else if (be < -24) drop = 6'd50;
    else drop = 6'(25 - be);
    if (drop >= 6'd49) begin
      kept = '0;
      half = 1'b0;
    end else begin
      kept = 25'(acc_q.sig >> drop);
      half = acc_q.sig[drop-6'd1];
    end
    rest = (acc_q.sig & ~({AccBits{1'b1}} << (drop - 6'd1))) != '0;
    up   = half & (rest | kept[0]);
    // Exponent field below the hidden bit's contribution; a carry of the significand
    // moves into the exponent field by the addition.
    field = (be > 1) ? be - 1 : '0;
    bits  = (34'(field) << 23) + 34'(kept) + 34'(up);
    if (acc_flags_q.nan || (acc_flags_q.pinf && acc_flags_q.ninf)) d = 32'h7fc0_0000;
    else if (acc_flags_q.pinf) d = 32'h7f80_0000;
    else if (acc_flags_q.ninf) d = 32'hff80_0000;
    else if (acc_q.sig == '0) d = {acc_q.neg, 31'd0};
    else if (bits >= (34'h0ff << 23)) d = {acc_q.neg, 31'h7f80_0000};
    else d = {acc_q.neg, bits[30:0]};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= 1'b0;
      d_q     <= '0;
    end else begin
      valid_q <= acc_done_q;
      if (acc_done_q) d_q <= d;
    end
  end

endmodule
