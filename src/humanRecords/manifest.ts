import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../files/repoRoot';
import { type BaselinesManifest, parseBaselinesManifest } from '../domain/baselines';

export function defaultManifestPath(): string {
  return join(repoRoot(), 'human_baselines', 'manifest.json');
}

/** Where `baselines fetch` puts the records' files unless told otherwise (git-ignored). */
export function defaultRecordsDir(): string {
  return join(repoRoot(), 'human_baselines', 'records');
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
