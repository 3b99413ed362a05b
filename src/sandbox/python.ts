import { execFile } from 'node:child_process';

let found: Promise<string> | null = null;

/**
 * The Python that runs training: NANOGPT_BENCH_PYTHON when set, else the first of `python3` and
 * Debian's /usr/bin/python3 that can import torch (set-up installs Debian's python3-torch, which
 * the pyenv python on these machines cannot see). Found once per process, without blocking: a
 * worker asked it synchronously at its first sandbox start and calibration lookup, so every relay,
 * heartbeat and query of every session on it waited while Python imported torch — seconds, and
 * right when a restarted worker takes over its sessions.
 */
export function trainingPython(): Promise<string> {
  if (process.env.NANOGPT_BENCH_PYTHON) return Promise.resolve(process.env.NANOGPT_BENCH_PYTHON);
  found ??= firstWithTorch().catch((err: unknown) => {
    found = null; // installed meanwhile (`npm run setup`): the next start looks again
    throw err;
  });
  return found;
}

async function firstWithTorch(): Promise<string> {
  for (const candidate of ['python3', '/usr/bin/python3']) if (await importsTorch(candidate)) return candidate;
  throw new Error('no Python with PyTorch found: run `npm run setup`, or set NANOGPT_BENCH_PYTHON');
}

function importsTorch(python: string): Promise<boolean> {
  return new Promise((resolve) => execFile(python, ['-c', 'import torch'], { timeout: 60_000 }, (err) => resolve(!err)));
}
