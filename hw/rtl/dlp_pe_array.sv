// dlp_pe_array.sv - one step of the L x Q PE array (docs/isa.md 3.3).
//
// A step takes one L-vector of int8 activations x[l], the alignment a[l]
// (0..31) of each lane's weight row and the L x Q block of weight entries
// w[l][q], and produces for every output q
//   acc_out[q] = acc_in[q] + sum_l term(w[l][q], x[l] << a[l])   (mod 2^32)
// with term() the ISA's: for wfmt = 0 (pow2-4) a code c = s*8 + k gives 0
// for k = 0, else (-1)^s * (v << (k - 1)) -- a shift, no multiplier; code 8
// ("-0") reads as 0 and bits [7:4] of the entry are ignored, as the
// simulator's multiplier() does. For wfmt = 1 (int8) it is v * w, formed as
// (x * w) << a (the same value modulo 2^32, an 8 x 8 product). The
// alignment is applied once per lane for pow2 (the ISA's point: a PE needs
// only the 3-bit code shift), after the 8 x 8 product for int8.
//
// Pipeline, one step per cycle (II = 1), PE_LAT = 2 + LOG2_L stages:
//   1          terms (shift / multiply), registered
//   2..1+LOG2_L  adder tree, one registered level each
//   2+LOG2_L   accumulate: acc_out <= acc_in + tree sum
// out_valid / acc_out follow in_valid by PE_LAT cycles. The cycle model's
// P_gemm = 3 + log2 L is the SRAM read stage in front of this module (the
// FBUF vector and WBUF rows arrive registered) plus these PE_LAT stages.
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
  localparam int PE_LAT = 2 + LOG2_L;
  localparam int NODES = 2 * L - 1;  // terms (L) + tree (L - 1) per output

  // Tree level j holds L >> j sums per output, at node offset 2L - (2L >> j).
  function automatic int level_offset(int j);
    level_offset = 2 * L - ((2 * L) >> j);
  endfunction

  // node[(n*Q + q)*32 +: 32]: node n of output q; n < L are the terms.
  logic [NODES*Q*32-1:0] node;
  logic [PE_LAT-1:0]     valid;

  // Stage 1: terms.
  for (genvar l = 0; l < L; l++) begin : g_lane
    logic signed [7:0] xl;
    logic [AW-1:0]     al;
    logic [31:0]       xa;  // x << a, for the pow2 path
    always_comb begin
      xl = $signed(x[l*8 +: 8]);
      al = align[l*AW +: AW];
      xa = 32'($signed(xl)) << al;
    end
    for (genvar q = 0; q < Q; q++) begin : g_pe
      logic [7:0]         e;
      logic [2:0]         k;
      logic [31:0]        mag, pow2, int8;
      logic signed [15:0] prod;
      always_comb begin
        e    = w[(l*Q + q)*8 +: 8];
        k    = e[2:0];
        mag  = xa << (k - 3'd1);
        pow2 = (k == 3'd0) ? 32'd0 : (e[3] ? 32'd0 - mag : mag);
        prod = xl * $signed(e);
        int8 = 32'(prod) << al;
      end
      always_ff @(posedge clk)
        node[(l*Q + q)*32 +: 32] <= wfmt ? int8 : pow2;
    end
  end

  // Stages 2 .. 1 + LOG2_L: the adder tree.
  for (genvar j = 1; j <= LOG2_L; j++) begin : g_level
    for (genvar i = 0; i < (L >> j); i++) begin : g_node
      localparam int DST = level_offset(j) + i;
      localparam int SRC = level_offset(j - 1) + 2 * i;
      for (genvar q = 0; q < Q; q++) begin : g_q
        always_ff @(posedge clk)
          node[(DST*Q + q)*32 +: 32] <= node[(SRC*Q + q)*32 +: 32] +
                                        node[((SRC + 1)*Q + q)*32 +: 32];
      end
    end
  end

  // Stage 2 + LOG2_L: accumulate.
  for (genvar q = 0; q < Q; q++) begin : g_acc
    always_ff @(posedge clk)
      acc_out[q*32 +: 32] <= acc_in[q*32 +: 32] +
                             node[((NODES - 1)*Q + q)*32 +: 32];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) valid <= '0;
    else        valid <= {valid[PE_LAT-2:0], in_valid};
  end
  assign out_valid = valid[PE_LAT-1];

endmodule
