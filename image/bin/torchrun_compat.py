"""Runs torch.distributed.run, mending two known defects of old torch first.

Debian's python3-torch 1.13 on Python 3.11: Std.from_str("0") returns None, because iterating an
IntFlag no longer yields its zero member, so every torchrun invocation dies in to_map(). And its
agent polls workers every 5 s, which adds up to 5 s to every timed run's wall time; newer torch
polls every 0.1 s. And its --standalone always rendezvouses on port 29400, so two runs on one host
(an agent's experiment, paused, and a timed run) collide; newer torch picks a free port. The mends apply only where the defect shows; the launcher itself is torch's own.
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api

if api.Std.from_str("0") is None:

    def from_str(vm):
        if re.fullmatch(r"\d", vm):
            return api.Std(int(vm))
        return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}

    api.Std.from_str = staticmethod(from_str)
    if not any(a.startswith(("--monitor_interval", "--monitor-interval")) for a in sys.argv[1:]):
        sys.argv[1:1] = ["--monitor_interval=0.1"]
    if "--standalone" in sys.argv[1:]:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        i = sys.argv.index("--standalone")
        sys.argv[i : i + 1] = ["--rdzv_backend=c10d", f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=standalone", "--nnodes=1"]

from torch.distributed.run import main

if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    main()
