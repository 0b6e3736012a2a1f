#!/usr/bin/env bash
# Installs everything mtl and its tests need: npm packages, and Debian packages for the
# independent checks (ONNX checker, PyTorch reference) and browser tests (Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -e /usr/lib/python3/dist-packages/onnx ] || need+=(python3-onnx)
[ -e /usr/lib/python3/dist-packages/torch ] || need+=(python3-torch)
[ -e /usr/lib/python3/dist-packages/torchvision ] || need+=(python3-torchvision)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-fund --no-audit
