#!/usr/bin/env bash
# Every record was timed on exactly these shards; data.json holds the same arguments for sessions:
# change both or neither.
# Usage: make_data.sh [DIR]   (default: $DATA_DIR, else data/gpu; needs `npx tsc -p .` first)
set -euo pipefail
out=${1:-${DATA_DIR:-data/gpu}}
root=$(cd "$(dirname "$0")/../.." && pwd)
exec node "$root/dist/src/cli/main.js" data synth --out "$out" \
  --train-shards 4 --tokens-per-shard 4000000 --val-tokens 131072 --seed 1337
