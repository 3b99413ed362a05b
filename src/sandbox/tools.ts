import { join } from 'node:path';
import { repoRoot } from '../files/repoRoot';

/** Folder of in-sandbox commands (`submit`, the replay agent) on the host. */
export function harnessToolsDir(): string {
  return join(repoRoot(), 'image', 'bin');
}
