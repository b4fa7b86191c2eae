// dlp_sram_bank.sv - one bank of an on-chip buffer, for the resource
// estimate only (hw/synth/synth.sh reads it as a black box: its storage is
// counted by arithmetic as BRAM36 / URAM blocks, hw/synth/report.py).
//
// DEPTH words of WIDTH bits, NP ports; port p: en[p] with addr in cycle t,
// a write if we[p] (wdata), else a read whose data is in rdata from cycle
// t + 1 and held while en[p] is low (a block RAM's output register).
// Ports are flat vectors (Yosys 0.23). Not used by the RTL.
module dlp_sram_bank #(
  parameter int DEPTH = 1024,
  parameter int WIDTH = 64,
  parameter int NP = 2,
  localparam int AW = DEPTH > 1 ? $clog2(DEPTH) : 1
) (
  input  logic               clk,
  input  logic [NP-1:0]      en,
  input  logic [NP-1:0]      we,
  input  logic [NP*AW-1:0]   addr,
  input  logic [NP*WIDTH-1:0] wdata,
  output logic [NP*WIDTH-1:0] rdata
);
  logic [WIDTH-1:0] mem [DEPTH];
  always_ff @(posedge clk)
    for (int p = 0; p < NP; p++)
      if (en[p]) begin
        if (we[p]) mem[addr[p*AW +: AW]] <= wdata[p*WIDTH +: WIDTH];
        else       rdata[p*WIDTH +: WIDTH] <= mem[addr[p*AW +: AW]];
      end
endmodule
