import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreSnapshot, takeSnapshot } from '../src/files/workspaceSnapshot';
import { median } from './median';

const REPEATS = 5;

/**
 * What a checkpoint of a node-local workspace costs (issue 15): a workspace of `small` files of
 * 64 KiB and one of `bigMiB`, checkpointed into a fresh store (the first), again unchanged, again
 * with one small file changed, and restored; beside a plain recursive copy of the same folder,
 * timed in the same run, as the baseline.
 */
export async function run(small = 400, bigMiB = 64): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-checkpoint-'));
  try {
    const ws = join(root, 'workspace');
    mkdirSync(join(ws, 'logs'), { recursive: true });
    for (let i = 0; i < small; i++) writeFileSync(join(ws, 'logs', `run-${i}.txt`), randomBytes(64 * 1024));
    writeFileSync(join(ws, 'model.pt'), randomBytes(bigMiB * 1024 * 1024));
    const samples: Record<string, number[]> = { copy: [], first: [], unchanged: [], oneChanged: [], restore: [] };
    const time = async (what: string, fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      samples[what].push(performance.now() - t);
    };
    for (let r = 0; r < REPEATS; r++) {
      const store = join(root, `store-${r}`);
      await time('copy', () => cp(ws, join(root, `copy-${r}`), { recursive: true }));
      await time('first', () => takeSnapshot(ws, store, 1, Date.now()));
      await time('unchanged', () => takeSnapshot(ws, store, 2, Date.now()));
      writeFileSync(join(ws, 'logs', 'run-0.txt'), randomBytes(64 * 1024));
      await time('oneChanged', () => takeSnapshot(ws, store, 3, Date.now()));
      await time('restore', () => restoreSnapshot(store, 3, join(root, `restored-${r}`)));
      for (const d of [store, `copy-${r}`, `restored-${r}`]) rmSync(join(root, d), { recursive: true, force: true });
    }
    const base = median(samples.copy);
    console.log(`workspace: ${small} files of 64 KiB and one of ${bigMiB} MiB; median of ${REPEATS}\n`);
    console.log('| step | median ms | vs a plain copy |');
    console.log('|---|---:|---:|');
    for (const [what, xs] of Object.entries(samples)) console.log(`| ${what} | ${median(xs).toFixed(0)} | ${(median(xs) / base).toFixed(2)} |`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) void run();
