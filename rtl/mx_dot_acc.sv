// ACC stage: the beat sum, normalised (exact), is added to the accumulator (C on a first
// beat) and rounded to odd at 48 bits. Registers acc_*.

module mx_dot_acc
  import mx_pkg::*;
(
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  ctrl_t                  s3_ctrl_q,
  input  logic [SumW-1:0]        s3_sum_q,
  input  logic [ExpW-1:0]        s3_emax_q,
  input  logic                   s3_negz_q,
  input  flags_t                 s3_flags_q,
  output acc_t                   acc_q,
  output flags_t                 acc_flags_q,
  output logic                   acc_done_q
);

  localparam int unsigned WideW = AccBits + Guard + 1;  // adder width, carry included

  // Position of the leading one (x != 0).
  function automatic logic [5:0] msb64(input logic [63:0] x);
    logic [5:0] p;
    p = '0;
    for (int i = 0; i < 64; i++) begin
      if (x[i]) p = 6'(i);
    end
    return p;
  endfunction

  // sig * 2^lsb_exp (sig < 2^48) normalised; exact.
  function automatic acc_t normalise(input logic neg, input logic [AccBits-1:0] sig,
                                     input logic signed [AccExpW-1:0] lsb_exp);
    acc_t       r;
    logic [5:0] p;
    r.neg = neg;
    if (sig == '0) begin
      r.exp = '0;
      r.sig = '0;
    end else begin
      p     = msb64(64'(sig));
      r.exp = lsb_exp + AccExpW'(p);
      r.sig = sig << (6'(AccBits - 1) - p);
    end
    return r;
  endfunction

  // C (FP32) as an accumulator value and its flags.
  acc_t   c_acc;
  flags_t c_flags;
  always_comb begin
    logic [7:0]  ce;
    logic [22:0] cf;
    ce = s3_ctrl_q.c[30:23];
    cf = s3_ctrl_q.c[22:0];
    c_flags.nan  = (ce == 8'hff) && (cf != '0);
    c_flags.pinf = (ce == 8'hff) && (cf == '0) && !s3_ctrl_q.c[31];
    c_flags.ninf = (ce == 8'hff) && (cf == '0) && s3_ctrl_q.c[31];
    if (ce == 8'hff) c_acc = normalise(s3_ctrl_q.c[31], '0, '0);
    else if (ce == 8'h00) c_acc = normalise(s3_ctrl_q.c[31], AccBits'(cf), -AccExpW'(149));
    else c_acc = normalise(s3_ctrl_q.c[31], AccBits'({1'b1, cf}), AccExpW'(ce) - AccExpW'(150));
  end

  // The beat: S * 2^(emax - Window); -0 when every term was -0.
  acc_t beat;
  always_comb begin
    logic             neg;
    logic [SumW-1:0]  mag;
    neg  = s3_sum_q[SumW-1] | ((s3_sum_q == '0) & s3_negz_q);
    mag  = s3_sum_q[SumW-1] ? -s3_sum_q : s3_sum_q;
    beat = normalise(neg, AccBits'(mag),
                     AccExpW'($signed(s3_emax_q)) - AccExpW'(Window));
  end

  // RO(x + y) at 48 bits. The smaller operand is shifted with its lost bits ORed into the
  // last guard bit, which keeps truncation above the guard bits exact (spec: "Accumulator").
  function automatic acc_t acc_add(input acc_t x, input acc_t y);
    acc_t                      r, b, s;
    logic [AccExpW:0]          d;
    logic [WideW-1:0]          bw, full, sw, rw;
    logic                      lost;
    logic [5:0]                p;
    logic signed [7:0]         sh;
    if (y.sig == '0) begin
      if (x.sig == '0) begin
        r     = '0;
        r.neg = x.neg & y.neg;
      end else begin
        r = x;
      end
    end else if (x.sig == '0) begin
      r = y;
    end else begin
      if (($signed(y.exp) > $signed(x.exp)) || (y.exp == x.exp && y.sig > x.sig)) begin
        b = y;
        s = x;
      end else begin
        b = x;
        s = y;
      end
      d    = (AccExpW + 1)'($signed(b.exp)) - (AccExpW + 1)'($signed(s.exp));
      bw   = WideW'({b.sig, Guard'(0)});
      full = WideW'({s.sig, Guard'(0)});
      if (d >= (AccExpW + 1)'(AccBits + Guard)) begin
        sw   = '0;
        lost = 1'b1;
      end else begin
        sw   = full >> d;
        lost = (full & ~({WideW{1'b1}} << d)) != '0;
      end
      sw[0] = sw[0] | lost;
      rw    = (b.neg == s.neg) ? bw + sw : bw - sw;
      if (rw == '0) begin
        r = '0;
      end else begin
        p     = msb64(64'(rw));
        sh    = 8'(p) - 8'(AccBits - 1);
        r.neg = b.neg;
        r.exp = b.exp + AccExpW'(p) - AccExpW'(AccBits + Guard - 1);
        if (sh > 0) begin
          r.sig = AccBits'(rw >> sh);
          r.sig[0] = r.sig[0] | ((rw & ~({WideW{1'b1}} << sh)) != '0);
        end else begin
          r.sig = AccBits'(rw << (-sh));
        end
      end
    end
    return r;
  endfunction

  acc_t   base, acc_d;
  flags_t base_flags;
  assign base       = s3_ctrl_q.first ? c_acc : acc_q;
  assign base_flags = s3_ctrl_q.first ? c_flags : acc_flags_q;
  assign acc_d      = acc_add(base, beat);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q       <= '0;
      acc_flags_q <= '0;
      acc_done_q  <= 1'b0;
    end else begin
      acc_done_q <= s3_ctrl_q.valid & s3_ctrl_q.last;
      if (s3_ctrl_q.valid) begin
        acc_q       <= acc_d;
        acc_flags_q <= base_flags | s3_flags_q;
      end
    end
  end

endmodule
