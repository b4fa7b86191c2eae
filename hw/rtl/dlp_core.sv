// dlp_core.sv - the DLP processor: dispatcher, queues, dependency tokens,
// barriers, on-chip buffers and the execution units (docs/rtl.md).
//
// The dispatcher fetches the instruction stream in order (fetch port,
// answered one cycle later) and appends each instruction to its queue
// (docs/isa.md section 2: load, compute, store); a barrier (HOST, SYNC,
// END) stops fetching until every queue is empty and idle, then executes:
// HOST raises host_req until the harness has run the segment, END halts.
// A queue head starts when the semaphores it pops are non-zero (it takes
// them in its start cycle) and its queue is idle; LOAD and STORE share the
// one DMA engine (one DDR channel), the head that has been ready longer
// going first, load first on a tie (docs/cycle-model.md section 3). An
// instruction pushes its tokens in the cycle its unit pulses done, so a
// consumer can start the cycle after: the cycle model's "a pop takes the
// push made when the pushing instruction ends".
//
// Buffers (docs/rtl.md section 3) are arrays here with as many ports as
// the units use at once: FBUF two compute read ports, a compute write
// port, and the DMA's multi-vector read and write ports (on a window
// target also W - 1 window read ports: GEMM_WIN's candidates); WBUF L
// consecutive rows per read; PBUF, ABUF one read and one write port. All
// start zero at reset (a program starts each image from zero buffers).
// They simulate as written in Verilator; synthesis would bank them (FBUF by
// address mod DMA_UNITS, WBUF by row mod L), which the address patterns
// allow (consecutive addresses), and clear them with an engine instead of
// a reset loop. The window read ports' addresses are a window's taps and
// channel blocks, not consecutive: no banking is designed for them
// (hw/synth/synth.sh estimates no window core). GEMM_CSR runs on dlp_csr_dec (the CSR stream decoded into
// dense weight rows) then on dlp_gemm itself, whose WBUF port then reads
// the decoder's rows; a stream the decoder cannot represent stops the core
// with `error` (code 2) and the instruction's index, never a silent wrong
// result.
module dlp_core (
  input  logic clk,
  input  logic rst_n,  // synchronous, active low; held until clear_done
                       // it clears the buffers

  // Fetch: if_addr in cycle t, if_data in t + 1.
  output logic                                if_req,
  output logic [31:0]                         if_addr,
  input  logic                                if_valid,
  input  logic [dlp_cfg_pkg::INSN_BITS-1:0]   if_data,

  // DDR (docs/rtl.md section 4).
  output logic                                ddr_req_valid,
  output logic                                ddr_req_write,
  output logic [1:0]                          ddr_req_region,
  output logic [39:0]                         ddr_req_addr,
  output logic [39:0]                         ddr_req_len,
  input  logic                                ddr_rd_valid,
  input  logic [dlp_cfg_pkg::DDR_BYTES_PER_CYCLE*8-1:0] ddr_rd_data,
  output logic                                ddr_wr_valid,
  output logic [dlp_cfg_pkg::DDR_BYTES_PER_CYCLE*8-1:0] ddr_wr_data,
  input  logic                                ddr_wr_ack,

  // Host segments.
  output logic                                host_req,
  output logic [15:0]                         host_segment,
  input  logic                                host_done,

  // Status.
  output logic                                done,
  output logic                                clear_done, // buffers cleared
  output logic                                error,
  output logic [1:0]                          error_code,  // 1 opcode without
                                                           // a unit, 2 CSR stream
  output logic [31:0]                         error_index,
  // The dispatcher has an instruction to fetch but a queue has no room
  // (the cycle model assumes this never happens: docs/cycle-model.md 1).
  output logic                                queue_full,

  // Trace: per queue (0 load, 1 compute, 2 store, 3 barrier) a pulse when
  // an instruction starts / ends, with its index.
  output logic [3:0]                          tr_start,
  output logic [3:0]                          tr_end,
  output logic [4*32-1:0]                     tr_start_index,
  output logic [4*32-1:0]                     tr_end_index
);

  localparam int L = dlp_cfg_pkg::L;
  localparam int Q = dlp_cfg_pkg::Q;
  localparam int IB = dlp_cfg_pkg::INSN_BITS;
  localparam int FAW = dlp_cfg_pkg::FBUF_AW;
  localparam int WAW = dlp_cfg_pkg::WBUF_AW;
  localparam int PAW = dlp_cfg_pkg::PBUF_AW;
  localparam int AAW = dlp_cfg_pkg::ABUF_AW;
  localparam int FV = dlp_cfg_pkg::FBUF_VECTORS;
  localparam int WR = dlp_cfg_pkg::WBUF_ROWS;
  localparam int PE = dlp_cfg_pkg::PARAM_ENTRIES;
  localparam int AV = dlp_cfg_pkg::ABUF_VECTORS;
  localparam int RB = (Q + 1) * 8;                   // WBUF row bits
  localparam int PB = dlp_cfg_pkg::PENTRY_BYTES * 8; // PBUF entry bits
  // DMA units per cycle (docs/rtl.md section 3; dlp_dma derives the same
  // DMA_UNITS, and the port widths would not match otherwise): a beat
  // completes at most ceil(B / u) FBUF / WBUF units.
  localparam int UW = dlp_cfg_pkg::WROW_POW2_BYTES < dlp_cfg_pkg::WROW_INT8_BYTES ?
                      dlp_cfg_pkg::WROW_POW2_BYTES : dlp_cfg_pkg::WROW_INT8_BYTES;
  localparam int UMIN = L < UW ? L : UW;
  localparam int DU = (dlp_cfg_pkg::DDR_BYTES_PER_CYCLE + UMIN - 1) / UMIN + 1;
  // Instruction queue depth: deep enough that compiled programs never stop
  // the dispatcher, as the cycle model assumes (docs/cycle-model.md 1; 8
  // was not, for a window-sparse ResNet's stores).
  localparam int QDEPTH = 32;
  localparam int QE = IB + 32;                       // queue entry: word + index
  localparam int SW = 16;                            // semaphore width
  localparam int W = dlp_cfg_pkg::WINDOW;            // window-sparse array
  localparam int WX = W > 1 ? W - 1 : 1;             // FBUF window ports


  // A whole word in, its opcode out (the other bits are the callers').
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [5:0] opcode(input logic [IB-1:0] w);
    opcode = w[dlp_cfg_pkg::F_OP_LSB +: dlp_cfg_pkg::F_OP_W];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  function automatic logic is_barrier(input logic [5:0] op);
    is_barrier = op == 6'(dlp_cfg_pkg::OP_HOST) ||
                 op == 6'(dlp_cfg_pkg::OP_SYNC) ||
                 op == 6'(dlp_cfg_pkg::OP_END);
  endfunction
  // 0 load, 1 compute, 2 store (barriers never enter a queue).
  function automatic logic [1:0] queue_of(input logic [5:0] op);
    if (op == 6'(dlp_cfg_pkg::OP_LOAD))
      queue_of = 2'd0;
    else if (op == 6'(dlp_cfg_pkg::OP_STORE))
      queue_of = 2'd2;
    else
      queue_of = 2'd1;
  endfunction

  //===--------------------------------------------------------------------===//
  // Dispatcher
  //===--------------------------------------------------------------------===//

  logic [31:0] pc;
  logic        inflight;     // a fetch was requested last cycle
  logic        barrier_pending, halted;
  logic [IB-1:0] barrier_word;
  logic [31:0] barrier_index;
  logic        host_active;
  // Index of the arriving word: the fetch was for pc - 1 (pc advanced when
  // it was requested).
  logic [31:0] pc_of_arrival;
  assign pc_of_arrival = pc - 32'd1;

  logic [2:0]          q_push, q_pop, q_valid;
  logic [QE-1:0]       q_head [3];
  logic [$clog2(QDEPTH+1)-1:0] q_free [3];
  logic                room;

  assign room = q_free[0] >= 2 && q_free[1] >= 2 && q_free[2] >= 2;
  assign queue_full = !halted && !barrier_pending && !room;
  logic arriving_barrier;
  assign arriving_barrier = if_valid && is_barrier(opcode(if_data));

  always_comb begin
    if_req = !halted && !barrier_pending && room &&
             (!inflight || (if_valid && !arriving_barrier));
    if_addr = pc;
    q_push = '0;
    if (if_valid && !arriving_barrier)
      q_push[queue_of(opcode(if_data))] = 1'b1;
  end

  for (genvar k = 0; k < 3; k++) begin : g_queue
    dlp_fifo #(.W(QE), .DEPTH(QDEPTH)) u_fifo (
      .clk, .rst_n, .push(q_push[k]), .din({pc_of_arrival, if_data}),
      .pop(q_pop[k]), .valid(q_valid[k]), .head(q_head[k]), .free(q_free[k]));
  end


  //===--------------------------------------------------------------------===//
  // Queue heads, semaphores, DMA arbitration
  //===--------------------------------------------------------------------===//

  // Semaphores: 0 load->compute, 1 compute->load, 2 compute->store,
  // 3 store->compute.
  logic [SW-1:0] sem [4];
  logic [3:0]    sem_inc, sem_dec;

  logic [2:0]  active;           // queue k's instruction is executing
  logic [3:0]  tok [3];          // its token flags (pop/push prev/next)
  logic [31:0] run_index [3];

  function automatic logic [3:0] flags(input logic [IB-1:0] w);
    flags = {w[dlp_cfg_pkg::F_PUSH_NEXT], w[dlp_cfg_pkg::F_PUSH_PREV],
             w[dlp_cfg_pkg::F_POP_NEXT], w[dlp_cfg_pkg::F_POP_PREV]};
  endfunction

  logic [IB-1:0] hw [3];
  logic [3:0]    hf [3];
  for (genvar k = 0; k < 3; k++) begin : g_head
    assign hw[k] = q_head[k][IB-1:0];
    assign hf[k] = flags(hw[k]);
  end

  // Unit done pulses.
  logic gemm_done, pool_done, elt_done, dma_done, csr_decoded, csr_error;
  logic gemm_busy, pool_busy, elt_busy, dma_unit_busy, csr_busy;

  // Tokens available for each head.
  logic load_tok, comp_tok, store_tok;
  assign load_tok = !hf[0][1] || sem[1] != '0;
  assign comp_tok = (!hf[1][0] || sem[0] != '0) && (!hf[1][1] || sem[3] != '0);
  assign store_tok = !hf[2][0] || sem[2] != '0;

  logic load_ready, comp_ready, store_ready;
  assign load_ready = q_valid[0] && !active[0] && load_tok && !error;
  assign comp_ready = q_valid[1] && !active[1] && comp_tok && !error &&
                      !gemm_busy && !pool_busy && !elt_busy && !csr_busy;
  assign store_ready = q_valid[2] && !active[2] && store_tok && !error;

  // DMA arbitration: the head ready first wins (ready stays until start:
  // nobody else takes its tokens); ties go to the load. A head is waiting
  // from the cycle after it first was ready; load_le_store says, while
  // both wait, that the load's wait began no later than the store's.
  logic dma_busy;
  logic load_waiting, store_waiting, load_le_store, load_first;
  // a head ready for the first time this cycle began waiting now
  assign load_first = load_waiting ? (!store_waiting || load_le_store)
                                   : !store_waiting;

  logic start_load, start_comp, start_store;
  always_comb begin
    start_load = 1'b0;
    start_store = 1'b0;
    if (!dma_busy && !dma_unit_busy && !active[0] && !active[2]) begin
      if (load_ready && (!store_ready || load_first))
        start_load = 1'b1;
      else if (store_ready)
        start_store = 1'b1;
    end
    start_comp = comp_ready;
  end
  assign q_pop = {start_store, start_comp, start_load};

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      load_waiting <= 1'b0;
      store_waiting <= 1'b0;
      load_le_store <= 1'b1;
    end else begin
      if (start_load) load_waiting <= 1'b0;
      else if (load_ready && !load_waiting) begin
        load_waiting <= 1'b1;
        // later than a store already waiting; else first or tied
        load_le_store <= !store_waiting;
      end
      if (start_store) store_waiting <= 1'b0;
      else if (store_ready && !store_waiting) begin
        store_waiting <= 1'b1;
        // a load already waiting, or beginning now (tie), goes first
        if (!(load_ready && !load_waiting && !start_load))
          load_le_store <= 1'b1;
      end
    end
  end

  logic dma_is_store;   // the DMA's instruction came from the store queue
  logic [1:0] cu_sel;   // 0 gemm, 1 pool, 2 eltwise, 3 gemm_csr
  logic load_end, comp_end, store_end;
  assign load_end = dma_done && active[0] && !dma_is_store;
  assign store_end = dma_done && active[2] && dma_is_store;
  assign comp_end = active[1] && (gemm_done || pool_done || elt_done);
  // GEMM_CSR: the instruction, kept for dlp_gemm's start after decoding.
  logic [IB-1:0] csr_word;

  always_comb begin
    sem_dec = '0;
    sem_inc = '0;
    if (start_load && hf[0][1]) sem_dec[1] = 1'b1;
    if (start_comp && hf[1][0]) sem_dec[0] = 1'b1;
    if (start_comp && hf[1][1]) sem_dec[3] = 1'b1;
    if (start_store && hf[2][0]) sem_dec[2] = 1'b1;
    if (load_end && tok[0][3]) sem_inc[0] = 1'b1;
    if (comp_end && tok[1][2]) sem_inc[1] = 1'b1;
    if (comp_end && tok[1][3]) sem_inc[2] = 1'b1;
    if (store_end && tok[2][2]) sem_inc[3] = 1'b1;
  end

  // Compute opcode of the head.
  logic [5:0] comp_op;
  assign comp_op = opcode(hw[1]);
  logic comp_unsupported, comp_gemm;
  // GEMM_WIN runs on dlp_gemm when the array is the window-sparse one.
  assign comp_gemm = comp_op == 6'(dlp_cfg_pkg::OP_GEMM) ||
                     (W > 1 && comp_op == 6'(dlp_cfg_pkg::OP_GEMM_WIN));
  assign comp_unsupported = !comp_gemm &&
                            comp_op != 6'(dlp_cfg_pkg::OP_GEMM_CSR) &&
                            comp_op != 6'(dlp_cfg_pkg::OP_POOL) &&
                            comp_op != 6'(dlp_cfg_pkg::OP_ADD);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      for (int i = 0; i < 4; i++) sem[i] <= '0;
      active <= '0;
      dma_busy <= 1'b0;
      dma_is_store <= 1'b0;
      cu_sel <= '0;
      error <= 1'b0;
      error_code <= '0;
      error_index <= '0;
      csr_word <= '0;
      for (int k = 0; k < 3; k++) begin
        tok[k] <= '0;
        run_index[k] <= '0;
      end
    end else begin
      for (int i = 0; i < 4; i++)
        sem[i] <= sem[i] + SW'(sem_inc[i]) - SW'(sem_dec[i]);
      if (start_load) begin
        active[0] <= 1'b1;
        tok[0] <= hf[0];
        run_index[0] <= q_head[0][IB +: 32];
        dma_busy <= 1'b1;
        dma_is_store <= 1'b0;
      end else if (load_end)
        active[0] <= 1'b0;
      if (start_store) begin
        active[2] <= 1'b1;
        tok[2] <= hf[2];
        run_index[2] <= q_head[2][IB +: 32];
        dma_busy <= 1'b1;
        dma_is_store <= 1'b1;
      end else if (store_end)
        active[2] <= 1'b0;
      if (dma_done && !start_load && !start_store)
        dma_busy <= 1'b0;
      if (start_comp) begin
        active[1] <= 1'b1;
        tok[1] <= hf[1];
        run_index[1] <= q_head[1][IB +: 32];
        cu_sel <= comp_gemm ? 2'd0 :
                  comp_op == 6'(dlp_cfg_pkg::OP_POOL) ? 2'd1 :
                  comp_op == 6'(dlp_cfg_pkg::OP_ADD) ? 2'd2 : 2'd3;
        csr_word <= hw[1];
        if (comp_unsupported) begin
          error <= 1'b1;
          error_code <= 2'd1;
          error_index <= q_head[1][IB +: 32];
        end
      end else if (active[1] && cu_sel == 2'd3 && csr_error && !error) begin
        error <= 1'b1;
        error_code <= 2'd2;
        error_index <= run_index[1];
      end else if (comp_end)
        active[1] <= 1'b0;
    end
  end

  //===--------------------------------------------------------------------===//
  // Fetch and barriers
  //===--------------------------------------------------------------------===//

  logic all_idle;
  // No word is in flight while a barrier waits: the barrier's arrival
  // stopped fetching.
  assign all_idle = q_valid == '0 && active == '0;

  logic barrier_start, barrier_end;
  logic [5:0] bop;
  assign bop = opcode(barrier_word);
  assign barrier_start = barrier_pending && !host_active && all_idle && !error;
  assign barrier_end = (barrier_start && bop != 6'(dlp_cfg_pkg::OP_HOST)) ||
                       (host_active && host_done);

  assign host_req = host_active;
  assign host_segment = barrier_word[dlp_cfg_pkg::F_HOST_SEGMENT_LSB +:
                                    dlp_cfg_pkg::F_HOST_SEGMENT_W];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      pc <= '0;
      inflight <= 1'b0;
      barrier_pending <= 1'b0;
      barrier_word <= '0;
      barrier_index <= '0;
      halted <= 1'b0;
      host_active <= 1'b0;
      done <= 1'b0;
    end else begin
      inflight <= if_req;
      if (if_req) pc <= pc + 32'd1;
      if (arriving_barrier) begin
        barrier_pending <= 1'b1;
        barrier_word <= if_data;
        barrier_index <= pc_of_arrival;
      end
      if (barrier_start && bop == 6'(dlp_cfg_pkg::OP_HOST))
        host_active <= 1'b1;
      if (host_active && host_done)
        host_active <= 1'b0;
      if (barrier_end) begin
        barrier_pending <= 1'b0;
        if (bop == 6'(dlp_cfg_pkg::OP_END)) begin
          halted <= 1'b1;
          done <= 1'b1;
        end
      end
    end
  end

  // Trace.
  always_comb begin
    tr_start = {barrier_start, start_store, start_comp, start_load};
    tr_end = {barrier_end, store_end, comp_end, load_end};
    tr_start_index = {barrier_index, q_head[2][IB +: 32], q_head[1][IB +: 32],
                      q_head[0][IB +: 32]};
    tr_end_index = {barrier_index, run_index[2], run_index[1], run_index[0]};
  end

  //===--------------------------------------------------------------------===//
  // Units
  //===--------------------------------------------------------------------===//

  logic [IB-1:0] comp_insn, dma_insn;
  assign comp_insn = hw[1];
  assign dma_insn = start_store ? hw[2] : hw[0];

  // FBUF ports.
  logic           cfa_en, cfb_en, cfw_en;       // compute read A, read B, write
  logic [FAW-1:0] cfa_addr, cfb_addr, cfw_addr;
  logic [L*8-1:0] cfa_data, cfb_data, cfw_data;
  // dlp_gemm's window read ports (candidates 1 .. W - 1 of a GEMM_WIN step;
  // none on the dense array).
  logic [WX-1:0]      cfx_en;
  logic [WX*FAW-1:0]  cfx_addr;
  logic [WX*L*8-1:0]  cfx_data;
  logic           dfr_en, dfw_en;               // DMA read, write
  logic [FAW-1:0] dfr_addr, dfw_addr;
  logic [$clog2(DU+1)-1:0] dfr_count, dfw_count;
  logic [DU*L*8-1:0] dfr_data, dfw_data;
  // WBUF ports.
  logic           wbr_en;  logic [WAW-1:0] wbr_addr;
  logic [L*RB-1:0] wbr_data; logic [L*2-1:0] wbr_fmt;
  logic           dww_en;   logic [WAW-1:0] dww_addr;
  logic [$clog2(DU+1)-1:0] dww_count;
  logic [DU*RB-1:0] dww_data; logic [1:0] dww_fmt;
  // PBUF ports.
  logic           cpr_en;   logic [PAW-1:0] cpr_addr; logic [PB-1:0] cpr_data;
  logic           dpw_en;   logic [PAW-1:0] dpw_addr; logic [PB-1:0] dpw_data;
  // ABUF ports.
  logic           ar_en, aw_en; logic [AAW-1:0] ar_addr, aw_addr;
  logic [Q*32-1:0] ar_data, aw_data;

  // GEMM.
  logic           g_fa_en, g_fw_en, g_pb_en, g_fr_en;
  logic [FAW-1:0] g_fa_addr, g_fw_addr, g_fr_addr;
  logic [L*8-1:0] g_fw_data;
  logic [PAW-1:0] g_pb_addr;
  // GEMM_CSR: the decoded instruction dlp_gemm runs: opcode GEMM, weights
  // from row 0 of the decoder's dense rows.
  logic [IB-1:0] csr_gemm_word;
  always_comb begin
    csr_gemm_word = csr_word;
    csr_gemm_word[dlp_cfg_pkg::F_OP_LSB +: dlp_cfg_pkg::F_OP_W] =
        6'(dlp_cfg_pkg::OP_GEMM);
    csr_gemm_word[dlp_cfg_pkg::F_GEMM_W_ADDR_LSB +: dlp_cfg_pkg::F_GEMM_W_ADDR_W] = '0;
  end
  logic csr_gemm_start;
  always_ff @(posedge clk)
    if (!rst_n) csr_gemm_start <= 1'b0;
    else csr_gemm_start <= csr_decoded && !csr_error;
  logic           g_wb_en;  logic [WAW-1:0] g_wb_addr;
  logic [L*RB-1:0] g_wb_data; logic [L*2-1:0] g_wb_fmt;
  dlp_gemm u_gemm (
    .clk, .rst_n,
    .start((start_comp && comp_gemm) || csr_gemm_start),
    .insn(csr_gemm_start ? csr_gemm_word : comp_insn), .busy(gemm_busy),
    .done(gemm_done),
    .fa_rd_en(g_fa_en), .fa_rd_addr(g_fa_addr), .fa_rd_data(cfa_data),
    .fx_rd_en(cfx_en), .fx_rd_addr(cfx_addr), .fx_rd_data(cfx_data),
    .fb_wr_en(g_fw_en), .fb_wr_addr(g_fw_addr), .fb_wr_data(g_fw_data),
    .fr_rd_en(g_fr_en), .fr_rd_addr(g_fr_addr), .fr_rd_data(cfb_data),
    .wb_rd_en(g_wb_en), .wb_rd_addr(g_wb_addr), .wb_rd_data(g_wb_data),
    .wb_rd_fmt(g_wb_fmt),
    .pb_rd_en(g_pb_en), .pb_rd_addr(g_pb_addr), .pb_rd_data(cpr_data),
    .ab_rd_en(ar_en), .ab_rd_addr(ar_addr), .ab_rd_data(ar_data),
    .ab_wr_en(aw_en), .ab_wr_addr(aw_addr), .ab_wr_data(aw_data));

  // GEMM_CSR's decoder: reads the stream through the WBUF port, then serves
  // dlp_gemm's row reads from its dense rows.
  logic           c_wb_en;  logic [WAW-1:0] c_wb_addr;
  logic           g_dense, g_dense_q;  // dlp_gemm reads the dense rows
  logic [L*RB-1:0] c_dr_data; logic [L*2-1:0] c_dr_fmt;
  dlp_csr_dec u_csr (
    .clk, .rst_n,
    .start(start_comp && comp_op == 6'(dlp_cfg_pkg::OP_GEMM_CSR)),
    .insn(comp_insn), .busy(csr_busy), .decoded(csr_decoded), .error(csr_error),
    .wb_rd_en(c_wb_en), .wb_rd_addr(c_wb_addr), .wb_rd_data(wbr_data),
    .wb_rd_fmt(wbr_fmt),
    .dr_rd_en(g_wb_en && g_dense), .dr_rd_addr(g_wb_addr),
    .dr_rd_data(c_dr_data), .dr_rd_fmt(c_dr_fmt));
  // The WBUF read port: the decoder's while it decodes, else dlp_gemm's.
  // dlp_gemm reads the dense rows while a GEMM_CSR runs; cu_sel follows a
  // start one cycle late, so a GEMM's start cycle (its first read) is
  // decided from the starting opcode.
  assign g_dense = start_comp ? comp_op == 6'(dlp_cfg_pkg::OP_GEMM_CSR)
                              : cu_sel == 2'd3;
  always_ff @(posedge clk)
    if (!rst_n) g_dense_q <= 1'b0;
    else g_dense_q <= g_dense;  // the read's data come a cycle later
  assign wbr_en = c_wb_en || (g_wb_en && !g_dense);
  assign wbr_addr = c_wb_en ? c_wb_addr : g_wb_addr;
  assign g_wb_data = g_dense_q ? c_dr_data : wbr_data;
  assign g_wb_fmt = g_dense_q ? c_dr_fmt : wbr_fmt;

  // POOL.
  logic           p_fa_en, p_fw_en;
  logic [FAW-1:0] p_fa_addr, p_fw_addr;
  logic [L*8-1:0] p_fw_data;
  dlp_pool u_pool (
    .clk, .rst_n, .start(start_comp && comp_op == 6'(dlp_cfg_pkg::OP_POOL)),
    .insn(comp_insn), .busy(pool_busy), .done(pool_done),
    .fa_rd_en(p_fa_en), .fa_rd_addr(p_fa_addr), .fa_rd_data(cfa_data),
    .fw_en(p_fw_en), .fw_addr(p_fw_addr), .fw_data(p_fw_data));

  // ADD.
  logic           e_fa_en, e_fb_en, e_fw_en, e_pb_en;
  logic [FAW-1:0] e_fa_addr, e_fb_addr, e_fw_addr;
  logic [L*8-1:0] e_fw_data;
  logic [PAW-1:0] e_pb_addr;
  dlp_eltwise u_elt (
    .clk, .rst_n, .start(start_comp && comp_op == 6'(dlp_cfg_pkg::OP_ADD)),
    .insn(comp_insn), .busy(elt_busy), .done(elt_done),
    .fa_rd_en(e_fa_en), .fa_rd_addr(e_fa_addr), .fa_rd_data(cfa_data),
    .fb_rd_en(e_fb_en), .fb_rd_addr(e_fb_addr), .fb_rd_data(cfb_data),
    .fw_en(e_fw_en), .fw_addr(e_fw_addr), .fw_data(e_fw_data),
    .pb_rd_en(e_pb_en), .pb_rd_addr(e_pb_addr), .pb_rd_data(cpr_data));

  always_comb begin
    cfa_en = 1'b0; cfa_addr = '0; cfw_en = 1'b0; cfw_addr = '0; cfw_data = '0;
    cfb_en = 1'b0; cfb_addr = '0; cpr_en = 1'b0; cpr_addr = '0;
    case (cu_sel)
      2'd0, 2'd3: begin
        cfa_en = g_fa_en; cfa_addr = g_fa_addr;
        cfb_en = g_fr_en; cfb_addr = g_fr_addr;
        cfw_en = g_fw_en; cfw_addr = g_fw_addr; cfw_data = g_fw_data;
        cpr_en = g_pb_en; cpr_addr = g_pb_addr;
      end
      2'd1: begin
        cfa_en = p_fa_en; cfa_addr = p_fa_addr;
        cfw_en = p_fw_en; cfw_addr = p_fw_addr; cfw_data = p_fw_data;
      end
      default: begin
        cfa_en = e_fa_en; cfa_addr = e_fa_addr;
        cfb_en = e_fb_en; cfb_addr = e_fb_addr;
        cfw_en = e_fw_en; cfw_addr = e_fw_addr; cfw_data = e_fw_data;
        cpr_en = e_pb_en; cpr_addr = e_pb_addr;
      end
    endcase
    // A unit starting this cycle drives its ports before cu_sel follows.
    if (start_comp) begin
      if (comp_gemm) begin
        cfa_en = g_fa_en; cfa_addr = g_fa_addr; cpr_en = g_pb_en; cpr_addr = g_pb_addr;
      end else if (comp_op == 6'(dlp_cfg_pkg::OP_ADD)) begin
        cfa_en = e_fa_en; cfa_addr = e_fa_addr; cpr_en = e_pb_en; cpr_addr = e_pb_addr;
        cfb_en = e_fb_en; cfb_addr = e_fb_addr;
      end else begin
        cfa_en = p_fa_en; cfa_addr = p_fa_addr;
      end
    end
  end

  // DMA.
  dlp_dma u_dma (
    .clk, .rst_n, .start(start_load || start_store), .insn(dma_insn),
    .busy(dma_unit_busy), .done(dma_done),
    .ddr_req_valid, .ddr_req_write, .ddr_req_region, .ddr_req_addr,
    .ddr_req_len, .ddr_rd_valid, .ddr_rd_data, .ddr_wr_valid, .ddr_wr_data,
    .ddr_wr_ack,
    .fb_wr_en(dfw_en), .fb_wr_addr(dfw_addr), .fb_wr_count(dfw_count),
    .fb_wr_data(dfw_data),
    .fb_rd_en(dfr_en), .fb_rd_addr(dfr_addr), .fb_rd_count(dfr_count),
    .fb_rd_data(dfr_data),
    .wb_wr_en(dww_en), .wb_wr_addr(dww_addr), .wb_wr_count(dww_count),
    .wb_wr_data(dww_data), .wb_wr_fmt(dww_fmt),
    .pb_wr_en(dpw_en), .pb_wr_addr(dpw_addr), .pb_wr_data(dpw_data));

  //===--------------------------------------------------------------------===//
  // Buffers
  //===--------------------------------------------------------------------===//

  logic [L*8-1:0] fbuf [FV];
  logic [RB-1:0]  wbuf [WR];
  logic [1:0]     wfmt [WR];
  logic [PB-1:0]  pbuf [PE];
  logic [Q*32-1:0] abuf [AV];

  // Clearing: while rst_n is low a counter sweeps every address of every
  // buffer, one per cycle (the harness holds reset for clear_cycles()).
  localparam int CLR_N = FV > WR ? (FV > AV ? (FV > PE ? FV : PE) : (AV > PE ? AV : PE))
                                 : (WR > AV ? (WR > PE ? WR : PE) : (AV > PE ? AV : PE));
  logic [31:0] clr;
  always_ff @(posedge clk)
    if (rst_n) clr <= '0;
    else if (clr < 32'(CLR_N)) clr <= clr + 32'd1;
  assign clear_done = clr >= 32'(CLR_N);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      if (clr < 32'(FV)) fbuf[clr[FAW-1:0]] <= '0;
      if (clr < 32'(WR)) begin
        wbuf[clr[WAW-1:0]] <= '0;
        wfmt[clr[WAW-1:0]] <= '0;
      end
      if (clr < 32'(PE)) pbuf[clr[PAW-1:0]] <= '0;
      if (clr < 32'(AV)) abuf[clr[AAW-1:0]] <= '0;
      cfa_data <= '0; cfb_data <= '0; cfx_data <= '0; dfr_data <= '0;
      // The WBUF read word is L rows of Q + 1 bytes: 33 280 bits on
      // large.json, past the 8 k bits above which Verilator takes a fill
      // for a mistake.
      /* verilator lint_off WIDTHCONCAT */
      wbr_data <= '0;
      /* verilator lint_on WIDTHCONCAT */
      wbr_fmt <= '0; cpr_data <= '0; ar_data <= '0;
    end else begin
      // Reads (addresses past a buffer read zero; a valid program has none).
      if (cfa_en) cfa_data <= 32'(cfa_addr) < FV ? fbuf[cfa_addr] : '0;
      if (cfb_en) cfb_data <= 32'(cfb_addr) < FV ? fbuf[cfb_addr] : '0;
      if (W > 1)
        for (int k = 0; k < WX; k++)
          if (cfx_en[k])
            cfx_data[k*L*8 +: L*8] <= 32'(cfx_addr[k*FAW +: FAW]) < FV ?
                                      fbuf[cfx_addr[k*FAW +: FAW]] : '0;
      if (dfr_en)
        for (int i = 0; i < DU; i++)
          dfr_data[i*L*8 +: L*8] <= (i < 32'(dfr_count) &&
                                     32'(dfr_addr) + i < FV) ?
                                    fbuf[32'(dfr_addr) + i] : '0;
      if (wbr_en)
        for (int l = 0; l < L; l++) begin
          wbr_data[l*RB +: RB] <= 32'(wbr_addr) + l < WR ?
                                   wbuf[32'(wbr_addr) + l] : '0;
          wbr_fmt[l*2 +: 2] <= 32'(wbr_addr) + l < WR ?
                                wfmt[32'(wbr_addr) + l] : '0;
        end
      if (cpr_en) cpr_data <= 32'(cpr_addr) < PE ? pbuf[cpr_addr] : '0;
      if (ar_en) ar_data <= 32'(ar_addr) < AV ? abuf[ar_addr] : '0;
      // Writes.
      if (cfw_en && 32'(cfw_addr) < FV) fbuf[cfw_addr] <= cfw_data;
      if (dfw_en)
        for (int i = 0; i < DU; i++)
          if (i < 32'(dfw_count) && 32'(dfw_addr) + i < FV)
            fbuf[32'(dfw_addr) + i] <= dfw_data[i*L*8 +: L*8];
      if (dww_en)
        for (int i = 0; i < DU; i++)
          if (i < 32'(dww_count) && 32'(dww_addr) + i < WR) begin
            wbuf[32'(dww_addr) + i] <= dww_data[i*RB +: RB];
            wfmt[32'(dww_addr) + i] <= dww_fmt;
          end
      if (dpw_en && 32'(dpw_addr) < PE) pbuf[dpw_addr] <= dpw_data;
      if (aw_en && 32'(aw_addr) < AV) abuf[aw_addr] <= aw_data;
    end
  end

endmodule
