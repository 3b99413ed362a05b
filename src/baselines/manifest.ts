import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BaselinesManifest, parseBaselinesManifest } from '../domain/baselines';

/**
 * The package root: the nearest directory above this module that holds package.json.
 * Found by walking up because the module runs both from src/ (ts) and dist/src/ (js).
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json found above ${from}`);
  }
}

export function defaultManifestPath(): string {
  return join(packageRoot(), 'human_baselines', 'manifest.json');
}

/** Where `baselines fetch` puts the records' files unless told otherwise (git-ignored). */
export function defaultRecordsDir(): string {
  return join(packageRoot(), 'human_baselines', 'records');
}

/** Reads and validates a manifest file; errors name the file and each bad field. */
export function loadBaselinesManifest(path: string = defaultManifestPath()): BaselinesManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read baselines manifest ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`baselines manifest ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseBaselinesManifest(data, `baselines manifest ${path}`);
}
