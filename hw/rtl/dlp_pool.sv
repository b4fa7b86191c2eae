// dlp_pool.sv - the pool unit: POOL (docs/isa.md 3.4).
//
// For output (y, x) of block b, the window's valid elements are those with
// 0 <= iy < in_h, 0 <= ix < in_w (iy = y*stride_h - pad_t + ky*dil_h, ix
// likewise). Max (mode 0): their maximum, -128 if none. Average (modes 1,
// 2; dilation 1): avgDivide(sum, max(count, 1)) with count the valid
// elements (mode 2) or the window clipped to the padded extent (mode 1,
// pad_b / pad_r), each factor >= 0; avgDivide(s, c) =
// sat8((s * R(c) + 2^15) >> 16), R(c) = (2^17 + c) / (2c) (dlprt
// num::avgDivide / avgReciprocal, kAvgShift = 16). Bit-exact with the
// simulator's pool() (kernels maxPoolPlane / avgPoolPlane).
//
// Two paths, chosen per instruction:
//
// STREAMING (the fast path): dil_h = dil_w = 1, at most NR output rows and
// NC output columns share an input element (k_h <= NR*stride_h or
// out_h <= NR; k_w <= NC*stride_w or out_w <= NC), and out_w <= OW_MAX.
// The unit reads every input vector of the tile once, one per cycle, in
// row order, block after block. The outputs whose windows hold valid
// elements form a rectangle (rows yr0..yr1, columns xr0..xr1; the "real"
// outputs); the others (a frame around it) are padding only: -128 (max) or
// 0 (average). Partial maxima / sums of real outputs live in NR x NC banks
// of OW_MAX / NC entries (L lanes of ACCW bits): real output (y, x) of
// block b, global real row g = b*nr + (y - yr0), is entry x / NC of bank
// (g mod NR, x mod NC). The output rows and columns whose windows hold the
// current input row / column are distinct modulo NR / NC, so an input
// vector updates at most one entry per bank: every bank does one
// read-modify-write per cycle (a window's first element overwrites, the
// others combine; a read of the entry written the cycle before takes the
// written value). Two walkers share the FBUF write port: the real walker
// issues the real outputs in raster order (block-major), each as soon as
// its window's last valid element has been read, reading its bank entry;
// the padding walker issues the padding-only outputs in raster order in
// every cycle the real walker does not issue. Slot reuse is safe by a
// stall rule: the first input vector of an input row waits while the real
// walker has not passed global real row (b*nr + yhi - yr0) - NR, yhi the
// last output row started by that input row (no real rows: no stall).
//
// FALLBACK (every other legal shape: dilation > 1, more than NR rows or NC
// columns sharing an element, out_w > OW_MAX): per output in raster order,
// one cycle per window element (k_h * k_w, a read for each valid one),
// combined in a register.
//
// Without units.pool_streaming (P_POOL_STREAMING = 0) the banks are not
// generated and every instruction takes the fallback, as in the cycle
// model: the same results, cb * out_h * out_w * k_h * k_w + P_POOL cycles.
//
// Sizes (P_POOL_NR, P_POOL_NC, P_POOL_OW_MAX: the cycle model's poolRows,
// poolCols, poolMaxOutW): NR = NC = 4 (covers 3x3 stride 1 / 2, 2x2, any
// k <= 4*stride, any window with <= 4 output rows / columns such as
// global pooling); OW_MAX = 2^ceil(FBUF_AW / 2), the width of a square
// tile filling FBUF (128 for small.json, 256 for large.json); ACCW = 8 +
// F_POOL_K_H_W + F_POOL_K_W_W bits per lane hold any window's int8 sum.
// Storage NR * OW_MAX vectors of L * ACCW bits (small: 98 kbit, large:
// 1.5 Mbit).
//
// Timing (start cycle s, done cycle d, cycles = d + 1 - s). The setup
// takes SETUP = P_POOL_SETUP cycles (the window geometry: six divisions
// by the strides, one quotient bit per cycle, then clamps, products and
// sums, then the reader's initial state); the unit's first working cycle
// is g = s + SETUP. Each output then
// goes issue -> value (bank read) -> DIV = P_POOL_DIV reciprocal stages
// (window rows and columns, count, then one quotient bit of the
// average's reciprocal per stage; max pooling takes the same path) ->
// write.
//   STREAMING: input vector k is read in cycle t_k, t_0 = g (its address
//   comes from the setup), t_k = t_{k-1} + 1 unless the stall rule holds
//   it; its banks are updated in t_k + 1. In each cycle u >= g + 1 the
//   real walker issues its next output if that output's last valid
//   element was read in a cycle < u, else the padding walker issues its
//   next one (if any); an output issued in u is written to FBUF in
//   u + 2 + DIV. d = max(t_last + 1, u_last + DIV) + 2, so
//     cycles = SETUP + max(t_last + 1 - g, u_last + DIV - g) + 3.
//   The cycle model (docs/cycle-model.md 2.3) runs this schedule. With no
//   stall and every real output issued when complete it is cb *
//   max(in_h*in_w, out_h*out_w) + P_POOL (= 3 + SETUP + DIV): e.g.
//   ResNet's 3x3/2 pad 1, 2x2/2, global pooling, 1x1, stride > kernel,
//   padding-only outputs (they fill idle write cycles). Shapes in which
//   several output rows end on the same (last) input row take longer
//   (those outputs complete faster than one write per cycle: 3x3/1 pad 1,
//   about out_w more cycles); shapes whose last input vectors complete no
//   output (columns or rows no window reaches) end up to DIV cycles
//   earlier.
//   FALLBACK: cycles = cb * out_h * out_w * k_h * k_w + P_POOL (the first
//   element is read in g + 1, the last in g + E; written in g + E + 2 +
//   DIV).
//
// In place: the simulator reads the whole input before writing; this unit
// writes outputs while it reads, so an output tile that overlaps input
// vectors not yet read gives a different result (the compiler never
// overlaps a POOL's input and output tiles). The padding walker may write
// a later block's padding outputs early (output tiles never overlap).
//
// Ports (besides the unit convention of docs/rtl.md 2):
//   fa_rd_en, fa_rd_addr -> fa_rd_data (next cycle): FBUF compute read port (A)
//   fw_en, fw_addr, fw_data: FBUF compute write port (written at the edge)
module dlp_pool #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int FAW = dlp_cfg_pkg::FBUF_AW,
  parameter int IW = dlp_cfg_pkg::INSN_BITS
) (
  input  logic            clk,
  input  logic            rst_n,     // synchronous, active low
  input  logic            start,
  input  logic [IW-1:0]   insn,
  output logic            busy,
  output logic            done,

  output logic            fa_rd_en,
  output logic [FAW-1:0]  fa_rd_addr,
  input  logic [L*8-1:0]  fa_rd_data,
  output logic            fw_en,
  output logic [FAW-1:0]  fw_addr,
  output logic [L*8-1:0]  fw_data
);
  // ---- sizes ----
  // The streaming path's sizes, from the cycle model's parameters.
  localparam int NR = dlp_cfg_pkg::P_POOL_NR, LOG2NR = $clog2(NR);  // row slots
  localparam int NC = dlp_cfg_pkg::P_POOL_NC, LOG2NC = $clog2(NC);  // column banks
  localparam int NB = NR * NC;
  localparam int OW_MAX = dlp_cfg_pkg::P_POOL_OW_MAX;
  // units.pool_streaming: without it no bank is generated and every POOL
  // takes the fallback path (the cycle model's rule as well).
  localparam bit STREAM = dlp_cfg_pkg::P_POOL_STREAMING;
  if (NR != 1 << LOG2NR || NC != 1 << LOG2NC || NR < 2 || NC < 2 ||
      OW_MAX != 1 << ((FAW + 1) / 2)) begin : g_check_sizes
    $error("dlp_pool: P_POOL_NR / P_POOL_NC not powers of two, or P_POOL_OW_MAX not 2^ceil(FBUF_AW / 2)");
  end
  localparam int DEPTH = OW_MAX / NC;
  localparam int DAW = $clog2(DEPTH);
  localparam int KW8 = dlp_cfg_pkg::F_POOL_K_H_W;
  localparam int ACCW = 8 + dlp_cfg_pkg::F_POOL_K_H_W + dlp_cfg_pkg::F_POOL_K_W_W;
  localparam int BW = L * ACCW;
  // Numerics (dlprt num::kAvgShift; not in dlp_cfg_pkg yet).
  localparam int AVG_SHIFT = dlp_cfg_pkg::AVG_SHIFT;
  localparam int RW = AVG_SHIFT + 2;   // reciprocal width (<= 2^AVG_SHIFT)
  // Geometry widths: XW for counts / indices; PW signed positions
  // (y * stride_h - pad_t reaches out_h * stride_h).
  localparam int XW = dlp_cfg_pkg::F_POOL_IN_H_W;
  localparam int CBW = dlp_cfg_pkg::F_POOL_CB_W;
  localparam int PW = XW + KW8 + 2;
  localparam int GW = XW + CBW + 1;    // global output row b*out_h + y

  typedef logic signed [PW-1:0] pos_t;

  // ---- decode (valid in the start cycle) ----
  logic [1:0]     d_mode;
  logic [FAW-1:0] d_in_addr, d_in_cs, d_out_addr, d_out_cs;
  logic [XW-1:0]  d_ih, d_iw, d_oh, d_ow;
  logic [CBW-1:0] d_cb;
  pos_t           s_ih, s_iw, s_kh, s_kw, s_sh, s_sw, s_pt, s_pl;
  always_comb begin
    d_mode     = insn[dlp_cfg_pkg::F_POOL_MODE_LSB +: dlp_cfg_pkg::F_POOL_MODE_W];
    d_in_addr  = FAW'(insn[dlp_cfg_pkg::F_POOL_IN_ADDR_LSB +: dlp_cfg_pkg::F_POOL_IN_ADDR_W]);
    d_in_cs    = FAW'(insn[dlp_cfg_pkg::F_POOL_IN_CSTRIDE_LSB +: dlp_cfg_pkg::F_POOL_IN_CSTRIDE_W]);
    d_out_addr = FAW'(insn[dlp_cfg_pkg::F_POOL_OUT_ADDR_LSB +: dlp_cfg_pkg::F_POOL_OUT_ADDR_W]);
    d_out_cs   = FAW'(insn[dlp_cfg_pkg::F_POOL_OUT_CSTRIDE_LSB +: dlp_cfg_pkg::F_POOL_OUT_CSTRIDE_W]);
    d_ih = XW'(insn[dlp_cfg_pkg::F_POOL_IN_H_LSB +: dlp_cfg_pkg::F_POOL_IN_H_W]);
    d_iw = XW'(insn[dlp_cfg_pkg::F_POOL_IN_W_LSB +: dlp_cfg_pkg::F_POOL_IN_W_W]);
    d_oh = XW'(insn[dlp_cfg_pkg::F_POOL_OUT_H_LSB +: dlp_cfg_pkg::F_POOL_OUT_H_W]);
    d_ow = XW'(insn[dlp_cfg_pkg::F_POOL_OUT_W_LSB +: dlp_cfg_pkg::F_POOL_OUT_W_W]);
    d_cb = insn[dlp_cfg_pkg::F_POOL_CB_LSB +: CBW];
    s_ih = PW'(d_ih);
    s_iw = PW'(d_iw);
    s_kh = PW'(insn[dlp_cfg_pkg::F_POOL_K_H_LSB +: dlp_cfg_pkg::F_POOL_K_H_W]);
    s_kw = PW'(insn[dlp_cfg_pkg::F_POOL_K_W_LSB +: dlp_cfg_pkg::F_POOL_K_W_W]);
    s_sh = PW'(insn[dlp_cfg_pkg::F_POOL_STRIDE_H_LSB +: dlp_cfg_pkg::F_POOL_STRIDE_H_W]);
    s_sw = PW'(insn[dlp_cfg_pkg::F_POOL_STRIDE_W_LSB +: dlp_cfg_pkg::F_POOL_STRIDE_W_W]);
    s_pt = PW'(insn[dlp_cfg_pkg::F_POOL_PAD_T_LSB +: dlp_cfg_pkg::F_POOL_PAD_T_W]);
    s_pl = PW'(insn[dlp_cfg_pkg::F_POOL_PAD_L_LSB +: dlp_cfg_pkg::F_POOL_PAD_L_W]);
  end

  // ---- setup: the window geometry, P_POOL_SETUP cycles ----
  // start (cycle s): the fields are captured and six dividends formed.
  // ph = 1 .. DIVB: restoring division by the strides, one quotient bit
  // per cycle (MSB first): yhi0 <- pad_t / stride_h; ylo0 <- ceil((pad_t
  // + 1 - k_h) / stride_h), 0 when that is not positive (the first output
  // row whose window ends at or after input row 0, the last that starts
  // at or before it); yr1 <- (in_h - 1 + pad_t) / stride_h; likewise the
  // columns. ph = DIVB + 1 (A): clamps to the output size; DIVB + 2 (B):
  // flags and products; DIVB + 3 (C): sums; DIVB + 4 (`ld`): the reader's
  // registers take their initial state. ph = SETUP = DIVB + 5: `go`, the
  // unit's first working cycle (the schedule above counts from it).
  // Small arrays are flat vectors: row slot r at [r*PW +: PW], column
  // bank c at [c*PW +: PW] / [c*XW +: XW], flags at bit r / c.
  localparam int DIVB = XW + 1;               // every dividend < 2^DIVB
  localparam int SW = dlp_cfg_pkg::F_POOL_STRIDE_H_W;
  localparam int SETUP = dlp_cfg_pkg::P_POOL_SETUP;
  localparam int PHW = $clog2(SETUP + 1);
  if (SETUP != DIVB + 5 || dlp_cfg_pkg::F_POOL_IN_W_W != XW ||
      dlp_cfg_pkg::F_POOL_STRIDE_W_W != SW ||
      dlp_cfg_pkg::F_POOL_PAD_T_W >= XW || dlp_cfg_pkg::F_POOL_PAD_L_W >= XW ||
      SW >= XW) begin : g_check_setup
    $error("dlp_pool: P_POOL_SETUP is not the divider's DIVB + 5, or a field width broke the dividend bound");
  end

  logic [PHW-1:0] ph;
  logic           go, ld;
  assign go = ph == PHW'(SETUP);
  assign ld = ph == PHW'(SETUP - 1);  // the reader's initial state
  always_ff @(posedge clk) begin
    if (!rst_n)                 ph <= '0;
    else if (start)             ph <= PHW'(1);
    else if (ph == PHW'(SETUP)) ph <= '0;
    else if (ph != '0)          ph <= ph + 1'b1;
  end

  // The instruction's constants (captured at start, held to done).
  logic [1:0]       r_mode;
  logic [FAW-1:0]   r_in_addr, r_in_cs, r_out_addr, r_out_cs;
  logic [XW-1:0]    r_ih, r_iw, r_oh, r_ow;
  logic [CBW-1:0]   r_cb;
  pos_t             r_kh, r_kw, r_sh, r_sw, r_pt, r_pl, r_pb, r_pr, r_dh, r_dw;
  always_ff @(posedge clk) begin
    if (start) begin
      r_mode <= d_mode;
      r_in_addr <= d_in_addr; r_in_cs <= d_in_cs;
      r_out_addr <= d_out_addr; r_out_cs <= d_out_cs;
      r_ih <= d_ih; r_iw <= d_iw; r_oh <= d_oh; r_ow <= d_ow; r_cb <= d_cb;
      r_kh <= s_kh; r_kw <= s_kw; r_sh <= s_sh; r_sw <= s_sw;
      r_pt <= s_pt; r_pl <= s_pl;
      r_pb <= PW'(insn[dlp_cfg_pkg::F_POOL_PAD_B_LSB +: dlp_cfg_pkg::F_POOL_PAD_B_W]);
      r_pr <= PW'(insn[dlp_cfg_pkg::F_POOL_PAD_R_LSB +: dlp_cfg_pkg::F_POOL_PAD_R_W]);
      r_dh <= PW'(insn[dlp_cfg_pkg::F_POOL_DIL_H_LSB +: dlp_cfg_pkg::F_POOL_DIL_H_W]);
      r_dw <= PW'(insn[dlp_cfg_pkg::F_POOL_DIL_W_LSB +: dlp_cfg_pkg::F_POOL_DIL_W_W]);
    end
  end

  // Six dividers: 0..2 by stride_h, 3..5 by stride_w. dv_n: the dividend,
  // shifted out at the top as quotient bits enter at the bottom (after
  // DIVB steps, the quotient); dv_r: the partial remainder (< the divisor).
  logic [6*DIVB-1:0] dv_n;
  logic [6*SW-1:0]   dv_r;
  always_ff @(posedge clk) begin
    pos_t ty, tx;
    logic [SW:0] r2, dvs;
    logic qb;
    if (start) begin
      ty = s_pt + 1 - s_kh;
      tx = s_pl + 1 - s_kw;
      dv_n[0*DIVB +: DIVB] <= DIVB'(s_pt);
      dv_n[1*DIVB +: DIVB] <= (ty > 0) ? DIVB'(ty + s_sh - PW'(1)) : '0;
      dv_n[2*DIVB +: DIVB] <= (s_ih + s_pt > 0) ? DIVB'(s_ih - PW'(1) + s_pt) : '0;
      dv_n[3*DIVB +: DIVB] <= DIVB'(s_pl);
      dv_n[4*DIVB +: DIVB] <= (tx > 0) ? DIVB'(tx + s_sw - PW'(1)) : '0;
      dv_n[5*DIVB +: DIVB] <= (s_iw + s_pl > 0) ? DIVB'(s_iw - PW'(1) + s_pl) : '0;
      dv_r <= '0;
    end else if (ph != '0 && ph <= PHW'(DIVB)) begin
      for (int i = 0; i < 6; i++) begin
        r2  = {dv_r[i*SW +: SW], dv_n[i*DIVB + DIVB - 1]};
        dvs = {1'b0, (i < 3) ? r_sh[SW-1:0] : r_sw[SW-1:0]};
        qb  = r2 >= dvs;
        dv_r[i*SW +: SW] <= SW'(qb ? r2 - dvs : r2);
        dv_n[i*DIVB +: DIVB] <= {dv_n[i*DIVB +: DIVB-1], qb};
      end
    end
  end

  // Stages A, B, C.
  logic             r_fast;
  pos_t             r_ylo0, r_yhi0, r_ynext0, r_yloend0;
  pos_t             r_xlo0, r_xhi0, r_xnext0, r_xloend0;
  logic [NR*PW-1:0] r_rel_y0;   // row ylo0 + i: its y0
  logic [NR-1:0]    r_rel_act;
  logic [NC*PW-1:0] r_col_x0;   // by column bank
  logic [NC*XW-1:0] r_col_x;
  logic [NC-1:0]    r_col_act;
  logic [NC*LOG2NC-1:0] b_cs;   // bank c's column - xlo0
  // Outputs with valid elements form the rectangle rows yr0 (= ylo0) ..
  // yr1, columns xr0 (= xlo0) .. xr1; the rest (a frame) is padding only.
  pos_t             r_yr1, r_xr1, r_nr, r_y0r0, r_x0r0;
  logic             r_rect, r_full, r_haspad;
  pos_t             r_pfy, r_pfx;               // first padding output
  logic [FAW-1:0]   r_roff0, r_pfoff, r_jump;   // yr0*ow, pfy*ow, (nr+1)*ow
  logic [FAW-1:0]   r_shiw, r_dhiw, r_frow0;    // fallback address steps
  pos_t             b_py, b_pyn, b_px, b_pxn;   // ylo0*sh, (yhi0+1)*sh, ...
  logic [FAW-1:0]   b_ptiw;
  always_ff @(posedge clk) begin
    pos_t q, s_oh, s_ow, t;
    logic rect, full;
    s_oh = PW'(r_oh);
    s_ow = PW'(r_ow);
    if (ph == PHW'(DIVB + 1)) begin
      // A: clamps
      r_fast <= STREAM && (r_dh == 1) && (r_dw == 1)
             && ((r_kh <= PW'(NR) * r_sh) || (s_oh <= PW'(NR)))
             && ((r_kw <= PW'(NC) * r_sw) || (s_ow <= PW'(NC)))
             && (s_ow <= PW'(OW_MAX));
      q = PW'(dv_n[0*DIVB +: DIVB]);
      r_yhi0 <= (q < s_oh - 1) ? q : s_oh - 1;
      r_ylo0 <= PW'(dv_n[1*DIVB +: DIVB]);
      q = PW'(dv_n[2*DIVB +: DIVB]);
      r_yr1 <= (q < s_oh - 1) ? q : s_oh - 1;
      q = PW'(dv_n[3*DIVB +: DIVB]);
      r_xhi0 <= (q < s_ow - 1) ? q : s_ow - 1;
      r_xlo0 <= PW'(dv_n[4*DIVB +: DIVB]);
      q = PW'(dv_n[5*DIVB +: DIVB]);
      r_xr1 <= (q < s_ow - 1) ? q : s_ow - 1;
    end
    if (ph == PHW'(DIVB + 2)) begin
      // B: flags and products
      b_py  <= r_ylo0 * r_sh;
      b_pyn <= (r_yhi0 + 1) * r_sh;
      b_px  <= r_xlo0 * r_sw;
      b_pxn <= (r_xhi0 + 1) * r_sw;
      r_shiw <= FAW'(r_sh * PW'(r_iw));
      r_dhiw <= FAW'(r_dh * PW'(r_iw));
      b_ptiw <= FAW'(r_pt * PW'(r_iw));
      for (int i = 0; i < NR; i++)
        r_rel_act[i] <= (r_ylo0 + PW'(i)) <= r_yhi0;
      for (int c = 0; c < NC; c++) begin
        // the column in [xlo0, xlo0 + NC) that is c modulo NC
        b_cs[c*LOG2NC +: LOG2NC] <= LOG2NC'(c) - r_xlo0[LOG2NC-1:0];
        t = r_xlo0 + PW'(LOG2NC'(LOG2NC'(c) - r_xlo0[LOG2NC-1:0]));
        r_col_x[c*XW +: XW] <= XW'(t);
        r_col_act[c]        <= t <= r_xhi0;
      end
      rect = (r_ylo0 <= r_yr1) && (r_xlo0 <= r_xr1);
      full = (r_xlo0 == 0) && (r_xr1 == s_ow - 1);  // real rows have no padding
      r_rect <= rect;
      r_full <= full;
      r_nr <= rect ? r_yr1 - r_ylo0 + 1 : '0;
      r_haspad <= 1'b1;
      r_pfy <= '0; r_pfx <= '0;
      if (rect && r_ylo0 == 0 && r_xlo0 == 0) begin
        if (!full)                 r_pfx <= r_xr1 + 1;
        else if (r_yr1 + 1 < s_oh) r_pfy <= r_yr1 + 1;
        else                       r_haspad <= 1'b0;
      end
    end
    if (ph == PHW'(DIVB + 3)) begin
      // C: sums
      r_ynext0  <= b_pyn - r_pt;
      r_yloend0 <= b_py - r_pt + r_kh - 1;
      r_y0r0    <= b_py - r_pt;
      for (int i = 0; i < NR; i++)
        r_rel_y0[i*PW +: PW] <= b_py - r_pt + PW'(i) * r_sh;
      r_xnext0  <= b_pxn - r_pl;
      r_xloend0 <= b_px - r_pl + r_kw - 1;
      r_x0r0    <= b_px - r_pl;
      for (int c = 0; c < NC; c++)
        r_col_x0[c*PW +: PW] <= b_px - r_pl + PW'(b_cs[c*LOG2NC +: LOG2NC]) * r_sw;
      r_roff0 <= FAW'(r_ylo0 * s_ow);
      r_pfoff <= FAW'(r_pfy * s_ow);
      r_jump  <= FAW'((r_nr + PW'(1)) * s_ow);
      r_frow0 <= r_in_addr - b_ptiw;
    end
  end

  // Signed copies of the sizes for the position arithmetic.
  pos_t p_ih, p_iw;
  assign p_ih = $signed(PW'(r_ih));
  assign p_iw = $signed(PW'(r_iw));

  // The reader's view of the constants (held from go to done).
  logic [FAW-1:0]   k_in_cs;
  logic [XW-1:0]    k_ih, k_iw, k_oh;
  logic [CBW-1:0]   k_cb;
  pos_t             k_sh, k_sw, k_ow, k_nr;
  logic             k_rect;
  pos_t             k_ylo0, k_yhi0, k_ynext0, k_yloend0;
  pos_t             k_xlo0, k_xhi0, k_xnext0, k_xloend0;
  logic [NR*PW-1:0] k_rel_y0;
  logic [NR-1:0]    k_rel_act;
  logic [NC*PW-1:0] k_col_x0;
  logic [NC*XW-1:0] k_col_x;
  logic [NC-1:0]    k_col_act;
  always_comb begin
    k_in_cs = r_in_cs; k_ih = r_ih; k_iw = r_iw; k_oh = r_oh; k_cb = r_cb;
    k_sh = r_sh; k_sw = r_sw; k_ow = PW'(r_ow); k_nr = r_nr; k_rect = r_rect;
    k_ylo0 = r_ylo0; k_yhi0 = r_yhi0; k_ynext0 = r_ynext0; k_yloend0 = r_yloend0;
    k_xlo0 = r_xlo0; k_xhi0 = r_xhi0; k_xnext0 = r_xnext0; k_xloend0 = r_xloend0;
    k_rel_y0 = r_rel_y0; k_rel_act = r_rel_act;
    k_col_x0 = r_col_x0; k_col_x = r_col_x; k_col_act = r_col_act;
  end
  // =====================================================================
  // Streaming reader: one input vector per cycle.
  // =====================================================================
  logic             rd_act;                 // vectors remain to read
  logic [CBW-1:0]   rb;                     // block
  logic [XW-1:0]    riy, rix;               // next input vector
  logic [FAW-1:0]   raddr, rblk;            // its address, block base
  logic [GW-1:0]    rgbase;                 // b * out_h
  pos_t             ylo, yhi, ynext, yloend;  // rows in progress
  logic [LOG2NR-1:0] slo, shi;              // their slots
  logic [NR*PW-1:0] row_y0;
  logic [NR-1:0]    row_act;
  pos_t             xlo, xhi, xnext, xloend;  // columns in progress
  logic [NC*PW-1:0] col_x0;
  logic [NC*XW-1:0] col_x;
  logic [NC-1:0]    col_act;

  // This cycle's state (the initial one in the go cycle).
  logic             c_rd_act;
  logic [CBW-1:0]   c_rb;
  logic [XW-1:0]    c_riy, c_rix;
  logic [FAW-1:0]   c_raddr, c_rblk;
  logic [GW-1:0]    c_rgbase;
  pos_t             c_ylo, c_yhi, c_ynext, c_yloend;
  logic [LOG2NR-1:0] c_slo, c_shi;
  logic [NR*PW-1:0] c_row_y0;
  logic [NR-1:0]    c_row_act;
  pos_t             c_xlo, c_xhi, c_xnext, c_xloend;
  logic [NC*PW-1:0] c_col_x0;
  logic [NC*XW-1:0] c_col_x;
  logic [NC-1:0]    c_col_act;

  // The drain's next output row (global), for the stall rule; dygnr =
  // dyg + NR (modulo 2^GW), kept beside it.
  logic [GW-1:0]    dyg, dygnr;
  // The stall rule's other side from the reader's registers, kept beside
  // them: ydq = yhi - ylo0 (the rule applies when its sign bit is clear)
  // and ygh = rgbase + ydq (the global number of row yhi), written wherever
  // rgbase or yhi are, from the values written, so the rule is one compare
  // of registers. A row advance raises yhi by n_yinc (0 or 1), so both move
  // by a select between values formed from registers (the block's restart
  // value kgb = (yhi0 - ylo0) + nr is registered from the setup's
  // constants).
  logic [GW-1:0]    ygh;
  pos_t             ydq, yd_k, yd_r;
  logic [GW-1:0]    kgb;
  logic             n_yinc;

  // The reader's registers get their initial state in the cycle before go
  // (ld), so in the go cycle they already hold it.
  always_comb begin
    c_rd_act = rd_act;
    c_rb = rb; c_riy = riy; c_rix = rix;
    c_raddr = raddr; c_rblk = rblk; c_rgbase = rgbase;
    c_ylo = ylo; c_yhi = yhi; c_ynext = ynext; c_yloend = yloend;
    c_slo = slo; c_shi = shi;
    c_row_y0 = row_y0; c_row_act = row_act;
    c_xlo = xlo; c_xhi = xhi; c_xnext = xnext; c_xloend = xloend;
    c_col_x0 = col_x0; c_col_x = col_x; c_col_act = col_act;
  end

  // Issue decision and the per-bank update of this input vector.
  logic              rd_go;
  pos_t              iy_s, ix_s;
  logic [NR-1:0]     row_first;
  logic [NC-1:0]     col_first;
  logic [NC*DAW-1:0] ra1;                 // bank read address per column bank
  always_comb begin
    pos_t y0;
    iy_s = PW'(c_riy);
    ix_s = PW'(c_rix);
    // stall rule: the slots of the rows this input row touches must be
    // drained of the rows NR before them
    rd_go = c_rd_act && !((c_rix == '0) && k_rect && !ydq[PW-1] &&
                          (dygnr <= ygh));
    for (int r = 0; r < NR; r++) begin
      y0 = $signed(c_row_y0[r*PW +: PW]);
      row_first[r] = iy_s == ((y0 > 0) ? y0 : '0);
    end
    for (int c = 0; c < NC; c++) begin
      y0 = $signed(c_col_x0[c*PW +: PW]);
      col_first[c] = ix_s == ((y0 > 0) ? y0 : '0);
      ra1[c*DAW +: DAW] = DAW'(c_col_x[c*XW +: XW] >> LOG2NC);
    end
  end

  // Next reader state: the column (xlo may end here, xhi + 1 may go
  // next), else the input row (columns restart; row ylo may end, yhi + 1
  // may go), else the block (rows restart; slots continue the global
  // row numbering).
  pos_t              n_xlo, n_xhi, n_xnext, n_xloend;
  logic [NC*PW-1:0]  n_col_x0;
  logic [NC*XW-1:0]  n_col_x;
  logic [NC-1:0]     n_col_act;
  pos_t              n_ylo, n_yhi, n_ynext, n_yloend;
  logic [LOG2NR-1:0] n_slo, n_shi;
  logic [NR*PW-1:0]  n_row_y0;
  logic [NR-1:0]     n_row_act;
  logic [GW-1:0]     n_gbase;
  logic [LOG2NR-1:0] n_s0;
  logic [NR*PW-1:0]  b_row_y0;
  logic [NR-1:0]     b_row_act;
  always_comb begin
    logic [LOG2NC-1:0] cn;
    logic [LOG2NR-1:0] rn, i;
    n_xlo = c_xlo; n_xhi = c_xhi; n_xnext = c_xnext; n_xloend = c_xloend;
    n_col_x0 = c_col_x0; n_col_x = c_col_x; n_col_act = c_col_act;
    cn = c_xhi[LOG2NC-1:0] + 1'b1;
    if (c_xlo <= c_xhi && c_xloend == ix_s) begin
      for (int c = 0; c < NC; c++)
        if (LOG2NC'(c) == c_xlo[LOG2NC-1:0]) n_col_act[c] = 1'b0;
      n_xlo = c_xlo + 1;
      n_xloend = c_xloend + k_sw;
    end
    if (c_xhi + 1 < k_ow && c_xnext == ix_s + 1) begin
      for (int c = 0; c < NC; c++)
        if (LOG2NC'(c) == cn) begin
          n_col_act[c] = 1'b1;
          n_col_x[c*XW +: XW] = XW'(c_xhi + PW'(1));
          n_col_x0[c*PW +: PW] = ix_s + 1;
        end
      n_xhi = c_xhi + 1;
      n_xnext = c_xnext + k_sw;
    end

    n_ylo = c_ylo; n_yhi = c_yhi; n_ynext = c_ynext; n_yloend = c_yloend;
    n_yinc = 1'b0;
    n_slo = c_slo; n_shi = c_shi; n_row_y0 = c_row_y0; n_row_act = c_row_act;
    rn = c_shi + 1'b1;
    if (c_ylo <= c_yhi && c_yloend == iy_s) begin
      for (int r = 0; r < NR; r++)
        if (LOG2NR'(r) == c_slo) n_row_act[r] = 1'b0;
      n_ylo = c_ylo + 1;
      n_slo = c_slo + 1'b1;
      n_yloend = c_yloend + k_sh;
    end
    if (c_yhi + 1 < $signed(PW'(k_oh)) && c_ynext == iy_s + 1) begin
      for (int r = 0; r < NR; r++)
        if (LOG2NR'(r) == rn) begin
          n_row_act[r] = 1'b1;
          n_row_y0[r*PW +: PW] = iy_s + 1;
        end
      n_yhi = c_yhi + 1;
      n_yinc = 1'b1;
      n_shi = rn;
      n_ynext = c_ynext + k_sh;
    end

    n_gbase = c_rgbase + GW'(k_nr);
    n_s0 = n_gbase[LOG2NR-1:0];
    for (int r = 0; r < NR; r++) begin
      i = LOG2NR'(r) - n_s0;
      b_row_y0[r*PW +: PW] = k_rel_y0[i*PW +: PW];
      b_row_act[r]         = k_rel_act[i];
    end
  end

  always_comb begin
    yd_k = k_yhi0 - k_ylo0;
    yd_r = r_yhi0 - r_ylo0;
  end
  always_ff @(posedge clk)
    kgb <= GW'(yd_k) + GW'(k_nr);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rd_act <= 1'b0;
    end else if (ld) begin
      rd_act <= r_fast;
    end else if (rd_go) begin
      rd_act <= c_rd_act;
    end
    // default: hold this cycle's state
    rb <= c_rb; riy <= c_riy; rix <= c_rix; raddr <= c_raddr; rblk <= c_rblk;
    rgbase <= c_rgbase;
    ylo <= c_ylo; yhi <= c_yhi; ynext <= c_ynext; yloend <= c_yloend;
    slo <= c_slo; shi <= c_shi; row_y0 <= c_row_y0; row_act <= c_row_act;
    xlo <= c_xlo; xhi <= c_xhi; xnext <= c_xnext; xloend <= c_xloend;
    col_x0 <= c_col_x0; col_x <= c_col_x; col_act <= c_col_act;
    if (rd_go) begin
      if (c_rix != k_iw - 1'b1) begin
        rix <= c_rix + 1'b1;
        raddr <= c_raddr + 1'b1;
        xlo <= n_xlo; xhi <= n_xhi; xnext <= n_xnext; xloend <= n_xloend;
        col_x0 <= n_col_x0; col_x <= n_col_x; col_act <= n_col_act;
      end else begin
        rix <= '0;
        xlo <= k_xlo0; xhi <= k_xhi0; xnext <= k_xnext0; xloend <= k_xloend0;
        col_x0 <= k_col_x0; col_x <= k_col_x; col_act <= k_col_act;
        if (c_riy != k_ih - 1'b1) begin
          riy <= c_riy + 1'b1;
          raddr <= c_raddr + 1'b1;
          ylo <= n_ylo; yhi <= n_yhi; ynext <= n_ynext; yloend <= n_yloend;
          if (n_yinc) begin
            ygh <= ygh + 1'b1;
            ydq <= ydq + 1;
          end
          slo <= n_slo; shi <= n_shi; row_y0 <= n_row_y0; row_act <= n_row_act;
        end else begin
          riy <= '0;
          if (c_rb == k_cb - 1'b1) begin
            rd_act <= 1'b0;
          end else begin
            rb <= c_rb + 1'b1;
            rblk <= c_rblk + k_in_cs;
            raddr <= c_rblk + k_in_cs;
          end
          rgbase <= n_gbase;
          ylo <= k_ylo0; yhi <= k_yhi0; ynext <= k_ynext0; yloend <= k_yloend0;
          ygh <= c_rgbase + kgb;
          ydq <= yd_k;
          slo <= n_s0;
          shi <= n_gbase[LOG2NR-1:0] + k_yhi0[LOG2NR-1:0] - k_ylo0[LOG2NR-1:0];
          row_y0 <= b_row_y0; row_act <= b_row_act;
        end
      end
    end
    if (ld) begin
      rb <= '0; riy <= '0; rix <= '0;
      raddr <= r_in_addr; rblk <= r_in_addr; rgbase <= '0;
      ylo <= r_ylo0; yhi <= r_yhi0; ynext <= r_ynext0; yloend <= r_yloend0;
      ygh <= GW'(yd_r);
      ydq <= yd_r;
      // real row y of block b has global number b*nr + y - ylo0 and
      // slot (that number) mod NR
      slo <= '0;
      shi <= r_yhi0[LOG2NR-1:0] - r_ylo0[LOG2NR-1:0];
      row_y0 <= r_rel_y0; row_act <= r_rel_act;
      xlo <= r_xlo0; xhi <= r_xhi0; xnext <= r_xnext0; xloend <= r_xloend0;
      col_x0 <= r_col_x0; col_x <= r_col_x; col_act <= r_col_act;
    end
  end

  // =====================================================================
  // Fallback walker: one window element per cycle.
  // =====================================================================
  logic           f_act;
  logic [CBW-1:0] fb;
  logic [XW-1:0]  fy, fx;
  pos_t           fky, fkx, fy0, fx0, fiy, fix;
  logic [FAW-1:0] frow0, frow, fblk;      // row of (fy0 + fky*dh)
  logic [FAW-1:0] foaddr, foblk;
  logic           f_rd, f_first, f_last;
  always_comb begin
    f_rd    = f_act && fiy >= 0 && fiy < p_ih && fix >= 0 && fix < p_iw;
    f_first = (fky == 0) && (fkx == 0);
    f_last  = (fky == r_kh - 1) && (fkx == r_kw - 1);
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      f_act <= 1'b0;
    end else if (go) begin
      f_act <= !r_fast;
    end else if (f_act && f_last && fx == r_ow - 1'b1 && fy == r_oh - 1'b1 &&
                 fb == r_cb - 1'b1) begin
      f_act <= 1'b0;
    end
    if (go) begin
      fb <= '0; fy <= '0; fx <= '0; fky <= '0; fkx <= '0;
      fy0 <= -r_pt; fx0 <= -r_pl; fiy <= -r_pt; fix <= -r_pl;
      fblk <= r_in_addr; frow0 <= r_frow0; frow <= r_frow0;
      foaddr <= r_out_addr; foblk <= r_out_addr;
    end else if (f_act) begin
      if (fkx != r_kw - 1) begin
        fkx <= fkx + 1; fix <= fix + r_dw;
      end else begin
        fkx <= '0; fix <= fx0;
        if (fky != r_kh - 1) begin
          fky <= fky + 1; fiy <= fiy + r_dh; frow <= frow + r_dhiw;
        end else begin
          // next output
          fky <= '0;
          foaddr <= foaddr + 1'b1;
          if (fx != r_ow - 1'b1) begin
            fx <= fx + 1'b1; fx0 <= fx0 + r_sw; fix <= fx0 + r_sw;
            fiy <= fy0; frow <= frow0;
          end else begin
            fx <= '0; fx0 <= -r_pl; fix <= -r_pl;
            if (fy != r_oh - 1'b1) begin
              fy <= fy + 1'b1; fy0 <= fy0 + r_sh; fiy <= fy0 + r_sh;
              frow0 <= frow0 + r_shiw; frow <= frow0 + r_shiw;
            end else begin
              fy <= '0; fy0 <= -r_pt; fiy <= -r_pt;
              fb <= fb + 1'b1;
              fblk <= fblk + r_in_cs;
              frow0 <= fblk + r_in_cs + (r_frow0 - r_in_addr);
              frow  <= fblk + r_in_cs + (r_frow0 - r_in_addr);
              foblk <= foblk + r_out_cs;
              foaddr <= foblk + r_out_cs;
            end
          end
        end
      end
    end
  end

  // =====================================================================
  // FBUF read port.
  // =====================================================================
  always_comb begin
    if (f_act && !go) begin
      fa_rd_en = f_rd;
      fa_rd_addr = frow + FAW'(fix);
    end else begin
      fa_rd_en = rd_go;
      fa_rd_addr = c_raddr;
    end
  end

  // =====================================================================
  // Banks: update stage (the cycle after the read).
  // =====================================================================
  logic              u_v;
  logic [NB-1:0]     u_we, u_first, u_fwd;
  logic [NC*DAW-1:0] u_addr;
  logic [NB*BW-1:0]  nv;           // value written this cycle, per bank
  logic [NB*BW-1:0]  rd2;          // drain read data, per bank
  logic [DAW-1:0]    ra2;          // drain read address (all banks)
  logic              u_max;

  always_ff @(posedge clk) begin
    if (!rst_n) u_v <= 1'b0;
    else        u_v <= rd_go;
    for (int r = 0; r < NR; r++)
      for (int c = 0; c < NC; c++) begin
        u_we[r*NC + c]    <= rd_go && c_row_act[r] && c_col_act[c];
        u_first[r*NC + c] <= row_first[r] && col_first[c];
        // read-during-write of the same entry: take last cycle's value
        u_fwd[r*NC + c]   <= u_v && u_we[r*NC + c] &&
                             (u_addr[c*DAW +: DAW] == ra1[c*DAW +: DAW]);
      end
    u_addr <= ra1;
  end
  assign u_max = (r_mode == 2'd0);

  for (genvar bk = 0; bk < NB; bk++) begin : g_bank
   if (STREAM) begin : g_mem
    localparam int C = bk % NC;
    logic [BW-1:0] mem [DEPTH];
    logic [BW-1:0] rd1, wlast, old, nvb;
    assign old = u_fwd[bk] ? wlast : rd1;
    for (genvar l = 0; l < L; l++) begin : g_lane
      logic signed [ACCW-1:0] o, x;
      assign o = $signed(old[l*ACCW +: ACCW]);
      assign x = ACCW'($signed(fa_rd_data[l*8 +: 8]));
      assign nvb[l*ACCW +: ACCW] =
          u_first[bk] ? x : (u_max ? ((x > o) ? x : o) : o + x);
    end
    assign nv[bk*BW +: BW] = nvb;
    always_ff @(posedge clk) begin
      if (u_v && u_we[bk]) mem[u_addr[C*DAW +: DAW]] <= nvb;
      rd1 <= mem[ra1[C*DAW +: DAW]];
      rd2[bk*BW +: BW] <= mem[ra2];
      wlast <= nvb;
    end
   end else begin : g_none
    // No streaming path: the drain never reads a bank.
    logic unused_bank;
    assign unused_bank = ^{u_first[bk], u_fwd[bk]};
    assign nv[bk*BW +: BW] = '0;
    assign rd2[bk*BW +: BW] = '0;
   end
  end

  // =====================================================================
  // Drain (streaming path). The real walker goes over the rectangle of
  // outputs with valid elements in raster order (block-major), one per
  // cycle as soon as complete; the padding walker over the other outputs
  // (constants) in raster order, in the cycles the real walker does not
  // issue. Both from s + 1.
  // =====================================================================
  logic           dr_act;
  logic [CBW-1:0] db;
  pos_t           dy, dx, dy0, dx0;
  logic [FAW-1:0] drow, dblk;          // row base (block + y*ow), block base
  logic           d_go, d_end;
  // The window's last valid row / column (registers kept with dy0 / dx0):
  // d_yl = min(dye, in_h - 1), dye = dy0 + k_h - 1; likewise x.
  pos_t           dye, dxe, d_yl, d_xl;
  function automatic pos_t clampv(pos_t v, pos_t hi);
    clampv = (v < hi) ? v : hi;
  endfunction
  always_comb begin
    logic past;
    // the reader has read the window's last valid element (before now)
    past = !rd_act || (rb > db) ||
           (rb == db && ($signed(PW'(riy)) > d_yl ||
                         ($signed(PW'(riy)) == d_yl && $signed(PW'(rix)) > d_xl)));
    d_go  = dr_act && !go && past;
    d_end = (dx == r_xr1) && (dy == r_yr1) && (db == r_cb - 1'b1);
    ra2   = DAW'(dx >> LOG2NC);
  end
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      dr_act <= 1'b0;
    end else if (go) begin
      dr_act <= r_fast && r_rect;
    end else if (d_go && d_end) begin
      dr_act <= 1'b0;
    end
    if (ld) begin  // the reader's stall rule reads them from go on
      dyg <= '0; dygnr <= GW'(NR);
    end
    if (go) begin
      db <= '0; dy <= r_ylo0; dx <= r_xlo0; dyg <= '0; dygnr <= GW'(NR);
      dy0 <= r_y0r0; dx0 <= r_x0r0;
      dye <= r_yloend0; d_yl <= clampv(r_yloend0, p_ih - 1);
      dxe <= r_xloend0; d_xl <= clampv(r_xloend0, p_iw - 1);
      drow <= r_out_addr + r_roff0; dblk <= r_out_addr;
    end else if (d_go) begin
      if (dx != r_xr1) begin
        dx <= dx + 1; dx0 <= dx0 + r_sw;
        dxe <= dxe + r_sw; d_xl <= clampv(dxe + r_sw, p_iw - 1);
      end else begin
        dx <= r_xlo0; dx0 <= r_x0r0;
        dxe <= r_xloend0; d_xl <= clampv(r_xloend0, p_iw - 1);
        dyg <= dyg + 1'b1;
        dygnr <= dygnr + 1'b1;
        if (dy != r_yr1) begin
          dy <= dy + 1; dy0 <= dy0 + r_sh; drow <= drow + FAW'(r_ow);
          dye <= dye + r_sh; d_yl <= clampv(dye + r_sh, p_ih - 1);
        end else begin
          dy <= r_ylo0; dy0 <= r_y0r0;
          dye <= r_yloend0; d_yl <= clampv(r_yloend0, p_ih - 1);
          db <= db + 1'b1;
          dblk <= dblk + r_out_cs;
          drow <= dblk + r_out_cs + r_roff0;
        end
      end
    end
  end

  // Padding walker.
  logic           p_act;
  logic [CBW-1:0] pbk;
  pos_t           py, px;
  logic [FAW-1:0] prow, pblk;
  logic           p_go;
  // Constants of the walk, registered at go: xlo0 - 1, out_w - 1, xr1 + 1
  // and whether xr1 + 1 < out_w (the column after the real ones).
  pos_t           p_xlo0m1, p_owm1, p_xr1p1;
  logic           p_skiplt;
  // Row py's flags, kept beside py (each written with py, from the row it
  // is given; cycle for cycle what they were as expressions of py): p_rr
  // row py real, p_nr row py + 1 real, p_nlt py + 1 < out_h; p_yr1lt
  // yr1 + 1 < out_h (a constant of the walk).
  logic           p_rr, p_nr, p_nlt, p_yr1lt;
  assign p_go = p_act && !go && !d_go;
  always_ff @(posedge clk) begin
    logic rreal, nreal, skip, x1lt, f_rr, f_nr, f_nlt;
    pos_t x1;
    rreal = p_rr;
    nreal = p_nr;
    // the flags of a block's first padding row r_pfy
    f_rr  = r_rect && r_pfy >= r_ylo0 && r_pfy <= r_yr1;
    f_nr  = r_rect && r_pfy + 1 >= r_ylo0 && r_pfy + 1 <= r_yr1;
    f_nlt = r_pfy + 1 < PW'(r_oh);
    // the next column, over the real ones in a real row
    skip = rreal && px == p_xlo0m1;
    x1   = skip ? p_xr1p1 : px + 1;
    x1lt = skip ? p_skiplt : px < p_owm1;
    if (!rst_n) begin
      p_act <= 1'b0;
    end else if (go) begin
      p_act <= r_fast && r_haspad;
    end
    if (go) begin
      pbk <= '0; py <= r_pfy; px <= r_pfx;
      p_rr <= f_rr; p_nr <= f_nr; p_nlt <= f_nlt;
      p_yr1lt <= r_yr1 + 1 < PW'(r_oh);
      pblk <= r_out_addr; prow <= r_out_addr + r_pfoff;
      p_xlo0m1 <= r_xlo0 - 1;
      p_owm1   <= PW'(r_ow) - 1;
      p_xr1p1  <= r_xr1 + 1;
      p_skiplt <= r_xr1 + 1 < PW'(r_ow);
    end else if (p_go) begin
      if (x1lt) begin
        px <= x1;
      end else if (p_nlt && !(nreal && r_full)) begin
        // the next row (a real row starts after its real columns when
        // they begin at 0)
        py <= py + 1;
        p_rr  <= p_nr;
        p_nr  <= r_rect && py + 2 >= r_ylo0 && py + 2 <= r_yr1;
        p_nlt <= py + 2 < PW'(r_oh);
        px <= (nreal && r_xlo0 == 0) ? r_xr1 + 1 : '0;
        prow <= prow + FAW'(r_ow);
      end else if (nreal && r_full && p_yr1lt) begin
        // over the real rows (all real): to row yr1 + 1
        py <= r_yr1 + 1;
        p_rr  <= r_rect && r_yr1 + 1 >= r_ylo0 && r_yr1 + 1 <= r_yr1;
        p_nr  <= r_rect && r_yr1 + 2 >= r_ylo0 && r_yr1 + 2 <= r_yr1;
        p_nlt <= r_yr1 + 2 < PW'(r_oh);
        px <= '0;
        prow <= prow + r_jump;
      end else if (pbk != r_cb - 1'b1) begin
        pbk <= pbk + 1'b1;
        py <= r_pfy; px <= r_pfx;
        p_rr <= f_rr; p_nr <= f_nr; p_nlt <= f_nlt;
        pblk <= pblk + r_out_cs;
        prow <= pblk + r_out_cs + r_pfoff;
      end else begin
        p_act <= 1'b0;
      end
    end
  end

  // =====================================================================
  // Finalize: issue -> D1 (value; window rows and columns) -> count
  // product -> QB reciprocal stages, one quotient bit each, the value
  // waiting beside them -> divide (multiply, round, saturate) -> write.
  // P_POOL_DIV = QB + 2 cycles more than issue -> D1 -> write.
  // =====================================================================
  localparam int DIV = dlp_cfg_pkg::P_POOL_DIV;
  localparam int QB = AVG_SHIFT + 1;      // quotient bits of R(c)
  localparam int CNTW = 2 * KW8;          // a window count's bits
  localparam int DW = AVG_SHIFT + 2;      // 2c and the partial remainder
  if (DIV != QB + 2 || CNTW > AVG_SHIFT) begin : g_check_div
    $error("dlp_pool: P_POOL_DIV is not AVG_SHIFT + 3, or window counts reach 2^AVG_SHIFT");
  end
  logic           i_v, i_pad;
  pos_t           i_y0, i_x0;
  logic [FAW-1:0] i_addr;
  always_comb begin
    if (f_act) begin
      i_v = f_last; i_pad = 1'b0; i_y0 = fy0; i_x0 = fx0; i_addr = foaddr;
    end else begin
      i_v = d_go || p_go; i_pad = !d_go; i_y0 = dy0; i_x0 = dx0;
      i_addr = d_go ? drow + FAW'(dx) : prow + FAW'(px);
    end
  end

  logic           d1_v, d1_pad, d1_fb, d1_fwd;
  logic [FAW-1:0] d1_addr;
  pos_t           d1_y0, d1_x0;
  pos_t           d1_y1, d1_x1;    // d1_y0 + k_h, d1_x0 + k_w
  pos_t           q_ihb, q_iwr;    // in_h + pad_b, in_w + pad_r
  logic [LOG2NR+LOG2NC-1:0] d1_bank;
  logic [BW-1:0]  d1_fwd_data;
  always_ff @(posedge clk) begin
    logic [LOG2NR+LOG2NC-1:0] bsel;
    bsel = {dyg[LOG2NR-1:0], dx[LOG2NC-1:0]};  // the real walker's entry
    if (!rst_n) begin
      d1_v <= 1'b0;
    end else begin
      d1_v <= i_v && !go;
    end
    d1_pad <= i_pad; d1_fb <= f_act; d1_addr <= i_addr;
    d1_y0 <= i_y0; d1_x0 <= i_x0;
    d1_y1 <= i_y0 + r_kh; d1_x1 <= i_x0 + r_kw;
    q_ihb <= p_ih + r_pb; q_iwr <= p_iw + r_pr;  // constants from the setup
    d1_bank <= bsel;
    // the drained entry is updated in this very cycle: take the new value
    d1_fwd <= u_v && u_we[bsel] && u_addr[dx[LOG2NC-1:0]*DAW +: DAW] == ra2;
    d1_fwd_data <= nv[bsel*BW +: BW];
  end

  // Fallback accumulator (element data arrive in D1-aligned cycles).
  logic           e1_v, e1_rd, e1_first;
  logic [BW-1:0]  facc, fval;
  always_ff @(posedge clk) begin
    if (!rst_n) e1_v <= 1'b0;
    else        e1_v <= f_act && !go;
    e1_rd <= f_rd; e1_first <= f_first;
    if (e1_v) facc <= fval;
  end
  for (genvar l = 0; l < L; l++) begin : g_facc
    logic signed [ACCW-1:0] base, x;
    always_comb begin
      base = e1_first ? (u_max ? -(ACCW'(1) <<< 7) : '0)
                      : $signed(facc[l*ACCW +: ACCW]);
      x = ACCW'($signed(fa_rd_data[l*8 +: 8]));
      fval[l*ACCW +: ACCW] = !e1_rd ? base
                           : (u_max ? ((x > base) ? x : base) : base + x);
    end
  end

  // D1: the value (bank entry or fallback accumulator) and the window's
  // rows and columns counted (average modes; stage 0). Stage 1: the count
  // c = max(cy * cx, 1). Then R(c) = (2^(AVG_SHIFT+1) + c) / (2c) by
  // restoring division, MSB first: the numerator's top bit (1) is the
  // initial remainder, its low QB bits (c) enter one per stage; quotient
  // bits enter at the bottom of the same register. The value, pad flag and
  // address travel beside (no reset: shift registers).
  logic [BW-1:0] val;
  assign val = d1_fb ? fval : (d1_fwd ? d1_fwd_data : rd2[d1_bank*BW +: BW]);
  logic [KW8-1:0] c_cy, c_cx;
  pos_t           cy, cx;          // <= k_h, k_w: their low KW8 bits
  always_comb begin
    pos_t e0, e1;
    e0 = '0;
    if (r_mode == 2'd1) begin
      e1 = (d1_y1 < q_ihb) ? d1_y1 : q_ihb;
      cy = (e1 > d1_y0) ? e1 - d1_y0 : '0;
      e1 = (d1_x1 < q_iwr) ? d1_x1 : q_iwr;
      cx = (e1 > d1_x0) ? e1 - d1_x0 : '0;
    end else begin
      e0 = (d1_y0 > 0) ? d1_y0 : '0;
      e1 = (d1_y1 < p_ih) ? d1_y1 : p_ih;
      cy = (e1 > e0) ? e1 - e0 : '0;
      e0 = (d1_x0 > 0) ? d1_x0 : '0;
      e1 = (d1_x1 < p_iw) ? d1_x1 : p_iw;
      cx = (e1 > e0) ? e1 - e0 : '0;
    end
    c_cy = KW8'(cy);   // <= k_h
    c_cx = KW8'(cx);
  end
  logic [DIV-1:0]         pv;             // stage valid
  logic [DIV*BW-1:0]      pval;
  logic [DIV-1:0]         ppad;
  logic [DIV*FAW-1:0]     paddr;
  // divider stage j (1 .. DIV-1) at index j - 1
  logic [(DIV-1)*DW-1:0]  prem, pden;
  logic [(DIV-1)*QB-1:0]  pnq;            // numerator bits left | quotient
  logic [KW8-1:0]         pcy, pcx;       // stage 0: the counts
  always_ff @(posedge clk) begin
    logic [CNTW-1:0] cnt;
    logic [DW:0] r2;
    logic qb;
    if (!rst_n) pv <= '0;
    else        pv <= {pv[DIV-2:0], d1_v};
    pval  <= {pval[(DIV-1)*BW-1:0], val};
    ppad  <= {ppad[DIV-2:0], d1_pad};
    paddr <= {paddr[(DIV-1)*FAW-1:0], d1_addr};
    pcy <= c_cy; pcx <= c_cx;
    cnt = CNTW'(pcy * pcx);
    if (cnt == '0) cnt = CNTW'(1);
    prem[0 +: DW] <= DW'(1);
    pden[0 +: DW] <= DW'({cnt, 1'b0});
    pnq[0 +: QB]  <= QB'(cnt);
    for (int j = 1; j < DIV - 1; j++) begin
      r2 = {prem[(j-1)*DW +: DW], pnq[(j-1)*QB + QB - 1]};
      qb = r2 >= {1'b0, pden[(j-1)*DW +: DW]};
      prem[j*DW +: DW] <= DW'(qb ? r2 - {1'b0, pden[(j-1)*DW +: DW]} : r2);
      pden[j*DW +: DW] <= pden[(j-1)*DW +: DW];
      pnq[j*QB +: QB]  <= {pnq[(j-1)*QB +: QB-1], qb};
    end
  end

  // The last stage: max / average of the value, R(c) = its quotient.
  logic [BW-1:0]  fin_val;
  logic [RW-1:0]  fin_recip;
  logic           fin_pad;
  logic [L*8-1:0] res;
  assign fin_val   = pval[(DIV-1)*BW +: BW];
  assign fin_recip = RW'(pnq[(DIV-2)*QB +: QB]);
  assign fin_pad   = ppad[DIV-1];
  for (genvar l = 0; l < L; l++) begin : g_fin
    logic signed [ACCW-1:0] v;
    logic signed [ACCW+RW:0] p;
    logic signed [ACCW+RW:0] q;
    always_comb begin
      v = $signed(fin_val[l*ACCW +: ACCW]);
      p = v * $signed({1'b0, fin_recip});
      q = (p + $signed((ACCW+RW+1)'(1) <<< (AVG_SHIFT - 1))) >>> AVG_SHIFT;
      if (u_max)
        res[l*8 +: 8] = fin_pad ? 8'h80 : v[7:0];
      else if (fin_pad)
        res[l*8 +: 8] = 8'h00;
      else
        res[l*8 +: 8] = (q > 127) ? 8'h7f : (q < -128) ? 8'h80 : q[7:0];
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) fw_en <= 1'b0;
    else        fw_en <= pv[DIV-1];
    fw_addr <= paddr[(DIV-1)*FAW +: FAW];
    fw_data <= res;
  end

  // =====================================================================
  // Done: both issuers finished -> done DIV + 2 cycles after the later
  // one's last issue (the last write happens then too).
  // =====================================================================
  logic running;
  logic all_idle;
  // (u_v: the last input vector's update, in the cycle after its read;
  // the finalize stages but the last)
  assign all_idle = ph == '0 && !rd_act && !u_v && !dr_act && !p_act &&
                    !f_act && !d1_v && pv[DIV-2:0] == '0;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      running <= 1'b0; done <= 1'b0;
    end else begin
      done <= running && all_idle && !start;
      if (start)                    running <= 1'b1;
      else if (running && all_idle) running <= 1'b0;
    end
  end
  assign busy = running || done;

  logic unused;
  assign unused = ^{insn, cy[PW-1:KW8], cx[PW-1:KW8]};
endmodule
