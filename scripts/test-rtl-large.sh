#!/bin/bash
# The large config's RTL core (hw/configs/large.json, 64x64 PEs), opt-in:
# scripts/test-rtl-config.sh with large.json in a build directory of its
# own (default build-rtl-large): the bundled Fashion-MNIST models (dense
# and CSR) on the 64x64 core, every tensor bit-identical with the
# functional simulator and every layer's cycles within 5 % of the cycle
# model, and the lint of hw/rtl with large's package.
#
#   bash scripts/test-rtl-large.sh [build dir]
#
# Slow: the Verilated core is about 86 MB of C++, compiled at -O1 (a
# fraction of -O2's time) with DLP_RTL_BUILD_JOBS jobs (default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DLP_RTL_CXX_OPT=-O1 exec bash "$ROOT/scripts/test-rtl-config.sh" \
  "$ROOT/hw/configs/large.json" "${1:-$ROOT/build-rtl-large}"
