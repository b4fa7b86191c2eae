// dlp_fifo.sv - a small synchronous FIFO (an instruction queue of dlp_core).
//
// DEPTH entries of W bits; push and pop in the same cycle are allowed (also
// when full, the pop making room). The head is visible combinationally
// (head / valid), and `free` counts the empty slots. Overflow and
// underflow are the user's to avoid (the core fetches only with room).
module dlp_fifo #(
  parameter int W = 8,
  parameter int DEPTH = 8
) (
  input  logic         clk,
  input  logic         rst_n,   // synchronous, active low
  input  logic         push,
  input  logic [W-1:0] din,
  input  logic         pop,
  output logic         valid,   // not empty
  output logic [W-1:0] head,
  output logic [$clog2(DEPTH+1)-1:0] free
);
  localparam int AW = $clog2(DEPTH);
  localparam int CW = $clog2(DEPTH + 1);

  logic [W-1:0]  mem [DEPTH];
  logic [AW-1:0] rd, wr;
  logic [CW-1:0] count;

  assign valid = count != '0;
  assign head = mem[rd];
  assign free = CW'(DEPTH) - count;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rd <= '0;
      wr <= '0;
      count <= '0;
    end else begin
      if (push) begin
        mem[wr] <= din;
        wr <= (wr == AW'(DEPTH - 1)) ? '0 : wr + 1'b1;
      end
      if (pop)
        rd <= (rd == AW'(DEPTH - 1)) ? '0 : rd + 1'b1;
      count <= count + CW'(push) - CW'(pop);
    end
  end
endmodule
