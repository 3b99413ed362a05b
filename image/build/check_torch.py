#!/usr/bin/env python3
"""Fails the image build unless Python, PyTorch, CUDA and Triton are the versions the anchor record
was timed with (its log header), so a drifting index or base image cannot go unnoticed.

    check_torch.py --python 3.10 --torch 2.9.0.dev20250718+cu126 --cuda 12.6 --triton 3.4.0
"""
import argparse, sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--torch", required=True)
    ap.add_argument("--cuda", required=True)
    ap.add_argument("--triton", required=True)
    a = ap.parse_args()
    import torch, triton

    found = {
        "python": "%d.%d" % sys.version_info[:2],
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "triton": triton.__version__.split("+")[0],
    }
    wrong = [f"{k}: expected {getattr(a, k)}, found {v}" for k, v in found.items() if v != getattr(a, k)]
    if wrong:
        sys.exit("the image's versions differ from the anchor's: " + "; ".join(wrong))
    print(" ".join(f"{k} {v}" for k, v in found.items()))


if __name__ == "__main__":
    main()
