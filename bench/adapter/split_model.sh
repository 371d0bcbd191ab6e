#!/usr/bin/env bash
# Split an embedded GGUF into pieces that each fit one device call beside the working tree
# (.gpu/MODEL-NN/piece-NN, ignored by git). Usage: bash bench/adapter/split_model.sh 0.5b|1.5b [SIZE]
# SIZE (default 48M) plus the tracked tree must stay under the 64 MiB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:?usage: split_model.sh 0.5b|1.5b [SIZE]}
size=${2:-48M}
gguf=$(python -c "import sys; sys.path.insert(0, 'bench'); from common import gguf_path; print(gguf_path('qwen2.5-coder-$model'))")
rm -rf ".gpu/split-$model" ".gpu/$model"-[0-9]* && mkdir -p ".gpu/split-$model"
split -b "$size" -d -a 2 "$gguf" ".gpu/split-$model/piece-"
for f in ".gpu/split-$model"/piece-*; do n=${f##*-}; mkdir -p ".gpu/$model-$n" && mv "$f" ".gpu/$model-$n/"; done
rmdir ".gpu/split-$model"
ls -d ".gpu/$model"-[0-9]* | wc -l
