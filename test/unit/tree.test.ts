import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanTree, treeHash, TreeRefused } from '../../src/files/tree';

describe('what a submission folder may hold', () => {
  const root = mkdtempSync(join(tmpdir(), 'tree-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const folder = (name: string, files: Record<string, string> = { 'run.sh': 'torchrun train_gpt.py\n', 'train_gpt.py': 'print(1)\n' }) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
    return d;
  };
  const refused = async (dir: string, limits?: { maxFiles: number; maxBytes: number }) => {
    await assert.rejects(scanTree(dir, limits), (err: unknown) => err instanceof TreeRefused && err.message.length > 0);
    return (await scanTree(dir, limits).catch((e: Error) => e)) as Error;
  };

  it('hashes by content and path alone, ignoring caches', async () => {
    const a = folder('a');
    const b = folder('b');
    mkdirSync(join(b, '__pycache__'));
    writeFileSync(join(b, '__pycache__', 'x.pyc'), 'cache');
    assert.equal(treeHash(await scanTree(a)), treeHash(await scanTree(b)));
    writeFileSync(join(b, 'train_gpt.py'), 'print(2)\n');
    assert.notEqual(treeHash(await scanTree(a)), treeHash(await scanTree(b)));
  });

  it('follows a symlink that stays inside, refuses one that leaves', async () => {
    const inside = folder('inside');
    symlinkSync('train_gpt.py', join(inside, 'alias.py'));
    assert.deepEqual(
      (await scanTree(inside)).map((e) => e.path),
      ['alias.py', 'run.sh', 'train_gpt.py'],
    );
    const leaves = folder('leaves');
    symlinkSync('/etc/passwd', join(leaves, 'data.txt'));
    assert.match((await refused(leaves)).message, /data\.txt is a symlink that leaves the submission folder/);
  });

  it('refuses a FIFO, and more files or bytes than the caps', async () => {
    const fifo = folder('fifo');
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    assert.match((await refused(fifo)).message, /pipe is not a regular file/);
    const many = folder('many', Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, 'x'])));
    assert.match((await refused(many, { maxFiles: 4, maxBytes: 1e6 })).message, /more than 4 files/);
    const big = folder('big', { 'w.bin': 'x'.repeat(2000) });
    assert.match((await refused(big, { maxFiles: 10, maxBytes: 1000 })).message, /more than 1000 bytes/);
    assert.match((await refused(join(root, 'missing'))).message, /does not exist/);
  });
});
