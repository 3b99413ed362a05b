import { join, resolve } from 'node:path';

/** The repository root, found from this compiled file (dist/src/sandbox → three levels up). */
export function repoRoot(): string {
  return resolve(__dirname, '..', '..', '..');
}

/** Folder of in-sandbox commands (`submit`, the replay agent) on the host. */
export function harnessToolsDir(): string {
  return join(repoRoot(), 'image', 'bin');
}
