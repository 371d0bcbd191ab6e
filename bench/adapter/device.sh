#!/usr/bin/env bash
# Steps run on the GPU machine (one warm machine, several calls). It has torch, transformers and peft
# but no network and no gguf package: the GGUF travels in pieces (bench/adapter/split_model.sh makes
# .gpu/MODEL-NN/), the gguf wheel in .gpu/w2/, the tokenized traces in .gpu/traces-MODEL/ (all ignored
# by git); each call carries what fits beside the working tree, and `receive` moves it out of the tree.
#   bash bench/adapter/device.sh receive                 # after each transfer: pieces into /tmp/gguf-MODEL
#   bash bench/adapter/device.sh start MODEL [ARGS...]   # reassemble, verify SHA-256, train in the background
#   bash bench/adapter/device.sh wait MODEL [SECONDS]    # follow the log; when done, adapters to $OUT
#   bash bench/adapter/device.sh train MODEL [ARGS...]   # start and wait in one call
# MODEL is 0.5b or 1.5b; ARGS go to train_lora.py (--epochs, --lr, --rank, --batch-tokens ...).
# CORPUS=calls trains the function-calling adapter instead: its data is calls-MODEL.npz (travelling in
# .gpu/traces-MODEL/ too), its run and its results are named calls-MODEL. Both can train at once.
# GGUF=FILE trains on a GGUF already on the machine (bench/device_eval.sh train) instead of the pieces.
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
declare -A SHA=([0.5b]=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
                [1.5b]=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046)
out=${OUT:-/tmp/out}
corpus=${CORPUS:-traces}

run_name() {  # the reasoning adapter keeps its plain MODEL names
  if [ "$corpus" = traces ]; then echo "$1"; else echo "$corpus-$1"; fi
}

receive() {
  local dir model
  for dir in .gpu/0.5b-[0-9]* .gpu/1.5b-[0-9]*; do
    [ -d "$dir" ] || continue
    model=${dir#.gpu/}; model=${model%-*}
    mkdir -p "/tmp/gguf-$model" && mv "$dir"/piece-* "/tmp/gguf-$model/" && rmdir "$dir"
  done
  for dir in .gpu/traces-*; do
    [ -d "$dir" ] && mkdir -p /tmp/traces && mv "$dir"/*.npz /tmp/traces/ && rmdir "$dir"
  done
  [ -d .gpu/w2 ] && mkdir -p /tmp/w2 && mv .gpu/w2/*.whl /tmp/w2/ && rmdir .gpu/w2
  ls /tmp/gguf-* /tmp/traces /tmp/w2 2>/dev/null | tr '\n' ' '; echo
}

start() {
  local model=$1; shift
  [ -d /tmp/site/gguf ] || python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site /tmp/w2/*.whl
  local file=${GGUF:-/tmp/m-$model/qwen2.5-coder-$model-instruct-q4_k_m.gguf}
  if [ -z "${GGUF:-}" ]; then  # assembled from the pieces `receive` collected, kept for a second run
    mkdir -p "/tmp/m-$model"
    [ -s "$file" ] || cat "/tmp/gguf-$model"/piece-* > "$file"
  fi
  echo "${SHA[$model]}  $file" | sha256sum -c -
  local dir=/tmp/adapter-$(run_name "$model")
  rm -rf "$dir" && mkdir -p "$dir"
  cp "/tmp/traces/$corpus-$model.npz" "$dir/traces.npz"
  cp bench/adapter/train_lora.py "$dir/"
  setsid nohup env PYTHONPATH=/tmp/site python3 "$dir/train_lora.py" --gguf "$file" \
    --data "$dir/traces.npz" --out "$dir/out" "$@" \
    > "$dir/log" 2>&1 < /dev/null &
  echo "training $(run_name "$model") in the background (pid $!)"
}

wait_for() {
  local model limit=${2:-540} dir waited=0
  model=$(run_name "$1") dir=/tmp/adapter-$(run_name "$1")
  while [ ! -e "$dir/out/train_log.json" ] && [ "$waited" -lt "$limit" ]; do sleep 10; waited=$((waited + 10)); done
  tail -n 4 "$dir/log"
  [ -e "$dir/out/train_log.json" ] || { echo "still training"; return 0; }
  mkdir -p "$out/$model"
  cp "$dir/out/train_log.json" "$dir/log" "$out/$model/"
  local epoch
  for epoch in "$dir"/out/epoch*; do
    # one tar per epoch, split so that every file stays under the 16 MiB a fetched file may have
    tar -C "$dir/out" -cf - "$(basename "$epoch")" | split -b 15M -d -a 1 - "$out/$model/$(basename "$epoch").tar."
  done
  ls -la "$out/$model"
}

case "${1:-}" in
  receive) receive ;;
  start) start "${@:2}" ;;
  wait) wait_for "${@:2}" ;;
  train) start "${@:2}" && wait_for "$2" 560 ;;
  *) echo "usage: device.sh receive|start MODEL|wait MODEL|train MODEL" >&2; exit 2 ;;
esac
