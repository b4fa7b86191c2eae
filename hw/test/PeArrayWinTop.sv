// PeArrayWinTop.sv - test wrapper of rtl-pe-array-win: two dlp_pe_array_win
// at the build config's L and Q on the same inputs, whatever the build
// config's window (the arrays' own W below; rtl-gemm-win tests the array
// inside dlp_gemm on a window config):
//   u_w10  W = 10 (large-win's: offsets 10..15 of a 4-bit entry lie past
//          the window) with the config's weight formats (acc_out);
//   u_w16  W = 16 (every offset inside), pow2 weights only as large-win has
//          them (INT8 = 0: a dense GEMM's entry is always a pow2 code)
//          (acc_out16).
//   u_p3   W = 10 and the config's formats as u_w10, three output pixels
//          per step (P = 3, array.pixels): pixel 0's candidates and
//          accumulators are u_w10's, pixels 1 and 2's come from xp /
//          acc_in_p (acc_out3 holds all three).
// x / align hold 16 candidates; u_w10 takes the first 10. Not part of hw/rtl.
module PeArrayWinTop #(
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int AW = dlp_cfg_pkg::ALIGN_W
) (
  input  logic                clk,
  input  logic                rst_n,
  input  logic                in_valid,
  input  logic                win,
  input  logic                wfmt,
  input  logic [16*L*8-1:0]   x,
  input  logic [16*L*AW-1:0]  align,
  input  logic [L*Q*8-1:0]    w,
  input  logic [Q*32-1:0]     acc_in,
  output logic                out_valid,
  output logic [Q*32-1:0]     acc_out,
  output logic                out_valid16,
  output logic [Q*32-1:0]     acc_out16,
  input  logic [2*10*L*8-1:0] xp,       // pixels 1 and 2's candidates
  input  logic [2*Q*32-1:0]   acc_in_p, // pixels 1 and 2's acc_in
  output logic                out_valid3,
  output logic [3*Q*32-1:0]   acc_out3
);
  dlp_pe_array_win #(.W(10)) u_w10 (
    .clk, .rst_n, .in_valid, .win, .wfmt, .x(x[10*L*8-1:0]),
    .align(align[10*L*AW-1:0]), .w, .acc_in, .out_valid, .acc_out);
  dlp_pe_array_win #(.W(16), .INT8(1'b0)) u_w16 (
    .clk, .rst_n, .in_valid, .win, .wfmt, .x, .align, .w, .acc_in,
    .out_valid(out_valid16), .acc_out(acc_out16));
  dlp_pe_array_win #(.W(10), .P(3)) u_p3 (
    .clk, .rst_n, .in_valid, .win, .wfmt, .x({xp, x[10*L*8-1:0]}),
    .align(align[10*L*AW-1:0]), .w, .acc_in({acc_in_p, acc_in}),
    .out_valid(out_valid3), .acc_out(acc_out3));
endmodule
