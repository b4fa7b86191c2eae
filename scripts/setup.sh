#!/usr/bin/env bash
# setup.sh - install every system package the DLP toolchain needs (idempotent).
#
# Fast no-op when everything is present. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  # build
  cmake ninja-build ccache lld g++ libgtest-dev zlib1g-dev
  # LLVM / MLIR 22
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # ONNX import
  libonnx-dev libprotobuf-dev protobuf-compiler
  # references and data
  python3-numpy python3-onnx python3-torch python3-torchvision
  libonnx-testdata dataset-fashion-mnist
  # plots (scripts/roofline.py)
  python3-matplotlib
  # RTL (hw/): simulation and lint, synthesis estimates
  verilator yosys
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
