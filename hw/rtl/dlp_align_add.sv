// dlp_align_add.sv - the aligned sum of an element-wise add, per lane
// (docs/isa.md 3.5), combinational:
//   d = aux[c]   (int8: f_a - f_b; the loader keeps |d| <= 22)
//   t[c] = d >= 0 ? a[c] + (b[c] << d) : (a[c] << -d) + b[c]   (int32)
// b reads as 0 when !b_en (a unary ADD). The sum feeds dlp_postproc, as in
// the simulator's kernels::addRequant. Used by dlp_eltwise (ADD) and by
// dlp_gemm (a GEMM's residual add). An aux the loader would refuse is
// shifted as is in 32 bits (>= 32 gives 0; -(-128) reads as 128).
module dlp_align_add #(
  parameter int Q = dlp_cfg_pkg::Q
) (
  input  logic [Q*8-1:0]  a,
  input  logic [Q*8-1:0]  b,
  input  logic            b_en,
  input  logic [Q*8-1:0]  aux,
  output logic [Q*32-1:0] t
);
  for (genvar c = 0; c < Q; c++) begin : g_lane
    logic signed [31:0] av, bv;
    logic signed [7:0]  d;
    logic        [7:0]  sa, sb;  // left shifts of a and b (unsigned)
    always_comb begin
      av = 32'($signed(a[c*8 +: 8]));
      bv = b_en ? 32'($signed(b[c*8 +: 8])) : 32'sd0;
      d  = $signed(aux[c*8 +: 8]);
      sa = (d < 0) ? 8'(-d) : 8'd0;
      sb = (d < 0) ? 8'd0 : 8'(d);
      t[c*32 +: 32] = (av <<< sa) + (bv <<< sb);
    end
  end
endmodule
