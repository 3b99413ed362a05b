import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeSynthDataset } from './synth';

/**
 * The tiny speedrun's dataset: the arguments every record in human_baselines/tiny was timed on
 * (human_baselines/tiny/make_data.sh passes the same ones to `nanogpt-bench data synth`).
 */
export const TINY_DATA = { trainShards: 4, tokensPerShard: 500_000, valTokens: 65_536, seed: 1337 } as const;

/** A family's data.json: the synth arguments its records were timed on (absent: TINY_DATA). */
export const SynthArgsSchema = z.object({
  trainShards: z.number().int().min(1),
  tokensPerShard: z.number().int().min(1000),
  valTokens: z.number().int().min(1000),
  seed: z.number().int(),
});
export type SynthArgs = z.infer<typeof SynthArgsSchema>;

/**
 * Makes `<root>/<name>` unless a complete dataset with these arguments is already there; returns
 * its path. Families with other arguments get folders of their own, so none overwrites another's.
 */
export async function ensureSynthData(root: string, name: string, args: SynthArgs): Promise<string> {
  const outDir = join(root, name);
  if (await matches(outDir, args)) return outDir;
  await writeSynthDataset({ outDir, ...args });
  return outDir;
}

/** The tiny speedrun's data under `<root>/tiny`. */
export function ensureTinyData(root: string): Promise<string> {
  return ensureSynthData(root, 'tiny', TINY_DATA);
}

/** synth.json is written last, so its presence with the same arguments means every shard is there. */
async function matches(dir: string, args: SynthArgs): Promise<boolean> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'synth.json'), 'utf8')) as Record<string, unknown>;
    return Object.entries(args).every(([k, v]) => meta[k] === v);
  } catch {
    return false;
  }
}
