// CsrTop.sv - test wrapper of rtl-csr: dlp_csr_dec feeding dlp_gemm as
// dlp_core will connect them for GEMM_CSR.
//
// start / insn take a GEMM_CSR. The wrapper keeps the instruction turned
// into a GEMM (opcode OP_GEMM, w_addr 0; every other field, wfmt included,
// as it was) and starts dlp_gemm with it in the cycle after the decoder's
// `decoded`, unless `error` is high then (the core would stop). dlp_gemm's
// WBUF read port is the decoder's dense buffer; the decoder's own WBUF
// port and dlp_gemm's FBUF / PBUF / ABUF ports are the core's SRAMs, served
// by the testbench. Not part of hw/rtl (the core does this itself).
module CsrTop #(
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
  input  logic                      rst_n,
  input  logic                      start,
  input  logic [INSN_BITS-1:0]      insn,
  // The decoder.
  output logic                      dec_busy,
  output logic                      decoded,
  output logic                      error,
  // dlp_gemm.
  output logic                      gemm_start,
  output logic                      gemm_busy,
  output logic                      done,
  // SRAM ports.
  output logic                      fa_rd_en,
  output logic [FBUF_AW-1:0]        fa_rd_addr,
  input  logic [L*8-1:0]            fa_rd_data,
  output logic                      fb_wr_en,
  output logic [FBUF_AW-1:0]        fb_wr_addr,
  output logic [L*8-1:0]            fb_wr_data,
  output logic                      fr_rd_en,
  output logic [FBUF_AW-1:0]        fr_rd_addr,
  input  logic [L*8-1:0]            fr_rd_data,
  output logic                      wb_rd_en,
  output logic [WBUF_AW-1:0]        wb_rd_addr,
  input  logic [L*(Q+1)*8-1:0]      wb_rd_data,
  input  logic [L*2-1:0]            wb_rd_fmt,
  output logic                      pb_rd_en,
  output logic [PBUF_AW-1:0]        pb_rd_addr,
  input  logic [PENTRY_BYTES*8-1:0] pb_rd_data,
  output logic                      ab_rd_en,
  output logic [ABUF_AW-1:0]        ab_rd_addr,
  input  logic [Q*32-1:0]           ab_rd_data,
  output logic                      ab_wr_en,
  output logic [ABUF_AW-1:0]        ab_wr_addr,
  output logic [Q*32-1:0]           ab_wr_data
);
  logic [INSN_BITS-1:0] gemm_insn;
  always_ff @(posedge clk) begin
    if (start) begin
      gemm_insn <= insn;
      gemm_insn[dlp_cfg_pkg::F_OP_LSB +: dlp_cfg_pkg::F_OP_W] <=
          dlp_cfg_pkg::F_OP_W'(dlp_cfg_pkg::OP_GEMM);
      gemm_insn[dlp_cfg_pkg::F_GEMM_W_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_W_ADDR_W] <= '0;
    end
    if (!rst_n) gemm_start <= 1'b0;
    else        gemm_start <= decoded && !error;
  end

  logic                 dr_rd_en;
  logic [WBUF_AW-1:0]   dr_rd_addr;
  logic [L*(Q+1)*8-1:0] dr_rd_data;
  logic [L*2-1:0]       dr_rd_fmt;

  dlp_csr_dec u_dec (
    .clk(clk), .rst_n(rst_n), .start(start), .insn(insn),
    .busy(dec_busy), .decoded(decoded), .error(error),
    .wb_rd_en(wb_rd_en), .wb_rd_addr(wb_rd_addr), .wb_rd_data(wb_rd_data),
    .wb_rd_fmt(wb_rd_fmt),
    .dr_rd_en(dr_rd_en), .dr_rd_addr(dr_rd_addr), .dr_rd_data(dr_rd_data),
    .dr_rd_fmt(dr_rd_fmt)
  );

  dlp_gemm u_gemm (
    .clk(clk), .rst_n(rst_n), .start(gemm_start), .insn(gemm_insn),
    .busy(gemm_busy), .done(done),
    .fa_rd_en(fa_rd_en), .fa_rd_addr(fa_rd_addr), .fa_rd_data(fa_rd_data),
    // The decoded instruction is a GEMM: no window reads.
    .fx_rd_en(), .fx_rd_addr(), .fx_rd_data('0),
    .fb_wr_en(fb_wr_en), .fb_wr_addr(fb_wr_addr), .fb_wr_data(fb_wr_data),
    .fr_rd_en(fr_rd_en), .fr_rd_addr(fr_rd_addr), .fr_rd_data(fr_rd_data),
    .wb_rd_en(dr_rd_en), .wb_rd_addr(dr_rd_addr), .wb_rd_data(dr_rd_data),
    .wb_rd_fmt(dr_rd_fmt),
    .pb_rd_en(pb_rd_en), .pb_rd_addr(pb_rd_addr), .pb_rd_data(pb_rd_data),
    .ab_rd_en(ab_rd_en), .ab_rd_addr(ab_rd_addr), .ab_rd_data(ab_rd_data),
    .ab_wr_en(ab_wr_en), .ab_wr_addr(ab_wr_addr), .ab_wr_data(ab_wr_data)
  );
endmodule
