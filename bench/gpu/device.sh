#!/usr/bin/env bash
# Steps run on the GPU machine (one warm machine, several calls). The machine has torch, transformers and
# peft but no network, no unsloth and no bitsandbytes; wheels and the model travel in .gpu/ (ignored).
#   bash bench/gpu/device.sh install      # unsloth + bitsandbytes wheels into /tmp/site
#   bash bench/gpu/device.sh receive      # move the GGUF pieces carried in .gpu/0.5b-NN into /tmp/gguf
#   bash bench/gpu/device.sh check        # reassemble, verify SHA-256, convert, 4-bit load, switch, train, evaluate
# Pieces are made here with: bash bench/adapter/split_model.sh 0.5b
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export UNSLOTH_DISABLE_STATISTICS=1 UNSLOTH_COMPILE_LOCATION=/tmp/ucc SLMREACT_CACHE_DIR=/tmp/slmcache
case "${1:-}" in
  install)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/wheels/*.whl
    ;;
  receive)
    mkdir -p /tmp/gguf
    for f in .gpu/0.5b-*/piece-*; do [ -e "$f" ] && cp "$f" /tmp/gguf/; done
    ls -la /tmp/gguf
    ;;
  check)
    export PYTHONPATH=/tmp/site:$PWD
    python3 bench/gpu/gpu_check.py --pieces /tmp/gguf --out "${OUT:-/tmp/out}" "${@:2}"
    ;;
  *) echo "usage: device.sh install|receive|check" >&2; exit 2 ;;
esac
