// dlp_dma.sv - the LOAD / STORE engine (docs/isa.md 3.2, docs/cycle-model.md
// 2.2, docs/rtl.md sections 3 and 4).
//
// One instruction at a time (unit convention, docs/rtl.md 2): `start` with
// an OP_LOAD or OP_STORE word in `insn`; busy from the next cycle until the
// `done` pulse.
//
// Bursts. The box's DDR bytes are cut into bursts exactly as the cycle
// model does: unit u = L (FBUF), WROW_POW2_BYTES (WBUF wfmt 0),
// WROW_INT8_BYTES (WBUF wfmt 1 and 2), PENTRY_BYTES (PBUF); run = n0 u;
// runs merge if n1 = 1 or s1 = run (one burst per plane of n1 run bytes),
// planes merge if moreover n2 = 1 or s2 = n1 run (one burst of the whole
// box); otherwise one burst per run. All bursts of an instruction have the
// same length. The products n0 u, n1 run and n2 n1 run are formed one per
// cycle after `start` (P_DMA_SETUP = 3 cycles; truncated to 40 bits, which
// every valid box fits). The requests go out one per cycle, back to back,
// from the cycle after the third (ddr_req_* are registers).
//
// The SRAM side sees the box as one contiguous stream of n2 n1 n0 units
// from sram_addr (docs/isa.md 3.2: unit (i2, i1, i0) at sram_addr + (i2 n1
// + i1) n0 + i0, which is the order of the bursts' bytes), cut into beats at
// burst boundaries: beat k of a burst holds its bytes [kB, min((k+1)B, len)).
// A burst starts at a unit boundary, so no unit straddles two bursts.
//
// LOAD: every read beat is appended to the carry (the bytes of the partial
// unit the previous beat left, fewer than u) and the units it completes are
// written one cycle after the beat: FBUF / WBUF up to DMA_UNITS consecutive
// units per cycle (fb_wr_* / wb_wr_*: slot i at [i*L*8 +: L*8] /
// [i*(Q+1)*8 +: (Q+1)*8], a WBUF row's u raw bytes zero-extended to Q + 1,
// wb_wr_fmt = the LOAD's wfmt), PBUF one entry per cycle (pb_wr_*; an entry
// is at least one beat, checked at elaboration, so a beat completes at most
// one). `done` is the cycle after the last beat, with the last write.
//
// STORE (FBUF -> region data): per beat, stage A reads the FBUF vectors
// its bytes touch (fb_rd_*: fb_rd_count <= DMA_UNITS consecutive vectors
// from fb_rd_addr), stage B (next cycle, the read data) sends the beat
// (fb_rd_data shifted by the beat's byte offset in its first vector, bytes
// past the burst zero). Beats go back to back from the cycle after the first
// request; `done` is the cycle of the last burst's ddr_wr_ack (a
// combinational function of ddr_wr_ack and the unit's registers).
//
// Timing (start in cycle s, done in cycle d, n = the beats of all bursts,
// T = the DDR latency of docs/rtl.md 4, with read beats at their earliest,
// g = s + P_DMA_SETUP the cycle the request generator starts):
//   LOAD:  requests from g+1, beats g+1+T .. g+T+n, done g+T+n+1
//   STORE: requests from g+1, beats g+2 .. g+n+1, ack g+n+1+T = done
// so d + 1 - s = T + n + P_DMA_SETUP + 2 for both: the cycle model's cost
// (docs/cycle-model.md 2.2, F_dma = P_DMA_SETUP + 2) exactly.
//
// DMA_UNITS (the SRAM ports' units per cycle, docs/rtl.md 3):
//   UMIN = min(L, WROW_POW2_BYTES, WROW_INT8_BYTES)   (the FBUF / WBUF units)
//   DMA_UNITS = ceil(DDR_BYTES_PER_CYCLE / UMIN) + 1
// A LOAD beat completes at most ceil(B / u) <= DMA_UNITS - 1 units; a STORE
// beat touches at most ceil(B / L) + 1 <= DMA_UNITS vectors.
//
// Notes for the core: `start` must come only while the unit is idle (not
// busy). ddr_wr_data depends combinationally on fb_rd_data (the SRAM's
// output register) and STORE's `done` on ddr_wr_ack; every other output is a
// register or a function of registers only. The unit does not need T: it
// reacts to read beats whenever they come (gaps are fine) and counts write
// acknowledgements. Read-beat bytes past the burst are masked although the
// protocol already makes them zero. SRAM addresses are taken modulo the
// buffer's size (a valid box lies inside its buffer).
module dlp_dma #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int B = dlp_cfg_pkg::DDR_BYTES_PER_CYCLE,
  parameter int UWP = dlp_cfg_pkg::WROW_POW2_BYTES,
  parameter int UWI = dlp_cfg_pkg::WROW_INT8_BYTES,
  parameter int UPB = dlp_cfg_pkg::PENTRY_BYTES,
  parameter int FAW = dlp_cfg_pkg::FBUF_AW,
  parameter int WAW = dlp_cfg_pkg::WBUF_AW,
  parameter int PAW = dlp_cfg_pkg::PBUF_AW,
  parameter int IB = dlp_cfg_pkg::INSN_BITS,
  // Derived (localparams in the header: the port widths use them).
  localparam int UMIN = (L < UWP ? (L < UWI ? L : UWI) : (UWP < UWI ? UWP : UWI)),
  localparam int DMA_UNITS = (B + UMIN - 1) / UMIN + 1,
  localparam int CW = $clog2(DMA_UNITS + 1),  // bits of a unit count 0..DMA_UNITS
  localparam int WSLOT = Q + 1                // bytes of a WBUF row slot
) (
  input  logic                      clk,
  input  logic                      rst_n,   // synchronous, active low
  input  logic                      start,
  // Only the opcode and the DMA fields are read: the token flags are the
  // queues' business and the reserved bits are zero in a valid word.
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic [IB-1:0]             insn,
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                      busy,
  output logic                      done,
  // DDR port (docs/rtl.md 4)
  output logic                      ddr_req_valid,
  output logic                      ddr_req_write,
  output logic [1:0]                ddr_req_region,
  output logic [39:0]               ddr_req_addr,
  output logic [39:0]               ddr_req_len,
  input  logic                      ddr_rd_valid,
  input  logic [B*8-1:0]            ddr_rd_data,
  output logic                      ddr_wr_valid,
  output logic [B*8-1:0]            ddr_wr_data,
  input  logic                      ddr_wr_ack,
  // FBUF DMA write port and read port (read data one cycle after the address)
  output logic                      fb_wr_en,
  output logic [FAW-1:0]            fb_wr_addr,
  output logic [CW-1:0]             fb_wr_count,
  output logic [DMA_UNITS*L*8-1:0]  fb_wr_data,
  output logic                      fb_rd_en,
  output logic [FAW-1:0]            fb_rd_addr,
  output logic [CW-1:0]             fb_rd_count,
  input  logic [DMA_UNITS*L*8-1:0]  fb_rd_data,
  // WBUF DMA write port
  output logic                      wb_wr_en,
  output logic [WAW-1:0]            wb_wr_addr,
  output logic [CW-1:0]             wb_wr_count,
  output logic [DMA_UNITS*WSLOT*8-1:0] wb_wr_data,
  output logic [1:0]                wb_wr_fmt,
  // PBUF DMA write port
  output logic                      pb_wr_en,
  output logic [PAW-1:0]            pb_wr_addr,
  output logic [UPB*8-1:0]          pb_wr_data
);
  localparam int DW = 40;  // DDR addresses and lengths (docs/rtl.md 4)
  localparam int NW = dlp_cfg_pkg::F_LOAD_N0_W;         // unit counts
  localparam int WAX = FAW > WAW ? FAW : WAW;           // FBUF / WBUF addresses
  localparam int SAW = WAX > PAW ? WAX : PAW;           // any SRAM unit address
  localparam int UMAX = (L > UWP ? (L > UWI ? L : UWI) : (UWP > UWI ? UWP : UWI));
  localparam int WIN = DMA_UNITS * UMAX;  // LOAD window bytes (>= UMAX - 1 + B)
  localparam int BW = $clog2(B + 1);      // bytes of one beat, 0..B
  localparam int AVW = $clog2(UMAX + B + 1);
  localparam int PCW = $clog2(UPB + B + 1);
  localparam int SW = $clog2(L + B + 1);
  localparam int OBW = $clog2(L);         // byte offset in an FBUF vector
  localparam int WINB = WIN * 8, CARB = UMAX * 8, PFB = (UPB + B) * 8;
  localparam int PEB = UPB * 8, BB = B * 8, SLB = WSLOT * 8;

  // Unit kinds.
  localparam logic [1:0] UK_FB = 2'd0, UK_WP = 2'd1, UK_WI = 2'd2, UK_PB = 2'd3;

  // A PBUF entry fills at byte offsets that are multiples of G: a burst
  // starts at an entry and its beats at multiples of B.
  function automatic int gcd(int a, int b);
    int x, y, t;
    x = a;
    y = b;
    for (int i = 0; i < 64; i++) begin
      if (y != 0) begin
        t = x % y;
        x = y;
        y = t;
      end
    end
    gcd = x;
  endfunction
  localparam int G = gcd(B, UPB);
  localparam int PB_POS = UPB / G;

  if (UPB < B) begin : g_check_pbuf
    $error("dlp_dma: a parameter entry must be at least one DDR beat");
  end
  if (UWP > WSLOT || UWI > WSLOT || OBW < 1) begin : g_check_rows
    $error("dlp_dma: weight rows wider than Q + 1 bytes, or L < 2");
  end

  function automatic logic [15:0] unit_bytes(logic [1:0] k);
    case (k)
      UK_FB:   unit_bytes = 16'(L);
      UK_WP:   unit_bytes = 16'(UWP);
      UK_WI:   unit_bytes = 16'(UWI);
      default: unit_bytes = 16'(UPB);
    endcase
  endfunction

  // ---------------------------------------------------------------- decode
  logic          d_store;
  logic [1:0]    d_buf, d_wfmt, d_region, d_uk;
  logic [SAW-1:0] d_sram;
  logic [DW-1:0] d_ddr, d_s1, d_s2;
  logic [NW-1:0] d_n0, d_n1, d_n2;

  always_comb begin
    d_store = insn[dlp_cfg_pkg::F_OP_LSB +: dlp_cfg_pkg::F_OP_W]
              == dlp_cfg_pkg::F_OP_W'(dlp_cfg_pkg::OP_STORE);
    if (d_store) begin
      d_buf    = insn[dlp_cfg_pkg::F_STORE_BUF_LSB +: dlp_cfg_pkg::F_STORE_BUF_W];
      d_wfmt   = insn[dlp_cfg_pkg::F_STORE_WFMT_LSB +: dlp_cfg_pkg::F_STORE_WFMT_W];
      d_region = insn[dlp_cfg_pkg::F_STORE_REGION_LSB +: dlp_cfg_pkg::F_STORE_REGION_W];
      d_sram   = insn[dlp_cfg_pkg::F_STORE_SRAM_ADDR_LSB +: SAW];
      d_ddr    = insn[dlp_cfg_pkg::F_STORE_DDR_ADDR_LSB +: dlp_cfg_pkg::F_STORE_DDR_ADDR_W];
      d_n0     = insn[dlp_cfg_pkg::F_STORE_N0_LSB +: dlp_cfg_pkg::F_STORE_N0_W];
      d_n1     = insn[dlp_cfg_pkg::F_STORE_N1_LSB +: dlp_cfg_pkg::F_STORE_N1_W];
      d_s1     = insn[dlp_cfg_pkg::F_STORE_S1_LSB +: dlp_cfg_pkg::F_STORE_S1_W];
      d_n2     = insn[dlp_cfg_pkg::F_STORE_N2_LSB +: dlp_cfg_pkg::F_STORE_N2_W];
      d_s2     = insn[dlp_cfg_pkg::F_STORE_S2_LSB +: dlp_cfg_pkg::F_STORE_S2_W];
    end else begin
      d_buf    = insn[dlp_cfg_pkg::F_LOAD_BUF_LSB +: dlp_cfg_pkg::F_LOAD_BUF_W];
      d_wfmt   = insn[dlp_cfg_pkg::F_LOAD_WFMT_LSB +: dlp_cfg_pkg::F_LOAD_WFMT_W];
      d_region = insn[dlp_cfg_pkg::F_LOAD_REGION_LSB +: dlp_cfg_pkg::F_LOAD_REGION_W];
      d_sram   = insn[dlp_cfg_pkg::F_LOAD_SRAM_ADDR_LSB +: SAW];  // < buffer size
      d_ddr    = insn[dlp_cfg_pkg::F_LOAD_DDR_ADDR_LSB +: dlp_cfg_pkg::F_LOAD_DDR_ADDR_W];
      d_n0     = insn[dlp_cfg_pkg::F_LOAD_N0_LSB +: dlp_cfg_pkg::F_LOAD_N0_W];
      d_n1     = insn[dlp_cfg_pkg::F_LOAD_N1_LSB +: dlp_cfg_pkg::F_LOAD_N1_W];
      d_s1     = insn[dlp_cfg_pkg::F_LOAD_S1_LSB +: dlp_cfg_pkg::F_LOAD_S1_W];
      d_n2     = insn[dlp_cfg_pkg::F_LOAD_N2_LSB +: dlp_cfg_pkg::F_LOAD_N2_W];
      d_s2     = insn[dlp_cfg_pkg::F_LOAD_S2_LSB +: dlp_cfg_pkg::F_LOAD_S2_W];
    end
    // STORE moves FBUF only (its buf and wfmt are 0 in a valid word).
    if (d_store || d_buf == 2'd0) d_uk = UK_FB;
    else if (d_buf == 2'd1)       d_uk = (d_wfmt == 2'd0) ? UK_WP : UK_WI;
    else                          d_uk = UK_PB;
  end

  // ------------------------------------------------------------ state
  logic          active, is_store;
  logic [1:0]    uk, wfmt, region;
  // request generator
  logic          rq_valid;
  logic [DW-1:0] rq_addr, rq_plane, s1, s2, blen;
  logic [NW-1:0] rq_i1, rq_i2, rq_n1m1, rq_n2m1;
  // byte stream (LOAD: received beats, STORE: beats read from FBUF)
  logic [DW-1:0] sb_left, tot_left;
  logic [BW-1:0] beat_b;     // the next beat's bytes: min(sb_left, B)
  logic          beat_last;

  // ------------------------------------------------------------ setup
  // The burst lengths are products of the fields, one per cycle: ph 1
  // (s + 1) run = n0 u; ph 2 plane = n1 run and whether runs merge; ph 3
  // (`go`, s + DMA_SETUP) total = n2 plane, whether planes merge, the
  // burst length, and the request generator's and byte stream's start.
  localparam int DMA_SETUP = dlp_cfg_pkg::P_DMA_SETUP;
  if (DMA_SETUP != 3) begin : g_check_setup
    $error("dlp_dma: P_DMA_SETUP is not this unit's 3 setup cycles");
  end
  logic [1:0]    ph;
  logic          go;
  logic [NW-1:0] n0, n1, n2;
  logic [DW-1:0] ddr0, run, plane, g_total, g_blen;
  logic          m1, g_m2;
  assign go = ph == 2'(DMA_SETUP);
  always_comb begin
    g_total = DW'(n2) * plane;
    g_m2    = m1 && ((n2 == NW'(1)) || (s2 == plane));
    g_blen  = g_m2 ? g_total : (m1 ? plane : run);
  end
  always_ff @(posedge clk) begin
    if (!rst_n)     ph <= '0;
    else if (start) ph <= 2'd1;
    else if (go)    ph <= '0;
    else if (ph != '0) ph <= ph + 2'd1;
    if (start) begin
      n0 <= d_n0; n1 <= d_n1; n2 <= d_n2; ddr0 <= d_ddr;
    end
    if (ph == 2'd1) run <= DW'(n0) * DW'(unit_bytes(uk));
    if (ph == 2'd2) begin
      plane <= DW'(n1) * run;
      m1    <= (n1 == NW'(1)) || (s1 == run);
    end
  end

  function automatic logic [BW-1:0] beat_of(logic [DW-1:0] left);
    beat_of = (left < DW'(B)) ? BW'(left) : BW'(B);
  endfunction

  // beat_b (the next beat's bytes, min(sb_left, B)) is a register kept
  // with sb_left.
  assign beat_last = (tot_left == DW'(beat_b));

  assign busy           = active;
  assign ddr_req_valid  = rq_valid;
  assign ddr_req_write  = is_store;
  assign ddr_req_region = region;
  assign ddr_req_addr   = rq_addr;
  assign ddr_req_len    = blen;

  // Request generator: burst (i2, i1) at ddr_addr + i2 s2 + i1 s1 (i1 = 0
  // when runs merge, i2 = 0 when planes merge).
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rq_valid <= 1'b0;
    end else if (go) begin
      rq_valid <= 1'b1;
      rq_addr  <= ddr0;
      rq_plane <= ddr0;
      rq_i1    <= '0;
      rq_i2    <= '0;
      rq_n1m1  <= m1 ? '0 : n1 - NW'(1);
      rq_n2m1  <= g_m2 ? '0 : n2 - NW'(1);
    end else if (rq_valid) begin
      if (rq_i1 != rq_n1m1) begin
        rq_i1   <= rq_i1 + NW'(1);
        rq_addr <= rq_addr + s1;
      end else if (rq_i2 != rq_n2m1) begin
        rq_i1    <= '0;
        rq_i2    <= rq_i2 + NW'(1);
        rq_plane <= rq_plane + s2;
        rq_addr  <= rq_plane + s2;
      end else begin
        rq_valid <= 1'b0;
      end
    end
  end

  // ------------------------------------------------------------ LOAD
  logic              ld_beat;
  logic [B*8-1:0]    beat_m;      // the beat, bytes past the burst zero
  logic [UMAX*8-1:0] carry;       // partial unit (cc bytes)
  logic [AVW-1:0]    cc;
  logic [WIN*8-1:0]  win;
  logic [AVW-1:0]    avail;
  logic [CW-1:0]     k;           // units the beat completes
  logic [AVW-1:0]    cc_n;        // carry bytes after the beat
  logic [SAW-1:0]    wp_n;        // wp + k
  logic [UMAX*8-1:0] carry_n;
  logic [SAW-1:0]    wp;          // next SRAM unit to write
  logic              w_valid;
  logic [CW-1:0]     w_k;
  logic [WAX-1:0]    w_addr;
  logic [WIN*8-1:0]  w_win;
  logic              done_ld;
  // PBUF entry assembly
  logic [UPB*8-1:0]      pacc;
  logic [PCW-1:0]        pc;
  logic [(UPB+B)*8-1:0]  pfull;
  logic [PCW-1:0]        pavail;
  logic                  p_valid;
  logic [PAW-1:0]        p_addr;
  logic [UPB*8-1:0]      p_data;

  always_comb begin
    ld_beat = active && !is_store && ddr_rd_valid;
    for (int j = 0; j < B; j++)
      beat_m[j*8 +: 8] = (BW'(j) < beat_b) ? ddr_rd_data[j*8 +: 8] : 8'd0;
    // FBUF / WBUF: window = carry, then the beat.
    win   = WINB'(carry) | (WINB'(beat_m) << {cc, 3'b000});
    // The units completed, k: the largest kk with avail - kk u >= 0, every
    // kk's difference (and wp + kk) formed side by side, then selected.
    avail = cc + AVW'(beat_b);
    k     = '0;
    cc_n  = avail;
    wp_n  = wp;
    for (int kk = 1; kk <= DMA_UNITS; kk++) begin
      logic signed [AVW+1:0] rest;
      rest = $signed({2'b00, cc}) + $signed((AVW+2)'(beat_b)) -
             $signed((AVW+2)'(16'(kk) * unit_bytes(uk)));
      if (rest >= 0) begin
        k    = CW'(kk);
        cc_n = AVW'(rest);
        wp_n = wp + SAW'(kk);
      end
    end
    carry_n = '0;
    for (int kk = 0; kk <= DMA_UNITS - 1; kk++) begin
      if (k == CW'(kk)) begin
        case (uk)
          UK_FB:   carry_n = CARB'(win >> (kk * L * 8));
          UK_WP:   carry_n = CARB'(win >> (kk * UWP * 8));
          default: carry_n = CARB'(win >> (kk * UWI * 8));
        endcase
      end
    end
    // PBUF: the beat lands at byte pc of the entry.
    pfull = PFB'(pacc);
    for (int p = 0; p < PB_POS; p++)
      if (pc == PCW'(p * G)) pfull[p*G*8 +: B*8] = pfull[p*G*8 +: B*8] | beat_m;
    pavail = pc + PCW'(beat_b);
  end

  always_ff @(posedge clk) begin
    w_valid <= 1'b0;
    p_valid <= 1'b0;
    done_ld <= 1'b0;
    if (start) begin
      carry <= '0;
      cc    <= '0;
      pacc  <= '0;
      pc    <= '0;
      wp    <= d_sram;
    end else if (ld_beat) begin
      done_ld <= beat_last;
      if (uk != UK_PB) begin
        carry   <= carry_n;
        cc      <= cc_n;
        w_valid <= (k != '0);
        w_k     <= k;
        w_addr  <= WAX'(wp);
        w_win   <= win;
        wp      <= wp_n;
      end else if (pavail >= PCW'(UPB)) begin
        p_valid <= 1'b1;
        p_addr  <= PAW'(wp);
        p_data  <= pfull[UPB*8-1:0];
        pacc    <= PEB'(pfull >> (UPB * 8));
        pc      <= pavail - PCW'(UPB);
        wp      <= wp + SAW'(1);
      end else begin
        pacc <= pfull[UPB*8-1:0];
        pc   <= pavail;
      end
    end
    if (!rst_n) begin
      w_valid <= 1'b0;
      p_valid <= 1'b0;
      done_ld <= 1'b0;
    end
  end

  assign fb_wr_en    = w_valid && uk == UK_FB;
  assign fb_wr_addr  = FAW'(w_addr);
  assign fb_wr_count = w_k;
  assign wb_wr_en    = w_valid && uk != UK_FB;
  assign wb_wr_addr  = WAW'(w_addr);
  assign wb_wr_count = w_k;
  assign wb_wr_fmt   = wfmt;
  assign pb_wr_en    = p_valid;
  assign pb_wr_addr  = p_addr;
  assign pb_wr_data  = p_data;

  for (genvar i = 0; i < DMA_UNITS; i++) begin : g_slot
    assign fb_wr_data[i*L*8 +: L*8] = w_win[i*L*8 +: L*8];
    assign wb_wr_data[i*WSLOT*8 +: WSLOT*8] =
        (uk == UK_WP) ? SLB'(w_win[i*UWP*8 +: UWP*8])
                      : SLB'(w_win[i*UWI*8 +: UWI*8]);
  end

  // ------------------------------------------------------------ STORE
  logic               rd_active;   // stage A: beats left to read
  logic [SAW-1:0]     rp;          // FBUF vector of the next beat's first byte
  logic [OBW-1:0]     ro;          // its byte offset in that vector
  logic [SW-1:0]      rsum, radv;
  logic               tx_valid;    // stage B
  logic [OBW-1:0]     tx_o;
  logic [BW-1:0]      tx_b;
  logic [FAW:0]       outst;       // write bursts requested, not acknowledged
  logic [B*8-1:0]     tx_beat;
  logic               done_st;

  always_comb begin
    rsum        = SW'(ro) + SW'(beat_b);
    radv        = rsum / SW'(L);          // whole vectors the beat passes
    fb_rd_en    = active && is_store && rd_active;
    fb_rd_addr  = FAW'(rp);
    fb_rd_count = CW'((16'(rsum) + 16'(L - 1)) / 16'(L));
    tx_beat     = BB'(fb_rd_data >> {tx_o, 3'b000});
    for (int j = 0; j < B; j++)
      ddr_wr_data[j*8 +: 8] = (BW'(j) < tx_b) ? tx_beat[j*8 +: 8] : 8'd0;
    ddr_wr_valid = tx_valid;
    done_st = active && is_store && ddr_wr_ack && outst == (FAW+1)'(1) &&
              !rq_valid && !rd_active && !tx_valid;
  end

  always_ff @(posedge clk) begin
    tx_valid <= 1'b0;
    if (start) begin
      rd_active <= 1'b0;
      rp        <= d_sram;
      ro        <= '0;
      outst     <= '0;
    end else begin
      if (go) rd_active <= is_store;
      if (fb_rd_en) begin
        tx_valid <= 1'b1;
        tx_o     <= ro;
        tx_b     <= beat_b;
        rp       <= rp + SAW'(radv);
        ro       <= OBW'(rsum % SW'(L));
        if (beat_last) rd_active <= 1'b0;
      end
      outst <= outst + (FAW+1)'(rq_valid && is_store) - (FAW+1)'(ddr_wr_ack);
    end
    if (!rst_n) begin
      rd_active <= 1'b0;
      tx_valid  <= 1'b0;
    end
  end

  // ------------------------------------------------------------ control
  assign done = is_store ? done_st : done_ld;

  always_ff @(posedge clk) begin
    logic [DW-1:0] sb_next;
    if (!rst_n) begin
      active   <= 1'b0;
      is_store <= 1'b0;
    end else if (start) begin
      active   <= 1'b1;
      is_store <= d_store;
      uk       <= d_uk;
      wfmt     <= d_wfmt;
      region   <= d_region;
      s1       <= d_s1;
      s2       <= d_s2;
    end else begin
      if (done) active <= 1'b0;
      if (go) begin
        blen     <= g_blen;
        sb_left  <= g_blen;
        beat_b   <= beat_of(g_blen);
        tot_left <= g_total;
      end else if (ld_beat || fb_rd_en) begin
        tot_left <= tot_left - DW'(beat_b);
        sb_next   = (sb_left == DW'(beat_b)) ? blen : sb_left - DW'(beat_b);
        sb_left  <= sb_next;
        beat_b   <= beat_of(sb_next);
      end
    end
  end

endmodule
