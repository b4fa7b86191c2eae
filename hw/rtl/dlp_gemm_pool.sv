// dlp_gemm_pool.sv - the post-processing's max pool (ISA v5, docs/isa.md
// 3.3, a GEMM with pool_k > 0 on a target with units.gemm_pool).
//
// The epilogue's pixels arrive in raster order over the out_h x out_w tile,
// at most one per cycle (in_valid, y). A pooled pixel (py, px) is the
// lane-wise signed maximum of the tile's pixels in its k x k window
// (rows py*s - pad_t ..., columns px*s - pad_l ..., clipped to the tile);
// the loader keeps pad_b, pad_r < s and every pad < k, so every window
// holds a pixel and at most one window finishes at any pixel. Pooled
// pixels finish in raster order, so they are written from out_addr on,
// one after another.
//
// Stage 0 (the pixel's cycle): the row maximum of the column window that
// ends at this pixel (the pixel and the row's two before it, in
// registers), and the line buffer's read of that column for the pooled
// rows in flight (at most three: k <= 3; one line buffer row each, by
// pooled row mod 3). Stage 1: the combine with each row's partial maximum
// (or its start), the line buffer's write and the FBUF write of a
// finished window, registered: the write is valid two cycles after
// in_valid (P_fpool = 2, docs/cycle-model.md 2.1). A stage-0 read of the
// location stage 1 writes in the same cycle takes the written value.
//
// Flat vectors and no casts to a typedef'd type: hw/synth's Yosys reads
// this too.
module dlp_gemm_pool #(
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int FBUF_AW = dlp_cfg_pkg::FBUF_AW,
  parameter int OW_MAX = dlp_cfg_pkg::P_POOL_OW_MAX,
  parameter int HW = dlp_cfg_pkg::F_GEMM_OUT_H_W,
  parameter int KW = dlp_cfg_pkg::F_GEMM_POOL_K_W,
  parameter int SW = dlp_cfg_pkg::F_GEMM_POOL_S_W
) (
  input  logic               clk,
  input  logic               rst_n,
  input  logic               start,        // latch the fields below
  input  logic [KW-1:0]      k,            // pool_k (1..3)
  input  logic [SW-1:0]      s,            // pool_s (1..3)
  input  logic               pad_t,
  input  logic               pad_l,
  input  logic               pad_b,
  input  logic               pad_r,
  input  logic [HW-1:0]      out_h,
  input  logic [HW-1:0]      out_w,
  input  logic [FBUF_AW-1:0] out_addr,
  input  logic               in_valid,
  input  logic [Q*8-1:0]     y,
  output logic               wr_en,
  output logic [FBUF_AW-1:0] wr_addr,
  output logic [Q*8-1:0]     wr_data
);
  localparam int CW = HW + 3;                 // signed coordinates
  localparam int JW = OW_MAX > 1 ? $clog2(OW_MAX) : 1;  // wraps past the last
  localparam int V = Q * 8;

  function automatic logic signed [CW-1:0] sx(input logic [CW-1:0] v);
    sx = $signed(v);
  endfunction
  function automatic logic signed [CW-1:0] cmax(input logic signed [CW-1:0] a,
                                                input logic signed [CW-1:0] b);
    cmax = a > b ? a : b;
  endfunction
  function automatic logic signed [CW-1:0] cmin(input logic signed [CW-1:0] a,
                                                input logic signed [CW-1:0] b);
    cmin = a < b ? a : b;
  endfunction
  function automatic logic [V-1:0] vmax(input logic [V-1:0] a, input logic [V-1:0] b);
    for (int q = 0; q < Q; q++)
      vmax[q*8 +: 8] = $signed(a[q*8 +: 8]) > $signed(b[q*8 +: 8]) ? a[q*8 +: 8]
                                                                    : b[q*8 +: 8];
  endfunction
  function automatic logic [1:0] slot_add(input logic [1:0] a, input logic [1:0] t);
    logic [2:0] v;
    v = {1'b0, a} + {1'b0, t};
    slot_add = v >= 3'd3 ? 2'(v - 3'd3) : v[1:0];
  endfunction

  // Fields, latched at start.
  logic [KW-1:0]           k_q;
  logic [SW-1:0]           s_q;
  logic                    pl_q;
  logic signed [CW-1:0]    oh_m1, ow_m1, oh_end, ow_end; // last row / col; + pad_b / r
  // Pixel position; the oldest unfinished pooled row (its first row, its
  // line buffer row); the next column window (its first column, index).
  logic signed [CW-1:0]    py_row, px_col, r0, c0;
  logic [1:0]              slot0;
  logic [JW-1:0]           jc;
  logic [FBUF_AW-1:0]      ptr;
  logic [V-1:0]            h1, h2;            // the row's pixels x - 1, x - 2

  // Stage 0: the column window ending here and its row maximum.
  logic signed [CW-1:0] c1, cs;
  logic                 col_end;
  logic [V-1:0]         rowmax;
  always_comb begin
    c1 = c0 + sx(CW'(k_q)) - sx(CW'(1));
    cs = cmax(c0, '0);
    col_end = c1 <= ow_end && px_col == cmin(ow_m1, c1);
    rowmax = y;
    if (px_col - sx(CW'(1)) >= cs) rowmax = vmax(rowmax, h1);
    if (px_col - sx(CW'(2)) >= cs) rowmax = vmax(rowmax, h2);
  end
  // The pooled rows in flight that hold this row (t = 0: the oldest):
  // rows [ra, rb] unclipped, those past the padded tile do not exist.
  logic signed [3*CW-1:0] ra, rb;
  logic [2:0] act, first, last;
  logic [5:0] slot;                            // 2 bits per t
  always_comb
    for (int t = 0; t < 3; t++) begin
      ra[t*CW +: CW] = r0 + sx(CW'(t)) * sx(CW'(s_q));
      rb[t*CW +: CW] = ra[t*CW +: CW] + sx(CW'(k_q)) - sx(CW'(1));
      act[t]   = $signed(rb[t*CW +: CW]) <= oh_end && $signed(ra[t*CW +: CW]) <= py_row;
      first[t] = py_row == cmax(ra[t*CW +: CW], '0);
      last[t]  = py_row == cmin(oh_m1, rb[t*CW +: CW]);
      slot[t*2 +: 2] = slot_add(slot0, 2'(t));
    end

  // Stage 1 registers.
  logic           v1;
  logic [2:0]     act1, first1, last1;
  logic [5:0]     slot1;
  logic [JW-1:0]  j1;
  logic [V-1:0]   rowmax1;
  // The line buffer rows' reads (stage 0) and forwarded writes.
  logic [3*V-1:0] lb_rd, fwd_v;
  logic [2:0]     fwd;
  // Stage 1: each row's new partial maximum, written to its line buffer
  // row (wr1, wv1 by line buffer row).
  logic [3*V-1:0] nv, wv1;
  logic [2:0]     wr1;
  logic [1:0]     sl;
  logic [V-1:0]   prev;
  always_comb begin
    wr1 = '0;
    wv1 = '0;
    sl = '0;
    prev = '0;
    for (int t = 0; t < 3; t++) begin
      sl = slot1[t*2 +: 2];
      prev = fwd[sl] ? fwd_v[sl*V +: V] : lb_rd[sl*V +: V];
      nv[t*V +: V] = first1[t] ? rowmax1 : vmax(prev, rowmax1);
      if (v1 && act1[t]) begin
        wr1[sl] = 1'b1;
        wv1[sl*V +: V] = nv[t*V +: V];
      end
    end
  end

  for (genvar g = 0; g < 3; g++) begin : g_lb
    logic [V-1:0] mem [OW_MAX];
    logic [V-1:0] rd, fv;
    logic         fw;
    always_ff @(posedge clk) begin
      if (wr1[g]) mem[j1] <= wv1[g*V +: V];
      rd <= mem[jc];
      fw <= wr1[g] && j1 == jc;
      fv <= wv1[g*V +: V];
    end
  end
  assign lb_rd = {g_lb[2].rd, g_lb[1].rd, g_lb[0].rd};
  assign fwd_v = {g_lb[2].fv, g_lb[1].fv, g_lb[0].fv};
  assign fwd   = {g_lb[2].fw, g_lb[1].fw, g_lb[0].fw};

  logic [2:0] fin1;                           // the row whose window ends
  assign fin1 = {3{v1}} & act1 & last1;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1 <= 1'b0;
      wr_en <= 1'b0;
    end else begin
      v1 <= in_valid && col_end;
      wr_en <= |fin1;
    end
    act1 <= act;
    first1 <= first;
    last1 <= last;
    slot1 <= slot;
    j1 <= jc;
    rowmax1 <= rowmax;
    wr_addr <= ptr;
    wr_data <= fin1[0] ? nv[0 +: V] : fin1[1] ? nv[V +: V] : nv[2*V +: V];
    if (start) begin
      k_q <= k;
      s_q <= s;
      pl_q <= pad_l;
      oh_m1 <= sx(CW'(out_h)) - sx(CW'(1));
      ow_m1 <= sx(CW'(out_w)) - sx(CW'(1));
      oh_end <= sx(CW'(out_h)) - sx(CW'(1)) + sx(CW'(pad_b));
      ow_end <= sx(CW'(out_w)) - sx(CW'(1)) + sx(CW'(pad_r));
      py_row <= '0;
      px_col <= '0;
      r0 <= -sx(CW'(pad_t));
      slot0 <= '0;
      c0 <= -sx(CW'(pad_l));
      jc <= '0;
      ptr <= out_addr;
    end else begin
      if (|fin1) ptr <= ptr + 1'b1;
      if (in_valid) begin
        h2 <= h1;
        h1 <= y;
        if (col_end) begin
          c0 <= c0 + sx(CW'(s_q));
          jc <= jc + 1'b1;
        end
        if (px_col == ow_m1) begin           // row end: the next row
          px_col <= '0;
          py_row <= py_row + sx(CW'(1));
          c0 <= -sx(CW'(pl_q));
          jc <= '0;
          if (act[0] && last[0]) begin       // the oldest window finished
            r0 <= r0 + sx(CW'(s_q));
            slot0 <= slot_add(slot0, 2'd1);
          end
        end else begin
          px_col <= px_col + sx(CW'(1));
        end
      end
    end
  end
endmodule
