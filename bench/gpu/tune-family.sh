#!/usr/bin/env bash
# Sizes the GPU family (human_baselines/gpu) on a lent GPU: each record once with a longer
# schedule and the val loss every 50 steps, so the step time and the loss curve show where to put
# the family's target and each record's step count. Data: .cache/device/gpu-data.tar.xz (made by
# `nanogpt-bench data synth` with human_baselines/gpu/data.json's arguments), unpacked to /tmp.
#
#   bench/gpu/tune-family.sh [RECORD=STEPS ...]     # default: every record at 1.6x its steps
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-bench-out}
mkdir -p "$out"
[ -d /tmp/gpu-data-test ] || tar -C /tmp -xJf .cache/device/gpu-data.tar.xz
nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda)' | tee -a "$out/gpu.txt"
plan=("$@")
if [ ${#plan[@]} -eq 0 ]; then
  for d in human_baselines/gpu/records/*/; do
    r=$(basename "$d")
    steps=$(grep -oP '^\s+num_iterations = \K[0-9]+' "$d/train_gpt.py")
    plan+=("$r=$((steps * 16 / 10))")
  done
fi
for item in "${plan[@]}"; do
  r=${item%%=*} steps=${item#*=}
  dir=/tmp/tune/$r
  rm -rf "$dir" && mkdir -p "$dir" && cp human_baselines/gpu/records/$r/* "$dir/"
  sed -i "s/^\(\s*num_iterations = \)[0-9]*/\1$steps/; s/^\(\s*val_loss_every = \)[0-9]*/\150/" "$dir/train_gpt.py"
  t0=$(date +%s%3N)
  (cd "$dir" && DATA_DIR=/tmp/gpu-data-test timeout 300 bash run.sh) > "$out/tune-$r.log" 2>&1 || echo "$r failed: $(tail -3 "$out/tune-$r.log")"
  t1=$(date +%s%3N)
  echo "$r steps=$steps wall_ms=$((t1 - t0))"
  grep -E '^step:[0-9]+/[0-9]+ val_loss' "$out/tune-$r.log" | tr '\n' ' ' | sed 's/step_avg:[0-9.]*ms//g'
  echo
done | tee "$out/tune.txt"
