// dlp_csr_dec.sv - the CSR decoder of GEMM_CSR (docs/isa.md 3.7): expands
// the compressed weight stream in WBUF into a dense buffer of K int8-layout
// weight rows, which dlp_gemm then reads instead of WBUF.
//
// Use by the core: start with a GEMM_CSR instruction (fields F_GEMM_CSR_*,
// those of GEMM; the opcode and token bits are not looked at). In the cycle
// `decoded` pulses (with `error` low) the dense buffer holds, for every
// weight row k < K = k_h*k_w*in_cb*L and output channel q, the entry
// w(k, q) of docs/isa.md 3.7 and the alignment align[k] mod 32; the core
// starts dlp_gemm the next cycle with the same instruction as a GEMM
// (opcode OP_GEMM, w_addr 0, wfmt the CSR instruction's), its WBUF read
// port on dr_rd_*. The buffer is not touched until the next start.
//
// The stream (runtime/include/dlprt/Csr.h, little-endian): byte j is byte
// j mod (Q+1) of WBUF row w_addr + j div (Q+1); the core's WBUF rows hold
// the bytes their LOAD brought, zeros above, and the read port returns
// zero rows past WBUF_ROWS, so byte j of the stream is byte j of the flat
// L*(Q+1)-byte word a read returns (rows of consecutive reads follow each
// other). The row tags (wb_rd_fmt) do not matter.
//   u32 nnz | K align | (Q+1) u32 ptr | nnz u16 row | codes
// (codes: pow2, wfmt 0, two 4-bit codes per byte, low nibble first; int8,
// wfmt 1, one byte each). S = 4 + K + 4(Q+1) + 2 nnz + (pow2 ? ceil(nnz/2)
// : nnz) bytes (40-bit arithmetic, no overflow).
//
// Phase 1, read (cycles s .. s+N1-1, s = the start cycle): read i (rows
// w_addr + iL .. + L-1, stream bytes [iL(Q+1), (i+1)L(Q+1))) is issued in
// cycle s + i for every i with iL < R, i.e. iL(Q+1) < S and w_addr + iL <
// WBUF_ROWS: R = min(ceil(S/(Q+1)), WBUF_ROWS - w_addr) rows, ceil(R/L)
// reads. Read 0 is issued in the start cycle; nnz, hence S, is known in
// cycle s+1 from read 0's data (bytes 0..3 of the word), in time to decide
// read 1. The data of read i land in the local stream buffer at the end of
// cycle s+i+1. In parallel, dense rows [iL, iL+L) are cleared in cycle
// s + i for iL < K. N1 = max(ceil(R/L), ceil(K/L)) >= 1.
// Setup (cycle s+N1+1, the local buffer complete): the Q+1 pointers are
// read and clamped: b[q] = min(ptr[q], n), e[q] = min(ptr[q+1], n), where
// n = nnz if the code section starts inside WBUF (4 + K + 4(Q+1) + 2 nnz <
// (WBUF_ROWS - w_addr)(Q+1)), else n = 0: every code of such a stream
// lies past WBUF and reads 0 (adds nothing), so dropping its entries
// changes no weight, and it bounds phase 2 on a hostile nnz (with the code
// section inside WBUF, nnz < (Q+1) WBUF_ROWS / 2).
// Phase 2, scatter (N2 cycles): in scatter cycle j every column q takes
// entries i = b[q] + jL + l, l < L, with i < e[q] (all Q columns in
// lockstep): row k = u16 at byte 4+K+4(Q+1)+2i, value = code i; an entry
// with k < K and a non-zero value (pow2: code bits [2:0] != 0, so codes 0
// and 8 are zero; int8: byte != 0) writes the value (pow2: the code in the
// low nibble) to dense entry (k, q). Zero-valued entries write nothing
// (the entry was cleared), so they never override a non-zero one. Rows
// jL .. jL+L-1 (< K) take their alignment byte 4+k, mod 32.
// N2 = max(ceil(maxLen/L), ceil(K/L)) >= 1, maxLen = max over q of
// max(0, e[q] - b[q]).
// Stream bytes past what phase 1 read (R rows rounded up to the L of the
// last read, whose rows past WBUF came as zeros) read as zero.
//
// Duplicates: the ISA sums the entries of one (k, q); the dense buffer
// holds one entry. Two non-zero entries of one (k, q) (two lanes of one
// column in the same cycle, or an entry meeting a non-zero cell written
// earlier) raise `error`, combinationally in the cycle that sees them and
// registered from the next: `error` is final in the cycle of `decoded` and
// sticky until the next start (the dense buffer's contents are then
// meaningless; the core stops). K > KMAX (the dense buffer's rows,
// WBUF_BANK_ROWS: the compiler keeps a stream within one dense chunk,
// docs/isa.md 3.7) also raises `error`, with `decoded` in cycle s+1.
//
// Timing: start in cycle s, `decoded` in cycle d:
//   d + 1 - s = N1 + N2 + 2        (K > KMAX: 2)
// the 2: the cycle in which the last read's data arrive, and the setup
// cycle. busy is high from s+1 to d (unit convention, `decoded` = done).
//
// Dense read port (for dlp_gemm's WBUF port, docs/rtl.md section 3):
// dr_rd_addr in cycle t, data in t+1: rows addr .. addr+L-1, row addr+l at
// [l*(Q+1)*8 +: (Q+1)*8] in the int8 layout (byte q the entry, byte Q the
// alignment 0..31), dr_rd_fmt = 1 (int8) for every row; rows >= K read
// zero. dlp_gemm reads entries by the GEMM's wfmt (its header: an int8 row
// under a pow2 GEMM is a code from its low nibble), so the pow2 codes in
// the low nibbles give the simulator's multiplier bit for bit.
//
// Storage: the local stream buffer (WBUF_ROWS rows of Q+1 bytes) and the
// dense buffer (KMAX rows) are behavioural arrays with as many ports as
// used: per scatter cycle 3 L Q + L byte reads of the stream buffer at any
// offsets and L Q scattered entry writes with L Q reads (duplicate check),
// plus an O(L^2 Q) same-cycle row compare. A synthesizable organisation
// needs different structures (e.g. per-column stream banks and a per-column
// dense RAM written one entry per lane per cycle with conflict stalls).
//
// Assumptions (the loader's, docs/isa.md 3.7): w_addr < WBUF_ROWS; k_h,
// k_w, in_cb >= 1; wfmt 0 or 1 (bit 0 decides).
module dlp_csr_dec #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int WBUF_AW = dlp_cfg_pkg::WBUF_AW,
  parameter int WBUF_ROWS = dlp_cfg_pkg::WBUF_ROWS,
  parameter int KMAX = dlp_cfg_pkg::WBUF_BANK_ROWS,
  parameter int INSN_BITS = dlp_cfg_pkg::INSN_BITS
) (
  input  logic                  clk,
  input  logic                  rst_n,       // synchronous, active low
  input  logic                  start,
  input  logic [INSN_BITS-1:0]  insn,
  output logic                  busy,
  output logic                  decoded,     // the unit's done
  output logic                  error,
  // WBUF read port (as dlp_gemm's): L rows from wb_rd_addr.
  output logic                  wb_rd_en,
  output logic [WBUF_AW-1:0]    wb_rd_addr,
  input  logic [L*(Q+1)*8-1:0]  wb_rd_data,
  input  logic [L*2-1:0]        wb_rd_fmt,
  // Dense buffer read port (dlp_gemm's WBUF port): L rows from dr_rd_addr.
  input  logic                  dr_rd_en,
  input  logic [WBUF_AW-1:0]    dr_rd_addr,
  output logic [L*(Q+1)*8-1:0]  dr_rd_data,
  output logic [L*2-1:0]        dr_rd_fmt
);
  localparam int ROWB = Q + 1;                 // bytes of a WBUF row
  localparam int RDB = L * ROWB;               // stream bytes per read
  localparam int SB_BYTES = WBUF_ROWS * ROWB;  // local stream buffer
  localparam int SBW = $clog2(SB_BYTES);
  localparam int BW = 40;                      // stream byte offsets
  localparam int AL_W = dlp_cfg_pkg::ALIGN_W;
  localparam int KHW = dlp_cfg_pkg::F_GEMM_CSR_K_H_W;
  localparam int KWW = dlp_cfg_pkg::F_GEMM_CSR_K_W_W;
  localparam int CBW = dlp_cfg_pkg::F_GEMM_CSR_IN_CB_W;
  localparam int WAW = dlp_cfg_pkg::F_GEMM_CSR_W_ADDR_W;
  localparam int KB = KHW + KWW + CBW + $clog2(L) + 1;  // K
  localparam int RW = WBUF_AW + 2;             // read row counter
  localparam int DRW = $clog2(KMAX);           // dense row index
  localparam int DEW = $clog2(KMAX * Q);       // dense entry index
  localparam int NL = Q * L;                   // scatter lanes
  localparam int NP = 4 * (Q + 1);             // pointer bytes

  localparam logic [2:0] S_IDLE = 3'd0, S_READ = 3'd1, S_SETUP = 3'd2,
                         S_SCAT = 3'd3, S_FAIL = 3'd4;

  // ---------------------------------------------------------------------
  // Instruction fields in the start cycle.
  logic [dlp_cfg_pkg::F_GEMM_CSR_WFMT_W-1:0] i_wfmt;
  logic [KHW-1:0] i_k_h;
  logic [KWW-1:0] i_k_w;
  logic [CBW-1:0] i_in_cb;
  logic [WAW-1:0] i_w_addr;
  logic [KB-1:0]  k_c;
  always_comb begin
    i_wfmt   = insn[dlp_cfg_pkg::F_GEMM_CSR_WFMT_LSB +: dlp_cfg_pkg::F_GEMM_CSR_WFMT_W];
    i_k_h    = insn[dlp_cfg_pkg::F_GEMM_CSR_K_H_LSB +: KHW];
    i_k_w    = insn[dlp_cfg_pkg::F_GEMM_CSR_K_W_LSB +: KWW];
    i_in_cb  = insn[dlp_cfg_pkg::F_GEMM_CSR_IN_CB_LSB +: CBW];
    i_w_addr = insn[dlp_cfg_pkg::F_GEMM_CSR_W_ADDR_LSB +: WAW];
    k_c      = KB'(i_k_h) * KB'(i_k_w) * KB'(i_in_cb) * KB'(L);
  end

  // ---------------------------------------------------------------------
  // State.
  logic [2:0]    st_q;
  logic          busy_q, err_q;
  logic          pow2_q;            // wfmt 0
  logic [KB-1:0] k_q;
  logic [BW-1:0] avail_q;           // (WBUF_ROWS - w_addr)(Q+1)
  logic          first_q;           // read 0's data (the header) on the port
  logic          rd_on_q, rd_act_q; // reads may continue; data arrive now
  logic [RW-1:0] rd_row_q;          // first row of the next read
  logic [BW-1:0] rdb_q;             // stream offset of the next read = bytes read
  logic [SBW-1:0] wrb_q;            // stream offset of the data arriving
  logic [31:0]   nnz_q;
  logic [BW-1:0] s_q;               // stream bytes S
  logic [KB-1:0] clr_q;             // next dense row to clear
  logic [31:0]   b_q [Q];           // column q's next entry
  logic [31:0]   e_q [Q];           // column q's end
  logic [BW-1:0] col_at_q, code_at_q;
  logic [KB-1:0] arow_q;            // next alignment row

  // Behavioural storage.
  logic [7:0]      sbuf [SB_BYTES];  // stream bytes as read
  logic [7:0]      dent [KMAX * Q];  // dense entries, row k at k*Q
  logic [AL_W-1:0] dal [KMAX];       // dense alignments

  // ---------------------------------------------------------------------
  // Phase 1: the header (read 0's data in cycle s+1) and the read decision.
  logic [31:0]   nnz_c;
  logic [BW-1:0] s_c, s_cur;
  logic          issue, clr_act;
  always_comb begin
    nnz_c = wb_rd_data[31:0];
    s_c = BW'(4) + BW'(k_q) + BW'(4 * ROWB) + (BW'(nnz_c) << 1) +
          (pow2_q ? ((BW'(nnz_c) + BW'(1)) >> 1) : BW'(nnz_c));
    s_cur = first_q ? s_c : s_q;
    issue = st_q == S_READ && rd_on_q && rdb_q < s_cur &&
            rd_row_q < RW'(WBUF_ROWS);
    clr_act = st_q == S_READ && clr_q < k_q;
    wb_rd_en = start || issue;
    wb_rd_addr = start ? WBUF_AW'(i_w_addr) : rd_row_q[WBUF_AW-1:0];
  end

  // ---------------------------------------------------------------------
  // Setup: the pointers from the local buffer (bytes past rdb_q read 0).
  logic [BW-1:0] pt_at [NP];
  logic [7:0]    pt_b [NP];
  logic [31:0]   ptr [Q + 1];
  logic [BW-1:0] ptr_at, col_at, code_at;
  logic [31:0]   n_eff;
  logic [31:0]   b_c [Q];
  logic [31:0]   e_c [Q];
  always_comb begin
    ptr_at  = BW'(4) + BW'(k_q);
    col_at  = ptr_at + BW'(NP);
    code_at = col_at + (BW'(nnz_q) << 1);
    n_eff   = code_at < avail_q ? nnz_q : 32'd0;
    for (int j = 0; j < NP; j++) begin
      pt_at[j] = ptr_at + BW'(j);
      pt_b[j]  = pt_at[j] < rdb_q ? sbuf[pt_at[j][SBW-1:0]] : 8'd0;
    end
    for (int q = 0; q <= Q; q++)
      ptr[q] = {pt_b[4*q + 3], pt_b[4*q + 2], pt_b[4*q + 1], pt_b[4*q]};
    for (int q = 0; q < Q; q++) begin
      b_c[q] = ptr[q] < n_eff ? ptr[q] : n_eff;
      e_c[q] = ptr[q + 1] < n_eff ? ptr[q + 1] : n_eff;
    end
  end

  // ---------------------------------------------------------------------
  // Phase 2: lane q*L + l is entry b[q] + l of column q.
  logic [BW-1:0]  ln_i [NL];
  logic [BW-1:0]  ln_kp [NL];
  logic [BW-1:0]  ln_cp [NL];
  logic [7:0]     ln_k0 [NL];
  logic [7:0]     ln_k1 [NL];
  logic [7:0]     ln_cb [NL];
  logic [15:0]    ln_k [NL];
  logic [7:0]     ln_val [NL];
  logic           ln_ok [NL];
  logic [DEW-1:0] ln_da [NL];
  logic [7:0]     ln_cur [NL];
  always_comb begin
    for (int q = 0; q < Q; q++)
      for (int l = 0; l < L; l++) begin
        ln_i[q*L + l]  = BW'(b_q[q]) + BW'(l);
        ln_kp[q*L + l] = col_at_q + (ln_i[q*L + l] << 1);
        ln_cp[q*L + l] = code_at_q + (pow2_q ? (ln_i[q*L + l] >> 1) : ln_i[q*L + l]);
        ln_k0[q*L + l] = ln_kp[q*L + l] < rdb_q ? sbuf[ln_kp[q*L + l][SBW-1:0]] : 8'd0;
        ln_k1[q*L + l] = ln_kp[q*L + l] + BW'(1) < rdb_q
                         ? sbuf[ln_kp[q*L + l][SBW-1:0] + SBW'(1)] : 8'd0;
        ln_cb[q*L + l] = ln_cp[q*L + l] < rdb_q ? sbuf[ln_cp[q*L + l][SBW-1:0]] : 8'd0;
        ln_k[q*L + l]  = {ln_k1[q*L + l], ln_k0[q*L + l]};
        if (pow2_q)
          ln_val[q*L + l] = {4'd0, ln_i[q*L + l][0] ? ln_cb[q*L + l][7:4]
                                                    : ln_cb[q*L + l][3:0]};
        else
          ln_val[q*L + l] = ln_cb[q*L + l];
        ln_ok[q*L + l] = st_q == S_SCAT && ln_i[q*L + l] < BW'(e_q[q]) &&
                         BW'(ln_k[q*L + l]) < BW'(k_q) &&
                         (pow2_q ? ln_val[q*L + l][2:0] != 3'd0
                                 : ln_val[q*L + l] != 8'd0);
        ln_da[q*L + l] = DEW'(ln_k[q*L + l]) * DEW'(Q) + DEW'(q);
        ln_cur[q*L + l] = ln_ok[q*L + l] ? dent[ln_da[q*L + l]] : 8'd0;
      end
  end

  // Two non-zero entries of one (k, q): with a cell written before, or
  // with a lower lane of the same column in this cycle.
  logic dup;
  always_comb begin
    dup = 1'b0;
    if (st_q == S_SCAT)  // (ln_ok is low otherwise; spares the simulator)
      for (int q = 0; q < Q; q++)
        for (int l = 0; l < L; l++)
          if (ln_ok[q*L + l]) begin
            if (ln_cur[q*L + l] != 8'd0)
              dup = 1'b1;
            for (int m = 0; m < l; m++)
              if (ln_ok[q*L + m] && ln_k[q*L + l] == ln_k[q*L + m])
                dup = 1'b1;
          end
  end

  // Alignments of rows arow_q .. arow_q + L - 1.
  logic [BW-1:0]  al_r [L];
  logic [BW-1:0]  al_at [L];
  logic           al_ok [L];
  logic [7:0]     al_b [L];
  always_comb begin
    for (int l = 0; l < L; l++) begin
      al_r[l]  = BW'(arow_q) + BW'(l);
      al_at[l] = al_r[l] + BW'(4);
      al_ok[l] = st_q == S_SCAT && al_r[l] < BW'(k_q);
      al_b[l]  = al_at[l] < rdb_q ? sbuf[al_at[l][SBW-1:0]] : 8'd0;
    end
  end

  // The last scatter cycle: nothing left in any column nor alignment.
  logic scat_last;
  always_comb begin
    scat_last = BW'(arow_q) + BW'(L) >= BW'(k_q);
    for (int q = 0; q < Q; q++)
      if (BW'(b_q[q]) + BW'(L) < BW'(e_q[q]))
        scat_last = 1'b0;
  end

  assign decoded = (st_q == S_SCAT && scat_last) || st_q == S_FAIL;
  assign error   = err_q || (st_q == S_SCAT && dup);
  assign busy    = busy_q;

  // ---------------------------------------------------------------------
  // Control.
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      st_q     <= S_IDLE;
      busy_q   <= 1'b0;
      err_q    <= 1'b0;
      rd_act_q <= 1'b0;
      first_q  <= 1'b0;
    end else if (start) begin
      st_q     <= k_c > KB'(KMAX) ? S_FAIL : S_READ;
      busy_q   <= 1'b1;
      err_q    <= k_c > KB'(KMAX);
      rd_act_q <= 1'b1;
      first_q  <= 1'b1;
    end else begin
      first_q  <= 1'b0;
      rd_act_q <= issue;
      if (st_q == S_SCAT && dup)
        err_q <= 1'b1;
      if (decoded)
        busy_q <= 1'b0;
      case (st_q)
        S_READ:  if (!issue && !clr_act) st_q <= S_SETUP;
        S_SETUP: st_q <= S_SCAT;
        S_SCAT:  if (scat_last) st_q <= S_IDLE;
        S_FAIL:  st_q <= S_IDLE;
        default: st_q <= S_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk) begin
    if (start) begin
      pow2_q   <= !i_wfmt[0];
      k_q      <= k_c;
      avail_q  <= (BW'(WBUF_ROWS) - BW'(i_w_addr)) * BW'(ROWB);
      rd_on_q  <= 1'b1;
      rd_row_q <= RW'(i_w_addr) + RW'(L);
      rdb_q    <= BW'(RDB);
      wrb_q    <= '0;
      clr_q    <= KB'(L);
    end else if (st_q == S_READ) begin
      if (first_q) begin
        nnz_q <= nnz_c;
        s_q   <= s_c;
      end
      if (issue) begin
        rd_row_q <= rd_row_q + RW'(L);
        rdb_q    <= rdb_q + BW'(RDB);
      end else begin
        rd_on_q <= 1'b0;
      end
      wrb_q <= rdb_q[SBW-1:0];
      if (clr_act)
        clr_q <= clr_q + KB'(L);
    end else if (st_q == S_SETUP) begin
      col_at_q  <= col_at;
      code_at_q <= code_at;
      arow_q    <= '0;
    end else if (st_q == S_SCAT) begin
      arow_q <= arow_q + KB'(L);
    end
  end

  // Arrays are written by one always_ff per element index expression
  // (generate loops): Verilator 5.006 does not take non-blocking array
  // writes inside procedural loops it does not unroll (BLKLOOPINIT).
  for (genvar q = 0; q < Q; q++) begin : g_col
    always_ff @(posedge clk) begin
      if (st_q == S_SETUP) begin
        b_q[q] <= b_c[q];
        e_q[q] <= e_c[q];
      end else if (st_q == S_SCAT) begin
        b_q[q] <= b_q[q] + 32'(L);
      end
    end
  end

  // Local stream buffer: the data of the read issued last cycle.
  // (Nested generate loops: Verilator bounds one loop's iterations.)
  for (genvar l = 0; l < L; l++) begin : g_sbuf_row
    for (genvar b = 0; b < ROWB; b++) begin : g_sbuf
      always_ff @(posedge clk)
        if (st_q == S_READ && rd_act_q)
          sbuf[wrb_q + SBW'(l*ROWB + b)] <= wb_rd_data[8*(l*ROWB + b) +: 8];
    end
  end

  // Dense buffer: cleared in phase 1 (rows 0 .. L-1 in the start cycle,
  // then clr_q ..: lane n = l*Q + q clears entry n of the L rows), entries
  // (lane n = q*L + l) and alignments (lane l) written in phase 2.
  for (genvar a = 0; a < Q; a++) begin : g_dent_hi
    for (genvar c = 0; c < L; c++) begin : g_dent
      localparam int n = a*L + c;
      always_ff @(posedge clk)
        if (start)
          dent[DEW'(n)] <= 8'd0;
        else if (clr_act)
          dent[DEW'(clr_q) * DEW'(Q) + DEW'(n)] <= 8'd0;
        else if (ln_ok[n])
          dent[ln_da[n]] <= ln_val[n];
    end
  end
  for (genvar l = 0; l < L; l++) begin : g_dal
    always_ff @(posedge clk)
      if (start)
        dal[DRW'(l)] <= '0;
      else if (clr_act)
        dal[DRW'(clr_q) + DRW'(l)] <= '0;
      else if (al_ok[l])
        dal[al_r[l][DRW-1:0]] <= al_b[l][AL_W-1:0];
  end

  // ---------------------------------------------------------------------
  // Dense read port: rows dr_rd_addr + l, zero from row K on.
  logic [BW-1:0] dr_r [L];
  logic          dr_in [L];
  always_comb begin
    for (int l = 0; l < L; l++) begin
      dr_r[l]  = BW'(dr_rd_addr) + BW'(l);
      dr_in[l] = dr_r[l] < BW'(k_q) && dr_r[l] < BW'(KMAX);
    end
  end
  always_ff @(posedge clk) begin
    if (dr_rd_en)
      for (int l = 0; l < L; l++) begin
        for (int q = 0; q < Q; q++)
          dr_rd_data[(l*ROWB + q)*8 +: 8] <=
              dr_in[l] ? dent[DEW'(dr_r[l]) * DEW'(Q) + DEW'(q)] : 8'd0;
        dr_rd_data[(l*ROWB + Q)*8 +: 8] <=
            dr_in[l] ? 8'(dal[dr_r[l][DRW-1:0]]) : 8'd0;
      end
  end
  always_comb
    for (int l = 0; l < L; l++)
      dr_rd_fmt[2*l +: 2] = 2'd1;

  // Bits not needed: the other instruction fields and wfmt bit 1 (the
  // loader allows 0 / 1), the WBUF row tags (the stream is raw bytes), the
  // bytes of the read data other than the header's in the header cycle.
  logic unused;
  assign unused = ^{insn, i_wfmt, wb_rd_fmt};
endmodule
