#!/usr/bin/env bash
# Accuracy runs on a GPU machine without network (bench/parallel_eval.py), in one GPU run of several calls.
# What travels, beside the working tree (all ignored by git): .whl/ (Python wheels the machine lacks),
# .lcpp/ (the llama-cpp-python sdist, built there with CUDA), shared/ (a copy of ../shared), .before/
# (an older checkout for the devcheck plan), and .gpu/pe/MODEL.NN (the GGUF files in pieces, one call each:
# bench/device_eval.sh pieces makes them here).
#   bash bench/device_eval.sh pieces [SIZE]   # here: cut both GGUFs into .gpu/pe/ (default 58M)
#   bash bench/device_eval.sh setup           # there: wheels, adapters aside, CUDA and CPU builds in the background
#   bash bench/device_eval.sh receive         # there, after each transfer: pieces out of the tree
#   bash bench/device_eval.sh probe           # there: which build loads and runs a model, with torch beside or not
#   bash bench/device_eval.sh start PLAN...   # there: models, build done?, then parallel_eval.py in the background
#                                             # (RUN=NAME: a second run from a fresh copy of the tree, beside the first)
#   bash bench/device_eval.sh wait [SECONDS]  # there: follow the log; results to $OUT when it ends
# Adapters trained in the same GPU run (the GGUFs travel once): the tokenized corpora travel in .gpu/traces/
# (CORPUS-MODEL.npz, bench/adapter/README.md), the GPU tests' wheels in .whl-gpu/.
#   bash bench/device_eval.sh train CORPUS MODEL [ARGS...]  # there: train_lora.py in the background
#   bash bench/device_eval.sh convert CORPUS MODEL [SECONDS] # there: wait, GGUF LoRA to /tmp/keep/adapters and $OUT
#   bash bench/device_eval.sh callseval N MODEL...  # there: calls_eval.py on N validation requests, with
#                                              # and without the model's calling adapter (for the `calls` plan)
#   bash bench/device_eval.sh gputests         # there: tests/gpu with unsloth, in the background (wait fetches it)
set -euo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
declare -A SHA=([0.5b]=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
                [1.5b]=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046)
declare -A FILE=([0.5b]=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf [1.5b]=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)
out=${OUT:-/tmp/out}
cache=/tmp/slmcache

pieces() {
  local size=${1:-58M} model
  rm -rf .gpu/pe && mkdir -p .gpu/pe
  for model in 0.5b 1.5b; do
    split -b "$size" -d -a 2 "${SLMREACT_CACHE_DIR:-$HOME/.cache/slmreact}/models/${FILE[$model]}" ".gpu/pe/$model."
  done
  ls .gpu/pe | wc -l
}

setup() {
  rm -rf /tmp/keep && mkdir -p /tmp/keep/adapters && cp -r shared /tmp/keep/ && { [ -d .before ] && cp -r .before /tmp/keep/ || true; }
  cp slmreact_cli/adapters/*.gguf /tmp/keep/adapters/ 2>/dev/null || true  # later calls may travel without them
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  rm -rf /tmp/lcpp && mkdir -p /tmp/lcpp && tar -xzf .lcpp/llama_cpp_python-*.tar.gz -C /tmp/lcpp
  local nvcc
  nvcc=$(command -v nvcc || ls /usr/local/cuda*/bin/nvcc 2>/dev/null | head -n 1 || true)
  echo "nvcc: ${nvcc:-none}; cores: $(nproc)"
  (cd /tmp/lcpp/llama_cpp_python-* && setsid nohup env PATH="$(dirname "${nvcc:-/usr/bin/x}"):$PATH" \
      PYTHONPATH=/tmp/site CUDACXX="$nvcc" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DLLAVA_BUILD=OFF -DGGML_CUDA_FA=OFF" \
      bash -c 'python3 -m pip wheel -q --no-build-isolation --no-deps -w /tmp/lwheel . && echo BUILD-OK || echo BUILD-FAILED' \
      > /tmp/build.log 2>&1 < /dev/null &)
  # the fallback, built beside it from its own copy of the source: llama.cpp on the CPU cores
  rm -rf /tmp/lcpp-cpu && mkdir -p /tmp/lcpp-cpu && tar -xzf .lcpp/llama_cpp_python-*.tar.gz -C /tmp/lcpp-cpu
  (cd /tmp/lcpp-cpu/llama_cpp_python-* && setsid nohup env PYTHONPATH=/tmp/site CMAKE_BUILD_PARALLEL_LEVEL=4 \
      CMAKE_ARGS="-DLLAVA_BUILD=OFF" \
      bash -c 'python3 -m pip wheel -q --no-build-isolation --no-deps -w /tmp/lwheel-cpu . && echo BUILD-OK || echo BUILD-FAILED' \
      > /tmp/build-cpu.log 2>&1 < /dev/null &)
  echo "building llama-cpp-python with CUDA and for the CPU in the background"
}

probe() {
  # Loads the 0.5B with each build, in a bare process and with torch imported first, then one `ask`.
  models
  cp -n /tmp/keep/adapters/*.gguf slmreact_cli/adapters/ 2>/dev/null || true
  local gguf="$cache/models/${FILE[0.5b]}" build
  tail -n 1 /tmp/build.log /tmp/build-cpu.log
  for build in cuda cpu; do
    local wheels=/tmp/lwheel; [ "$build" = cpu ] && wheels=/tmp/lwheel-cpu
    ls $wheels/*.whl > /dev/null 2>&1 || { echo "$build: no wheel"; continue; }
    rm -rf /tmp/site-$build && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --target /tmp/site-$build $wheels/*.whl
    local layers=-1; [ "$build" = cpu ] && layers=0
    for first in "" "import torch;"; do
      echo "== $build, ${first:-bare}"
      PYTHONFAULTHANDLER=1 PYTHONPATH=/tmp/site-$build:/tmp/site timeout 120 python3 -c "$first
import time, llama_cpp; t = time.time()
m = llama_cpp.Llama('$gguf', n_gpu_layers=$layers, n_ctx=2048, verbose=False)
print(repr(m.create_completion('The capital of France is', max_tokens=8, temperature=0)['choices'][0]['text']),
      round(time.time() - t, 1), 's')" 2>&1 | tail -n 12 || echo "   (exit ${PIPESTATUS[0]})"
    done
    echo "== $build, slmreact ask"
    PYTHONFAULTHANDLER=1 PYTHONPATH=$PWD:$PWD/bench/gpu_offload:/tmp/site-$build:/tmp/site SLMREACT_CACHE_DIR=$cache \
        SLMREACT_HOME=/tmp/slmhome-probe SLMREACT_BENCH_GPU_LAYERS=$layers SLMREACT_BENCH_THREADS=2 \
        timeout 180 python3 -m slmreact_cli ask --model qwen2.5-coder-0.5b --tools shared/eval_tools.py \
        "What is 17 times 23?" 2>&1 | tail -n 15 || echo "   (exit ${PIPESTATUS[0]})"
  done
}

receive() {
  mkdir -p /tmp/pieces /tmp/traces
  [ -d .gpu/pe ] && find .gpu/pe -type f -exec mv {} /tmp/pieces/ \; || true
  [ -d .gpu/traces ] && find .gpu/traces -name '*.npz' -exec mv {} /tmp/traces/ \; || true
  [ -d .whl-gpu ] && mkdir -p /tmp/whl-gpu && cp .whl-gpu/*.whl /tmp/whl-gpu/ || true
  ls /tmp/pieces | tr '\n' ' '; echo; tail -n 2 /tmp/build.log 2>/dev/null || true
}

models() {
  local model target
  mkdir -p "$cache/models"
  for model in 0.5b 1.5b; do
    target="$cache/models/${FILE[$model]}"
    [ -e "$target" ] && continue
    ls /tmp/pieces/"$model".* > /dev/null 2>&1 || continue
    cat /tmp/pieces/"$model".* > "$target"
    echo "${SHA[$model]}  $target" | sha256sum -c - || { rm -f "$target"; continue; }
    python3 -c "import json,os,sys; t=sys.argv[1]; s=os.stat(t); open(t+'.verified','w').write(json.dumps({'sha256': sys.argv[2], 'size': s.st_size, 'mtime_ns': s.st_mtime_ns}))" "$target" "${SHA[$model]}"
  done
}

start() {
  models
  local waited=0 gpu_layers=-1 threads=2 workers=12
  if [ ! -d /tmp/site/llama_cpp ]; then
    # BUILD=cpu (say, when probe showed the CUDA build crashing) takes the CPU build
    local log=/tmp/build.log wheels=/tmp/lwheel
    [ "${BUILD:-cuda}" = cpu ] && { log=/tmp/build-cpu.log; wheels=/tmp/lwheel-cpu; touch /tmp/cpu-only; }
    while ! grep -q "BUILD-" $log && [ "$waited" -lt 420 ]; do sleep 5; waited=$((waited + 5)); done
    if ! grep -q BUILD-OK $log; then
      tail -n 30 $log; echo "the build failed: the CPU one instead"; wheels=/tmp/lwheel-cpu; touch /tmp/cpu-only
      while ! grep -q "BUILD-" /tmp/build-cpu.log; do sleep 5; done
    fi
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $wheels/*.whl
  fi
  [ -e /tmp/cpu-only ] && { gpu_layers=0; workers=8; }
  local run=/tmp/${RUN:-after}
  rm -rf "$run" && cp -r . "$run" && rm -rf "$run/.gpu" "$run/.whl" "$run/.lcpp" "$run/.before"
  rm -rf "$run/shared" && cp -r /tmp/keep/shared "$run/shared"
  cp -n /tmp/keep/adapters/*.gguf "$run/slmreact_cli/adapters/" 2>/dev/null || true
  mkdir -p "$run/bench/out" && cp /tmp/callseval/*.jsonl "$run/bench/out/" 2>/dev/null || true
  cp /tmp/pe-choice.json "$run/bench/out/" 2>/dev/null || true  # a choice made in this GPU run (the calls plan's rule)
  if [ -d /tmp/keep/.before ]; then
    rm -rf /tmp/before && cp -r /tmp/keep/.before /tmp/before
    cp -n "$run"/slmreact_cli/adapters/*.gguf /tmp/before/slmreact_cli/adapters/ 2>/dev/null || true
  fi
  cd "$run/bench"
  setsid nohup env PYTHONPATH="$run/bench/gpu_offload:/tmp/site" SLMREACT_CACHE_DIR=$cache \
      SLMREACT_HOME=/tmp/slmhome SLMREACT_BENCH_GPU_LAYERS=$gpu_layers SLMREACT_BENCH_THREADS=$threads \
      python3 parallel_eval.py "$@" --workers "${WORKERS:-$workers}" --before /tmp/before \
      > "$run.log" 2>&1 < /dev/null &
  sleep 20; cat "$run.log"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv || true
}

wait_for() {
  local limit=${1:-540} waited=0
  while pgrep -f parallel_eval.py > /dev/null && [ "$waited" -lt "$limit" ]; do sleep 10; waited=$((waited + 10)); done
  tail -n 40 /tmp/after*.log
  mkdir -p "$out"
  local run
  for run in /tmp/after*/bench/out; do
    (cd "$run" && tar -czf "$out/pe-$(basename "$(dirname "$(dirname "$run")")").tar.gz" pe-*.json pe-*.jsonl pe-*.md 2>/dev/null || true)
    cp "$run"/pe-*.md "$out/" 2>/dev/null || true
  done
  cp /tmp/gpu-tests.log "$out/" 2>/dev/null && tail -n 12 /tmp/gpu-tests.log || true
  pgrep -f parallel_eval.py > /dev/null && echo "STILL RUNNING" || echo "DONE"
}

train() {
  local corpus=$1 model=$2; shift 2
  models
  GGUF="$cache/models/${FILE[$model]}" CORPUS=$corpus bash bench/adapter/device.sh start "$model" "$@"
}

convert() {
  local corpus=$1 model=$2 limit=${3:-300} waited=0
  local run=$corpus-$model; [ "$corpus" = traces ] && run=$model  # bench/adapter/device.sh's run names
  local dir=/tmp/adapter-$run name=qwen2.5-coder-$model-$corpus.gguf
  while [ ! -e "$dir/out/train_log.json" ] && [ "$waited" -lt "$limit" ]; do sleep 5; waited=$((waited + 5)); done
  tail -n 3 "$dir/log"
  [ -e "$dir/out/train_log.json" ] || { echo "$corpus-$model: still training"; return 0; }
  [ -e "/tmp/keep/adapters/$name" ] && { echo "$name: converted already"; return 0; }
  local src
  src=$(ls -d /tmp/lcpp/llama_cpp_python-*/vendor/llama.cpp)
  PYTHONPATH="$src/gguf-py:/tmp/site" python3 "$src/convert_lora_to_gguf.py" --base "bench/adapter/base_configs/$model" \
      --outtype f16 --outfile "/tmp/keep/adapters/$name" "$dir/out/epoch1" 2>&1 | tail -n 1
  for run in /tmp/after*; do [ -d "$run/slmreact_cli/adapters" ] && cp "/tmp/keep/adapters/$name" "$run/slmreact_cli/adapters/"; done
  mkdir -p "$out/$corpus-$model"
  cp "$dir/out/train_log.json" "$out/$corpus-$model/"
  split -b 15M -d -a 1 "/tmp/keep/adapters/$name" "$out/$corpus-$model/$name."
  sha256sum "/tmp/keep/adapters/$name"
}

callseval() {
  local n=${1:-200} model; shift || true
  mkdir -p /tmp/callseval
  for model in ${@:-0.5b 1.5b}; do
    local adapter=/tmp/keep/adapters/qwen2.5-coder-$model-calls.gguf
    [ -e "$adapter" ] || { echo "$model: no calling adapter yet"; continue; }
    for side in off on; do
      local name=calls-eval-qwen2.5-coder-$model; [ "$side" = on ] && name=$name-adapter
      local flags=(); [ "$side" = on ] && flags=(--adapter "$adapter")
      env PYTHONPATH="$PWD:$PWD/bench/gpu_offload:/tmp/site" SLMREACT_CACHE_DIR=$cache SLMREACT_HOME=/tmp/slmhome-ce \
          SLMREACT_BENCH_GPU_LAYERS=-1 SLMREACT_BENCH_THREADS=2 python3 bench/adapter/calls_eval.py \
          --model "qwen2.5-coder-$model" --n "$n" "${flags[@]}" --out "/tmp/callseval/$name.jsonl" \
          > "/tmp/callseval/$name.log" 2>&1 &
    done
  done
  wait
  tail -n 14 /tmp/callseval/*.log
  mkdir -p "$out" && tar -C /tmp/callseval -czf "$out/callseval.tar.gz" .
}

gputests() {
  rm -rf /tmp/site-gpu && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
      --target /tmp/site-gpu /tmp/whl-gpu/*.whl
  rm -rf /tmp/gputree && cp -r . /tmp/gputree && rm -rf /tmp/gputree/.gpu /tmp/gputree/.whl* /tmp/gputree/.lcpp
  (cd /tmp/gputree && setsid nohup env PYTHONPATH="/tmp/gputree:/tmp/site-gpu:/tmp/site" SLMREACT_CACHE_DIR=$cache \
      SLMREACT_HOME=/tmp/slmhome-gpu UNSLOTH_DISABLE_STATISTICS=1 UNSLOTH_COMPILE_LOCATION=/tmp/ucc \
      python3 -m pytest tests/gpu -v -rs -p no:cacheprovider > /tmp/gpu-tests.log 2>&1 < /dev/null &)
  echo "GPU tests started"
}

case "${1:-}" in
  pieces) shift; pieces "$@" ;;
  setup) setup ;;
  receive) receive ;;
  probe) probe ;;
  start) shift; start "$@" ;;
  wait) shift; wait_for "$@" ;;
  train) shift; train "$@" ;;
  convert) shift; convert "$@" ;;
  callseval) shift; callseval "$@" ;;
  gputests) gputests ;;
  *) echo "usage: bash bench/device_eval.sh pieces|setup|receive|probe|start PLAN...|wait [SECONDS]|train|convert|callseval|gputests" >&2; exit 2 ;;
esac
