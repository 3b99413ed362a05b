#!/usr/bin/env python3
"""The scripted `command` agent of bench/load.ts.

    loadAgent.py COUNT MEAN_INTERVAL_S SEED wait|burst

Submits COUNT candidates (the workspace's anchor files plus a NOTES.txt that makes each one
distinct) at exponentially distributed intervals, and appends one JSON line per relay request to
load-agent.jsonl in its workspace: {"op", "t", "ms", "paused", "ok"} (t: the request's start, epoch ms),
and a {"op": "launch", "t"} line each time it starts. `wait` polls each submission's
status until its verdict before the next; `burst` submits without waiting and deletes each folder
once acknowledged (its validation is refused at freeze, so a thousand of them are quick to get
through: what is measured is the session's history, not the timed runs). The harness pauses the
agent (SIGSTOP) while a submission is timed: a SIGCONT during a request marks it `paused`, so the
bench can tell the relay's latency from the pause. Then it idles until the session stops it.
"""
import json, os, random, shutil, signal, socket, sys, time

count, mean_s, seed, mode = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
RELAY = os.path.join(os.environ["NANOGPT_BENCH_RELAY_DIR"], "submit.sock")
TOKEN = os.environ["NANOGPT_BENCH_TOKEN"]
LOG = "load-agent.jsonl"
continued = [False]
signal.signal(signal.SIGCONT, lambda *_: continued.__setitem__(0, True))


def ask(req):
    continued[0] = False
    wall = time.time() * 1000
    t = time.monotonic()
    while True:
        # As the sandbox's `submit` does: while the relay is away (its worker killed), try again.
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(300)
                s.connect(RELAY)
                s.sendall((json.dumps(dict(req, token=TOKEN)) + "\n").encode())
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            break
        except OSError:
            time.sleep(0.5)
    ms = (time.monotonic() - t) * 1000
    reply = json.loads(buf) if buf.strip() else {"ok": False, "error": "no answer"}
    with open(LOG, "a") as f:
        f.write(json.dumps({"op": req["op"], "t": wall, "ms": ms, "paused": continued[0], "ok": bool(reply.get("ok")), "error": reply.get("error")}) + "\n")
    return reply


def done_count():
    """Submissions already made by an earlier launch of this agent (it is relaunched when it exits)."""
    try:
        with open(LOG) as f:
            return sum(1 for line in f if '"op": "submit"' in line and '"ok": true' in line)
    except FileNotFoundError:
        return 0


with open(LOG, "a") as f:
    f.write(json.dumps({"op": "launch", "t": time.time() * 1000}) + "\n")
rng = random.Random(seed * 1000 + int(os.environ.get("NANOGPT_BENCH_LAUNCH", "1")))
k = done_count()
while k < count:
    time.sleep(rng.expovariate(1 / mean_s) if mean_s > 0 else 0)
    folder = os.path.join("submissions", f"load_{k:04d}")
    os.makedirs(folder, exist_ok=True)
    for name in ("run.sh", "train_gpt.py"):
        shutil.copy(name, folder)
    with open(os.path.join(folder, "NOTES.txt"), "w") as f:
        f.write(f"load bench submission {k} seed {seed} nonce {rng.random()}\n")
    r = ask({"op": "submit", "path": folder})
    if not r.get("ok"):
        time.sleep(1)
        continue
    k += 1
    if mode == "burst":
        shutil.rmtree(folder)
        continue
    while True:
        time.sleep(2)  # as the sandbox's own `submit` polls
        s = ask({"op": "status", "submissionId": r["submissionId"]})
        if s.get("ok") and s["submission"]["state"] in ("accepted", "rejected", "cancelled"):
            break
with open(LOG, "a") as f:
    f.write(json.dumps({"op": "done"}) + "\n")
while True:
    signal.pause()
