#!/usr/bin/env bash
# As in the speedrun. With Debian's python3-torch 1.13, put image/bin first on PATH: its torchrun mends that launcher.
exec torchrun --standalone --nproc_per_node="${NPROC_PER_NODE:-1}" train_gpt.py
