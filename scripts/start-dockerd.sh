#!/usr/bin/env bash
# A private Docker Engine for tests and benchmarks, beside (never instead of) any system one:
# its own socket, data, exec root and pid file, and no changes to host networking (no iptables
# rules, no forwarding, no bridge: sandboxes run with network none and reach the harness only
# through mounted sockets and files). The data root persists, so imported images stay cached.
#
#   scripts/start-dockerd.sh [start]   start it unless it already answers; prints the socket path
#   scripts/start-dockerd.sh stop      stop the one this script started
#   scripts/start-dockerd.sh socket    print the socket path
#
# NANOGPT_BENCH_DOCKERD_RUN (default /run/nanogpt-bench-dockerd) holds the socket, pid file and
# exec root; it must be short, for the unix socket paths containerd makes under it.
# NANOGPT_BENCH_DOCKERD_DATA (default /var/cache/nanogpt-bench/dockerd) is the data root.
set -euo pipefail

run_dir=${NANOGPT_BENCH_DOCKERD_RUN:-/run/nanogpt-bench-dockerd}
data_dir=${NANOGPT_BENCH_DOCKERD_DATA:-/var/cache/nanogpt-bench/dockerd}
sock=$run_dir/docker.sock
pidfile=$run_dir/dockerd.pid
log=$run_dir/dockerd.log

fail() { printf 'start-dockerd: %s\n' "$*" >&2; exit 1; }
answers() { curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1; }

case "${1:-start}" in
  socket)
    echo "$sock"
    ;;
  stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    fail "dockerd (pid $pid) did not stop within 15 s"
    ;;
  start)
    command -v curl >/dev/null || fail "curl is needed to check the engine (apt-get install curl)"
    if answers; then echo "$sock"; exit 0; fi
    [ "$(id -u)" = 0 ] || fail "dockerd needs root here (no rootless Docker set up); run as root"
    command -v dockerd >/dev/null || fail "dockerd is not installed (apt-get install docker.io)"
    mkdir -p "$run_dir" "$data_dir"
    rm -f "$sock"
    # setsid: the engine outlives the test process that started it; the next run reuses it.
    setsid dockerd \
      --host "unix://$sock" \
      --data-root "$data_dir" \
      --exec-root "$run_dir/exec" \
      --pidfile "$pidfile" \
      --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
      --userland-proxy=false \
      --log-level=warn \
      >"$log" 2>&1 < /dev/null &
    pid=$!
    for _ in $(seq 1 300); do
      if answers; then echo "$sock"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || fail "dockerd exited at start: $(tail -n 5 "$log" | tr '\n' ' ')"
      sleep 0.1
    done
    fail "dockerd did not answer on $sock within 30 s: $(tail -n 5 "$log" | tr '\n' ' ')"
    ;;
  *)
    fail "usage: $0 [start|stop|socket]"
    ;;
esac
