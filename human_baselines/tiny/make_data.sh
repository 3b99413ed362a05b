#!/usr/bin/env bash
# The tiny speedrun's data. Every record in records.tsv was timed on exactly these shards, and
# src/tokenShards/tinyData.ts (TINY_DATA) makes the same ones for sessions: change both or neither.
# Usage: make_data.sh [DIR]   (default: $DATA_DIR, else data/tiny; needs `npx tsc -p .` first)
set -euo pipefail
out=${1:-${DATA_DIR:-data/tiny}}
root=$(cd "$(dirname "$0")/../.." && pwd)
exec node "$root/dist/src/cli/main.js" data synth --out "$out" \
  --train-shards 4 --tokens-per-shard 500000 --val-tokens 65536 --seed 1337
