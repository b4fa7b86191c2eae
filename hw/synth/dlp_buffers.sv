// dlp_buffers.sv - the banking of dlp_core's on-chip buffers, for the
// resource estimate only (hw/synth/synth.sh; not used by the RTL).
//
// dlp_core holds FBUF / WBUF / PBUF / ABUF as behavioural arrays with as
// many ports as the units use (docs/rtl.md section 3). This module has the
// same port signals (the names of dlp_core's buffer section) and builds
// them from 2-port-style banks (dlp_sram_bank, a black box whose storage
// hw/synth/report.py counts as BRAM36 / URAM blocks), so that the logic the
// banking needs -- bank selection, the rotations of multi-unit ports, the
// clear sweep -- is synthesized and counted:
//
//   FBUF  NBF banks (address mod NBF, NBF = the power of 2 >= the vectors
//         one DMA cycle writes or reads: a LOAD beat completes at most
//         floor((L - 1 + B) / L), a STORE beat touches B / L when L | B, 1
//         when B | L, else ceil(B / L) + 1); each bank FBUF_VECTORS / NBF
//         words of L*8 bits and 4 ports (compute read A, compute read B,
//         compute write, DMA read or write: ADD reads A and B and writes
//         while a LOAD or STORE runs);
//   WBUF  L banks (row r in bank r mod L at r / L), WBUF_ROWS / L words of
//         (Q + 1)*8 bits + the 2-bit wfmt tag, 2 ports (GEMM read of L
//         consecutive rows: bank b at (a >> log2 L) + (b < a mod L), the
//         rows rotated by a mod L; DMA write of up to NWS consecutive
//         rows, NWS = floor((u - 1 + B) / u), u the smaller WBUF row);
//   PBUF  one bank, PARAM_ENTRIES words of PENTRY_BYTES*8 bits, 2 ports;
//   ABUF  one bank, ABUF_VECTORS words of Q*32 bits, 2 ports.
// Clearing: while rst_n is low a counter writes zero to address clr of
// every bank (clear_done as dlp_core's). Reads past a buffer are not
// zeroed here (a valid program has none).
module dlp_buffers #(
  // 1: GEMM reads of L rows from any WBUF address (the ISA); 0: only from
  // multiples of L (estimate of that restriction; not the ISA).
  parameter bit ROTATE = 1'b1,
  // From the config (dlp_cfg_pkg), as dlp_core derives them.
  localparam int L = dlp_cfg_pkg::L,
  localparam int Q = dlp_cfg_pkg::Q,
  localparam int LG = dlp_cfg_pkg::LOG2_L,
  localparam int B = dlp_cfg_pkg::DDR_BYTES_PER_CYCLE,
  localparam int FAW = dlp_cfg_pkg::FBUF_AW,
  localparam int WAW = dlp_cfg_pkg::WBUF_AW,
  localparam int PAW = dlp_cfg_pkg::PBUF_AW,
  localparam int AAW = dlp_cfg_pkg::ABUF_AW,
  localparam int FV = dlp_cfg_pkg::FBUF_VECTORS,
  localparam int WR = dlp_cfg_pkg::WBUF_ROWS,
  localparam int PE = dlp_cfg_pkg::PARAM_ENTRIES,
  localparam int AV = dlp_cfg_pkg::ABUF_VECTORS,
  localparam int RB = (Q + 1) * 8,                 // WBUF row bits
  localparam int PB = dlp_cfg_pkg::PENTRY_BYTES * 8,
  localparam int UW = dlp_cfg_pkg::WROW_POW2_BYTES < dlp_cfg_pkg::WROW_INT8_BYTES ?
                      dlp_cfg_pkg::WROW_POW2_BYTES : dlp_cfg_pkg::WROW_INT8_BYTES,
  localparam int UMIN = L < UW ? L : UW,
  localparam int DU = (B + UMIN - 1) / UMIN + 1,   // dlp_core's DMA units per cycle
  localparam int CW = $clog2(DU + 1),
  localparam int FW = L * 8
) (
  input  logic clk,
  input  logic rst_n,
  output logic clear_done,
  // FBUF
  input  logic cfa_en, cfb_en, cfw_en,
  input  logic [FAW-1:0] cfa_addr, cfb_addr, cfw_addr,
  input  logic [FW-1:0] cfw_data,
  output logic [FW-1:0] cfa_data, cfb_data,
  input  logic dfr_en, dfw_en,
  input  logic [FAW-1:0] dfr_addr, dfw_addr,
  input  logic [CW-1:0] dfr_count, dfw_count,
  input  logic [DU*FW-1:0] dfw_data,
  output logic [DU*FW-1:0] dfr_data,
  // WBUF
  input  logic wbr_en,
  input  logic [WAW-1:0] wbr_addr,
  output logic [L*RB-1:0] wbr_data,
  output logic [L*2-1:0] wbr_fmt,
  input  logic dww_en,
  input  logic [WAW-1:0] dww_addr,
  input  logic [CW-1:0] dww_count,
  input  logic [DU*RB-1:0] dww_data,
  input  logic [1:0] dww_fmt,
  // PBUF
  input  logic cpr_en, dpw_en,
  input  logic [PAW-1:0] cpr_addr, dpw_addr,
  output logic [PB-1:0] cpr_data,
  input  logic [PB-1:0] dpw_data,
  // ABUF
  input  logic ar_en, aw_en,
  input  logic [AAW-1:0] ar_addr, aw_addr,
  output logic [Q*32-1:0] ar_data,
  input  logic [Q*32-1:0] aw_data
);
  // FBUF banks: NBF = 2^LGF >= the vectors of one DMA cycle.
  localparam int FWR = (L - 1 + B) / L;
  localparam int FRD = (B % L == 0) ? B / L : ((L % B == 0) ? 1 : (B + L - 1) / L + 1);
  localparam int NDF = FWR > FRD ? FWR : FRD;
  localparam int LGF = $clog2(NDF);
  localparam int NBF = 1 << LGF;
  localparam int FBD = FV / NBF;              // words per FBUF bank
  localparam int FBA = FAW - LGF > 0 ? FAW - LGF : 1;
  localparam int SB = LGF > 0 ? LGF : 1;      // bits of a bank index
  // WBUF: rows per DMA cycle, L banks.
  localparam int NWS = (UW - 1 + B) / UW;
  localparam int WBD = WR / L;
  localparam int WBA = WAW - LG;
  localparam int WW = RB + 2;                 // row + wfmt tag

  // ---- clear sweep (dlp_core's count) ----
  localparam int CLR_N = FV > WR ? (FV > AV ? (FV > PE ? FV : PE) : (AV > PE ? AV : PE))
                                 : (WR > AV ? (WR > PE ? WR : PE) : (AV > PE ? AV : PE));
  logic [31:0] clr;
  always_ff @(posedge clk)
    if (rst_n) clr <= '0;
    else if (clr < 32'(CLR_N)) clr <= clr + 32'd1;
  assign clear_done = clr >= 32'(CLR_N);

  // ---- FBUF ----
  // Ports of a bank: 0 read A, 1 read B, 2 compute write, 3 DMA.
  logic [NBF*4*FW-1:0] f_rd;
  logic [SB-1:0]       a_sel, b_sel, d_rot;   // registered with the read
  for (genvar b = 0; b < NBF; b++) begin : g_fbank
    logic [3:0]       en, we;
    logic [4*FBA-1:0] addr;
    logic [4*FW-1:0]  wd;
    logic [SB-1:0]    sw, sr;                 // DMA slot of this bank
    logic [FAW-1:0]   aw, ar;
    assign sw = NBF > 1 ? SB'(b) - SB'(dfw_addr) : '0;
    assign sr = NBF > 1 ? SB'(b) - SB'(dfr_addr) : '0;
    assign aw = dfw_addr + FAW'(sw);
    assign ar = dfr_addr + FAW'(sr);
    always_comb begin
      en[0] = cfa_en && (NBF == 1 || SB'(cfa_addr) == SB'(b));
      en[1] = cfb_en && (NBF == 1 || SB'(cfb_addr) == SB'(b));
      en[2] = cfw_en && (NBF == 1 || SB'(cfw_addr) == SB'(b));
      we[2:0] = 3'b100;
      addr[0*FBA +: FBA] = FBA'(cfa_addr >> LGF);
      addr[1*FBA +: FBA] = FBA'(cfb_addr >> LGF);
      addr[2*FBA +: FBA] = FBA'(cfw_addr >> LGF);
      wd[0 +: 2*FW] = '0;
      wd[2*FW +: FW] = cfw_data;
      wd[3*FW +: FW] = '0;
      if (dfw_en) begin
        en[3] = CW'(sw) < dfw_count;
        we[3] = 1'b1;
        addr[3*FBA +: FBA] = FBA'(aw >> LGF);
        for (int i = 0; i < DU && i < NBF; i++)
          if (NBF == 1 || sw == SB'(i)) wd[3*FW +: FW] = dfw_data[i*FW +: FW];
      end else begin
        en[3] = dfr_en && CW'(sr) < dfr_count;
        we[3] = 1'b0;
        addr[3*FBA +: FBA] = FBA'(ar >> LGF);
      end
      if (!rst_n) begin  // clear
        en[3] = clr < 32'(FBD);
        we[3] = 1'b1;
        addr[3*FBA +: FBA] = FBA'(clr);
        wd[3*FW +: FW] = '0;
      end
    end
    dlp_sram_bank #(.DEPTH(FBD), .WIDTH(FW), .NP(4)) u_bank (
      .clk(clk), .en(en), .we(we), .addr(addr), .wdata(wd),
      .rdata(f_rd[b*4*FW +: 4*FW]));
  end
  always_ff @(posedge clk) begin
    if (cfa_en) a_sel <= SB'(cfa_addr);
    if (cfb_en) b_sel <= SB'(cfb_addr);
    if (dfr_en) d_rot <= SB'(dfr_addr);
  end
  always_comb begin
    cfa_data = f_rd[0*FW +: FW];
    cfb_data = f_rd[1*FW +: FW];
    dfr_data = '0;
    for (int b = 0; b < NBF; b++) begin
      if (NBF > 1 && a_sel == SB'(b)) cfa_data = f_rd[(b*4 + 0)*FW +: FW];
      if (NBF > 1 && b_sel == SB'(b)) cfb_data = f_rd[(b*4 + 1)*FW +: FW];
      for (int i = 0; i < DU && i < NBF; i++)
        if (NBF == 1 || SB'(d_rot + SB'(i)) == SB'(b))
          dfr_data[i*FW +: FW] = f_rd[(b*4 + 3)*FW +: FW];
    end
  end

  // ---- WBUF ----
  // Ports of a bank: 0 GEMM read, 1 DMA write.
  logic [L*2*WW-1:0] w_rd;
  logic [LG-1:0]     w_rot;
  for (genvar b = 0; b < L; b++) begin : g_wbank
    logic [1:0]       en, we;
    logic [2*WBA-1:0] addr;
    logic [2*WW-1:0]  wd;
    logic [LG-1:0]    s;                        // DMA slot of this bank
    logic [WAW-1:0]   aw;
    assign s = LG'(b) - dww_addr[LG-1:0];
    assign aw = dww_addr + WAW'(s);
    always_comb begin
      en[0] = wbr_en;
      we = 2'b10;
      /* verilator lint_off CMPCONST */
      addr[0 +: WBA] = WBA'(wbr_addr >> LG) +
                       WBA'(ROTATE && LG'(b) < wbr_addr[LG-1:0]);
      /* verilator lint_on CMPCONST */
      wd[0 +: WW] = '0;
      en[1] = dww_en && CW'(s) < dww_count && 32'(s) < NWS;
      addr[WBA +: WBA] = WBA'(aw >> LG);
      wd[WW +: WW] = '0;
      for (int i = 0; i < NWS && i < DU; i++)
        if (s == LG'(i)) wd[WW +: WW] = {dww_fmt, dww_data[i*RB +: RB]};
      if (!rst_n) begin
        en[1] = clr < 32'(WBD);
        addr[WBA +: WBA] = WBA'(clr);
        wd[WW +: WW] = '0;
      end
    end
    dlp_sram_bank #(.DEPTH(WBD), .WIDTH(WW), .NP(2)) u_bank (
      .clk(clk), .en(en), .we(we), .addr(addr), .wdata(wd),
      .rdata(w_rd[b*2*WW +: 2*WW]));
  end
  always_ff @(posedge clk)
    if (wbr_en) w_rot <= wbr_addr[LG-1:0];
  // Row l of the read is bank (a + l) mod L: the banks' words rotated by
  // a mod L, LG stages of 2:1 multiplexers (a barrel rotator). ROTATE = 0
  // drops it (and the per-bank address increment): what remains if every
  // GEMM's w_addr were a multiple of L.
  localparam int RW = L * WW;
  /* verilator lint_off UNOPTFLAT */
  logic [(LG+1)*RW-1:0] rot;  // stage k at [k*RW +: RW]
  /* verilator lint_on UNOPTFLAT */
  for (genvar b = 0; b < L; b++) begin : g_wrd
    assign rot[b*WW +: WW] = w_rd[(b*2)*WW +: WW];
  end
  for (genvar k = 0; k < LG; k++) begin : g_stage
    // stage k: slot l takes slot l + 2^k (mod L) if bit k of the amount
    assign rot[(k+1)*RW +: RW] = ROTATE && w_rot[k]
        ? {rot[k*RW +: (1 << k)*WW], rot[k*RW + (1 << k)*WW +: RW - (1 << k)*WW]}
        : rot[k*RW +: RW];
  end
  for (genvar l = 0; l < L; l++) begin : g_wrot
    assign wbr_data[l*RB +: RB] = rot[LG*RW + l*WW +: RB];
    assign wbr_fmt[l*2 +: 2]    = rot[LG*RW + l*WW + RB +: 2];
  end

  // ---- PBUF, ABUF: one bank each (port 0 read, port 1 write) ----
  logic [2*PB-1:0]   p_rd;
  logic [2*Q*32-1:0] a_rd;
  logic              p_en, a_en;
  logic [PAW-1:0]    p_wa;
  logic [AAW-1:0]    a_wa;
  logic [PB-1:0]     p_wd;
  logic [Q*32-1:0]   a_wd;
  always_comb begin
    p_en = dpw_en;  p_wa = dpw_addr;  p_wd = dpw_data;
    a_en = aw_en;   a_wa = aw_addr;   a_wd = aw_data;
    if (!rst_n) begin
      p_en = clr < 32'(PE);  p_wa = PAW'(clr);  p_wd = '0;
      a_en = clr < 32'(AV);  a_wa = AAW'(clr);  a_wd = '0;
    end
  end
  dlp_sram_bank #(.DEPTH(PE), .WIDTH(PB), .NP(2)) u_pbuf (
    .clk(clk), .en({p_en, cpr_en}), .we(2'b10), .addr({p_wa, cpr_addr}),
    .wdata({p_wd, PB'(0)}), .rdata(p_rd));
  assign cpr_data = p_rd[0 +: PB];
  dlp_sram_bank #(.DEPTH(AV), .WIDTH(Q*32), .NP(2)) u_abuf (
    .clk(clk), .en({a_en, ar_en}), .we(2'b10), .addr({a_wa, ar_addr}),
    .wdata({a_wd, (Q*32)'(0)}), .rdata(a_rd));
  assign ar_data = a_rd[0 +: Q*32];

  logic unused;
  assign unused = ^{p_rd[PB +: PB], a_rd[Q*32 +: Q*32], f_rd, w_rd};
endmodule
