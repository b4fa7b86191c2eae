#!/usr/bin/env bash
# synth.sh - Yosys resource estimate of the whole DLP core for one config.
#
#   hw/synth/synth.sh <dlp_cfg_pkg.sv> [log dir]
#
# The package comes from dlp-hwgen (the build generates small.json's as
# build-*/hw/small/dlp_cfg_pkg.sv; for another config run
# `dlp-hwgen hw/configs/large.json -o pkg.sv`). Every unit is synthesized on
# its own with synth_xilinx for UltraScale+ (-family xcup, the VU9P's; one
# Yosys at a time, under nice), its sub-units as black boxes:
#
#   pe_array   dlp_pe_array          (arrays above DLP_SYNTH_MAX_PES PEs,
#                                     default 256: 8x8 and 16x16, scaled)
#   pe_array_win  dlp_pe_array_win   (only, with DLP_SYNTH_WINDOW=W: 8x8
#                                     with that window; see below)
#   postproc   dlp_postproc          (two in dlp_gemm: the epilogue and the
#                                     residual add; one in dlp_eltwise)
#   gemm       dlp_gemm              (dlp_pe_array, dlp_postproc black boxes;
#                                     its dlp_gemm_step and dlp_align_add
#                                     included)
#   dma        dlp_dma
#   pool       dlp_pool              (L above DLP_SYNTH_MAX_POOL_L, default
#                                     8: L = 4 and 8, extrapolated linearly:
#                                     its lanes are a generate over L)
#   eltwise    dlp_eltwise           (dlp_postproc black box; its
#                                     dlp_align_add included)
#   csr_dec    dlp_csr_dec           (L above DLP_SYNTH_MAX_CSR_L, default
#                                     16: L = Q = 8, 16 and 32 with the
#                                     config's words per dense bank,
#                                     extrapolated by a + b L + c L^2: its
#                                     banks are Q x L, its lane-to-bank
#                                     selection L x L)
#   core_ctrl  dlp_core without its buffer arrays: dispatcher, the three
#              dlp_fifo queues, semaphores, DMA arbitration, port muxes
#              (units, dlp_csr_dec and hw/synth/dlp_buffers.sv black boxes)
#   buffers    hw/synth/dlp_buffers.sv: the banking logic of FBUF / WBUF /
#              PBUF / ABUF (banks black boxes); buffers_aligned the same
#              without the WBUF read rotation (GEMM w_addr a multiple of L)
#
# then hw/synth/report.py prints the table: per unit LUT / FF / DSP / carry /
# BRAM, the buffers' storage as BRAM36 / URAM288 blocks by arithmetic, the
# total and its share of a VU9P. Full logs and `stat` outputs go to the log dir
# (<unit>.log, <unit>.stat, <unit>.time). DLP_RTL overrides the RTL
# directory (e.g. a `git archive` of one commit's hw/rtl); DLP_SYNTH_ONLY
# (names, space-separated) re-runs only those units, keeping the others'
# results in the log dir. Yosys does not place or route: no Fmax; each run
# ends with Yosys `sta` on the mapped netlist (cell delays of Yosys's Xilinx
# library, no routing; DSP48E2 untimed), <unit>.sta, whose latest arrival
# report.py prints as a logic-only bound. Run by hand
# (minutes per unit; large.json about half an hour), not from ctest.
set -euo pipefail
usage="usage: synth.sh <dlp_cfg_pkg.sv> [log dir]"
pkg=$(realpath "${1:?$usage}")
logs=${2:-.}
here=$(cd "$(dirname "$0")" && pwd)
rtl=$(cd "${DLP_RTL:-$here/../rtl}" && pwd)
max_pes=${DLP_SYNTH_MAX_PES:-256}
max_pool_l=${DLP_SYNTH_MAX_POOL_L:-8}
max_csr_l=${DLP_SYNTH_MAX_CSR_L:-16}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)

num() { sed -n "s/^ *localparam int $1 = \([0-9]*\);.*/\1/p" "$pkg"; }
L=$(num L)
Q=$(num Q)
[ -n "$L" ] && [ -n "$Q" ] || { echo "synth.sh: no L / Q in $pkg" >&2; exit 1; }

only=" ${DLP_SYNTH_ONLY:-} "
missing=""  # units not re-run that have no result in the log dir
ran=""      # units run by this invocation
# run <name> <top> "<files>" "<black-box files>" ["<commands before synth>"]
run() {
  local name=$1 top=$2 files=$3 lib=$4 pre=${5:-} t0=$SECONDS
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then
    [ -f "$logs/$name.stat" ] || missing="$missing $name"
    return
  fi
  nice -n 10 yosys -q -l "$logs/$name.log" -p "
    read_verilog -sv $pkg
    ${lib:+read_verilog -sv -lib $lib}
    read_verilog -sv $files
    $pre
    synth_xilinx -top $top -family xcup -flatten -noiopad
    tee -q -o $logs/$name.stat stat
    read_verilog -lib -specify +/xilinx/cells_sim.v
    tee -q -o $logs/$name.sta sta" >/dev/null
  ran="$ran $name"
  echo "$((SECONDS - t0))" > "$logs/$name.time"
  echo "synth.sh: $name ($top) $((SECONDS - t0)) s" >&2
}

# dlp_core with its buffer section (from the "// Buffers" banner to
# endmodule) replaced by a dlp_buffers instance with the same signals.
ports=$(sed -n '/^module dlp_buffers/,/^);/p' "$here/dlp_buffers.sv" |
        sed -n 's/^ *\(input\|output\) *logic *\(\[[^]]*\]\)\? *\([^;]*\),\?$/\3/p' |
        tr -d ' ' | tr ',' '\n' | sed '/^$/d')
awk -v ports="$(echo $ports)" '
  /^  \/\/ Buffers$/ { cut = 1; found = 1 }
  cut && /^endmodule/ {
    cut = 0
    n = split(ports, s, " ")
    printf "  dlp_buffers u_buffers (\n"
    for (i = 1; i <= n; i++) printf "    .%s(%s)%s\n", s[i], s[i], i < n ? "," : ");"
  }
  !cut { print }
  END { if (!found) exit 1 }' "$rtl/dlp_core.sv" > "$logs/dlp_core_ctrl.sv" ||
  { echo "synth.sh: no '// Buffers' section in $rtl/dlp_core.sv" >&2; exit 1; }

# The window-sparse array alone (dlp_pe_array_win): with
# DLP_SYNTH_WINDOW=W only this array is synthesized, at the sizes
# DLP_SYNTH_WINDOW_SIZES (default 8: 8 x 8; 16 x 16 needed more than 24 GB
# of memory in Yosys 0.23, which then killed it) with that window, int8
# weights as DLP_SYNTH_WINDOW_INT8 (0 / 1; default the package's
# INT8_WEIGHTS) and DLP_SYNTH_WINDOW_PIXELS output pixels per step (the
# array's P copies, default the package's PIXELS), and its counts printed
# per PE (L x Q x P of them) and scaled to the package's L x Q x P;
# nothing else runs.
if [ -n "${DLP_SYNTH_WINDOW:-}" ]; then
  only="  "  # (DLP_SYNTH_ONLY does not apply: every size is run)
  int8=${DLP_SYNTH_WINDOW_INT8:-$(sed -n "s/^ *localparam bit INT8_WEIGHTS = 1'b\([01]\);.*/\1/p" "$pkg")}
  px=${DLP_SYNTH_WINDOW_PIXELS:-$(num PIXELS)}
  px=${px:-1}
  tag=$([ "$px" = 1 ] || echo "x$px")
  for n in ${DLP_SYNTH_WINDOW_SIZES:-8}; do
    lg=0; m=$n; while (( m > 1 )); do m=$((m / 2)); lg=$((lg + 1)); done
    run pe_array_win_${n}x$n$tag dlp_pe_array_win \
        "$rtl/dlp_pe_array_win.sv $rtl/dlp_pe_reduce.sv $rtl/dlp_pe_weight.sv $rtl/dlp_pe_split.sv $rtl/dlp_pe_wshift.sv" "" \
        "chparam -set L $n -set Q $n -set LOG2_L $lg -set W $DLP_SYNTH_WINDOW -set INT8 $int8 -set P $px dlp_pe_array_win"
  done
  for n in ${DLP_SYNTH_WINDOW_SIZES:-8}; do
    awk -v n=$n -v px=$px -v big=$((L * Q * px)) '
      /^ +LUT[1-6] / { lut += $2 } /^ +FDRE / { ff += $2 } /^ +DSP48E2 / { dsp += $2 }
      END { pes = n * n * px
            printf "dlp_pe_array_win %dx%dx%d: %d LUT (%.1f per PE), %d FF (%.1f per PE), %d DSP48E2; x %d PEs: %.0f LUT\n",
                   n, n, px, lut, lut / pes, ff, ff / pes, dsp, big, lut / pes * big }' \
      "$logs/pe_array_win_${n}x$n$tag.stat"
  done
  exit 0
fi
# A window config's whole core is not estimated: its FBUF needs W read
# ports (dlp_gemm's window ports), which dlp_buffers.sv does not bank.
if [ "$(num WINDOW)" != 1 ]; then
  echo "synth.sh: $pkg has array.window = $(num WINDOW): the FBUF's window" \
       "read ports have no banking in dlp_buffers.sv, so there is no whole-core" \
       "estimate; DLP_SYNTH_WINDOW=W estimates the window array alone" >&2
  exit 1
fi
if (( L * Q <= max_pes )); then
  run pe_array dlp_pe_array "$rtl/dlp_pe_array.sv $rtl/dlp_pe_reduce.sv $rtl/dlp_pe_weight.sv $rtl/dlp_pe_split.sv $rtl/dlp_pe_wshift.sv" ""
else
  run pe_array_8x8 dlp_pe_array "$rtl/dlp_pe_array.sv $rtl/dlp_pe_reduce.sv $rtl/dlp_pe_weight.sv $rtl/dlp_pe_split.sv $rtl/dlp_pe_wshift.sv" "" \
      "chparam -set L 8 -set Q 8 -set LOG2_L 3 dlp_pe_array"
  run pe_array_16x16 dlp_pe_array "$rtl/dlp_pe_array.sv $rtl/dlp_pe_reduce.sv $rtl/dlp_pe_weight.sv $rtl/dlp_pe_split.sv $rtl/dlp_pe_wshift.sv" "" \
      "chparam -set L 16 -set Q 16 -set LOG2_L 4 dlp_pe_array"
fi
run postproc dlp_postproc "$rtl/dlp_postproc.sv" ""
run gemm dlp_gemm "$rtl/dlp_gemm.sv $rtl/dlp_gemm_step.sv $rtl/dlp_align_add.sv" \
    "$rtl/dlp_pe_array.sv $rtl/dlp_postproc.sv"
run dma dlp_dma "$rtl/dlp_dma.sv" ""
if (( L <= max_pool_l )); then
  run pool dlp_pool "$rtl/dlp_pool.sv" ""
else
  run pool_L4 dlp_pool "$rtl/dlp_pool.sv" "" "chparam -set L 4 dlp_pool"
  run pool_L8 dlp_pool "$rtl/dlp_pool.sv" "" "chparam -set L 8 dlp_pool"
fi
run eltwise dlp_eltwise "$rtl/dlp_eltwise.sv $rtl/dlp_align_add.sv" \
    "$rtl/dlp_postproc.sv"
if (( L <= max_csr_l )); then
  run csr_dec dlp_csr_dec "$rtl/dlp_csr_dec.sv" ""
else
  words=$(( $(num CSR_DENSE_ROWS) / L ))
  for l in 8 16 32; do
    run csr_dec_L$l dlp_csr_dec "$rtl/dlp_csr_dec.sv" "" \
        "chparam -set L $l -set Q $l -set KMAX $((l * words)) dlp_csr_dec"
  done
fi
run buffers dlp_buffers "$here/dlp_buffers.sv" "$here/dlp_sram_bank.sv"
run buffers_aligned dlp_buffers "$here/dlp_buffers.sv" "$here/dlp_sram_bank.sv" \
    "chparam -set ROTATE 0 dlp_buffers"
units="$rtl/dlp_gemm.sv $rtl/dlp_pool.sv $rtl/dlp_eltwise.sv $rtl/dlp_dma.sv"
[ -f "$rtl/dlp_csr_dec.sv" ] && units="$units $rtl/dlp_csr_dec.sv"
run core_ctrl dlp_core "$rtl/dlp_fifo.sv $logs/dlp_core_ctrl.sv" \
    "$units $here/dlp_buffers.sv"

# With DLP_SYNTH_ONLY in a log dir that lacks some units' results (a
# unit measured alone, e.g. DLP_SYNTH_ONLY="pool_L4 pool_L8" on a config
# with L > 8), there is no total: the units this run synthesized are
# printed instead (report.md, if the log dir has one, is an earlier run's),
# and the exit status is 3 when none of the names given was run.
if [ -n "$missing" ]; then
  echo "synth.sh: no result for$missing: no report; the units run:" >&2
  for name in $ran; do
    python3 - "$here" "$logs/$name.stat" "$name" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import report
s = report.stat(sys.argv[2])
print("%s: %d LUT (%d of them LUT RAM / SRL sites), %d FF, %d DSP48E2, %d CARRY4"
      % (sys.argv[3], s["LUT"], s["LUTRAM"], s["FF"], s["DSP"], s["CARRY"]))
PY
  done
  [ -n "$ran" ] || { echo "synth.sh: none of DLP_SYNTH_ONLY ($only) is a unit of this config" >&2; exit 3; }
  exit 0
fi
python3 "$here/report.py" "$pkg" "$logs" | tee "$logs/report.md"
