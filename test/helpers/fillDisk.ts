import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fills the filesystem of `dir` to the last byte, holds it full a while, then frees it. */
export async function fillDisk(dir: string, holdMs: number): Promise<void> {
  const filler = join(dir, 'filler.bin');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) writeSync(fd, block);
  } catch {
    // ENOSPC: full
  }
  try {
    for (;;) writeSync(fd, block, 0, 4096);
  } catch {
    // the last pages
  }
  closeSync(fd);
  await sleep(holdMs);
  rmSync(filler, { force: true });
}
