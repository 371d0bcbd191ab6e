#!/usr/bin/env bash
# Steps run on the GPU machine (one warm machine, several calls): it has torch, transformers and peft,
# but no network and no gguf package. The GGUF travels in pieces (bench/gpu/split_model.sh makes
# .gpu/pieces-NN), the gguf wheel in .gpu/w2/, the tokenized traces in .gpu/data/ (all ignored by git).
#   bash bench/adapter/device.sh receive            # once per piece: keep it in /tmp/gguf
#   bash bench/adapter/device.sh train [ARGS...]    # reassemble, verify SHA-256, train; adapters to $OUT
set -euo pipefail
SHA=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
case "${1:-}" in
  receive)
    mkdir -p /tmp/gguf
    for f in .gpu/pieces-*/piece-*; do [ -e "$f" ] && cp "$f" /tmp/gguf/; done
    ls /tmp/gguf
    ;;
  train)
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/w2/*.whl
    cat /tmp/gguf/piece-* > /tmp/model.gguf
    echo "$SHA  /tmp/model.gguf" | sha256sum -c -
    mkdir -p /tmp/m && mv /tmp/model.gguf /tmp/m/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
    PYTHONPATH=/tmp/site python3 bench/adapter/train_lora.py --gguf /tmp/m/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \
      --data .gpu/data/traces.npz --out "${OUT:-/tmp/out}/adapter" "${@:2}"
    rm -f "${OUT:-/tmp/out}"/adapter/*/README.md
    ;;
  *) echo "usage: device.sh receive|train" >&2; exit 2 ;;
esac
