// dlp_gemm.sv - the dense GEMM sequencer (docs/isa.md 3.3) around
// dlp_pe_array and dlp_postproc.
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
// this unit only for OP_GEMM (GEMM_CSR has its own decoder); the opcode
// and token bits are not looked at.
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
  parameter int PENTRY_BYTES = dlp_cfg_pkg::PENTRY_BYTES
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

  // Field widths (docs/isa.md 3.3 via the package).
  localparam int HW  = dlp_cfg_pkg::F_GEMM_IN_H_W;    // in_h, in_w, out_h, out_w
  localparam int CBW = dlp_cfg_pkg::F_GEMM_IN_CB_W;
  localparam int KW  = dlp_cfg_pkg::F_GEMM_K_H_W;     // k, stride, dilation, pad
  // Signed input coordinates: y*stride + ky*dil - pad needs HW + KW bits
  // of magnitude (< 2^(HW+KW)), one more for the sign of the padding.
  localparam int IW  = HW + KW + 2;

  // ---------------------------------------------------------------------
  // Instruction fields in the start cycle.
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
  always_comb begin
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
  end

  // ---------------------------------------------------------------------
  // Latched instruction (constants of the loops).
  logic               wfmt_q, acc_q, epi_q, res_q;
  logic [FBUF_AW-1:0] cstride_q, dhw_q, shw_q;
  logic [HW-1:0]      in_h_q, in_w_q, out_h_m1, out_w_m1;
  logic [CBW-1:0]     in_cb_m1;
  logic [KW-1:0]      k_h_m1, k_w_m1, s_h_q, s_w_q, d_h_q, d_w_q, p_l_q;
  logic [WBUF_AW-1:0] w_addr_q;

  // Loop state: the step issued last.
  logic               issuing_q;
  logic [HW-1:0]      y_q, x_q;
  logic [KW-1:0]      ky_q, kx_q;
  logic [CBW-1:0]     cb_q;
  logic signed [IW-1:0] iy0_q, ix0_q, iy_q, ix_q;  // pixel base, tap
  // FBUF addresses (mod 2^FBUF_AW): in_addr + iy0*in_w, in_addr + iy*in_w,
  // and that plus cb*in_cstride (the step's address less ix), so the next
  // step's address is one sum of two selected values.
  logic [FBUF_AW-1:0] row0_q, row_q, cbb_q;
  logic [WBUF_AW-1:0] wrow_q;

  // Next step (combinational from the state).
  logic [HW-1:0]      y_n, x_n;
  logic [KW-1:0]      ky_n, kx_n;
  logic [CBW-1:0]     cb_n;
  logic signed [IW-1:0] iy0_n, ix0_n, iy_n, ix_n;
  logic [FBUF_AW-1:0] row0_n, row_n, cbb_n;
  logic [WBUF_AW-1:0] wrow_n;
  logic               first_n, last_n, fin_n, inb_n;

  always_comb begin
    y_n = y_q;  x_n = x_q;  ky_n = ky_q;  kx_n = kx_q;  cb_n = cb_q;
    iy0_n = iy0_q;  ix0_n = ix0_q;  iy_n = iy_q;  ix_n = ix_q;
    row0_n = row0_q;  row_n = row_q;  cbb_n = cbb_q;
    wrow_n = wrow_q + WBUF_AW'(L);
    first_n = 1'b0;
    if (cb_q != in_cb_m1) begin
      cb_n = cb_q + 1'b1;
      cbb_n = cbb_q + cstride_q;
    end else begin
      cb_n = '0;
      if (kx_q != k_w_m1) begin
        kx_n = kx_q + 1'b1;
        ix_n = ix_q + IW'(d_w_q);
      end else begin
        kx_n = '0;
        ix_n = ix0_q;
        if (ky_q != k_h_m1) begin
          ky_n = ky_q + 1'b1;
          iy_n = iy_q + IW'(d_h_q);
          row_n = row_q + dhw_q;
        end else begin
          // A new output pixel.
          ky_n = '0;
          first_n = 1'b1;
          wrow_n = w_addr_q;
          if (x_q != out_w_m1) begin
            x_n = x_q + 1'b1;
            ix0_n = ix0_q + IW'(s_w_q);
          end else begin
            x_n = '0;
            y_n = y_q + 1'b1;
            ix0_n = -(IW'(p_l_q));
            iy0_n = iy0_q + IW'(s_h_q);
            row0_n = row0_q + shw_q;
          end
          ix_n = ix0_n;
          iy_n = iy0_n;
          row_n = row0_n;
        end
      end
    end
    if (cb_q == in_cb_m1)
      cbb_n = row_n;  // a new tap (or pixel): channel block 0 of its row
    last_n = cb_n == in_cb_m1 && kx_n == k_w_m1 && ky_n == k_h_m1;
    fin_n = last_n && x_n == out_w_m1 && y_n == out_h_m1;
    inb_n = iy_n >= 0 && iy_n < $signed(IW'(in_h_q)) &&
            ix_n >= 0 && ix_n < $signed(IW'(in_w_q));
  end

  // The step issued this cycle: step 0 from insn in the start cycle, else
  // the next step while issuing. Its SRAM addresses are registered: the
  // read itself happens in the next cycle (the address register stage of
  // P_GEMM), and the step's flags follow one cycle later (r_*).
  logic               iss, iss_inb, iss_first, iss_last, iss_fin;
  logic               last0;
  logic               c_fa_en, c_wb_en;
  logic [FBUF_AW-1:0] c_fa_addr;
  logic [WBUF_AW-1:0] c_wb_addr;
  always_comb begin
    last0 = i_k_h == KW'(1) && i_k_w == KW'(1) && i_in_cb == CBW'(1);
    if (start) begin
      iss       = 1'b1;
      iss_inb   = i_p_t == '0 && i_p_l == '0;  // in_h, in_w >= 1
      iss_first = 1'b1;
      iss_last  = last0;
      iss_fin   = last0 && i_out_h == HW'(1) && i_out_w == HW'(1);
      c_fa_addr = FBUF_AW'(i_in_addr);
      c_wb_addr = WBUF_AW'(i_w_addr);
    end else begin
      iss       = issuing_q;
      iss_inb   = inb_n;
      iss_first = first_n;
      iss_last  = last_n;
      iss_fin   = fin_n;
      c_fa_addr = cbb_n + FBUF_AW'(ix_n);
      c_wb_addr = wrow_n;
    end
    c_fa_en = iss && iss_inb;
    c_wb_en = iss && iss_inb;
  end

  logic r_iss, r_inb, r_first, r_last, r_fin;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      fa_rd_en <= 1'b0; wb_rd_en <= 1'b0; r_iss <= 1'b0;
    end else begin
      fa_rd_en <= c_fa_en; wb_rd_en <= c_wb_en; r_iss <= iss;
    end
    fa_rd_addr <= c_fa_addr; wb_rd_addr <= c_wb_addr;
    r_inb <= iss_inb; r_first <= iss_first; r_last <= iss_last; r_fin <= iss_fin;
  end

  always_ff @(posedge clk) begin
    if (start) begin
      wfmt_q    <= i_wfmt[0];
      acc_q     <= i_acc;
      epi_q     <= i_epi;
      res_q     <= i_epi && i_res;
      cstride_q <= FBUF_AW'(i_cstride);
      dhw_q     <= FBUF_AW'(i_d_h) * FBUF_AW'(i_in_w);
      shw_q     <= FBUF_AW'(i_s_h) * FBUF_AW'(i_in_w);
      in_h_q    <= i_in_h;
      in_w_q    <= i_in_w;
      out_h_m1  <= i_out_h - 1'b1;
      out_w_m1  <= i_out_w - 1'b1;
      in_cb_m1  <= i_in_cb - 1'b1;
      k_h_m1    <= i_k_h - 1'b1;
      k_w_m1    <= i_k_w - 1'b1;
      s_h_q     <= i_s_h;
      s_w_q     <= i_s_w;
      d_h_q     <= i_d_h;
      d_w_q     <= i_d_w;
      p_l_q     <= i_p_l;
      w_addr_q  <= WBUF_AW'(i_w_addr);
      // Step 0.
      y_q <= '0;  x_q <= '0;  ky_q <= '0;  kx_q <= '0;  cb_q <= '0;
      iy0_q   <= -(IW'(i_p_t));
      iy_q    <= -(IW'(i_p_t));
      ix0_q   <= -(IW'(i_p_l));
      ix_q    <= -(IW'(i_p_l));
      row0_q  <= FBUF_AW'(i_in_addr) - FBUF_AW'(i_p_t) * FBUF_AW'(i_in_w);
      row_q   <= FBUF_AW'(i_in_addr) - FBUF_AW'(i_p_t) * FBUF_AW'(i_in_w);
      cbb_q   <= FBUF_AW'(i_in_addr) - FBUF_AW'(i_p_t) * FBUF_AW'(i_in_w);
      wrow_q  <= WBUF_AW'(i_w_addr);
    end else if (issuing_q) begin
      y_q <= y_n;  x_q <= x_n;  ky_q <= ky_n;  kx_q <= kx_n;  cb_q <= cb_n;
      iy0_q <= iy0_n;  ix0_q <= ix0_n;  iy_q <= iy_n;  ix_q <= ix_n;
      row0_q <= row0_n;  row_q <= row_n;  cbb_q <= cbb_n;
      wrow_q <= wrow_n;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) issuing_q <= 1'b0;
    else if (iss) issuing_q <= !iss_fin;
  end

  // ---------------------------------------------------------------------
  // Step flags down the pipeline: bit k - 1 is the step issued k cycles ago.
  localparam int FL = PE_LAT + 1;          // first / last: to the ABUF write
  localparam int FF = PE_LAT + 1 + P_EPI;  // final: to the FBUF write
  localparam int FR = FF + P_EPI;          // final with the residual add
  logic [FL-1:0] first_sr, last_sr;
  logic [FR-1:0] fin_sr;
  logic          v_d1, inb_d1;
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
    inb_d1 <= r_inb;
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
  // The array: the SRAM data of the step issued last cycle.
  logic [L*8-1:0]    pe_x;
  logic [L*AL_W-1:0] pe_align;
  logic [L*Q*8-1:0]  pe_w;
  always_comb begin
    pe_x = inb_d1 ? fa_rd_data : '0;
    for (int l = 0; l < L; l++) begin
      if (wb_rd_fmt[2*l +: 2] == 2'd0) begin  // pow2 row
        pe_align[l*AL_W +: AL_W] = wb_rd_data[(l*ROWB + POW2_ALIGN_BYTE)*8 +: AL_W];
        for (int q = 0; q < Q; q++)
          pe_w[(l*Q + q)*8 +: 8] = {4'd0, wb_rd_data[(l*ROWB)*8 + q*4 +: 4]};
      end else begin                          // int8 or CSR stream row
        pe_align[l*AL_W +: AL_W] = wb_rd_data[(l*ROWB + INT8_ALIGN_BYTE)*8 +: AL_W];
        for (int q = 0; q < Q; q++)
          pe_w[(l*Q + q)*8 +: 8] = wb_rd_data[(l*ROWB + q)*8 +: 8];
      end
    end
  end

  // Accumulate stage (step issued PE_LAT cycles ago): a pixel's first step
  // starts from the bias or the ABUF word read the cycle before.
  logic [Q*32-1:0] acc_in, acc_out;
  logic            pe_out_valid;
  assign acc_in = first_sr[PE_LAT-1] ? (acc_q ? ab_rd_data : bias_q) : acc_out;

  dlp_pe_array u_array (
    .clk(clk), .rst_n(rst_n), .in_valid(v_d1), .wfmt(wfmt_q),
    .x(pe_x), .align(pe_align), .w(pe_w), .acc_in(acc_in),
    .out_valid(pe_out_valid), .acc_out(acc_out)
  );

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

  assign fb_wr_en   = res_q ? rp_valid : pp_valid;
  assign fb_wr_addr = fb_wr_ptr;
  assign fb_wr_data = res_q ? rp_y : pp_y;

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
  assign done = res_q ? fin_sr[FR-1] : epi_q ? fin_sr[FF-1] : fin_sr[FL-1];
  always_ff @(posedge clk) begin
    if (!rst_n)     busy <= 1'b0;
    else if (start) busy <= 1'b1;
    else if (done)  busy <= 1'b0;
  end

  // Bits not needed: the opcode / token bits and the unused field bits
  // (wfmt bit 1: the loader allows 0 / 1 only; address bits above the
  // buffers' widths: the loader keeps addresses inside), the aux bytes of
  // the parameter entry, alignment bits above ALIGN_W (ignored, mod 32),
  // the array's out_valid (last_sr carries the same timing, with the flag).
  logic unused;
  assign unused = ^{insn, i_wfmt, i_in_addr, i_cstride, i_w_addr, i_acc_addr,
                    i_param, i_out_addr, pb_rd_data, wb_rd_data, pe_out_valid};
endmodule
