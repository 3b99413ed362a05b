import { spawnSync } from 'node:child_process';

let cached: string | null = null;

/**
 * The Python that runs training: NANOGPT_BENCH_PYTHON when set, else the first of `python3` and
 * Debian's /usr/bin/python3 that can import torch (set-up installs Debian's python3-torch, which
 * the pyenv python on these machines cannot see).
 */
export function trainingPython(): string {
  if (process.env.NANOGPT_BENCH_PYTHON) return process.env.NANOGPT_BENCH_PYTHON;
  if (cached) return cached;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return (cached = candidate);
  }
  throw new Error('no Python with PyTorch found: run `npm run setup`, or set NANOGPT_BENCH_PYTHON');
}
