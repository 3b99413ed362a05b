import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository (package) root: the nearest folder above this module that holds package.json.
 * Found by walking up because the module runs both from src/ (ts) and dist/src/ (js).
 */
export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json found above ${from}`);
  }
}
