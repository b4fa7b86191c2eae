// dlp_csr_dec.sv - the CSR decoder of GEMM_CSR (docs/isa.md 3.7): expands
// the compressed weight stream in WBUF into a dense buffer of K int8-layout
// weight rows (K at most CSR_DENSE_ROWS, the config's csr.dense_rows),
// which dlp_gemm then reads instead of WBUF.
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
// zero rows past WBUF_ROWS. The row tags (wb_rd_fmt) do not matter.
//   u32 nnz | K align | (Q+1) u32 ptr | nnz u16 row | codes
// (codes: pow2, wfmt 0, two 4-bit codes per byte, low nibble first; int8,
// wfmt 1, one byte each).
//
// The decoder keeps no copy of the stream: every field is read from WBUF
// when it is needed, one read per cycle through the WBUF port. A read of
// stream offset o addresses row w_addr + o div (Q+1) (a multiply by a
// constant reciprocal; rows past WBUF are not read and give zeros) and the
// next cycle takes the WIN = max(2L, 8) bytes from byte o mod (Q+1) of the
// returned rows (a byte shifter). The dense buffer is Q x L banks, column
// q and row k in bank (q, k mod L) at word k div L (LUTRAM-sized: K div L
// words): a GEMM read of L rows is one word of every bank, and a window
// of entries writes each bank at most once per cycle.
//
// Schedule (s = the start cycle; one read issued per cycle at most, its
// data used the cycle after):
//   s          read the header (nnz, bytes 0..3);
//   ALN, NB = K/L cycles: cycle j reads the alignments of rows jL..jL+L-1
//              (offset 4 + jL) and clears dense word j of every bank; the
//              header's data (cycle 0) give n = nnz if the code section
//              starts inside WBUF (4 + K + 4(Q+1) + 2 nnz < (WBUF_ROWS -
//              w_addr)(Q+1)), else n = 0 (every code of such a stream
//              lies past WBUF and reads 0, so dropping its entries changes
//              no weight; it bounds the work on a hostile nnz);
//   COLP       reads column 0's pointer pair (offset 4 + K);
//   per column q:
//     COLD     the pair's data, registered: b = min(ptr[q], n), e =
//              min(ptr[q+1], n);
//     COLB     with entries (b < e) reads the first window's row indices,
//              else the next column's pair (or ends, q = Q-1);
//     per window of entries i0 .. i0+L-1 (i0 = b, b+L, .., < e):
//       IDX    the row indices' data (2L bytes at 4+K+4(Q+1)+2 i0): lane l
//              holds entry i0+l if i0+l < e and its row k < K (bank k mod
//              L); reads the codes (offset codes + i0, pow2 + i0 div 2);
//       CODE   the codes' data, into the lanes' value registers (so the
//              scatter starts from registers, not from the byte shifter),
//              and each lane's rank among the window's lanes of its bank;
//       SCAT   c cycles, c = the most lanes of one bank (at least 1): cycle
//              t writes the lanes of rank t (one per bank); an entry
//              with a non-zero value (pow2: code bits [2:0] != 0, so codes
//              0 and 8 are zero; int8: byte != 0) writes it (pow2: the
//              code in the low nibble). The last cycle reads the next
//              window's row indices, the next column's pair, or ends.
//   WR         the last scatter cycle's writes (each scatter cycle's
//              bank writes and duplicate checks happen the cycle after
//              its selection), `decoded`;
//   decode (start to decoded inclusive) = NB + 3 + sum over q of
//     (2 + sum over its windows of (2 + c))    (dlprt::csrDecodeCycles).
// K > CSR_DENSE_ROWS (the loader refuses it; kept for a bare unit):
// `error` with `decoded` in cycle s+1 (decode 2).
//
// Duplicates: the ISA sums the entries of one (k, q); the dense buffer
// holds one entry. A non-zero entry meeting a non-zero cell written earlier
// (two lanes of one bank never write in one cycle) raises `error`,
// combinationally in the cycle that sees it and registered from the next:
// `error` is final in the cycle of `decoded` and sticky until the next
// start (the dense buffer's contents are then meaningless; the core stops).
//
// Dense read port (for dlp_gemm's WBUF port, docs/rtl.md section 3):
// dr_rd_addr (a multiple of L: dlp_gemm's rows from w_addr 0) in cycle t,
// data in t+1: rows addr .. addr+L-1, row addr+l at [l*(Q+1)*8 +:
// (Q+1)*8] in the int8 layout (byte q the entry, byte Q the alignment
// 0..31), dr_rd_fmt = 1 (int8) for every row; rows >= K hold whatever an
// earlier decode left (dlp_gemm reads rows < K only: no mask, which on
// large would be L*(Q+1)*8 = 33 280 AND gates).
// dlp_gemm reads entries by the GEMM's wfmt (its header: an int8 row under
// a pow2 GEMM is a code from its low nibble), so the pow2 codes in the low
// nibbles give the simulator's multiplier bit for bit.
//
// Assumptions (the loader's, docs/isa.md 3.7): w_addr < WBUF_ROWS; k_h,
// k_w, in_cb >= 1; wfmt 0 or 1 (bit 0 decides); L a power of two >= 4.
module dlp_csr_dec #(
  // From the config (dlp_cfg_pkg); do not override.
  parameter int L = dlp_cfg_pkg::L,
  parameter int Q = dlp_cfg_pkg::Q,
  parameter int WBUF_AW = dlp_cfg_pkg::WBUF_AW,
  parameter int WBUF_ROWS = dlp_cfg_pkg::WBUF_ROWS,
  parameter int KMAX = dlp_cfg_pkg::CSR_DENSE_ROWS,
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
  localparam int LW = $clog2(L);               // bank bits
  localparam int NBMAX = KMAX / L;             // words of a bank
  localparam int DAW = NBMAX > 1 ? $clog2(NBMAX) : 1;
  localparam int WB = WBUF_ROWS * ROWB;        // bytes of WBUF
  localparam int OW = $clog2(WB) + 2;          // stream offsets read
  localparam int BW = 40;                      // header arithmetic
  localparam int WIN = 2 * L > 8 ? 2 * L : 8;  // bytes a read gives
  localparam int XB = ROWB - 1 + WIN;          // bytes the shifter takes
  localparam int RSW = $clog2(ROWB);           // byte-in-row bits
  // o div ROWB = (o * MAG) >> DSH for every o < 2^OW (MAG = ceil(2^DSH /
  // ROWB), DSH = OW + ceil(log2 ROWB)).
  localparam int DSH = OW + RSW;
  localparam longint unsigned MAG = ((64'd1 << DSH) + 64'(ROWB) - 64'd1) /
                                    64'(ROWB);
  localparam int PW = OW + DSH + 1;
  localparam int AL_W = dlp_cfg_pkg::ALIGN_W;
  localparam int KHW = dlp_cfg_pkg::F_GEMM_CSR_K_H_W;
  localparam int KWW = dlp_cfg_pkg::F_GEMM_CSR_K_W_W;
  localparam int CBW = dlp_cfg_pkg::F_GEMM_CSR_IN_CB_W;
  localparam int WAW = dlp_cfg_pkg::F_GEMM_CSR_W_ADDR_W;
  localparam int NBW = KHW + KWW + CBW + 1;    // K / L
  localparam int KB = NBW + LW;                // K
  localparam int QW = Q > 1 ? $clog2(Q) : 1;

  localparam logic [3:0] S_IDLE = 4'd0, S_ALN = 4'd1, S_COLP = 4'd2,
                         S_COLD = 4'd3, S_COLB = 4'd4, S_IDX = 4'd5,
                         S_CODE = 4'd6, S_SCAT = 4'd7, S_FAIL = 4'd8;

  // ---------------------------------------------------------------------
  // Instruction fields in the start cycle.
  logic [dlp_cfg_pkg::F_GEMM_CSR_WFMT_W-1:0] i_wfmt;
  logic [KHW-1:0] i_k_h;
  logic [KWW-1:0] i_k_w;
  logic [CBW-1:0] i_in_cb;
  logic [WAW-1:0] i_w_addr;
  logic [NBW-1:0] nb_c;
  always_comb begin
    i_wfmt   = insn[dlp_cfg_pkg::F_GEMM_CSR_WFMT_LSB +: dlp_cfg_pkg::F_GEMM_CSR_WFMT_W];
    i_k_h    = insn[dlp_cfg_pkg::F_GEMM_CSR_K_H_LSB +: KHW];
    i_k_w    = insn[dlp_cfg_pkg::F_GEMM_CSR_K_W_LSB +: KWW];
    i_in_cb  = insn[dlp_cfg_pkg::F_GEMM_CSR_IN_CB_LSB +: CBW];
    i_w_addr = insn[dlp_cfg_pkg::F_GEMM_CSR_W_ADDR_LSB +: WAW];
    nb_c     = NBW'(i_k_h) * NBW'(i_k_w) * NBW'(i_in_cb);
  end

  // ---------------------------------------------------------------------
  // State.
  logic [3:0]     st_q;
  logic           busy_q, err_q;
  logic           pow2_q;            // wfmt 0
  logic [NBW-1:0] nb_q;              // K / L
  logic [KB-1:0]  k_q;               // K = nb_q * L (a wire)
  logic [WBUF_AW:0] wa_q;            // w_addr
  logic [BW-1:0]  avail_q;           // (WBUF_ROWS - w_addr)(Q+1)
  logic [NBW-1:0] j_q;               // ALN: the read issued this cycle
  logic [OW-1:0]  n_q;               // entries kept (nnz or 0)
  logic [OW-1:0]  colat_q, codeat_q; // row indices' / codes' offsets
  logic [QW:0]    q_q;               // column
  logic [OW-1:0]  i0_q, e_q;         // window's first entry; column's end
  logic           nib_q;             // pow2 codes from the high nibble
  logic [L-1:0]   pend_q;            // the window's lanes (entries kept)
  logic [LW-1:0]  rank_q [L];        // lower lanes of the same bank
  logic [LW-1:0]  t_q;               // SCAT: the cycle, 0 .. c-1
  logic [LW-1:0]  lbank_q [L];       // lane's bank (row mod L)
  logic [DAW-1:0] laddr_q [L];       // and word (row div L)
  logic [7:0]     lval_q [L];        // and value (after the first cycle)

  assign k_q = KB'(nb_q) << LW;

  // ---------------------------------------------------------------------
  // The read port: offset rd_o of the stream -> row, byte in row.
  logic           rd_go;
  logic [OW-1:0]  rd_o;
  logic [PW-1:0]  rd_prod;
  logic [OW-1:0]  rd_div;
  logic [RSW-1:0] rd_rem;
  logic [OW:0]    rd_row;
  logic           rd_in;
  logic [RSW-1:0] x_rem_q;           // the data's byte in row
  logic           x_zero_q;          // no read (past WBUF): zeros
  always_comb begin
    rd_prod = PW'(rd_o) * PW'(MAG);
    rd_div  = OW'(rd_prod >> DSH);
    rd_rem  = RSW'(rd_o - OW'(rd_div * OW'(ROWB)));
    rd_row  = (start ? (OW+1)'(i_w_addr) : (OW+1)'(wa_q)) + (OW+1)'(rd_div);
    rd_in   = rd_row < (OW+1)'(WBUF_ROWS);
    wb_rd_en   = rd_go && rd_in;
    wb_rd_addr = rd_row[WBUF_AW-1:0];
  end

  // The data of last cycle's read: WIN bytes from its byte offset.
  logic [XB*8-1:0]  x_all;
  logic [WIN*8-1:0] xw;
  always_comb begin
    x_all = wb_rd_data[XB*8-1:0];
    xw = x_zero_q ? '0 : (WIN*8)'(x_all >> {x_rem_q, 3'b000});
  end

  // ---------------------------------------------------------------------
  // Header (ALN, j_q = 0).
  // (nnz registered from the data, n and the code section's offset the
  // cycle after: COLD, their first use, is at least two cycles later.)
  logic [31:0]   nnz_c, nnz_q;
  logic          hdr_q;              // nnz_q holds the header's nnz
  logic [BW-1:0] codeat_c;
  always_comb begin
    nnz_c = xw[31:0];
    codeat_c = BW'(4) + BW'(k_q) + BW'(4 * ROWB) + (BW'(nnz_q) << 1);
  end

  // Pointer pair (COLD): the column's entries.
  logic [31:0]   p0_c, p1_c;
  logic [OW-1:0] b_c, e_c;
  logic [OW-1:0] ptrat;
  always_comb begin
    p0_c = xw[31:0];
    p1_c = xw[63:32];
    b_c = p0_c < 32'(n_q) ? OW'(p0_c) : n_q;
    e_c = p1_c < 32'(n_q) ? OW'(p1_c) : n_q;
    ptrat = OW'(4) + OW'(k_q);
  end

  // Row indices (IDX): lane l = entry i0 + l.
  logic [15:0]  ik [L];
  logic [L-1:0] ivalid;
  always_comb
    for (int l = 0; l < L; l++) begin
      ik[l] = xw[16*l +: 16];
      ivalid[l] = (OW+1)'(i0_q) + (OW+1)'(l) < (OW+1)'(e_q) &&
                  32'(ik[l]) < 32'(k_q);
    end

  // Codes (CODE: from the port into lval_q; SCAT: from lval_q).
  logic [7:0] cval [L];
  logic [7:0] val [L];
  logic [L-1:0] nz;
  always_comb
    for (int l = 0; l < L; l++) begin
      if (pow2_q)
        cval[l] = {4'd0, xw[4*(l + 32'(nib_q)) +: 4]};
      else
        cval[l] = xw[8*l +: 8];
      val[l] = lval_q[l];
      nz[l] = pow2_q ? val[l][2:0] != 3'd0 : val[l] != 8'd0;
    end

  // The CODE cycle ranks each lane among the window's lanes of its bank
  // (how many lower lanes it has there); SCAT cycle t writes the lanes of
  // rank t, one per bank: `won`, and bank b's write from its lane.
  logic [LW-1:0]  rank_c [L];
  always_comb
    for (int l = 0; l < L; l++) begin
      rank_c[l] = '0;
      for (int m = 0; m < l; m++)
        rank_c[l] = rank_c[l] +
                    LW'(pend_q[m] && lbank_q[m] == lbank_q[l]);
    end
  logic [L-1:0]   won, later;
  logic [L-1:0]   bwe;               // bank b takes a lane
  logic [L-1:0]   bnz;               // with a non-zero value
  logic [DAW-1:0] bwa [L];           // at this word
  logic [7:0]     bwd [L];           // this value
  always_comb begin
    for (int l = 0; l < L; l++) begin
      won[l]   = pend_q[l] && rank_q[l] == t_q;
      later[l] = pend_q[l] && rank_q[l] > t_q;
    end
    // (At most one lane of a bank wins: AND-OR selection, not a chain.)
    for (int b = 0; b < L; b++) begin
      bwe[b] = 1'b0;
      bnz[b] = 1'b0;
      bwa[b] = '0;
      bwd[b] = '0;
      for (int l = 0; l < L; l++) begin
        bwe[b] = bwe[b] | (won[l] && lbank_q[l] == LW'(b));
        bnz[b] = bnz[b] | (won[l] && lbank_q[l] == LW'(b) && nz[l]);
        bwa[b] = bwa[b] | (laddr_q[l] & {DAW{won[l] && lbank_q[l] == LW'(b)}});
        bwd[b] = bwd[b] | (val[l] & {8{won[l] && lbank_q[l] == LW'(b)}});
      end
    end
  end

  logic scat_last;
  assign scat_last = later == '0;

  // A column's next step, from its registered pair (COLB: from b to e) or
  // a window's last scatter cycle (from i0 + L): the next window's row
  // indices, else the next column's pointer pair, else the end (the last
  // column).
  logic        step, more, last_col;
  logic [OW:0] nx_i;
  logic [OW-1:0] nx_e;
  always_comb begin
    step     = st_q == S_COLB || (st_q == S_SCAT && scat_last);
    nx_i     = (OW+1)'(i0_q) + (st_q == S_COLB ? '0 : (OW+1)'(L));
    nx_e     = e_q;
    more     = nx_i < (OW+1)'(nx_e);
    last_col = q_q == (QW+1)'(Q - 1);
  end

  // Reads and the end.
  logic fin;     // decoded, no error of K
  always_comb begin
    rd_go = 1'b0;
    rd_o  = '0;
    fin   = 1'b0;
    if (start) begin
      rd_go = 1'b1;                                      // header
    end else if (st_q == S_ALN) begin
      rd_go = 1'b1;
      rd_o  = OW'(4) + (OW'(j_q) << LW);                 // alignments j
    end else if (st_q == S_COLP) begin
      rd_go = 1'b1;
      rd_o  = ptrat;                                     // pair of column 0
    end else if (st_q == S_IDX) begin
      rd_go = 1'b1;
      rd_o  = codeat_q + (pow2_q ? i0_q >> 1 : i0_q);    // codes
    end else if (step) begin
      rd_go = more || !last_col;
      fin   = !more && last_col;
      rd_o  = more ? colat_q + (OW'(nx_i) << 1)          // row indices
                   : ptrat + ((OW'(q_q) + OW'(1)) << 2); // next pair
    end
  end

  // The write stage: a SCAT cycle's selection is written (and checked)
  // the cycle after, so the end is reported one cycle after the last
  // scatter cycle (or the last column's empty pair).
  logic           ws_q;              // the stage holds a SCAT cycle's writes
  logic [QW:0]    wq_q;              // of this column
  logic [L-1:0]   bwe_q, bnz_q;
  logic [DAW-1:0] bwa_q [L];
  logic [7:0]     bwd_q [L];
  logic           fin_q;
  always_ff @(posedge clk) begin
    ws_q  <= !start && st_q == S_SCAT;
    fin_q <= !start && fin;
    wq_q  <= q_q;
    bwe_q <= bwe;
    bnz_q <= bnz;
    for (int b = 0; b < L; b++) begin
      bwa_q[b] <= bwa[b];
      bwd_q[b] <= bwd[b];
    end
  end

  // Duplicates: a non-zero value meeting a non-zero cell (bank reads).
  logic [7:0] cur [Q][L];            // bank (q, b) at bwa_q[b]
  logic dup;
  always_comb begin
    dup = 1'b0;
    if (ws_q)
      for (int q = 0; q < Q; q++)
        for (int b = 0; b < L; b++)
          if (wq_q == (QW+1)'(q) && bwe_q[b] && bnz_q[b] && cur[q][b] != 8'd0)
            dup = 1'b1;
  end

  assign decoded = fin_q || st_q == S_FAIL;
  assign error   = err_q || dup;
  assign busy    = busy_q;

  // ---------------------------------------------------------------------
  // Control.
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      st_q   <= S_IDLE;
      busy_q <= 1'b0;
      err_q  <= 1'b0;
    end else if (start) begin
      st_q   <= KB'(nb_c) << LW > KB'(KMAX) ? S_FAIL : S_ALN;
      busy_q <= 1'b1;
      err_q  <= (KB'(nb_c) << LW) > KB'(KMAX);
    end else begin
      if (dup)
        err_q <= 1'b1;
      if (decoded)
        busy_q <= 1'b0;
      case (st_q)
        S_ALN:  if (j_q + 1'b1 == nb_q) st_q <= S_COLP;
        S_COLP: st_q <= S_COLD;
        S_IDX:  st_q <= S_CODE;
        S_CODE: st_q <= S_SCAT;
        S_COLD: st_q <= S_COLB;
        S_COLB, S_SCAT:
          if (step) st_q <= more ? S_IDX : last_col ? S_IDLE : S_COLD;
        default: st_q <= S_IDLE;
      endcase
    end
  end

  always_ff @(posedge clk) begin
    x_rem_q  <= rd_rem;
    x_zero_q <= !wb_rd_en;
    hdr_q    <= !start && st_q == S_ALN && j_q == '0;
    if (hdr_q) begin
      n_q      <= codeat_c < avail_q ? OW'(nnz_q) : '0;
      codeat_q <= OW'(codeat_c);
    end
    if (start) begin
      pow2_q  <= !i_wfmt[0];
      nb_q    <= nb_c;
      wa_q    <= (WBUF_AW+1)'(i_w_addr);
      avail_q <= (BW'(WBUF_ROWS) - BW'(i_w_addr)) * BW'(ROWB);
      j_q     <= '0;
      colat_q <= OW'(4) + OW'(KB'(nb_c) << LW) + OW'(4 * ROWB);
    end else begin
      case (st_q)
        S_ALN: begin
          j_q <= j_q + 1'b1;
          if (j_q == '0)
            nnz_q <= nnz_c;
        end
        S_COLP: q_q <= '0;
        S_COLD: begin
          i0_q <= b_c;
          e_q  <= e_c;
        end
        S_IDX: begin
          nib_q   <= pow2_q && i0_q[0];
          pend_q  <= ivalid;
          for (int l = 0; l < L; l++) begin
            lbank_q[l] <= ik[l][LW-1:0];
            laddr_q[l] <= DAW'(ik[l] >> LW);
          end
        end
        S_CODE: begin
          t_q <= '0;
          for (int l = 0; l < L; l++) begin
            lval_q[l] <= cval[l];
            rank_q[l] <= rank_c[l];
          end
        end
        S_SCAT: t_q <= t_q + 1'b1;
        default: ;
      endcase
      if (step) begin
        if (more) begin
          i0_q <= OW'(nx_i);
        end else begin
          q_q <= q_q + 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------------
  // Alignments: word j holds rows jL .. jL+L-1 (written from the data of
  // read j: ALN j+1, or COLP for the last).
  logic [L*AL_W-1:0] alr [NBMAX];
  logic              al_we;
  logic [DAW-1:0]    al_wa;
  logic [L*AL_W-1:0] al_wd;
  always_comb begin
    al_we = (st_q == S_ALN && j_q != '0) || st_q == S_COLP;
    al_wa = DAW'(j_q - 1'b1);
    for (int l = 0; l < L; l++)
      al_wd[l*AL_W +: AL_W] = xw[8*l +: AL_W];
  end
  always_ff @(posedge clk)
    if (al_we)
      alr[al_wa] <= al_wd;

  // ---------------------------------------------------------------------
  // Dense banks: bank (q, b) holds rows k = b (mod L) of column q at word
  // k div L; cleared in ALN (word j), written in SCAT.
  logic [DAW-1:0] dr_w;
  assign dr_w = DAW'(dr_rd_addr >> LW);
  for (genvar q = 0; q < Q; q++) begin : g_col
    for (genvar b = 0; b < L; b++) begin : g_bank
      logic [7:0]     mem [NBMAX];
      logic           we;
      logic [DAW-1:0] wa;
      logic [7:0]     wd, rdq;
      always_comb begin
        we = st_q == S_ALN ||
             (ws_q && wq_q == (QW+1)'(q) && bwe_q[b] && bnz_q[b]);
        wa = st_q == S_ALN ? DAW'(j_q) : bwa_q[b];
        wd = st_q == S_ALN ? 8'd0 : bwd_q[b];
      end
      assign cur[q][b] = mem[bwa_q[b]];
      always_ff @(posedge clk)
        if (we)
          mem[wa] <= wd;
      always_ff @(posedge clk)
        if (dr_rd_en)
          rdq <= mem[dr_w];
      assign dr_rd_data[(b*ROWB + q)*8 +: 8] = rdq;
    end
  end

  // Alignments of the read rows (byte Q of each).
  logic [L*AL_W-1:0] al_rd_q;
  always_ff @(posedge clk)
    if (dr_rd_en)
      al_rd_q <= alr[dr_w];
  for (genvar l = 0; l < L; l++) begin : g_al
    assign dr_rd_data[(l*ROWB + Q)*8 +: 8] =
        8'(al_rd_q[l*AL_W +: AL_W]);
    assign dr_rd_fmt[2*l +: 2] = 2'd1;
  end

  // Bits not needed: the other instruction fields and wfmt bit 1 (the
  // loader allows 0 / 1), the WBUF row tags (the stream is raw bytes), the
  // read data past the shifter's bytes, the low bits of the reciprocal
  // product, the row sum's carry (w_addr < WBUF_ROWS).
  logic unused;
  assign unused = ^{insn, i_wfmt, wb_rd_fmt, wb_rd_data, rd_prod, rd_row};
endmodule
