#!/usr/bin/env bash
# Accuracy runs on a GPU machine without network (bench/parallel_eval.py), in one lease of several calls.
# What travels, beside the working tree (all ignored by git): .whl/ (Python wheels the machine lacks),
# .lcpp/ (the llama-cpp-python sdist, built there with CUDA), shared/ (a copy of ../shared), .before/
# (an older checkout for the devcheck plan), and .gpu/pe/MODEL.NN (the GGUF files in pieces, one call each:
# bench/device_eval.sh pieces makes them here).
#   bash bench/device_eval.sh pieces [SIZE]   # here: cut both GGUFs into .gpu/pe/ (default 58M)
#   bash bench/device_eval.sh setup           # there: wheels, start the CUDA build in the background
#   bash bench/device_eval.sh receive         # there, after each transfer: pieces out of the tree
#   bash bench/device_eval.sh start PLAN...   # there: models, build done?, then parallel_eval.py in the background
#   bash bench/device_eval.sh wait [SECONDS]  # there: follow the log; results to $OUT when it ends
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
  echo "building llama-cpp-python with CUDA in the background"
}

cpu_build() {
  # the fallback when the CUDA build fails: llama.cpp on the CPU cores
  (cd /tmp/lcpp/llama_cpp_python-* && rm -rf /tmp/lwheel && env PYTHONPATH=/tmp/site \
      CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" CMAKE_ARGS="-DLLAVA_BUILD=OFF" \
      python3 -m pip wheel -q --no-build-isolation --no-deps -w /tmp/lwheel . > /tmp/build-cpu.log 2>&1)
}

receive() {
  mkdir -p /tmp/pieces
  [ -d .gpu/pe ] && find .gpu/pe -type f -exec mv {} /tmp/pieces/ \; || true
  ls /tmp/pieces | tr '\n' ' '; echo; tail -n 2 /tmp/build.log 2>/dev/null || true
}

models() {
  local model target
  mkdir -p "$cache/models"
  for model in 0.5b 1.5b; do
    target="$cache/models/${FILE[$model]}"
    [ -e "$target" ] && continue
    cat /tmp/pieces/"$model".* > "$target"
    echo "${SHA[$model]}  $target" | sha256sum -c -
    python3 -c "import json,os,sys; t=sys.argv[1]; s=os.stat(t); open(t+'.verified','w').write(json.dumps({'sha256': sys.argv[2], 'size': s.st_size, 'mtime_ns': s.st_mtime_ns}))" "$target" "${SHA[$model]}"
  done
}

start() {
  models
  local waited=0
  while ! grep -q "BUILD-" /tmp/build.log && [ "$waited" -lt 420 ]; do sleep 5; waited=$((waited + 5)); done
  local gpu_layers=-1 threads=2 workers=12
  if ! grep -q BUILD-OK /tmp/build.log; then
    tail -n 30 /tmp/build.log; echo "CUDA build failed: building for the CPU"
    cpu_build; gpu_layers=0; threads=2; workers=8
  fi
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site /tmp/lwheel/*.whl
  rm -rf /tmp/after && cp -r . /tmp/after && rm -rf /tmp/after/.gpu /tmp/after/.whl /tmp/after/.lcpp
  if [ -d .before ]; then
    rm -rf /tmp/before && cp -r .before /tmp/before
    cp -n /tmp/after/slmreact_cli/adapters/*.gguf /tmp/before/slmreact_cli/adapters/ 2>/dev/null || true
  fi
  cd /tmp/after/bench
  setsid nohup env PYTHONPATH="/tmp/after/bench/gpu_offload:/tmp/site" SLMREACT_CACHE_DIR=$cache \
      SLMREACT_HOME=/tmp/slmhome SLMREACT_BENCH_GPU_LAYERS=$gpu_layers SLMREACT_BENCH_THREADS=$threads \
      python3 parallel_eval.py "$@" --workers "${WORKERS:-$workers}" --before /tmp/before \
      > /tmp/eval.log 2>&1 < /dev/null &
  sleep 20; cat /tmp/eval.log; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv || true
}

wait_for() {
  local limit=${1:-540} waited=0
  while pgrep -f parallel_eval.py > /dev/null && [ "$waited" -lt "$limit" ]; do sleep 10; waited=$((waited + 10)); done
  cat /tmp/eval.log
  mkdir -p "$out"
  (cd /tmp/after/bench/out && tar -czf "$out/pe-results.tar.gz" pe-*.json pe-*.jsonl pe-*.md 2>/dev/null || true)
  cp /tmp/after/bench/out/pe-*.md "$out/" 2>/dev/null || true
  pgrep -f parallel_eval.py > /dev/null && echo "STILL RUNNING" || echo "DONE"
}

case "${1:-}" in
  pieces) shift; pieces "$@" ;;
  setup) setup ;;
  receive) receive ;;
  start) shift; start "$@" ;;
  wait) shift; wait_for "$@" ;;
  *) echo "usage: bash bench/device_eval.sh pieces|setup|receive|start PLAN...|wait [SECONDS]" >&2; exit 2 ;;
esac
