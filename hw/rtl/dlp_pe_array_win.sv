// dlp_pe_array_win.sv - one step of the window-sparse L x Q PE array
// (docs/isa.md 3.8, docs/cycle-model.md 2.6).
//
// The array of a target with array.window = W > 1. A step gets the W input
// vectors of a window (candidate o, lane l: x[(o*L + l)*8 +: 8], its
// alignment align[(o*L + l)*AW +: AW], 0..31) and one L x Q block of entries
// e[l][q], and produces for every output q
//   acc_out[q] = acc_in[q] + sum_l term(e[l][q])   (mod 2^32)
// where, with win = 1 (GEMM_WIN's slot rows), the entry's high nibble is the
// offset o of its step in the window and its low nibble a pow2-4 code c:
//   term = o < W ? value(c) * (x[o][l] << align[o][l]) : 0
// and, with win = 0 (a dense GEMM on this array), candidate 0 is the lane's
// input and the entry a pow2-4 code (wfmt 0, bits [7:4] ignored) or an int8
// weight (wfmt 1, only if the config has int8 weights), as dlp_pe_array's:
// term = value(e) * (x[0][l] << align[0][l]). value() is the ISA's: code
// s*8 + k is 0 for k = 0 (and code 8), else (-1)^s * 2^(k-1).
//
// Each PE picks its own candidate, so unlike the dense array's the
// alignment shift cannot be shared by a lane's PEs. A pow2 term is
// (-1)^s * x * 2^e with e = k - 1 + a in 0..37, formed as one 27 x 18
// signed product (one DSP48E2) of
//   A = x << 16 if e >= 16, else x            (exact in 27 bits)
//   B = (-1)^s * 2^(e mod 16), 0 if k = 0 or e >= 32
// (for e >= 32 the term is 0 modulo 2^32), so a PE's own logic is its
// select, a 6-bit add, the 2-way placement of x and a one-hot B -- no
// shifter. An int8 weight (dense GEMMs only, where a lane's PEs share the
// input) takes dlp_pe_array's split instead: the lane's x << a1 (a1 <= 19,
// shared) times the PE's w << a2, a2 in {0, 6, 12}.
//
// Pipeline, one step per cycle (II = 1), PE_LAT = 3 + LOG2_L stages (the
// cycle model's P_gemm on a window target: docs/cycle-model.md 2.6):
//   0             the select: each PE's candidate and entry, registered
//                 (for every GEMM on this array: a dense one takes
//                 candidate 0)
//   1             terms (one product per PE), registered
//   2..1+LOG2_L   adder tree, one registered level each (dlp_pe_reduce)
//   2+LOG2_L      accumulate: acc_out <= acc_in + tree sum
// win and wfmt are taken per step (stage 0 registers what they select).
// out_valid / acc_out follow in_valid by PE_LAT cycles; acc_in is read in
// the accumulate stage, PE_LAT - 1 cycles after in_valid. The array has no
// per-candidate mask: whoever feeds it drives x = 0 for the candidates of
// a short last window that lie past the instruction's S steps (docs/isa.md
// 3.8: such entries add nothing), as it drives 0 for padding.
//
// dlp_gemm's array on a window target (its window sequencer feeds the W
// candidates); tested on its own (rtl-pe-array-win) and inside dlp_gemm
// (rtl-gemm-win, rtl-gemm-win10), synthesized alone by hw/synth/synth.sh's
// window mode for the resource estimate.
module dlp_pe_array_win #(
  // From the config (dlp_cfg_pkg); do not override (the unit testbench's
  // wrapper and synth.sh's scaled runs set W for a config without one).
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int LOG2_L = dlp_cfg_pkg::LOG2_L,
  parameter int AW = dlp_cfg_pkg::ALIGN_W,
  parameter int W = dlp_cfg_pkg::WINDOW,
  parameter bit INT8 = dlp_cfg_pkg::INT8_WEIGHTS
) (
  input  logic                clk,
  input  logic                rst_n,   // synchronous, active low
  input  logic                in_valid,
  input  logic                win,     // 1: window entries (GEMM_WIN)
  input  logic                wfmt,    // win = 0: 0 pow2-4 codes, 1 int8
  input  logic [W*L*8-1:0]    x,       // candidates, int8
  input  logic [W*L*AW-1:0]   align,   // per candidate and lane, 0..31
  input  logic [L*Q*8-1:0]    w,       // entries (l, q) at (l*Q + q)*8
  input  logic [Q*32-1:0]     acc_in,  // int32, read in the accumulate stage
  output logic                out_valid,
  output logic [Q*32-1:0]     acc_out  // int32
);
  // The candidates padded to the 16 a 4-bit offset can name (an offset
  // >= W selects x = 0: its term is 0).
  logic [16*L*8-1:0]     xpad;
  logic [16*L*AW-1:0]    apad;
  // term[(l*Q + q)*32 +: 32]: lane l's registered term of output q.
  logic [L*Q*32-1:0]     term;
  logic                  int8_q;    // stage 1: an int8 dense GEMM

  always_comb begin
    xpad = '0;
    apad = '0;
    xpad[W*L*8-1:0] = x;
    apad[W*L*AW-1:0] = align;
  end
  always_ff @(posedge clk)
    int8_q <= INT8 && !win && wfmt;

  for (genvar l = 0; l < L; l++) begin : g_lane
    // The int8 path's lane-shared half: candidate 0 registered (stage 0),
    // then x << a1 and the PEs' weight shift a2 = 6 * sel (dlp_pe_array's
    // split, exact modulo 2^32).
    logic [7:0]         x0;
    logic [AW-1:0]      a0;
    logic [1:0]         sel;
    logic signed [26:0] xa;
    always_ff @(posedge clk) begin
      x0 <= x[l*8 +: 8];
      a0 <= align[l*AW +: AW];
    end
    dlp_pe_split #(.AW(AW)) u_split (.x(x0), .a(a0), .sel, .xa);

    for (genvar q = 0; q < Q; q++) begin : g_pe
      logic [7:0]         e, es;      // the entry: input, stage 0
      logic [3:0]         off;
      logic [7:0]         xs;         // the selected candidate, stage 0
      logic [AW-1:0]      as;
      logic [5:0]         ex;         // e = k - 1 + a, 0..37
      logic [4:0]         eb;         // e modulo 32
      logic               zero;
      logic signed [26:0] A;
      logic signed [17:0] B;
      logic signed [7:0]  wd;         // the int8 weight
      logic signed [17:0] wb;         // its shift by a2 (dlp_pe_wshift)
      logic [31:0]        prod;
      assign e = w[(l*Q + q)*8 +: 8];
      always_comb off = win ? e[7:4] : 4'd0;
      always_ff @(posedge clk) begin
        xs <= xpad[(32'(off)*L + l)*8 +: 8];
        as <= apad[(32'(off)*L + l)*AW +: AW];
        es <= e;
      end
      dlp_pe_weight u_weight (.int8(1'b1), .e(es), .wd);
      dlp_pe_wshift u_wshift (.wd, .sel, .b(wb));
      always_comb begin
        ex   = 6'(as) + 6'(3'(es[2:0] - 3'd1));  // k = 0: zero below
        eb   = ex[4:0];
        zero = es[2:0] == 3'd0 || ex[5];
        if (INT8 && int8_q) begin
          A = xa;
          B = wb;
        end else begin
          A = eb[4] ? {3'(xs[7] ? 3'b111 : 3'b000), xs, 16'd0}
                    : 27'($signed(xs));
          // (-1)^s * 2^e': bit i is e' == i, or e' <= i when negative.
          for (int i = 0; i < 18; i++)
            B[i] = !zero && (es[3] ? 32'(eb[3:0]) <= i : 32'(eb[3:0]) == i);
        end
        prod = 32'(A * B);
      end
      always_ff @(posedge clk)
        term[(l*Q + q)*32 +: 32] <= prod;
    end
  end

  // Stages 2 .. 2 + LOG2_L: the adder tree and the accumulate.
  dlp_pe_reduce #(.L(L), .Q(Q), .LOG2_L(LOG2_L), .PRE(2)) u_reduce (
    .clk, .rst_n, .in_valid, .term, .acc_in, .out_valid, .acc_out);

endmodule
