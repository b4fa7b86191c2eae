// PeArrayWinTop.sv - test wrapper of rtl-pe-array-win: dlp_pe_array_win at
// the build config's L and Q with a window of 10 input vectors (large-win's
// array.window: offsets 10..15 of a 4-bit entry lie past the window), for a
// build config that has no window (dlp_core does not instantiate the array
// yet, so no config with array.window > 1 builds the RTL). Not part of
// hw/rtl.
module PeArrayWinTop #(
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int AW = dlp_cfg_pkg::ALIGN_W,
  parameter int W = 10
) (
  input  logic                clk,
  input  logic                rst_n,
  input  logic                in_valid,
  input  logic                win,
  input  logic                wfmt,
  input  logic [W*L*8-1:0]    x,
  input  logic [W*L*AW-1:0]   align,
  input  logic [L*Q*8-1:0]    w,
  input  logic [Q*32-1:0]     acc_in,
  output logic                out_valid,
  output logic [Q*32-1:0]     acc_out
);
  dlp_pe_array_win #(.W(W)) u_array (.*);
endmodule
