// dlp_pe_split.sv - the alignment split of a PE's product (dlp_pe_array's
// header), shared by dlp_pe_array and dlp_pe_array_win's int8 path: for an
// int8 x and an alignment a in [0, 31], a = a1 + a2 with a2 = 6 * sel,
//   a <= 19        a1 = a,      sel = 0
//   20 <= a <= 25  a1 = a - 6,  sel = 1
//   26 <= a        a1 = a - 12, sel = 2
// and xa = x << a1 (exact in 27 bits: |x| <= 2^7, a1 <= 19). The weight
// side, w' << a2 in 18 bits, is dlp_pe_wshift. Combinational.
module dlp_pe_split #(
  parameter int AW = dlp_cfg_pkg::ALIGN_W
) (
  input  logic [7:0]         x,
  input  logic [AW-1:0]      a,
  output logic [1:0]         sel,
  output logic signed [26:0] xa
);
  always_comb begin
    // In 32 bits: correct for any AW (the ISA's is 5, a <= 31).
    sel = (32'(a) >= 32'd26) ? 2'd2 : (32'(a) >= 32'd20) ? 2'd1 : 2'd0;
    xa  = 27'($signed(x)) <<< AW'(32'(a) - 32'd6 * 32'(sel));
  end
endmodule
