import { mkdir, readFile, readdir } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomicWrite';
import { dirname, join, basename } from 'node:path';
import { decodeShard, encodeShard } from '../domain/shards';

export type ShardSplit = 'train' | 'val';

/** The speedrun's names: fineweb_val_000000.bin, fineweb_train_000001.bin, … */
export function shardFileName(split: ShardSplit, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 999999) throw new RangeError(`shard index must be an integer 0..999999, got ${index}`);
  return `fineweb_${split}_${String(index).padStart(6, '0')}.bin`;
}

const SHARD_NAME = /^fineweb_(train|val)_(\d{6})\.bin$/;

export async function writeShardFile(path: string, tokens: Uint16Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Written aside under a name of its own then renamed, so a reader never sees half a shard and two
  // sessions preparing the same data in one worker never rename each other's copy away.
  await writeFileAtomic(path, encodeShard(tokens));
}

export async function readShardFile(path: string): Promise<Uint16Array> {
  return decodeShard(await readFile(path), basename(path));
}

/** The shard files of one split in `dir`, in index order. */
export async function listShardFiles(dir: string, split: ShardSplit): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .map((n) => ({ n, m: SHARD_NAME.exec(n) }))
    .filter((x) => x.m !== null && x.m[1] === split)
    .sort((a, b) => Number(a.m![2]) - Number(b.m![2]))
    .map((x) => join(dir, x.n));
}
