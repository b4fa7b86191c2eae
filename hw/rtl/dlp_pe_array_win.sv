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
// Several output pixels per step (P = array.pixels, docs/cycle-model.md
// 2.1): P copies of the array share each step's entries and alignments and
// each gets its own pixel's W candidates x[((p*W + o)*L + l)*8 +: 8] and
// accumulators acc_in / acc_out[(p*Q + q)*32 +: 32]. What depends on the
// entry and the candidate's alignment only -- the offset, the selected
// alignment, e = k - 1 + a and the one-hot B (or the int8 weight and its
// shift) -- is formed once per PE position (l, q); each copy has its own
// candidate select, A, product and adder tree. Alignments are per step
// and channel block, not per pixel (docs/isa.md 3.3), so sharing them is
// exact.
//
// dlp_gemm's array on a window target (its window sequencer feeds the W
// candidates; P = 1: dlp-hwgen refuses array.pixels > 1, the sequencer
// issues one pixel per step); tested on its own (rtl-pe-array-win, P = 1
// and 3) and inside dlp_gemm (rtl-gemm-win, rtl-gemm-win10), synthesized
// alone by hw/synth/synth.sh's window mode for the resource estimate.
module dlp_pe_array_win #(
  // From the config (dlp_cfg_pkg); do not override (the unit testbench's
  // wrapper and synth.sh's scaled runs set W for a config without one).
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int LOG2_L = dlp_cfg_pkg::LOG2_L,
  parameter int AW = dlp_cfg_pkg::ALIGN_W,
  parameter int W = dlp_cfg_pkg::WINDOW,
  parameter bit INT8 = dlp_cfg_pkg::INT8_WEIGHTS,
  parameter int P = dlp_cfg_pkg::PIXELS
) (
  input  logic                clk,
  input  logic                rst_n,   // synchronous, active low
  input  logic                in_valid,
  input  logic                win,     // 1: window entries (GEMM_WIN)
  input  logic                wfmt,    // win = 0: 0 pow2-4 codes, 1 int8
  input  logic [P*W*L*8-1:0]  x,       // candidates, int8, per pixel
  input  logic [W*L*AW-1:0]   align,   // per candidate and lane, 0..31
  input  logic [L*Q*8-1:0]    w,       // entries (l, q) at (l*Q + q)*8
  input  logic [P*Q*32-1:0]   acc_in,  // int32, read in the accumulate stage
  output logic                out_valid,
  output logic [P*Q*32-1:0]   acc_out  // int32
);
  // term[((p*L + l)*Q + q)*32 +: 32]: pixel p's registered term of lane
  // l, output q. (Flat vectors here: Yosys 0.23 reads no multi-dimensional
  // packed arrays, and turns an unpacked array written in slices by many
  // processes into a memory, then into mux chains of 7x the LUTs.)
  logic [P*L*Q*32-1:0]   term;
  logic                  int8_q;    // stage 1: an int8 dense GEMM
  /* verilator lint_off UNUSEDSIGNAL */
  logic [P-1:0]          vq;        // the copies' out_valid (all equal)
  /* verilator lint_on UNUSEDSIGNAL */

  always_ff @(posedge clk)
    int8_q <= INT8 && !win && wfmt;

  for (genvar l = 0; l < L; l++) begin : g_lane
    // The int8 path's lane-shared half: candidate 0 registered (stage 0),
    // then x << a1 (per pixel) and the PEs' weight shift a2 = 6 * sel
    // (dlp_pe_array's split, exact modulo 2^32).
    logic [P*8-1:0]     x0;
    logic [AW-1:0]      a0;
    logic [1:0]         sel;
    logic [P*27-1:0]    xa;
    always_ff @(posedge clk) begin
      for (int p = 0; p < P; p++)
        x0[p*8 +: 8] <= x[(p*W*L + l)*8 +: 8];
      a0 <= align[l*AW +: AW];
    end
    for (genvar p = 0; p < P; p++) begin : g_split
      // sel depends on the alignment only: pixel 0's is the lane's.
      /* verilator lint_off UNUSEDSIGNAL */
      logic [1:0] sel_p;
      /* verilator lint_on UNUSEDSIGNAL */
      dlp_pe_split #(.AW(AW)) u_split (
        .x(x0[p*8 +: 8]), .a(a0), .sel(sel_p), .xa(xa[p*27 +: 27]));
      if (p == 0) begin : g_sel
        assign sel = sel_p;
      end
    end

    // Lane l's candidates padded to the 16 a 4-bit offset can name (an
    // offset >= W selects x = 0: its term is 0): alignments, and per pixel
    // the inputs. Each PE selects from its lane's words only.
    logic [16*AW-1:0]   ca;
    logic [P*16*8-1:0]  cx;
    always_comb begin
      ca = '0;
      for (int o = 0; o < W; o++)
        ca[o*AW +: AW] = align[(o*L + l)*AW +: AW];
      cx = '0;
      for (int p = 0; p < P; p++)
        for (int o = 0; o < W; o++)
          cx[(p*16 + o)*8 +: 8] = x[((p*W + o)*L + l)*8 +: 8];
    end

    for (genvar q = 0; q < Q; q++) begin : g_pe
      // Shared by the P copies: the entry, its offset, the selected
      // alignment, the exponent and B (or the int8 weight).
      logic [7:0]         e, es;      // the entry: input, stage 0
      logic [3:0]         off;
      logic [AW-1:0]      as;         // the selected alignment, stage 0
      logic [5:0]         ex;         // e = k - 1 + a, 0..37
      logic [4:0]         eb;         // e modulo 32
      logic               zero;
      logic signed [17:0] B;
      logic signed [7:0]  wd;         // the int8 weight
      logic signed [17:0] wb;         // its shift by a2 (dlp_pe_wshift)
      assign e = w[(l*Q + q)*8 +: 8];
      always_comb off = win ? e[7:4] : 4'd0;
      always_ff @(posedge clk) begin
        as <= ca[32'(off)*AW +: AW];
        es <= e;
      end
      dlp_pe_weight u_weight (.int8(1'b1), .e(es), .wd);
      dlp_pe_wshift u_wshift (.wd, .sel, .b(wb));
      always_comb begin
        ex   = 6'(as) + 6'(3'(es[2:0] - 3'd1));  // k = 0: zero below
        eb   = ex[4:0];
        zero = es[2:0] == 3'd0 || ex[5];
        if (INT8 && int8_q)
          B = wb;
        else
          // (-1)^s * 2^e': bit i is e' == i, or e' <= i when negative.
          for (int i = 0; i < 18; i++)
            B[i] = !zero && (es[3] ? 32'(eb[3:0]) <= i : 32'(eb[3:0]) == i);
      end

      // Per pixel: the selected candidate, A and the product.
      for (genvar p = 0; p < P; p++) begin : g_px
        logic [7:0]         xs;       // the selected candidate, stage 0
        logic signed [26:0] A;
        logic [31:0]        prod;
        always_ff @(posedge clk)
          xs <= cx[(p*16 + 32'(off))*8 +: 8];
        always_comb begin
          if (INT8 && int8_q)
            A = $signed(xa[p*27 +: 27]);
          else
            A = eb[4] ? {3'(xs[7] ? 3'b111 : 3'b000), xs, 16'd0}
                      : 27'($signed(xs));
          prod = 32'(A * B);
        end
        always_ff @(posedge clk)
          term[((p*L + l)*Q + q)*32 +: 32] <= prod;
      end
    end
  end

  // Stages 2 .. 2 + LOG2_L: each copy's adder tree and accumulate.
  for (genvar p = 0; p < P; p++) begin : g_reduce
    dlp_pe_reduce #(.L(L), .Q(Q), .LOG2_L(LOG2_L), .PRE(2)) u_reduce (
      .clk, .rst_n, .in_valid, .term(term[p*L*Q*32 +: L*Q*32]),
      .acc_in(acc_in[p*Q*32 +: Q*32]),
      .out_valid(vq[p]), .acc_out(acc_out[p*Q*32 +: Q*32]));
  end
  assign out_valid = vq[0];

endmodule
