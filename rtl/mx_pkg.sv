// mx_pkg: parameters, types and the one format table of the MX dot-product unit.
// spec/microarchitecture.md describes the unit; model/src/cycle.rs is its cycle-level model.

package mx_pkg;

  // Elements per beat, window and accumulator widths (spec/microarchitecture.md, "Widths").
  localparam int unsigned Lanes    = 32;
  localparam int unsigned Window   = 32;  // fraction bits kept below 2^Emax in a beat
  localparam int unsigned TermFrac = 20;  // fraction bits of a multiplier output (7+7+3+3)
  localparam int unsigned MagW     = 24;  // term magnitude < 16 * 2^E
  localparam int unsigned AlignW   = MagW + Window - TermFrac;  // 36
  localparam int unsigned TermW    = AlignW + 1;                // signed aligned term
  localparam int unsigned SumW     = TermW + 5;                 // 32 terms: 42 bits signed
  localparam int unsigned ExpW     = 10;  // term exponents: |E| <= 284
  localparam int unsigned AccBits  = 48;  // accumulator significand (round to odd)
  localparam int unsigned AccExpW  = 12;  // accumulator exponent, two's complement
  localparam int unsigned Guard    = 3;   // guard bits of the accumulator adder

  // Format codes: the row of the table below (the order of model/src/format.rs FORMATS).
  localparam int unsigned NumFmts = 9;
  typedef enum logic [3:0] {
    FmtE4M3  = 4'd0,
    FmtE5M2  = 4'd1,
    FmtE2M3  = 4'd2,
    FmtE3M2  = 4'd3,
    FmtE2M1  = 4'd4,
    FmtInt8  = 4'd5,
    FmtE8M0  = 4'd6,
    FmtUE4M3 = 4'd7,
    FmtUE5M3 = 4'd8
  } fmt_e;

  typedef enum logic [1:0] {
    SpNone       = 2'd0,  // every code finite
    SpNanAllOnes = 2'd1,  // all-ones exponent and mantissa is NaN, no Inf
    SpIeee       = 2'd2   // all-ones exponent: Inf (mantissa 0) or NaN
  } specials_e;

  typedef struct packed {
    logic       is_int;      // two's complement times 2^(1-man_bits)
    logic       signed_fmt;
    logic [3:0] exp_bits;
    logic [2:0] man_bits;
    logic [7:0] bias;
    logic       subnormals;  // exponent field 0 is subnormal (else: an ordinary normal)
    specials_e  specials;
  } fmt_info_t;

  localparam int unsigned FmtInfoW = 20;  // $bits(fmt_info_t)

  // The format table, generated from model/src/format.rs (sv_format_table in
  // model/src/cycle.rs); model/tests/cycle.rs fails if this copy drifts. Rows are packed
  // fmt_info_t values, row i at bits [FmtInfoW*i +: FmtInfoW] (a flat vector, which every tool reads); see fmt_info().
  localparam logic [NumFmts*FmtInfoW-1:0] FmtTable = {
    {1'b0, 1'b0, 4'd5, 3'd3, 8'd15, 1'b1, SpNanAllOnes}, // 8: ue5m3
    {1'b0, 1'b0, 4'd4, 3'd3, 8'd7, 1'b1, SpNanAllOnes}, // 7: ue4m3
    {1'b0, 1'b0, 4'd8, 3'd0, 8'd127, 1'b0, SpNanAllOnes}, // 6: e8m0
    {1'b1, 1'b1, 4'd0, 3'd7, 8'd0, 1'b0, SpNone}, // 5: int8
    {1'b0, 1'b1, 4'd2, 3'd1, 8'd1, 1'b1, SpNone}, // 4: e2m1
    {1'b0, 1'b1, 4'd3, 3'd2, 8'd3, 1'b1, SpNone}, // 3: e3m2
    {1'b0, 1'b1, 4'd2, 3'd3, 8'd1, 1'b1, SpNone}, // 2: e2m3
    {1'b0, 1'b1, 4'd5, 3'd2, 8'd15, 1'b1, SpIeee}, // 1: e5m2
    {1'b0, 1'b1, 4'd4, 3'd3, 8'd7, 1'b1, SpNanAllOnes} // 0: e4m3
  };

  function automatic fmt_info_t fmt_info(input fmt_e f);
    fmt_info_t r;
    r = FmtTable[FmtInfoW*f +: FmtInfoW];
    return r;
  endfunction

  // A decoded code: value = sig * 2^(exp - man_bits); exp is the nominal exponent (the
  // format's minimum for subnormals).
  typedef struct packed {
    logic                   nan;
    logic                   inf;
    logic                   zero;
    logic                   neg;
    logic [7:0]             sig;
    logic signed [ExpW-1:0] exp;
  } dec_t;

  // Decode one code of any format of the table. Bits above the format's width are ignored.
  function automatic dec_t decode(input fmt_info_t fi, input logic [7:0] code);
    dec_t       d;
    logic [7:0] e_all;
    logic [7:0] e;
    logic [7:0] f;
    logic [7:0] f_all;
    logic [7:0] mag;
    logic [8:0] code9;
    code9 = {1'b0, code};
    e_all = 8'((9'd1 << fi.exp_bits) - 9'd1);
    f_all = 8'((9'd1 << fi.man_bits) - 9'd1);
    e     = (code >> fi.man_bits) & e_all;
    f     = code & f_all;
    d     = '0;
    if (fi.is_int) begin
      mag   = code[7] ? 8'(-code) : code;
      d.neg = code[7];
      d.sig = mag;
      d.exp = ExpW'(1);
    end else begin
      d.neg = fi.signed_fmt & code9[fi.exp_bits + 4'(fi.man_bits)];
      if (e == 8'd0 && fi.subnormals) begin
        d.sig = f;
        d.exp = ExpW'(1) - ExpW'(fi.bias);
      end else begin
        d.sig = f | (8'd1 << fi.man_bits);
        d.exp = ExpW'(e) - ExpW'(fi.bias);
      end
      unique case (fi.specials)
        SpIeee: begin
          d.inf = (e == e_all) && (f == 8'd0);
          d.nan = (e == e_all) && (f != 8'd0);
        end
        SpNanAllOnes: d.nan = (e == e_all) && (f == f_all);
        default: ;
      endcase
    end
    d.zero = (d.sig == 8'd0) & ~d.inf & ~d.nan;
    return d;
  endfunction

  typedef struct packed {
    logic        valid;
    logic        first;
    logic        last;
    logic [31:0] c;
  } ctrl_t;

  typedef struct packed {
    logic nan;
    logic pinf;
    logic ninf;
  } flags_t;

  // Accumulator-format value: sig * 2^(exp - 47), sig normalised unless zero.
  typedef struct packed {
    logic                      neg;
    logic signed [AccExpW-1:0] exp;
    logic [AccBits-1:0]        sig;
  } acc_t;

endpackage
