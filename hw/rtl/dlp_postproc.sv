// dlp_postproc.sv - the GEMM epilogue (docs/isa.md 3.3), Q lanes.
//
// Per lane q, with s = out_shift clamped to [MIN_SHIFT, MAX_SHIFT] (dlp_cfg_pkg):
//   y[q] = min(max(sat8(requant(acc[q], s)), act_min[q]), act_max[q])
// requant is docs/numerics.md section 3: round half up for s > 0, exact
// left shift for s <= 0, then saturation to int8; bit-exact with the
// runtime's kernels::requantClamp for every int32 acc, every int8 shift and
// every lo / hi (lo > hi gives hi, as min(max(q, lo), hi) does). The bias
// is not added here: it is the accumulator's start value (dlp_pe_array
// acc_in).
//
// Neither shift needs 64-bit arithmetic:
//   s >= 1: t = acc >>> (min(s, 32) - 1), r = (t >>> 1) + t[0]
//           (= floor((acc + 2^(s-1)) / 2^s); every s >= 32 gives 0);
//   s <= 0: min(max(acc, -256), 256) <<< min(-s, 9) saturates like acc << -s
//           (a clamped value stays beyond int8 on the same side).
//
// Pipeline: P_EPI = 3 stages (docs/cycle-model.md 2.1): shift, then round
// + saturate, then clamp (and, in the core, the FBUF write). out_valid and
// y follow in_valid by P_EPI cycles; one vector per cycle.
module dlp_postproc #(
  parameter int Q = dlp_cfg_pkg::Q  // lanes; from the config, do not override
) (
  input  logic                clk,
  input  logic                rst_n,     // synchronous, active low
  input  logic                in_valid,
  input  logic [Q*32-1:0]     acc,       // lane q: [q*32 +: 32], int32
  input  logic [Q*8-1:0]      out_shift, // lane q: [q*8 +: 8], int8 (PBUF)
  input  logic [Q*8-1:0]      act_min,   // int8 per lane
  input  logic [Q*8-1:0]      act_max,   // int8 per lane
  output logic                out_valid,
  output logic [Q*8-1:0]      y          // int8 per lane
);

  // Stage 1: the shifts (the rounding bit kept); stage 2: round and
  // saturate; stage 3: the activation clamp. The bounds travel along.
  localparam int NST = dlp_cfg_pkg::P_EPI;
  if (NST != 3) begin : g_check_depth
    $error("dlp_postproc: P_EPI is not this unit's 3 stages");
  end
  logic [NST-1:0] valid;

  for (genvar q = 0; q < Q; q++) begin : g_lane
    logic signed [31:0] a;
    logic signed [7:0]  s;       // clamped shift
    logic        [4:0]  rshift;  // min(s, 32) - 1 for s >= 1
    logic        [3:0]  lshift;  // min(-s, 9) for s <= 0
    logic signed [31:0] t, left;
    logic signed [31:0] t1, left1; // stage 1 registers
    logic               right1;    // s >= 1
    logic signed [31:0] v;
    logic signed [7:0]  sat;
    logic        [7:0]  q2, lo1, hi1, lo2, hi2;

    always_comb begin
      a = $signed(acc[q*32 +: 32]);
      s = $signed(out_shift[q*8 +: 8]);
      if (s < 8'(dlp_cfg_pkg::MIN_SHIFT)) s = 8'(dlp_cfg_pkg::MIN_SHIFT);
      if (s > 8'(dlp_cfg_pkg::MAX_SHIFT)) s = 8'(dlp_cfg_pkg::MAX_SHIFT);
      rshift = (s >= 8'sd32) ? 5'd31 : (s >= 8'sd1 ? 5'(s - 8'sd1) : 5'd0);
      lshift = (s <= -8'sd9) ? 4'd9 : (s <= 8'sd0 ? 4'(-s) : 4'd0);
      t      = a >>> rshift;
      left   = (a > 32'sd256) ? 32'sd256 : (a < -32'sd256 ? -32'sd256 : a);
      left   = left <<< lshift;
    end

    always_ff @(posedge clk) begin
      t1 <= t; left1 <= left; right1 <= s >= 8'sd1;
      lo1 <= act_min[q*8 +: 8];
      hi1 <= act_max[q*8 +: 8];
    end

    // Stage 2: round half up (right shifts), saturate.
    always_comb begin
      v   = right1 ? (t1 >>> 1) + $signed({31'd0, t1[0]}) : left1;
      sat = (v > 32'sd127) ? 8'sd127 : (v < -32'sd128 ? -8'sd128 : v[7:0]);
    end
    always_ff @(posedge clk) begin
      q2 <= sat; lo2 <= lo1; hi2 <= hi1;
    end

    // Stage 3: the activation clamp, max with lo first, then min with hi.
    logic signed [7:0] m;
    always_comb
      m = ($signed(q2) < $signed(lo2)) ? lo2 : q2;
    always_ff @(posedge clk)
      y[q*8 +: 8] <= ($signed(m) > $signed(hi2)) ? hi2 : m;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) valid <= '0;
    else        valid <= {valid[NST-2:0], in_valid};
  end
  assign out_valid = valid[NST-1];

endmodule
