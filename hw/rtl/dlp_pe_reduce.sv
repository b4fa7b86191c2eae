// dlp_pe_reduce.sv - the PE arrays' adder tree and accumulator: the
// stages after the terms, shared by dlp_pe_array and dlp_pe_array_win.
//
// term[(l*Q + q)*32 +: 32] holds lane l's registered term of output q.
// LOG2_L registered adder-tree levels sum the L terms of each output, then
// the accumulate stage registers acc_out[q] <= acc_in[q] + sum (mod 2^32):
// acc_out follows the terms by LOG2_L + 1 cycles and acc_in is read in the
// last of them. It also carries the array's valid bit: out_valid follows
// in_valid (the array's input step) by PRE (the caller's stages up to and
// including the terms' register) + LOG2_L + 1 cycles.
// L >= 2 (a one-lane array has no tree; the DMA already refuses L = 1).
module dlp_pe_reduce #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int LOG2_L = dlp_cfg_pkg::LOG2_L,
  parameter int PRE = 1
) (
  input  logic              clk,
  input  logic              rst_n,     // synchronous, active low
  input  logic              in_valid,
  input  logic [L*Q*32-1:0] term,
  input  logic [Q*32-1:0]   acc_in,
  output logic              out_valid,
  output logic [Q*32-1:0]   acc_out
);
  localparam int LAT = PRE + LOG2_L + 1;
  logic [LAT-1:0] valid;
  always_ff @(posedge clk) begin
    if (!rst_n) valid <= '0;
    else        valid <= {valid[LAT-2:0], in_valid};
  end
  assign out_valid = valid[LAT-1];

  // Tree level j (1..LOG2_L) holds L >> j sums per output, at sum offset
  // L - (2L >> j) (level 1 from 0, the root at L - 2).
  function automatic int level_offset(int j);
    level_offset = L - ((2 * L) >> j);
  endfunction

  // sum[(n*Q + q)*32 +: 32]: tree node n of output q (L - 1 per output).
  logic [(L-1)*Q*32-1:0] sum;

  for (genvar j = 1; j <= LOG2_L; j++) begin : g_level
    for (genvar i = 0; i < (L >> j); i++) begin : g_node
      localparam int DST = level_offset(j) + i;
      localparam int SRC = j == 1 ? 0 : level_offset(j - 1) + 2 * i;
      for (genvar q = 0; q < Q; q++) begin : g_q
        if (j == 1) begin : g_leaf
          always_ff @(posedge clk)
            sum[(DST*Q + q)*32 +: 32] <= term[((2*i)*Q + q)*32 +: 32] +
                                         term[((2*i + 1)*Q + q)*32 +: 32];
        end else begin : g_inner
          always_ff @(posedge clk)
            sum[(DST*Q + q)*32 +: 32] <= sum[(SRC*Q + q)*32 +: 32] +
                                         sum[((SRC + 1)*Q + q)*32 +: 32];
        end
      end
    end
  end

  for (genvar q = 0; q < Q; q++) begin : g_acc
    always_ff @(posedge clk)
      acc_out[q*32 +: 32] <= acc_in[q*32 +: 32] +
                             sum[((L - 2)*Q + q)*32 +: 32];
  end

endmodule
