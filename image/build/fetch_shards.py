#!/usr/bin/env python3
"""The speedrun's FineWeb token shards for the image: fetched from the Hugging Face dataset at build
time, each checked by its header before it is kept, then read-only. --verify-only checks a folder
that is already there (the same check, no download).

    fetch_shards.py --repo kjj0/fineweb10B-gpt2 --revision main --train-shards 9 --out /data
    fetch_shards.py --verify-only /data --train-shards 9
"""
import argparse, os, shutil, struct, sys

MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256


def shard_names(train_shards):
    return ["fineweb_val_%06d.bin" % 0] + ["fineweb_train_%06d.bin" % i for i in range(1, train_shards + 1)]


def check(path):
    """A shard: 256 int32 header (magic, version, token count), then that many uint16 tokens."""
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) < 12:
        return f"{path}: shorter than its header"
    magic, version, ntok = struct.unpack("<3i", head)
    size = os.path.getsize(path)
    if magic != MAGIC or version != VERSION:
        return f"{path}: header magic {magic} version {version}, expected {MAGIC} version {VERSION}"
    if size != HEADER_INTS * 4 + 2 * ntok:
        return f"{path}: {size} bytes, its header says {HEADER_INTS * 4 + 2 * ntok}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="kjj0/fineweb10B-gpt2")
    ap.add_argument("--revision", default="main")
    ap.add_argument("--train-shards", type=int, default=9)
    ap.add_argument("--out", default="/data")
    ap.add_argument("--verify-only", metavar="DIR")
    a = ap.parse_args()
    names = shard_names(a.train_shards)
    if a.verify_only:
        problems = [p for p in (check(os.path.join(a.verify_only, n)) if os.path.exists(os.path.join(a.verify_only, n)) else f"{n}: missing" for n in names) if p]
        if problems:
            sys.exit("\n".join(problems))
        print(f"{len(names)} shards good in {a.verify_only}")
        return
    from huggingface_hub import hf_hub_download

    os.makedirs(a.out, exist_ok=True)
    staging = os.path.join(a.out, ".incoming")
    for name in names:
        path = hf_hub_download(repo_id=a.repo, filename=name, repo_type="dataset", revision=a.revision, local_dir=staging)
        problem = check(path)
        if problem:
            sys.exit(problem)
        shutil.move(path, os.path.join(a.out, name))
        os.chmod(os.path.join(a.out, name), 0o444)
    shutil.rmtree(staging, ignore_errors=True)
    print("shards:", sorted(os.listdir(a.out)))


if __name__ == "__main__":
    main()
