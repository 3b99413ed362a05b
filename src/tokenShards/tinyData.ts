import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSynthDataset, type SynthOptions } from './synth';

/**
 * The tiny speedrun's dataset: the arguments every record in human_baselines/tiny was timed on
 * (human_baselines/tiny/make_data.sh passes the same ones to `nanogpt-bench data synth`).
 */
export const TINY_DATA = { trainShards: 4, tokensPerShard: 500_000, valTokens: 65_536, seed: 1337 } as const;

/** Makes `<root>/tiny` unless a complete dataset with these arguments is already there; returns its path. */
export async function ensureTinyData(root: string): Promise<string> {
  const outDir = join(root, 'tiny');
  if (await matches(outDir)) return outDir;
  const options: SynthOptions = { outDir, ...TINY_DATA };
  await writeSynthDataset(options);
  return outDir;
}

/** synth.json is written last, so its presence with the same arguments means every shard is there. */
async function matches(dir: string): Promise<boolean> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'synth.json'), 'utf8')) as Record<string, unknown>;
    return Object.entries(TINY_DATA).every(([k, v]) => meta[k] === v);
  } catch {
    return false;
  }
}
