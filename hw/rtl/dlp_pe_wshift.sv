// dlp_pe_wshift.sv - the weight side of a PE's product (dlp_pe_split):
// b = w' << (6 * sel) in 18 bits. For sel = 2 (a >= 26) w' << 12 no longer
// fits 18 bits, but then xa is a multiple of 2^14 and xa * b modulo 2^32
// only depends on b modulo 2^18. An AND-OR select on purpose (Yosys 0.23
// maps it smaller than a shift, hw/README.md). Combinational.
module dlp_pe_wshift (
  input  logic signed [7:0]  wd,
  input  logic [1:0]         sel,
  output logic signed [17:0] b
);
  always_comb
    b = ({18{sel == 2'd0}} & {{10{wd[7]}}, wd}) |
        ({18{sel == 2'd1}} & {{4{wd[7]}}, wd, 6'd0}) |
        ({18{sel == 2'd2}} & {wd[5:0], 12'd0});
endmodule
