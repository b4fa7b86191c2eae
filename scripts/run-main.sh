#!/usr/bin/env bash
# run-main.sh - set up, build, and run the main job on bundled data: compile
# the bundled Fashion-MNIST CNN (python/models/fmnist_cnn.onnx) for the DLP
# (pow2-4 weights with the model's mixed-precision plan, calibrated on 1000
# training images) and run the 10,000 test images of Debian's
# dataset-fashion-mnist on the bit-exact functional simulator, printing
# accuracy and latency beside the quantized evaluator's and the float
# model's. DLP_TARGET picks the target config (default hw/configs/small.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh dlpc dlp-run dlp-eval dlp-translate dlp-opt
BUILD=${BUILD_DIR:-build}
TARGET=${DLP_TARGET:-hw/configs/small.json}
WORK="$BUILD/main-job"
mkdir -p "$WORK"
PY="env PYTHONPATH=python /usr/bin/python3"
$PY -m dlp_kit.fashion_mnist --split test --out "$WORK" >/dev/null
$PY -m dlp_kit.fashion_mnist --split train --limit 1000 --out "$WORK/calib" >/dev/null
MODEL=python/models/fmnist_cnn.onnx
"$BUILD/bin/dlpc" "$MODEL" --calib "$WORK/calib/images.npy" \
  --precision python/models/fmnist_cnn.precision.json \
  --calibration-out "$WORK/calibration.json" \
  --target "$TARGET" -o "$WORK/model.dlpb" --time
echo "compiled $MODEL for $TARGET -> $WORK/model.dlpb ($(stat -c %s "$WORK/model.dlpb") bytes)"
"$BUILD/bin/dlp-run" "$WORK/model.dlpb" --input "$WORK/images.npy" \
  --output "$WORK/logits-dlp.npy" --time
# References: the same quantized model on the quantized evaluator, and the
# float model on the float evaluator.
"$BUILD/bin/dlpc" "$MODEL" --calibration "$WORK/calibration.json" \
  --precision python/models/fmnist_cnn.precision.json -o "$WORK/model.qnn.mlirbc"
"$BUILD/bin/dlp-eval" "$WORK/model.qnn.mlirbc" --input "$WORK/images.npy" \
  --output "$WORK/logits-qnn.npy" >/dev/null
"$BUILD/bin/dlp-eval" "$MODEL" --input "$WORK/images.npy" \
  --output "$WORK/logits-float.npy" >/dev/null
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np
w = sys.argv[1]
labels = np.load(w + "/labels.npy")
acc = {k: (np.load(f"{w}/logits-{k}.npy").argmax(1) == labels).mean() * 100
       for k in ("dlp", "qnn", "float")}
same = np.array_equal(np.load(w + "/logits-dlp.npy"), np.load(w + "/logits-qnn.npy"))
print(f"Fashion-MNIST test accuracy on the simulated DLP ({len(labels)} images): "
      f"{acc['dlp']:.2f} %")
print(f"  quantized evaluator {acc['qnn']:.2f} % (outputs bit-identical: "
      f"{'yes' if same else 'NO'}), float model {acc['float']:.2f} %")
sys.exit(0 if same else 1)
PY
