#!/usr/bin/env bash
# synth.sh - Yosys resource estimate of the RTL units for one config.
#
#   hw/synth/synth.sh <dlp_cfg_pkg.sv> [log dir]
#
# The package comes from dlp-hwgen (the build generates small.json's as
# build-*/hw/small/dlp_cfg_pkg.sv; for another config run
# `dlp-hwgen hw/configs/large.json -o pkg.sv`). Each unit is synthesized on
# its own with synth_xilinx for UltraScale+ (-family xcup, the VU9P's) and
# its LUT / FF / DSP / carry counts printed; full logs go to the log dir.
set -euo pipefail
pkg=${1:?usage: synth.sh <dlp_cfg_pkg.sv> [log dir]}
logs=${2:-.}
rtl=$(cd "$(dirname "$0")/../rtl" && pwd)
mkdir -p "$logs"
for top in dlp_pe_array dlp_postproc; do
  yosys -q -l "$logs/$top.log" -p "
    read_verilog -sv $pkg $rtl/$top.sv
    synth_xilinx -top $top -family xcup -flatten
    tee -o $logs/$top.stat stat" >/dev/null
  echo "== $top"
  awk '/Number of cells/ {p=1} p && /(LUT|FD|DSP|CARRY|SRL|MUXF|RAM)/ {print}
       p && /LUT[1-6]/ {lut += $2} p && /FD[RSCP]E/ {ff += $2}
       END {printf "     LUT total %d, FF total %d\n", lut, ff}' "$logs/$top.stat"
done
