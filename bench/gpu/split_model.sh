#!/usr/bin/env bash
# Split the embedded 0.5B GGUF into pieces that fit one device call each (.gpu/pieces-N/, ignored by git).
set -euo pipefail
cd "$(dirname "$0")/../.."
gguf=$(python -c "from bench.common import gguf_path; print(gguf_path('qwen2.5-coder-0.5b'))" 2>/dev/null || \
       python -c "import sys; sys.path.insert(0, 'bench'); from common import gguf_path; print(gguf_path('qwen2.5-coder-0.5b'))")
rm -rf .gpu/split && mkdir -p .gpu/split
split -b 58M -d -a 2 "$gguf" .gpu/split/piece-
for f in .gpu/split/piece-*; do n=${f##*-}; mkdir -p ".gpu/pieces-$n" && mv "$f" ".gpu/pieces-$n/"; done
ls -d .gpu/pieces-*
