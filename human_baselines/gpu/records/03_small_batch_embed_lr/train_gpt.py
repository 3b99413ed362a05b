import os
import sys
import glob
import bisect
import time
import math
import platform
import subprocess
import datetime
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.distributed as dist

# -----------------------------------------------------------------------------
# Hyperparameters: every knob of a run lives here, like the real speedrun's

@dataclass
class Hyperparameters:
    # data (fixed by the rules: every record reads the same shards and scores the same val tokens)
    data_dir = os.environ.get("DATA_DIR", "data/gpu")
    train_files = "fineweb_train_*.bin"
    val_files = "fineweb_val_*.bin"
    val_tokens = 65536  # the val loss is the mean over exactly these first tokens of the val shard
    val_seq_len = 512
    vocab_size = 256
    bos_id = 0
    # model
    num_layers = 8
    num_heads = 6
    model_dim = 768
    # optimization
    train_seq_len = 512
    batch_rows = 48  # sequences per step, summed over all ranks
    num_iterations = 250
    learning_rate = 3e-3
    embed_learning_rate = 1.5e-2  # the (tied) embedding learns the token statistics: it takes a larger step
    warmup_frac = 0.1
    final_lr_frac = 0.1
    weight_decay = 0.1
    # evaluation and timing
    val_loss_every = 100  # 0: only at the end
    warmup_steps = 3  # untimed steps that pay for allocation and compilation, then undone

args = Hyperparameters()

# -----------------------------------------------------------------------------
# Distributed setup: torchrun sets RANK/WORLD_SIZE; gloo on CPU, nccl on GPU

rank = int(os.environ.get("RANK", "0"))
world_size = int(os.environ.get("WORLD_SIZE", "1"))
local_rank = int(os.environ.get("LOCAL_RANK", "0"))
use_cuda = torch.cuda.is_available()
if use_cuda:
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)
else:
    device = torch.device("cpu")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, cores // world_size))
distributed = world_size > 1
if distributed:
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
master_process = rank == 0

def print0(s=""):
    if master_process:
        print(s, flush=True)

def sync():
    if use_cuda:
        torch.cuda.synchronize()

# -----------------------------------------------------------------------------
# Data: speedrun shards (256 int32 header, then uint16 tokens); identical in every record

def load_data_shard(path):
    with open(path, "rb") as f:
        header = torch.frombuffer(bytearray(f.read(256 * 4)), dtype=torch.int32)
        assert int(header[0]) == 20240520, f"{path}: magic number mismatch in the data .bin file"
        assert int(header[1]) == 1, f"{path}: unsupported version"
        num_tokens = int(header[2])
        body = bytearray(f.read())
    assert len(body) == 2 * num_tokens, f"{path}: {len(body)} token bytes, header says {num_tokens} tokens"
    # torch 1.13 has no uint16: read int16 and undo the sign
    return torch.frombuffer(body, dtype=torch.int16).to(torch.int64) & 0xFFFF

def shard_paths(pattern):
    paths = sorted(glob.glob(os.path.join(args.data_dir, pattern)))
    assert paths, f"no files match {os.path.join(args.data_dir, pattern)}"
    return paths

def distributed_data_generator(pattern, batch_rows, seq_len):
    """Yields this rank's (inputs, targets): every row starts at a BOS token. The global sequence
    of rows does not depend on the number of ranks; rank r takes its slice of each batch."""
    assert batch_rows % world_size == 0, "batch_rows must divide evenly over the ranks"
    local_rows = batch_rows // world_size
    rows = []
    while True:  # cycle over the shards
        for path in shard_paths(pattern):
            tokens = load_data_shard(path)
            bos = (tokens == args.bos_id).nonzero().flatten().tolist()
            pos = 0
            while True:
                j = bisect.bisect_left(bos, pos)  # the first BOS at or after pos
                if j == len(bos) or bos[j] + seq_len + 1 > len(tokens):
                    break
                start = bos[j]
                rows.append(tokens[start:start + seq_len + 1])
                pos = start + seq_len + 1
                if len(rows) == batch_rows:
                    mine = torch.stack(rows[rank * local_rows:(rank + 1) * local_rows]).to(device)
                    rows = []
                    yield mine[:, :-1].contiguous(), mine[:, 1:].contiguous()

def val_batches(batch_rows=32):
    """The first val_tokens predictions of the val stream, as rows of val_seq_len."""
    tokens = torch.cat([load_data_shard(p) for p in shard_paths(args.val_files)])
    assert len(tokens) >= args.val_tokens + 1, f"the val shards hold {len(tokens)} tokens, need {args.val_tokens + 1}"
    assert args.val_tokens % (args.val_seq_len * world_size) == 0, "val_tokens must split into whole rows on every rank"
    x = tokens[:args.val_tokens].view(-1, args.val_seq_len)
    y = tokens[1:args.val_tokens + 1].view(-1, args.val_seq_len)
    x, y = x[rank::world_size], y[rank::world_size]
    for i in range(0, len(x), batch_rows):
        yield x[i:i + batch_rows].to(device), y[i:i + batch_rows].to(device)

# -----------------------------------------------------------------------------
# Model: a GPT-2 style transformer with rotary position embeddings and ReLU² (tied embeddings)

class Rotary(nn.Module):
    # half the head dims rotate (frequencies from 1 down to 1/1024), the other half carry no position
    def __init__(self, head_dim, max_seq_len):
        super().__init__()
        freqs = (1 / 1024) ** torch.linspace(0, 1, steps=head_dim // 4)
        freqs = torch.cat([freqs, freqs.new_zeros(head_dim // 4)])
        theta = torch.outer(torch.arange(max_seq_len, dtype=torch.float32), freqs)
        self.register_buffer("cos", theta.cos(), persistent=False)
        self.register_buffer("sin", theta.sin(), persistent=False)

    def forward(self, x):
        T = x.size(-2)
        cos, sin = self.cos[:T], self.sin[:T]
        x1, x2 = x.float().chunk(2, dim=-1)
        return torch.cat((x1 * cos + x2 * sin, x2 * cos - x1 * sin), dim=-1).type_as(x)

class CausalSelfAttention(nn.Module):
    def __init__(self, dim, num_heads, max_seq_len):
        super().__init__()
        self.num_heads = num_heads
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.rotary = Rotary(dim // num_heads, max_seq_len)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).view(B, T, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k = self.rotary(q), self.rotary(k)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            y = att.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.c_proj(F.relu(self.c_fc(x)).square())

class Block(nn.Module):
    def __init__(self, dim, num_heads, max_seq_len):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, num_heads, max_seq_len)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, dim, max_seq_len):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, dim)
        self.blocks = nn.ModuleList([Block(dim, num_heads, max_seq_len) for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets, reduction="mean"):
        x = self.wte(idx)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x)).float()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction=reduction)

# -----------------------------------------------------------------------------
# Environment header, like the speedrun's logs

print0("=" * 100)
print0(f"Running Python {sys.version}")
if use_cuda:
    print0(f"Running PyTorch {torch.version.__version__} compiled for CUDA {torch.version.cuda}")
else:
    print0(f"Running PyTorch {torch.version.__version__} on CPU")
print0(datetime.datetime.now().strftime("%a %b %d %H:%M:%S %Y"))
smi = None
if use_cuda:
    try:
        smi = subprocess.run(["nvidia-smi"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        smi = None
if smi:
    print0(smi)
else:
    name = torch.cuda.get_device_name(device) if use_cuda else (platform.processor() or platform.machine())
    print0(f"Device: {world_size} x {device.type} ({name}), {torch.get_num_threads()} threads per rank")
print0("=" * 100)

# -----------------------------------------------------------------------------
# Model, optimizer, schedule

model = GPT(args.vocab_size, args.num_layers, args.num_heads, args.model_dim, max(args.train_seq_len, args.val_seq_len)).to(device)
if distributed:
    for p in model.parameters():
        dist.broadcast(p.detach(), 0)
embed = [model.wte.weight]
decay = [p for p in model.parameters() if p.dim() >= 2 and p is not model.wte.weight]
no_decay = [p for p in model.parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [dict(params=decay, weight_decay=args.weight_decay), dict(params=no_decay, weight_decay=0.0),
     dict(params=embed, weight_decay=0.0, lr=args.embed_learning_rate)],
    lr=args.learning_rate, betas=(0.9, 0.95), eps=1e-8,
)
for group in optimizer.param_groups:
    group["initial_lr"] = group["lr"]

def get_lr_scale(step):
    warmup = max(1, int(args.warmup_frac * args.num_iterations))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, args.num_iterations - warmup)
    return args.final_lr_frac + (1 - args.final_lr_frac) * 0.5 * (1 + math.cos(math.pi * progress))

compiled = model  # eager: a compile would cost each run more wall time than it saves at this size
autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16)

def all_reduce_grads():
    if not distributed:
        return
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()

def train_step(step, inputs, targets):
    with autocast:
        loss = compiled(inputs, targets)
    loss.backward()
    all_reduce_grads()
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * get_lr_scale(step)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)

@torch.no_grad()
def evaluate():
    model.eval()
    total = torch.zeros((), device=device, dtype=torch.float64)
    for x, y in val_batches():
        with autocast:
            total += compiled(x, y, reduction="sum").double()
    if distributed:
        dist.all_reduce(total)
    model.train()
    return (total / args.val_tokens).item()

# -----------------------------------------------------------------------------
# Warm-up: untimed steps (allocation, compilation), then the initial state comes back

initial_state = dict(model={k: v.clone() for k, v in model.state_dict().items()}, optimizer=None)
warmup_loader = distributed_data_generator(args.train_files, args.batch_rows, args.train_seq_len)
for _ in range(args.warmup_steps):
    train_step(0, *next(warmup_loader))
evaluate()
model.load_state_dict(initial_state["model"])
optimizer.state.clear()
del warmup_loader, initial_state

# -----------------------------------------------------------------------------
# Training: train_time excludes validation

train_loader = distributed_data_generator(args.train_files, args.batch_rows, args.train_seq_len)
training_time_ms = 0.0
sync()
t0 = time.perf_counter()
train_steps = args.num_iterations
for step in range(train_steps + 1):
    last_step = step == train_steps
    if last_step or (args.val_loss_every > 0 and step % args.val_loss_every == 0):
        sync()
        training_time_ms += 1000 * (time.perf_counter() - t0)
        val_loss = evaluate()
        print0(f"step:{step}/{train_steps} val_loss:{val_loss:.4f} train_time:{training_time_ms:.0f}ms step_avg:{training_time_ms / max(step, 1):.2f}ms")
        sync()
        t0 = time.perf_counter()
    if last_step:
        break
    train_step(step, *next(train_loader))
    approx_ms = training_time_ms + 1000 * (time.perf_counter() - t0)
    print0(f"step:{step + 1}/{train_steps} train_time:{approx_ms:.0f}ms step_avg:{approx_ms / (step + 1):.2f}ms")

if use_cuda:
    allocated, reserved = torch.cuda.max_memory_allocated() // 1024 // 1024, torch.cuda.max_memory_reserved() // 1024 // 1024
else:
    import resource  # on CPU the process's peak resident set stands for both figures
    allocated = reserved = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print0(f"peak memory allocated: {allocated} MiB reserved: {reserved} MiB")
if distributed:
    dist.destroy_process_group()
