// dlp_eltwise.sv - the element-wise unit: ADD (docs/isa.md 3.5).
//
// For b < cb, i < n and lane c < L (parameter entry P = PBUF[param_addr + b]):
//   a  = FBUF[a_addr + b*a_cstride + i][c]
//   bb = unary ? 0 : FBUF[b_addr + b*b_cstride + i][c]
//   d  = P.aux[c]
//   t  = d >= 0 ? a + (bb << d) : (a << -d) + bb
//   FBUF[out_addr + b*out_cstride + i][c] =
//       clamp(requant(t, P.out_shift[c]), P.act_min[c], P.act_max[c])
// bit-exact with the simulator's add() (kernels::addRequant). The loader
// keeps |aux| <= 22 (kernels::kMaxAddAlign), so t fits int32 and the
// requantize / saturate / clamp is dlp_postproc's (one Q-vector per cycle;
// ISA v1 has L = Q); the aligned sum is dlp_align_add's. An aux the loader
// would refuse (|aux| > 22) is shifted as is in 32 bits (>= 32 gives 0)
// where the simulator clamps it to 22.
//
// Timing (docs/cycle-model.md 2.3): one element (an L-vector of each
// operand and the PBUF entry of its block) is read per cycle, element j of
// the instruction (blocks in order, i in order) in cycle s + j, where s is
// the start cycle (the first addresses come from `insn` itself). Its data
// arrive in s + j + 1 and feed dlp_postproc (P_EPI registered stages:
// shift, round + saturate, clamp), whose output is written to FBUF in
// s + j + 1 + P_EPI. The last write (j = cb*n - 1) is the done cycle, so
//   cycles = d + 1 - s = cb*n + 1 + P_EPI = cb*n + P_ELT  (constant C = 0).
// P_ELT is the model's "read, then the post-processing stages".
//
// Overlapping operands and result: element j is read P_ELT cycles before it
// is written, so the result equals the simulator's sequential loop when no
// element reads a vector written by one of the P_ELT elements before it (in the
// order above): e.g. in place (out = a or out = b with equal strides, what
// the compiler emits) or disjoint tiles. Reads never coincide with a write
// to the same address under that rule, so FBUF's read-during-write
// behaviour does not matter.
//
// Ports (besides the unit convention of docs/rtl.md 2):
//   fa_rd_en, fa_rd_addr -> fa_rd_data (next cycle): FBUF compute read port A
//   fb_rd_en, fb_rd_addr -> fb_rd_data (next cycle): FBUF compute read port B
//                          (not enabled for unary)
//   fw_en, fw_addr, fw_data: FBUF compute write port (written at the edge)
//   pb_rd_en, pb_rd_addr -> pb_rd_data (next cycle): PBUF compute read port,
//                          the raw entry (docs/rtl.md 3)
// Every enable is asserted only while the instruction runs; addresses are
// the low FBUF_AW / PBUF_AW bits of the (validated) field arithmetic.
module dlp_eltwise #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int FAW = dlp_cfg_pkg::FBUF_AW,
  parameter int PAW = dlp_cfg_pkg::PBUF_AW,
  parameter int PBYTES = dlp_cfg_pkg::PENTRY_BYTES,
  parameter int IW = dlp_cfg_pkg::INSN_BITS
) (
  input  logic               clk,
  input  logic               rst_n,     // synchronous, active low
  input  logic               start,
  input  logic [IW-1:0]      insn,
  output logic               busy,
  output logic               done,

  output logic               fa_rd_en,
  output logic [FAW-1:0]     fa_rd_addr,
  input  logic [L*8-1:0]     fa_rd_data,
  output logic               fb_rd_en,
  output logic [FAW-1:0]     fb_rd_addr,
  input  logic [L*8-1:0]     fb_rd_data,
  output logic               fw_en,
  output logic [FAW-1:0]     fw_addr,
  output logic [L*8-1:0]     fw_data,
  output logic               pb_rd_en,
  output logic [PAW-1:0]     pb_rd_addr,
  input  logic [PBYTES*8-1:0] pb_rd_data
);
  localparam int NW = dlp_cfg_pkg::F_ADD_N_W;
  localparam int CBW = dlp_cfg_pkg::F_ADD_CB_W;

  // ---- decode (valid in the start cycle) ----
  logic           d_unary;
  logic [FAW-1:0] d_a, d_b, d_o, d_as, d_bs, d_os;
  logic [PAW-1:0] d_p;
  logic [NW-1:0]  d_n;
  logic [CBW-1:0] d_cb;
  always_comb begin
    d_unary = insn[dlp_cfg_pkg::F_ADD_UNARY_LSB];
    d_a  = FAW'(insn[dlp_cfg_pkg::F_ADD_A_ADDR_LSB +: dlp_cfg_pkg::F_ADD_A_ADDR_W]);
    d_b  = FAW'(insn[dlp_cfg_pkg::F_ADD_B_ADDR_LSB +: dlp_cfg_pkg::F_ADD_B_ADDR_W]);
    d_o  = FAW'(insn[dlp_cfg_pkg::F_ADD_OUT_ADDR_LSB +: dlp_cfg_pkg::F_ADD_OUT_ADDR_W]);
    d_as = FAW'(insn[dlp_cfg_pkg::F_ADD_A_CSTRIDE_LSB +: dlp_cfg_pkg::F_ADD_A_CSTRIDE_W]);
    d_bs = FAW'(insn[dlp_cfg_pkg::F_ADD_B_CSTRIDE_LSB +: dlp_cfg_pkg::F_ADD_B_CSTRIDE_W]);
    d_os = FAW'(insn[dlp_cfg_pkg::F_ADD_OUT_CSTRIDE_LSB +: dlp_cfg_pkg::F_ADD_OUT_CSTRIDE_W]);
    d_p  = PAW'(insn[dlp_cfg_pkg::F_ADD_PARAM_ADDR_LSB +: dlp_cfg_pkg::F_ADD_PARAM_ADDR_W]);
    d_n  = insn[dlp_cfg_pkg::F_ADD_N_LSB +: NW];
    d_cb = insn[dlp_cfg_pkg::F_ADD_CB_LSB +: CBW];
  end

  // ---- issue: one element per cycle ----
  // Registers hold the element to issue next (addresses of it and the
  // bases of its block); in the start cycle the element is (0, 0) from insn.
  logic           r_issue;            // an element remains to issue
  logic           r_unary;
  logic [FAW-1:0] r_as, r_bs, r_os;   // strides
  logic [NW-1:0]  r_n;
  logic [FAW-1:0] r_a, r_b, r_o;      // element addresses
  logic [FAW-1:0] r_ab, r_bb, r_ob;   // block bases
  logic [PAW-1:0] r_p;
  logic [NW-1:0]  r_i;                // index in the block
  logic [CBW-1:0] r_blk_left;         // blocks after the current one

  logic           c_issue;
  logic [FAW-1:0] c_a, c_b, c_o, c_ab, c_bb, c_ob, c_as, c_bs, c_os;
  logic [PAW-1:0] c_p;
  logic [NW-1:0]  c_i, c_n;
  logic [CBW-1:0] c_blk_left;
  logic           c_unary, c_last_i, c_last;
  always_comb begin
    if (start) begin
      c_issue = 1'b1;
      c_a = d_a;  c_b = d_b;  c_o = d_o;
      c_ab = d_a; c_bb = d_b; c_ob = d_o;
      c_as = d_as; c_bs = d_bs; c_os = d_os;
      c_p = d_p;  c_i = '0;   c_n = d_n;
      c_blk_left = d_cb - 1'b1;
      c_unary = d_unary;
    end else begin
      c_issue = r_issue;
      c_a = r_a;  c_b = r_b;  c_o = r_o;
      c_ab = r_ab; c_bb = r_bb; c_ob = r_ob;
      c_as = r_as; c_bs = r_bs; c_os = r_os;
      c_p = r_p;  c_i = r_i;  c_n = r_n;
      c_blk_left = r_blk_left;
      c_unary = r_unary;
    end
    c_last_i = (c_i == c_n - 1'b1);
    c_last   = c_last_i && (c_blk_left == '0);
  end

  assign fa_rd_en   = c_issue;
  assign fa_rd_addr = c_a;
  assign fb_rd_en   = c_issue && !c_unary;
  assign fb_rd_addr = c_b;
  assign pb_rd_en   = c_issue;
  assign pb_rd_addr = c_p;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      r_issue <= 1'b0;
    end else if (c_issue) begin
      r_issue <= !c_last;
    end
    if (start) begin
      r_unary <= d_unary;
      r_as <= d_as; r_bs <= d_bs; r_os <= d_os;
      r_n  <= d_n;
    end
    if (c_issue) begin
      if (c_last_i) begin  // next block
        r_ab <= c_ab + c_as; r_bb <= c_bb + c_bs; r_ob <= c_ob + c_os;
        r_a  <= c_ab + c_as; r_b  <= c_bb + c_bs; r_o  <= c_ob + c_os;
        r_p  <= c_p + 1'b1;
        r_i  <= '0;
        r_blk_left <= c_blk_left - 1'b1;
      end else begin
        r_ab <= c_ab; r_bb <= c_bb; r_ob <= c_ob;
        r_a  <= c_a + 1'b1; r_b <= c_b + 1'b1; r_o <= c_o + 1'b1;
        r_p  <= c_p;
        r_i  <= c_i + 1'b1;
        r_blk_left <= c_blk_left;
      end
    end
  end

  // ---- stage 1 (data arrive): aligned sum t, into dlp_postproc ----
  logic           v1, last1;
  logic [FAW-1:0] o1;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1 <= 1'b0; last1 <= 1'b0;
    end else begin
      v1 <= c_issue; last1 <= c_issue && c_last;
    end
    o1 <= c_o;
  end

  logic [Q*32-1:0] t;
  logic [Q*8-1:0]  shift, amin, amax;
  dlp_align_add u_add (
    .a(fa_rd_data), .b(fb_rd_data), .b_en(!r_unary),
    .aux(pb_rd_data[7*Q*8 +: Q*8]), .t(t));
  assign shift = pb_rd_data[4*Q*8 +: Q*8];
  assign amin  = pb_rd_data[5*Q*8 +: Q*8];
  assign amax  = pb_rd_data[6*Q*8 +: Q*8];

  logic pp_valid;
  dlp_postproc u_pp (
    .clk(clk), .rst_n(rst_n), .in_valid(v1), .acc(t), .out_shift(shift),
    .act_min(amin), .act_max(amax), .out_valid(pp_valid), .y(fw_data));

  // The address and the last flag follow dlp_postproc's P_EPI stages.
  localparam int NE = dlp_cfg_pkg::P_EPI;
  logic [NE*FAW-1:0] osr;
  logic [NE-1:0]     lastsr;
  always_ff @(posedge clk) begin
    osr <= {osr[(NE-1)*FAW-1:0], o1};
    if (!rst_n) lastsr <= '0;
    else        lastsr <= {lastsr[NE-2:0], last1};
  end

  assign fw_en   = pp_valid;
  assign fw_addr = osr[(NE-1)*FAW +: FAW];
  assign done    = lastsr[NE-1];

  // busy: from the cycle after start until done.
  always_ff @(posedge clk) begin
    if (!rst_n)      busy <= 1'b0;
    else if (start)  busy <= 1'b1;
    else if (done)   busy <= 1'b0;
  end

  // Unused: the int32 biases of the entry (bytes 0 .. 4Q-1) and any bytes
  // past 8Q; ISA v1 has L = Q.
  logic unused;
  assign unused = ^{pb_rd_data[4*Q*8-1:0], insn};
  if (L != Q) begin : g_lq
    $error("dlp_eltwise needs L = Q (ISA v1)");
  end
endmodule
