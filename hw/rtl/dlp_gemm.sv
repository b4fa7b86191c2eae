// dlp_gemm.sv - the GEMM sequencer (docs/isa.md 3.3; on a window target
// also GEMM_WIN, 3.8) around the PE array (dlp_pe_array, or on a target
// with array.window = W > 1 dlp_pe_array_win) and dlp_postproc.
//
// For every output pixel (y, x) in row order and, inside it, every tap
// (ky, kx) and input channel block cb (cb innermost, so the weight rows of
// consecutive steps are consecutive: w_addr + s*L for the pixel's step s),
// the unit issues one array step per cycle, without stalls:
//   FBUF read port A: in_addr + cb*in_cstride + iy*in_w + ix (no read, and
//     the vector taken as zero, where the tap lies in the padding);
//   WBUF read: L rows from w_addr + ((ky*k_w + kx)*in_cb + cb)*L (same
//     gating: a zero vector makes every term zero).
// The rows are decoded as docs/rtl.md section 3 and the simulator
// (detail::decodeWRow, SimGemm.cpp multiplier()) do: a row tagged pow2 (0)
// gives entry q = nibble q of bytes 0 .. Q/2 - 1 (low nibble first,
// zero-extended to 8 bits) and alignment byte WROW_POW2_BYTES - 1 (= Q/2);
// any other tag (int8, CSR stream rows read densely) gives entry q = byte q
// and alignment byte WROW_INT8_BYTES - 1 (= Q). The alignment is taken
// modulo 32 (its low ALIGN_W bits). The instruction's wfmt alone says how
// the array reads the 8-bit entries (dlp_pe_array: pow2 uses bits [3:0],
// int8 the signed byte), so a row whose tag disagrees with the instruction
// gives the simulator's multiplier(code, instruction wfmt) bit for bit
// (a pow2 row under an int8 GEMM multiplies by its nibble 0..15; an int8
// row under a pow2 GEMM is a code from its low nibble).
//
// Start value: the parameter entry is read once, in the start cycle, and
// its biases and epilogue parameters are held. A pixel's first step takes
// acc_in = bias (accumulate = 0) or ABUF[acc_addr + pixel] (accumulate = 1;
// the read is issued PE_LAT - 1 cycles after the step's SRAM read so that
// the data arrive in the array's accumulate stage); every other step of the
// pixel takes acc_out back (dlp_pe_array's header). A pixel's last step
// writes acc_out to ABUF[acc_addr + pixel] and, with epilogue, enters
// dlp_postproc, whose output goes to FBUF[out_addr + pixel]. Pixels are
// numbered y*out_w + x, so the ABUF / FBUF addresses are counters.
//
// Residual (epilogue and residual set): the parameter entry after the
// GEMM's is read in the cycle after start and held too. The vector
// FBUF[out_addr + out_h*out_w + pixel] is read on port B one cycle before
// dlp_postproc's output for the pixel appears, so both arrive together;
// dlp_align_add sums them (a = the post-processed output, b = the read
// vector, d = the second entry's aux) and a second dlp_postproc with the
// second entry's out_shift / act_min / act_max gives the vector written
// to FBUF[out_addr + pixel], P_EPI cycles later: docs/isa.md 3.3's add, as
// the simulator's executeGemm runs ADD's kernel after the tile.
//
// Timing. Step i is issued in cycle s + i (s = the start cycle: the first
// step's addresses come straight from insn), its SRAM addresses are
// registered and read in s + i + 1, the array sees the data in s + i + 2
// (P_GEMM = address register + SRAM read + PE_LAT = P_GEMM - 2 array
// stages), acc_out of the last step is written in s + steps + 1 + PE_LAT, and
// the epilogue adds P_EPI cycles. done pulses with the last write, so an
// instruction occupies [s, done + 1) =
//   steps + P_GEMM + (epilogue ? P_EPI * (1 + residual) : 0) cycles: the
// cycle model's cost with constant C = 0 (docs/cycle-model.md 2.1).
//
// GEMM_WIN (a window target; the opcode is read from insn): the start
// cycle and the next ceil(in_cb / L) - 1 read the alignment rows, L per
// WBUF read, into the alignment registers (block cb, lane l); then one step
// per output pixel, window of W consecutive steps of the loop above and
// slot: its W candidate steps come from a chain of W dlp_gemm_step (a
// candidate past its pixel's last step is masked), candidate 0 read on
// port A and candidate o on window port o - 1 (fx_*), the slot rows (L
// from w_addr + in_cb + (window*slots + j)*L, read raw: entry (l, q) =
// byte q of row l) on the WBUF port, each candidate's alignments from its
// channel block's registers. So the instruction occupies ceil(in_cb / L)
// more cycles than the formula above with steps = pixels * windows *
// slots: docs/cycle-model.md 2.6 with C = 0. A dense GEMM on the window
// array takes candidate 0 alone. The loader guarantees what the unit
// assumes of a GEMM_WIN: in_cb <= WIN_MAX_CB, slots >= 1, wfmt 0.
//
// Assumptions (the loader's validity rules, docs/isa.md 3.3, and the
// compiler): every addressed unit lies inside its buffer (FBUF / WBUF
// addresses are formed modulo 2^*_AW, exact for in-range units); the
// epilogue's output rectangle does not overlap the input rectangle of the
// same instruction (outputs are written P_GEMM + P_EPI cycles after their
// reads, so a later pixel reading an earlier pixel's output would see the
// old value; the simulator handles that case pixel by pixel). Output pixels
// of one instruction never alias each other (consecutive addresses), so the
// ABUF read of a pixel never races the write of another; the residual
// tile follows the output tile, so its reads never race the writes. The core starts
// this unit for OP_GEMM and, on a window target, OP_GEMM_WIN (GEMM_CSR has
// its own decoder and starts it as a GEMM); the token bits are not looked
// at.
//
// SRAM ports are docs/rtl.md section 3's (address in cycle t, data in
// t + 1; rows of the WBUF port: row rd_addr + l at [l*(Q+1)*8 +: (Q+1)*8],
// its 2-bit LOAD wfmt tag at rd_fmt[2l +: 2]).
module dlp_gemm #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int FBUF_AW = dlp_cfg_pkg::FBUF_AW,
  parameter int WBUF_AW = dlp_cfg_pkg::WBUF_AW,
  parameter int ABUF_AW = dlp_cfg_pkg::ABUF_AW,
  parameter int PBUF_AW = dlp_cfg_pkg::PBUF_AW,
  parameter int INSN_BITS = dlp_cfg_pkg::INSN_BITS,
  parameter int PENTRY_BYTES = dlp_cfg_pkg::PENTRY_BYTES,
  parameter int W = dlp_cfg_pkg::WINDOW,
  parameter int WX = W > 1 ? W - 1 : 1
) (
  input  logic                      clk,
  input  logic                      rst_n,       // synchronous, active low
  input  logic                      start,
  input  logic [INSN_BITS-1:0]      insn,
  output logic                      busy,
  output logic                      done,
  // FBUF compute read port A and compute write port.
  output logic                      fa_rd_en,
  output logic [FBUF_AW-1:0]        fa_rd_addr,
  input  logic [L*8-1:0]            fa_rd_data,
  // FBUF window read ports (the window-sparse array: candidates 1 .. W - 1
  // of a step, port k at [k*FBUF_AW] / [k*L*8]; unused on the dense array).
  output logic [WX-1:0]             fx_rd_en,
  output logic [WX*FBUF_AW-1:0]     fx_rd_addr,
  input  logic [WX*L*8-1:0]         fx_rd_data,
  output logic                      fb_wr_en,
  output logic [FBUF_AW-1:0]        fb_wr_addr,
  output logic [L*8-1:0]            fb_wr_data,  // Q = L (ISA v1)
  // FBUF compute read port B: the residual tile.
  output logic                      fr_rd_en,
  output logic [FBUF_AW-1:0]        fr_rd_addr,
  input  logic [L*8-1:0]            fr_rd_data,
  // WBUF GEMM read port: L rows from rd_addr.
  output logic                      wb_rd_en,
  output logic [WBUF_AW-1:0]        wb_rd_addr,
  input  logic [L*(Q+1)*8-1:0]      wb_rd_data,
  input  logic [L*2-1:0]            wb_rd_fmt,
  // PBUF compute read port.
  output logic                      pb_rd_en,
  output logic [PBUF_AW-1:0]        pb_rd_addr,
  input  logic [PENTRY_BYTES*8-1:0] pb_rd_data,
  // ABUF GEMM read and write ports.
  output logic                      ab_rd_en,
  output logic [ABUF_AW-1:0]        ab_rd_addr,
  input  logic [Q*32-1:0]           ab_rd_data,
  output logic                      ab_wr_en,
  output logic [ABUF_AW-1:0]        ab_wr_addr,
  output logic [Q*32-1:0]           ab_wr_data
);
  // P_GEMM = the read's address register + SRAM read + dlp_pe_array's
  // 2 + LOG2_L stages.
  localparam int PE_LAT = dlp_cfg_pkg::P_GEMM - 2;
  localparam int P_EPI = dlp_cfg_pkg::P_EPI;        // dlp_postproc
  localparam int AL_W = dlp_cfg_pkg::ALIGN_W;
  localparam int ROWB = Q + 1;                      // bytes of a WBUF row
  localparam int POW2_ALIGN_BYTE = dlp_cfg_pkg::WROW_POW2_BYTES - 1;
  localparam int INT8_ALIGN_BYTE = dlp_cfg_pkg::WROW_INT8_BYTES - 1;
  localparam int WIN_MAX_CB = dlp_cfg_pkg::WIN_MAX_CB;  // alignment registers
  localparam int SLW = dlp_cfg_pkg::F_GEMM_WIN_SLOTS_W;  // slot counter bits
  localparam int ALW = $clog2(WIN_MAX_CB + 1);          // alignment reads

  // Field widths (docs/isa.md 3.3 via the package).
  localparam int HW  = dlp_cfg_pkg::F_GEMM_IN_H_W;    // in_h, in_w, out_h, out_w
  localparam int CBW = dlp_cfg_pkg::F_GEMM_IN_CB_W;
  localparam int KW  = dlp_cfg_pkg::F_GEMM_K_H_W;     // k, stride, dilation, pad
  // Signed input coordinates: y*stride + ky*dil - pad needs HW + KW bits
  // of magnitude (< 2^(HW+KW)), one more for the sign of the padding.
  localparam int IW  = HW + KW + 2;

  // ---------------------------------------------------------------------
  // Instruction fields in the start cycle.
  logic [dlp_cfg_pkg::F_OP_W-1:0]              i_op;
  logic [dlp_cfg_pkg::F_GEMM_WIN_SLOTS_W-1:0]  i_slots;
  logic [dlp_cfg_pkg::F_GEMM_WFMT_W-1:0]       i_wfmt;
  logic                                        i_acc, i_epi, i_res;
  logic [dlp_cfg_pkg::F_GEMM_IN_ADDR_W-1:0]    i_in_addr;
  logic [dlp_cfg_pkg::F_GEMM_IN_CSTRIDE_W-1:0] i_cstride;
  logic [HW-1:0]                               i_in_h, i_in_w, i_out_h, i_out_w;
  logic [CBW-1:0]                              i_in_cb;
  logic [KW-1:0]                               i_k_h, i_k_w, i_s_h, i_s_w;
  logic [KW-1:0]                               i_d_h, i_d_w, i_p_t, i_p_l;
  logic [dlp_cfg_pkg::F_GEMM_W_ADDR_W-1:0]     i_w_addr;
  logic [dlp_cfg_pkg::F_GEMM_ACC_ADDR_W-1:0]   i_acc_addr;
  logic [dlp_cfg_pkg::F_GEMM_PARAM_ADDR_W-1:0] i_param;
  logic [dlp_cfg_pkg::F_GEMM_OUT_ADDR_W-1:0]   i_out_addr;
  logic [dlp_cfg_pkg::F_GEMM_POOL_K_W-1:0]     i_pool_k;
  logic [dlp_cfg_pkg::F_GEMM_POOL_S_W-1:0]     i_pool_s;
  logic [3:0]                                  i_pool_pad;   // t, l, b, r
  always_comb begin
    i_op       = insn[dlp_cfg_pkg::F_OP_LSB +: dlp_cfg_pkg::F_OP_W];
    i_slots    = insn[dlp_cfg_pkg::F_GEMM_WIN_SLOTS_LSB +: dlp_cfg_pkg::F_GEMM_WIN_SLOTS_W];
    i_wfmt     = insn[dlp_cfg_pkg::F_GEMM_WFMT_LSB +: dlp_cfg_pkg::F_GEMM_WFMT_W];
    i_acc      = insn[dlp_cfg_pkg::F_GEMM_ACCUMULATE_LSB];
    i_epi      = insn[dlp_cfg_pkg::F_GEMM_EPILOGUE_LSB];
    i_res      = insn[dlp_cfg_pkg::F_GEMM_RESIDUAL_LSB];
    i_in_addr  = insn[dlp_cfg_pkg::F_GEMM_IN_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_IN_ADDR_W];
    i_cstride  = insn[dlp_cfg_pkg::F_GEMM_IN_CSTRIDE_LSB +: dlp_cfg_pkg::F_GEMM_IN_CSTRIDE_W];
    i_in_h     = insn[dlp_cfg_pkg::F_GEMM_IN_H_LSB +: HW];
    i_in_w     = insn[dlp_cfg_pkg::F_GEMM_IN_W_LSB +: HW];
    i_in_cb    = insn[dlp_cfg_pkg::F_GEMM_IN_CB_LSB +: CBW];
    i_out_h    = insn[dlp_cfg_pkg::F_GEMM_OUT_H_LSB +: HW];
    i_out_w    = insn[dlp_cfg_pkg::F_GEMM_OUT_W_LSB +: HW];
    i_k_h      = insn[dlp_cfg_pkg::F_GEMM_K_H_LSB +: KW];
    i_k_w      = insn[dlp_cfg_pkg::F_GEMM_K_W_LSB +: KW];
    i_s_h      = insn[dlp_cfg_pkg::F_GEMM_STRIDE_H_LSB +: KW];
    i_s_w      = insn[dlp_cfg_pkg::F_GEMM_STRIDE_W_LSB +: KW];
    i_d_h      = insn[dlp_cfg_pkg::F_GEMM_DIL_H_LSB +: KW];
    i_d_w      = insn[dlp_cfg_pkg::F_GEMM_DIL_W_LSB +: KW];
    i_p_t      = insn[dlp_cfg_pkg::F_GEMM_PAD_T_LSB +: KW];
    i_p_l      = insn[dlp_cfg_pkg::F_GEMM_PAD_L_LSB +: KW];
    i_w_addr   = insn[dlp_cfg_pkg::F_GEMM_W_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_W_ADDR_W];
    i_acc_addr = insn[dlp_cfg_pkg::F_GEMM_ACC_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_ACC_ADDR_W];
    i_param    = insn[dlp_cfg_pkg::F_GEMM_PARAM_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_PARAM_ADDR_W];
    i_out_addr = insn[dlp_cfg_pkg::F_GEMM_OUT_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_OUT_ADDR_W];
    i_pool_k   = insn[dlp_cfg_pkg::F_GEMM_POOL_K_LSB +: dlp_cfg_pkg::F_GEMM_POOL_K_W];
    i_pool_s   = insn[dlp_cfg_pkg::F_GEMM_POOL_S_LSB +: dlp_cfg_pkg::F_GEMM_POOL_S_W];
    i_pool_pad = {insn[dlp_cfg_pkg::F_GEMM_POOL_PAD_T_LSB], insn[dlp_cfg_pkg::F_GEMM_POOL_PAD_L_LSB],
                  insn[dlp_cfg_pkg::F_GEMM_POOL_PAD_B_LSB], insn[dlp_cfg_pkg::F_GEMM_POOL_PAD_R_LSB]};
  end

  // ---------------------------------------------------------------------
  // Loop constants, latched in the start cycle.
  localparam int LCW = 4*HW + CBW + 7*KW + 3*FBUF_AW;
  logic [LCW-1:0]     lc_q;
  logic [FBUF_AW-1:0] shw_i;
  assign shw_i = FBUF_AW'(i_s_h) * FBUF_AW'(i_in_w);
  logic [HW-1:0]      k_in_h, k_in_w, k_out_h_m1, k_out_w_m1;
  logic [CBW-1:0]     k_in_cb_m1;
  logic [KW-1:0]      k_k_h_m1, k_k_w_m1, k_s_h, k_s_w, k_d_h, k_d_w, k_p_l;
  logic [FBUF_AW-1:0] k_cstride, k_dhw, k_shw;
  assign {k_in_h, k_in_w, k_out_h_m1, k_out_w_m1, k_in_cb_m1, k_k_h_m1,
          k_k_w_m1, k_s_h, k_s_w, k_d_h, k_d_w, k_p_l, k_cstride,
          k_dhw, k_shw} = lc_q;

  // Per instruction: wfmt, the accumulate / epilogue / residual flags, a
  // GEMM_WIN (win) and its slots, and the WBUF row of a pixel's first step
  // (w_addr; a GEMM_WIN's slot rows follow its in_cb alignment rows).
  logic               wfmt_q, acc_q, epi_q, res_q, win_q, pool_q;
  logic [SLW-1:0]     slots_m1_q;
  logic [WBUF_AW-1:0] wbase_q;

  // ---------------------------------------------------------------------
  // The sequencer. State: the step issued last (cur_*, dlp_gemm_step's
  // fields) -- on the window-sparse array the last step of the window
  // issued last -- the slot j of the next step (GEMM_WIN: `slots` array
  // steps per window) and the WBUF row it reads. A dense GEMM issues its
  // step 0 in the start cycle from insn; a GEMM_WIN, whose first window
  // follows its alignment reads, starts from "step -1" (the last step of
  // the pixel row above, so that the step after it is step 0).
  logic               issuing_q, aligning_q;
  logic [HW-1:0]      cur_y, cur_x;
  logic [KW-1:0]      cur_ky, cur_kx;
  logic [CBW-1:0]     cur_cb;
  logic signed [IW-1:0] cur_iy0, cur_ix0, cur_iy, cur_ix;
  logic [FBUF_AW-1:0] cur_row0, cur_row, cur_cbb;
  logic [SLW-1:0]     j_q;
  logic [WBUF_AW-1:0] wrow_q;

  // The candidates: the next window's NC steps, candidate 0 the step after
  // cur, candidate o + 1 the step after candidate o (NC = 1 on the dense
  // array). Flat vectors, candidate o at o * width.
  localparam int NC = W;
  // (split_var: the chain's slices are separate signals, not a loop.)
  logic [(NC+1)*HW-1:0]      c_y /* verilator split_var */;
  logic [(NC+1)*HW-1:0]      c_x /* verilator split_var */;
  logic [(NC+1)*KW-1:0]      c_ky /* verilator split_var */;
  logic [(NC+1)*KW-1:0]      c_kx /* verilator split_var */;
  logic [(NC+1)*CBW-1:0]     c_cb /* verilator split_var */;
  logic [(NC+1)*IW-1:0]      c_iy0 /* verilator split_var */;
  logic [(NC+1)*IW-1:0]      c_ix0 /* verilator split_var */;
  logic [(NC+1)*IW-1:0]      c_iy /* verilator split_var */;
  logic [(NC+1)*IW-1:0]      c_ix /* verilator split_var */;
  logic [(NC+1)*FBUF_AW-1:0] c_row0 /* verilator split_var */;
  logic [(NC+1)*FBUF_AW-1:0] c_row /* verilator split_var */;
  logic [(NC+1)*FBUF_AW-1:0] c_cbb /* verilator split_var */;
  logic [NC-1:0]             c_first, c_last, c_fin, c_inb, c_val;
  logic [NC*FBUF_AW-1:0]     c_addr;
  // cur's own flags and address are not needed: it was issued.
  logic                      u_first, u_last, u_fin, u_inb;
  logic [FBUF_AW-1:0]        u_addr;
  dlp_gemm_step #(.HW(HW), .CBW(CBW), .KW(KW), .IW(IW), .FAW(FBUF_AW)) u_adv (
    .in_h(k_in_h), .in_w(k_in_w), .out_h_m1(k_out_h_m1),
    .out_w_m1(k_out_w_m1), .in_cb_m1(k_in_cb_m1), .k_h_m1(k_k_h_m1),
    .k_w_m1(k_k_w_m1), .s_h(k_s_h), .s_w(k_s_w), .d_h(k_d_h), .d_w(k_d_w),
    .p_l(k_p_l), .cstride(k_cstride), .dhw(k_dhw), .shw(k_shw),
    .s_y(cur_y), .s_x(cur_x), .s_ky(cur_ky), .s_kx(cur_kx), .s_cb(cur_cb),
    .s_iy0(cur_iy0), .s_ix0(cur_ix0), .s_iy(cur_iy), .s_ix(cur_ix),
    .s_row0(cur_row0), .s_row(cur_row), .s_cbb(cur_cbb),
    .first(u_first), .last(u_last), .fin(u_fin), .inb(u_inb), .addr(u_addr),
    .n_y(c_y[0 +: HW]), .n_x(c_x[0 +: HW]), .n_ky(c_ky[0 +: KW]),
    .n_kx(c_kx[0 +: KW]), .n_cb(c_cb[0 +: CBW]),
    .n_iy0(c_iy0[0 +: IW]), .n_ix0(c_ix0[0 +: IW]),
    .n_iy(c_iy[0 +: IW]), .n_ix(c_ix[0 +: IW]),
    .n_row0(c_row0[0 +: FBUF_AW]), .n_row(c_row[0 +: FBUF_AW]),
    .n_cbb(c_cbb[0 +: FBUF_AW]));
  for (genvar o = 0; o < NC; o++) begin : g_step
    dlp_gemm_step #(.HW(HW), .CBW(CBW), .KW(KW), .IW(IW), .FAW(FBUF_AW)) u_step (
      .in_h(k_in_h), .in_w(k_in_w), .out_h_m1(k_out_h_m1),
      .out_w_m1(k_out_w_m1), .in_cb_m1(k_in_cb_m1), .k_h_m1(k_k_h_m1),
      .k_w_m1(k_k_w_m1), .s_h(k_s_h), .s_w(k_s_w), .d_h(k_d_h), .d_w(k_d_w),
      .p_l(k_p_l), .cstride(k_cstride), .dhw(k_dhw), .shw(k_shw),
      .s_y(c_y[o*HW +: HW]), .s_x(c_x[o*HW +: HW]),
      .s_ky(c_ky[o*KW +: KW]), .s_kx(c_kx[o*KW +: KW]),
      .s_cb(c_cb[o*CBW +: CBW]),
      .s_iy0(c_iy0[o*IW +: IW]), .s_ix0(c_ix0[o*IW +: IW]),
      .s_iy(c_iy[o*IW +: IW]), .s_ix(c_ix[o*IW +: IW]),
      .s_row0(c_row0[o*FBUF_AW +: FBUF_AW]), .s_row(c_row[o*FBUF_AW +: FBUF_AW]),
      .s_cbb(c_cbb[o*FBUF_AW +: FBUF_AW]),
      .first(c_first[o]), .last(c_last[o]), .fin(c_fin[o]), .inb(c_inb[o]),
      .addr(c_addr[o*FBUF_AW +: FBUF_AW]),
      .n_y(c_y[(o+1)*HW +: HW]), .n_x(c_x[(o+1)*HW +: HW]),
      .n_ky(c_ky[(o+1)*KW +: KW]), .n_kx(c_kx[(o+1)*KW +: KW]),
      .n_cb(c_cb[(o+1)*CBW +: CBW]),
      .n_iy0(c_iy0[(o+1)*IW +: IW]), .n_ix0(c_ix0[(o+1)*IW +: IW]),
      .n_iy(c_iy[(o+1)*IW +: IW]), .n_ix(c_ix[(o+1)*IW +: IW]),
      .n_row0(c_row0[(o+1)*FBUF_AW +: FBUF_AW]),
      .n_row(c_row[(o+1)*FBUF_AW +: FBUF_AW]),
      .n_cbb(c_cbb[(o+1)*FBUF_AW +: FBUF_AW]));
  end

  // Not needed: cur's own flags (it was issued) and the step after the
  // last candidate (the next window starts after candidate kend <= NC - 1).
  logic unused_chain;
  assign unused_chain = ^{u_first, u_last, u_fin, u_inb, u_addr,
      c_y[NC*HW +: HW], c_x[NC*HW +: HW], c_ky[NC*KW +: KW],
      c_kx[NC*KW +: KW], c_cb[NC*CBW +: CBW], c_iy0[NC*IW +: IW],
      c_ix0[NC*IW +: IW], c_iy[NC*IW +: IW], c_ix[NC*IW +: IW],
      c_row0[NC*FBUF_AW +: FBUF_AW], c_row[NC*FBUF_AW +: FBUF_AW],
      c_cbb[NC*FBUF_AW +: FBUF_AW]};

  // This cycle: a step issued (iss) or, first in a GEMM_WIN, an alignment
  // read (al_iss). Candidate o belongs to the window while no earlier one
  // was its pixel's last step (a dense GEMM has candidate 0 alone); the
  // window ends at candidate kend. A dense GEMM's step 0, in the start
  // cycle, comes from insn (s0_*).
  logic               win_c, iss, al_iss, slot_last;
  logic               iss_first, iss_last, iss_fin;
  logic [WBUF_AW-1:0] al_addr_q;
  logic [ALW-1:0]     al_left_q;   // alignment reads after this one
  logic [31:0]        kend;
  logic               run;
  logic               s0_last, s0_inb;
  always_comb begin
    // (constant 0 on the dense array, so that its window logic folds away)
    win_c     = W > 1 && (start ? i_op == 6'(dlp_cfg_pkg::OP_GEMM_WIN) : win_q);
    iss       = (start && !win_c) || issuing_q;
    al_iss    = (start && win_c) || aligning_q;
    slot_last = !win_q || j_q == slots_m1_q;
    run = 1'b1;
    for (int o = 0; o < NC; o++) begin
      c_val[o] = run;
      run = run && !c_last[o] && win_q;
    end
    kend = 0;
    for (int o = 1; o < NC; o++)
      if (c_val[o]) kend = 32'(o);
    s0_last = i_k_h == KW'(1) && i_k_w == KW'(1) && i_in_cb == CBW'(1);
    s0_inb  = i_p_t == '0 && i_p_l == '0;  // in_h, in_w >= 1
    if (start) begin
      iss_first = 1'b1;
      iss_last  = s0_last;
      iss_fin   = s0_last && i_out_h == HW'(1) && i_out_w == HW'(1);
    end else begin
      iss_first = c_first[0] && j_q == '0;
      iss_last  = |(c_val & c_last) && slot_last;
      iss_fin   = |(c_val & c_fin) && slot_last;
    end
  end

  // The next cur: candidate kend (m_* holds candidate o if o is kend, else
  // zeros; OR-ed below).
  localparam int STW = 2*HW + 2*KW + CBW + 4*IW + 3*FBUF_AW;
  logic [NC*STW-1:0]  m_st;
  for (genvar o = 0; o < NC; o++) begin : g_next
    assign m_st[o*STW +: STW] = kend != 32'(o) ? '0 :
        {c_y[o*HW +: HW], c_x[o*HW +: HW], c_ky[o*KW +: KW],
         c_kx[o*KW +: KW], c_cb[o*CBW +: CBW],
         c_iy0[o*IW +: IW], c_ix0[o*IW +: IW],
         c_iy[o*IW +: IW], c_ix[o*IW +: IW],
         c_row0[o*FBUF_AW +: FBUF_AW], c_row[o*FBUF_AW +: FBUF_AW],
         c_cbb[o*FBUF_AW +: FBUF_AW]};
  end
  logic [STW-1:0]     nx;
  always_comb begin
    nx = '0;
    for (int o = 0; o < NC; o++)
      nx = nx | m_st[o*STW +: STW];
  end

  // The step's SRAM reads, registered (the read itself happens in the next
  // cycle: the address register stage of P_GEMM); a candidate in the
  // padding or past its pixel reads nothing and is zero; the WBUF rows are
  // read when some candidate reads a vector (else every term is zero).
  logic [NC-1:0]      rd_ok;
  logic               c_wb_en;
  logic [WBUF_AW-1:0] c_wb_addr;
  logic [FBUF_AW-1:0] c_fa_addr;
  always_comb begin
    if (start) begin
      rd_ok     = NC'(!win_c && s0_inb);
      c_fa_addr = FBUF_AW'(i_in_addr);
      c_wb_addr = WBUF_AW'(i_w_addr);   // step 0's rows, or alignment read 0
    end else begin
      rd_ok     = issuing_q ? c_val & c_inb : '0;
      c_fa_addr = c_addr[0 +: FBUF_AW];
      c_wb_addr = aligning_q ? al_addr_q : wrow_q;
    end
    c_wb_en = al_iss || (iss && |rd_ok);
  end

  // The alignment reads' block index k (rows k*L ..), down to their data.
  logic [ALW-1:0] al_k_q, al_k_c, r_al_k, d_al_k;
  logic       r_al, d_al;
  assign al_k_c = start ? '0 : al_k_q;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      r_al <= 1'b0; d_al <= 1'b0;
    end else begin
      r_al <= al_iss; d_al <= r_al;
    end
    r_al_k <= al_k_c; d_al_k <= r_al_k;
    if (al_iss) al_k_q <= al_k_c + 1'b1;
  end

  logic r_iss, r_first, r_last, r_fin;
  logic [NC-1:0] r_ok, d_ok;      // candidates read: issue + 1, + 2
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      fa_rd_en <= 1'b0; wb_rd_en <= 1'b0; r_iss <= 1'b0; r_ok <= '0;
    end else begin
      fa_rd_en <= rd_ok[0]; wb_rd_en <= c_wb_en; r_iss <= iss; r_ok <= rd_ok;
    end
    fa_rd_addr <= c_fa_addr; wb_rd_addr <= c_wb_addr;
    r_first <= iss_first; r_last <= iss_last; r_fin <= iss_fin;
    d_ok <= r_ok;
  end

  // Advance: the state after this cycle's step or alignment read.
  logic [FBUF_AW-1:0] base_i;   // in_addr + (-pad_t) * in_w: row0 of y = 0
  assign base_i = FBUF_AW'(i_in_addr) - FBUF_AW'(i_p_t) * FBUF_AW'(i_in_w);
  logic [WBUF_AW-1:0] wbase_i;  // the first weight row a step reads
  assign wbase_i = WBUF_AW'(i_w_addr) + (win_c ? WBUF_AW'(i_in_cb) : '0);
  always_ff @(posedge clk) begin
    if (start) begin
      lc_q       <= {i_in_h, i_in_w, i_out_h - 1'b1, i_out_w - 1'b1,
                     i_in_cb - 1'b1, i_k_h - 1'b1, i_k_w - 1'b1, i_s_h, i_s_w,
                     i_d_h, i_d_w, i_p_l, FBUF_AW'(i_cstride),
                     FBUF_AW'(i_d_h) * FBUF_AW'(i_in_w), shw_i};
      wfmt_q     <= i_wfmt[0];
      acc_q      <= i_acc;
      epi_q      <= i_epi;
      res_q      <= i_epi && i_res;
      pool_q     <= dlp_cfg_pkg::GEMM_POOL && i_epi && i_pool_k != '0;
      win_q      <= win_c;
      slots_m1_q <= i_slots - 1'b1;
      wbase_q    <= wbase_i;
      al_addr_q  <= WBUF_AW'(i_w_addr) + WBUF_AW'(L);
      al_left_q  <= ALW'((32'(i_in_cb) + L - 1) / L - 1);
      // cur: step 0, issued now (GEMM), or step -1 (GEMM_WIN): the last
      // step of pixel (-1, out_w - 1), whose successor is step 0.
      cur_y    <= win_c ? '1 : '0;
      cur_x    <= win_c ? i_out_w - 1'b1 : '0;
      cur_ky   <= win_c ? i_k_h - 1'b1 : '0;
      cur_kx   <= win_c ? i_k_w - 1'b1 : '0;
      cur_cb   <= win_c ? i_in_cb - 1'b1 : '0;
      cur_iy0  <= -(IW'(i_p_t)) - (win_c ? IW'(i_s_h) : '0);
      cur_iy   <= -(IW'(i_p_t));
      cur_ix0  <= -(IW'(i_p_l));
      cur_ix   <= -(IW'(i_p_l));
      cur_row0 <= base_i - (win_c ? shw_i : '0);
      cur_row  <= base_i;
      cur_cbb  <= base_i;
      j_q      <= '0;
      wrow_q   <= wbase_i + ((win_c || s0_last) ? '0 : WBUF_AW'(L));
    end else begin
      if (aligning_q) begin
        al_addr_q <= al_addr_q + WBUF_AW'(L);
        al_left_q <= al_left_q - 1'b1;
      end
      if (issuing_q) begin
        if (slot_last) begin
          {cur_y, cur_x, cur_ky, cur_kx, cur_cb, cur_iy0, cur_ix0, cur_iy,
           cur_ix, cur_row0, cur_row, cur_cbb} <= nx;
          j_q <= '0;
        end else
          j_q <= j_q + 1'b1;
        // A pixel's steps read the rows from its first (wbase) on.
        wrow_q <= iss_last ? wbase_q : wrow_q + WBUF_AW'(L);
      end
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      issuing_q <= 1'b0;
      aligning_q <= 1'b0;
    end else if (start && win_c) begin
      aligning_q <= 32'(i_in_cb) > L;
      issuing_q <= 32'(i_in_cb) <= L;
    end else if (aligning_q) begin
      if (al_left_q == ALW'(1)) begin
        aligning_q <= 1'b0;
        issuing_q <= 1'b1;
      end
    end else if (iss)
      issuing_q <= !iss_fin;
  end

  // ---------------------------------------------------------------------
  // Step flags down the pipeline: bit k - 1 is the step issued k cycles ago.
  localparam int FL = PE_LAT + 1;          // first / last: to the ABUF write
  localparam int FF = PE_LAT + 1 + P_EPI;  // final: to the FBUF write
  localparam int FR = FF + P_EPI;          // final with the residual add
  logic [FL-1:0] first_sr, last_sr;
  logic [FR-1:0] fin_sr;
  logic          v_d1;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      first_sr <= '0;
      last_sr  <= '0;
      fin_sr   <= '0;
      v_d1     <= 1'b0;
    end else begin
      first_sr <= {first_sr[FL-2:0], r_iss && r_first};
      last_sr  <= {last_sr[FL-2:0], r_iss && r_last};
      // A new instruction drops the previous one's final flag (still on
      // its way down the epilogue stages when it had none).
      fin_sr   <= {start ? {(FR-1){1'b0}} : fin_sr[FR-2:0], r_iss && r_fin};
      v_d1     <= r_iss;
    end
  end

  // ---------------------------------------------------------------------
  // Parameter entries: the GEMM's read in the start cycle, the residual
  // add's (the next) in the cycle after; both held.
  logic               pb_v, pb_v2;
  logic [PBUF_AW-1:0] param_q;
  logic [Q*32-1:0]    bias_q;
  logic [Q*8-1:0]     shift_q, amin_q, amax_q;
  logic [Q*8-1:0]     raux_q, rshift_q, ramin_q, ramax_q;
  assign pb_rd_en   = start || (pb_v && res_q);
  assign pb_rd_addr = start ? PBUF_AW'(i_param) : param_q + 1'b1;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      pb_v <= 1'b0; pb_v2 <= 1'b0;
    end else begin
      pb_v <= start; pb_v2 <= pb_v && res_q;
    end
    if (start) param_q <= PBUF_AW'(i_param);
    if (pb_v) begin
      bias_q  <= pb_rd_data[0 +: Q*32];
      shift_q <= pb_rd_data[Q*32 +: Q*8];
      amin_q  <= pb_rd_data[Q*40 +: Q*8];
      amax_q  <= pb_rd_data[Q*48 +: Q*8];
    end
    if (pb_v2) begin
      rshift_q <= pb_rd_data[Q*32 +: Q*8];
      ramin_q  <= pb_rd_data[Q*40 +: Q*8];
      ramax_q  <= pb_rd_data[Q*48 +: Q*8];
      raux_q   <= pb_rd_data[Q*56 +: Q*8];
    end
  end

  // ---------------------------------------------------------------------
  // The array: the SRAM data of the step issued two cycles ago. A dense
  // GEMM's rows are decoded as docs/rtl.md section 3 says (the header);
  // a GEMM_WIN's slot rows are raw bytes (entry (l, q) = byte q of row l:
  // offset and code), with the alignments of each candidate's channel
  // block from the alignment registers.
  logic [Q*32-1:0] acc_in, acc_out;
  logic            pe_out_valid;
  // Accumulate stage (step issued PE_LAT + 1 cycles ago): a pixel's first
  // step starts from the bias or the ABUF word read the cycle before.
  assign acc_in = first_sr[PE_LAT-1] ? (acc_q ? ab_rd_data : bias_q) : acc_out;

  logic [L*AL_W-1:0] row_align;   // a dense step's alignments (lane l)
  logic [L*Q*8-1:0]  row_w;       // its entries, decoded
  always_comb begin
    for (int l = 0; l < L; l++) begin
      if (wb_rd_fmt[2*l +: 2] == 2'd0) begin  // pow2 row
        row_align[l*AL_W +: AL_W] = wb_rd_data[(l*ROWB + POW2_ALIGN_BYTE)*8 +: AL_W];
        for (int q = 0; q < Q; q++)
          row_w[(l*Q + q)*8 +: 8] = {4'd0, wb_rd_data[(l*ROWB)*8 + q*4 +: 4]};
      end else begin                          // int8 or CSR stream row
        row_align[l*AL_W +: AL_W] = wb_rd_data[(l*ROWB + INT8_ALIGN_BYTE)*8 +: AL_W];
        for (int q = 0; q < Q; q++)
          row_w[(l*Q + q)*8 +: 8] = wb_rd_data[(l*ROWB + q)*8 +: 8];
      end
    end
  end

  if (W == 1) begin : g_dense
    logic [L*8-1:0] pe_x;
    assign pe_x = d_ok[0] ? fa_rd_data : '0;
    assign fx_rd_en = '0;
    assign fx_rd_addr = '0;
    dlp_pe_array u_array (
      .clk(clk), .rst_n(rst_n), .in_valid(v_d1), .wfmt(wfmt_q),
      .x(pe_x), .align(row_align), .w(row_w), .acc_in(acc_in),
      .out_valid(pe_out_valid), .acc_out(acc_out)
    );
    logic unused_win;
    assign unused_win = ^{fx_rd_data, al_k_q, d_al, d_al_k, win_q};
  end else begin : g_win
    // Candidates 1 .. W - 1 on the window read ports.
    always_ff @(posedge clk) begin
      if (!rst_n) fx_rd_en <= '0;
      else        fx_rd_en <= rd_ok[NC-1:1];
      fx_rd_addr <= c_addr[FBUF_AW +: (NC-1)*FBUF_AW];
    end
    // Each candidate's channel block (the alignment register it uses),
    // down to the array's input.
    localparam int CI = $clog2(WIN_MAX_CB);
    logic [NC*CI-1:0] r_cb, d_cb;
    for (genvar o = 0; o < NC; o++) begin : g_cb
      always_ff @(posedge clk)
        r_cb[o*CI +: CI] <= CI'(c_cb[o*CBW +: CBW]);
    end
    always_ff @(posedge clk)
      d_cb <= r_cb;
    // Alignment registers: block cb, lane l at (cb*L + l)*AL_W, written by
    // the alignment reads (L blocks each: row r of read k is block k*L + r).
    logic [WIN_MAX_CB*L*AL_W-1:0] alreg;
    for (genvar cb = 0; cb < WIN_MAX_CB; cb++) begin : g_al
      always_ff @(posedge clk)
        if (d_al && 32'(d_al_k) == cb / L)
          for (int l = 0; l < L; l++)
            alreg[(cb*L + l)*AL_W +: AL_W] <=
                wb_rd_data[((cb % L)*ROWB + l)*8 +: AL_W];
    end
    logic [NC*L*8-1:0]    pe_x;
    logic [NC*L*AL_W-1:0] pe_align;
    logic [L*Q*8-1:0]     pe_w;
    always_comb begin
      pe_x = '0;
      pe_align = '0;
      if (d_ok[0]) pe_x[0 +: L*8] = fa_rd_data;
      for (int o = 1; o < NC; o++)
        if (d_ok[o]) pe_x[o*L*8 +: L*8] = fx_rd_data[(o-1)*L*8 +: L*8];
      if (win_q) begin
        for (int o = 0; o < NC; o++)
          for (int l = 0; l < L; l++)
            pe_align[(o*L + l)*AL_W +: AL_W] =
                alreg[(32'(d_cb[o*CI +: CI]) * L + l)*AL_W +: AL_W];
        for (int l = 0; l < L; l++)
          for (int q = 0; q < Q; q++)
            pe_w[(l*Q + q)*8 +: 8] = wb_rd_data[(l*ROWB + q)*8 +: 8];
      end else begin
        pe_align[0 +: L*AL_W] = row_align;
        pe_w = row_w;
      end
    end
    dlp_pe_array_win u_array (
      .clk(clk), .rst_n(rst_n), .in_valid(v_d1), .win(win_q), .wfmt(wfmt_q),
      .x(pe_x), .align(pe_align), .w(pe_w), .acc_in(acc_in),
      .out_valid(pe_out_valid), .acc_out(acc_out)
    );
  end

  // ---------------------------------------------------------------------
  // ABUF: the start value read (accumulate), the result written.
  logic [ABUF_AW-1:0] ab_rd_ptr, ab_wr_ptr;
  logic [FBUF_AW-1:0] fb_wr_ptr;
  assign ab_rd_en   = acc_q && first_sr[PE_LAT-2];
  assign ab_rd_addr = ab_rd_ptr;
  assign ab_wr_en   = last_sr[PE_LAT];
  assign ab_wr_addr = ab_wr_ptr;
  assign ab_wr_data = acc_out;

  // Epilogue.
  logic           pp_in, pp_valid;
  logic [Q*8-1:0] pp_y;
  assign pp_in = epi_q && last_sr[PE_LAT];
  dlp_postproc u_post (
    .clk(clk), .rst_n(rst_n), .in_valid(pp_in),
    .acc(acc_out), .out_shift(shift_q), .act_min(amin_q), .act_max(amax_q),
    .out_valid(pp_valid), .y(pp_y)
  );

  // Residual add: the read of the pixel's residual vector is issued
  // P_EPI - 1 cycles after the pixel enters u_post, so its data arrive
  // with u_post's output.
  logic [P_EPI-2:0] ppin_sr;
  logic [FBUF_AW-1:0] fr_ptr;
  always_ff @(posedge clk)
    if (!rst_n) ppin_sr <= '0;
    else        ppin_sr <= {ppin_sr[P_EPI-3:0], pp_in && res_q};
  assign fr_rd_en   = ppin_sr[P_EPI-2];
  assign fr_rd_addr = fr_ptr;
  logic [Q*32-1:0] res_t;
  dlp_align_add u_res_add (
    .a(pp_y), .b(fr_rd_data), .b_en(1'b1), .aux(raux_q), .t(res_t));
  logic           rp_valid;
  logic [Q*8-1:0] rp_y;
  dlp_postproc u_res_post (
    .clk(clk), .rst_n(rst_n), .in_valid(pp_valid && res_q),
    .acc(res_t), .out_shift(rshift_q), .act_min(ramin_q), .act_max(ramax_q),
    .out_valid(rp_valid), .y(rp_y)
  );

  // The post-processing's max pool (ISA v5): its writes replace the
  // tile's, two cycles later (P_fpool).
  logic               pw_en;
  logic [FBUF_AW-1:0] pw_addr;
  logic [Q*8-1:0]     pw_data;
  if (dlp_cfg_pkg::GEMM_POOL) begin : g_pool
    dlp_gemm_pool u_pool (
      .clk(clk), .rst_n(rst_n), .start(start),
      .k(i_pool_k), .s(i_pool_s), .pad_t(i_pool_pad[3]), .pad_l(i_pool_pad[2]),
      .pad_b(i_pool_pad[1]), .pad_r(i_pool_pad[0]),
      .out_h(i_out_h), .out_w(i_out_w), .out_addr(FBUF_AW'(i_out_addr)),
      .in_valid(pp_valid && pool_q), .y(pp_y),
      .wr_en(pw_en), .wr_addr(pw_addr), .wr_data(pw_data));
  end else begin : g_no_pool
    assign pw_en = 1'b0;
    assign pw_addr = '0;
    assign pw_data = '0;
  end

  assign fb_wr_en   = pool_q ? pw_en : res_q ? rp_valid : pp_valid;
  assign fb_wr_addr = pool_q ? pw_addr : fb_wr_ptr;
  assign fb_wr_data = pool_q ? pw_data : res_q ? rp_y : pp_y;

  always_ff @(posedge clk) begin
    if (start) begin
      ab_rd_ptr <= ABUF_AW'(i_acc_addr);
      ab_wr_ptr <= ABUF_AW'(i_acc_addr);
      fb_wr_ptr <= FBUF_AW'(i_out_addr);
      fr_ptr    <= FBUF_AW'(i_out_addr) + FBUF_AW'(i_out_h) * FBUF_AW'(i_out_w);
    end else begin
      if (ab_rd_en) ab_rd_ptr <= ab_rd_ptr + 1'b1;
      if (ab_wr_en) ab_wr_ptr <= ab_wr_ptr + 1'b1;
      if (fb_wr_en) fb_wr_ptr <= fb_wr_ptr + 1'b1;
      if (fr_rd_en) fr_ptr <= fr_ptr + 1'b1;
    end
  end

  // ---------------------------------------------------------------------
  // done with the last write; busy from the cycle after start to done.
  assign done = res_q  ? fin_sr[FR-1]
              : pool_q ? fin_sr[FF-1+dlp_cfg_pkg::P_FPOOL]
              : epi_q  ? fin_sr[FF-1] : fin_sr[FL-1];
  always_ff @(posedge clk) begin
    if (!rst_n)     busy <= 1'b0;
    else if (start) busy <= 1'b1;
    else if (done)  busy <= 1'b0;
  end

  // Bits not needed: the opcode / token bits and the unused field bits
  // (wfmt bit 1: the loader allows 0 / 1 only; address bits above the
  // buffers' widths: the loader keeps addresses inside), the aux bytes of
  // the parameter entry, alignment bits above ALIGN_W (ignored, mod 32),
  // the array's out_valid (last_sr carries the same timing, with the flag),
  // the pool's fields on a target without units.gemm_pool.
  logic unused;
  assign unused = ^{insn, i_wfmt, c_first, i_in_addr, i_cstride, i_w_addr, i_acc_addr,
                    i_param, i_out_addr, pb_rd_data, wb_rd_data, pe_out_valid,
                    i_pool_s, i_pool_pad};
endmodule
