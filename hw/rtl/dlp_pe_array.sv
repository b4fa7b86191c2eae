// dlp_pe_array.sv - one step of the L x Q PE array (docs/isa.md 3.3).
//
// A step takes one L-vector of int8 activations x[l], the alignment a[l]
// (0..31) of each lane's weight row and the L x Q block of weight entries
// w[l][q], and produces for every output q
//   acc_out[q] = acc_in[q] + sum_l term(w[l][q], x[l] << a[l])   (mod 2^32)
// with term() the ISA's: for wfmt = 0 (pow2-4) a code c = s*8 + k gives 0
// for k = 0, else (-1)^s * (v << (k - 1)); code 8 ("-0") reads as 0 and bits
// [7:4] of the entry are ignored, as the simulator's multiplier() does. For
// wfmt = 1 (int8) it is v * w.
//
// Both formats are one product: a pow2 code is the int8 weight
// w' = (-1)^s * 2^(k-1) (|w'| <= 64), so every term is x * w' * 2^a modulo
// 2^32, and a PE is an 8-bit weight decode, a 3-way select and one 27 x 18
// signed multiplier -- the width of an UltraScale+ DSP48E2's multiplier, so
// each PE maps onto one DSP and its LUTs are the decode, the select and its
// adder-tree node, not a 32-bit shifter. (The decode is a table and the
// select an AND-OR on purpose: written as a shift and a negation feeding a
// case, Yosys 0.23 builds 106 instead of 65 LUT per PE on 8 x 8.) The alignment is split per lane
// (shared by the Q PEs of the lane; dlp_pe_split, dlp_pe_wshift) as
// a = a1 + a2 with a2 in {0, 6, 12}:
//   a <= 19        a1 = a,      A = x << a1  (exact in 27 bits: |x| <= 2^7)
//                  a2 = 0,      B = w'
//   20 <= a <= 25  a1 = a - 6,  B = w' << 6  (exact in 18 bits)
//   26 <= a        a1 = a - 12, B = (w' << 12) mod 2^18
// In the last case a1 >= 14, so A is a multiple of 2^14 and A * B modulo
// 2^32 only depends on B modulo 2^18: the low 32 bits of A * B are the
// term's exactly in every case.
//
// Pipeline, one step per cycle (II = 1), PE_LAT = 2 + LOG2_L stages:
//   1          terms (shift / multiply), registered
//   2..1+LOG2_L  adder tree, one registered level each
//   2+LOG2_L   accumulate: acc_out <= acc_in + tree sum
// out_valid / acc_out follow in_valid by PE_LAT cycles. The cycle model's
// P_gemm = 4 + log2 L is dlp_gemm's read-address register and the SRAM
// read in front of this module (the FBUF vector and WBUF rows arrive
// registered) plus these PE_LAT stages.
// acc_in is read in the accumulate stage, i.e. PE_LAT - 1 cycles after the
// step's in_valid: the bias / ABUF read is issued so that its data arrives
// then ("accumulate costs nothing extra"), and a step that continues the
// previous step's output pixel takes acc_out itself (registered one cycle
// before), so consecutive steps of one pixel need no stall.
//
// Ports are flat vectors (Yosys 0.23 reads no packed multi-dimensional
// ports): x lane l is x[l*8 +: 8], align lane l align[l*ALIGN_W +: ALIGN_W],
// entry (l, q) w[(l*Q + q)*8 +: 8], accumulator q [q*32 +: 32].
module dlp_pe_array #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int LOG2_L = dlp_cfg_pkg::LOG2_L,
  parameter int AW = dlp_cfg_pkg::ALIGN_W
) (
  input  logic              clk,
  input  logic              rst_n,     // synchronous, active low
  input  logic              in_valid,
  input  logic              wfmt,      // 0 pow2-4 codes, 1 int8 weights
  input  logic [L*8-1:0]    x,         // int8 activations
  input  logic [L*AW-1:0]   align,     // per lane (weight row), 0..31
  input  logic [L*Q*8-1:0]  w,         // weight entries
  input  logic [Q*32-1:0]   acc_in,    // int32, read in the accumulate stage
  output logic              out_valid,
  output logic [Q*32-1:0]   acc_out    // int32
);
  // term[(l*Q + q)*32 +: 32]: lane l's registered term of output q.
  logic [L*Q*32-1:0] term;

  // Stage 1: terms.
  for (genvar l = 0; l < L; l++) begin : g_lane
    logic [1:0]         sel;  // a2 = 6 * sel
    logic signed [26:0] xa;   // A = x << a1
    dlp_pe_split #(.AW(AW)) u_split (.x(x[l*8 +: 8]), .a(align[l*AW +: AW]),
                                     .sel, .xa);
    for (genvar q = 0; q < Q; q++) begin : g_pe
      logic [7:0]         e;
      logic signed [7:0]  wd;   // w': the int8 weight or the pow2 code's
      logic signed [17:0] b;    // B = w' << a2, 18 bits
      logic [31:0]        prod; // A * B modulo 2^32
      assign e = w[(l*Q + q)*8 +: 8];
      dlp_pe_weight u_weight (.int8(wfmt), .e, .wd);
      dlp_pe_wshift u_wshift (.wd, .sel, .b);
      always_comb prod = 32'(xa * b);
      always_ff @(posedge clk)
        term[(l*Q + q)*32 +: 32] <= prod[31:0];
    end
  end

  // Stages 2 .. 2 + LOG2_L: the adder tree and the accumulate.
  dlp_pe_reduce #(.L(L), .Q(Q), .LOG2_L(LOG2_L), .PRE(1)) u_reduce (
    .clk, .rst_n, .in_valid, .term, .acc_in, .out_valid, .acc_out);

endmodule
