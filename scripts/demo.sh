#!/usr/bin/env bash
# The main job, from a fresh clone: install, compile a bundled example to one ONNX file holding
# every width configuration, show what it holds, then run it under a budget.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
[ -d node_modules ] || npm ci --no-fund --no-audit
mkdir -p out
node cli/bin.js check examples/nyud.mtl
node cli/bin.js compile examples/nyud.mtl -o out/nyud.onnx
node cli/bin.js info out/nyud.onnx | head -30
node cli/bin.js run out/nyud.onnx --random --budget 50% --prefer semseg=3,depth=1,normals=1
