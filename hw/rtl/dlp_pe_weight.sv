// dlp_pe_weight.sv - a PE's int8 weight w' from its entry (docs/isa.md
// 3.3), shared by dlp_pe_array and dlp_pe_array_win: an int8 weight as it
// is (int8 = 1), or a pow2-4 code s*8 + k in bits [3:0] (bits [7:4]
// ignored) as (-1)^s * 2^(k-1), 0 for k = 0 (code 8 too). Combinational;
// written as a table (Yosys 0.23 maps it smaller than a shift and a
// negation, hw/README.md).
module dlp_pe_weight (
  input  logic              int8,
  input  logic [7:0]        e,
  output logic signed [7:0] wd
);
  always_comb
    if (int8)
      wd = $signed(e);
    else
      case (e[3:0])
        4'd1: wd = 8'sd1;    4'd2: wd = 8'sd2;    4'd3: wd = 8'sd4;
        4'd4: wd = 8'sd8;    4'd5: wd = 8'sd16;   4'd6: wd = 8'sd32;
        4'd7: wd = 8'sd64;   4'd9: wd = -8'sd1;   4'd10: wd = -8'sd2;
        4'd11: wd = -8'sd4;  4'd12: wd = -8'sd8;  4'd13: wd = -8'sd16;
        4'd14: wd = -8'sd32; 4'd15: wd = -8'sd64; default: wd = 8'sd0;
      endcase
endmodule
