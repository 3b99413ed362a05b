import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { keepCopy, putBack, readManifest, restoreSnapshot, takeSnapshot } from '../../src/files/workspaceSnapshot';
import { submittedSince } from '../../src/domain/workspaceCheckpoint';
import { scanTree, treeHash } from '../../src/files/tree';
import { layout } from '../../src/files/layout';
import { parseSessionSpec as spec } from '../../src/domain/spec';
import { restoreWorkspace } from '../../activities/checkpoint';
import { prepareWorkspace } from '../../activities/workspace';
import { FASTRUN } from '../helpers/harness';
import { parseSessionSpec } from '../../src/domain/spec';

/** Every entry under dir: files with their bytes and mode, folders, symlinks with their targets. */
function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, e.name);
      const rel = relative(dir, full);
      if (e.isSymbolicLink()) out[rel] = `-> ${readlinkSync(full)}`;
      else if (e.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else out[rel] = `${(statSync(full).mode & 0o777).toString(8)} ${readFileSync(full, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

const blobsIn = (store: string) => readdirSync(join(store, 'blobs')).flatMap((p) => readdirSync(join(store, 'blobs', p)));

describe('workspace checkpoints in the shared home', () => {
  it('restores each checkpoint as it was, reads only what changed, and keeps the last two', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ws-snapshot-'));
    try {
      const ws = join(root, 'node-a', 'workspace');
      const store = join(root, 'home', 'checkpoints');
      mkdirSync(join(ws, 'submissions', 'c1'), { recursive: true });
      mkdirSync(join(ws, 'empty'));
      writeFileSync(join(ws, 'train_gpt.py'), 'print(1)\n');
      writeFileSync(join(ws, 'run.sh'), '#!/bin/sh\n');
      chmodSync(join(ws, 'run.sh'), 0o755);
      writeFileSync(join(ws, 'submissions', 'c1', 'train_gpt.py'), 'print(2)\n');
      symlinkSync('submissions/c1', join(ws, 'latest'));
      const first = treeOf(ws);

      const one = await takeSnapshot(ws, store, 1, 1000);
      assert.deepEqual([one.number, one.takenAtMs, one.files], [1, 1000, 3]);
      assert.equal(one.newBytes, one.bytes);
      assert.deepEqual((await takeSnapshot(ws, store, 1, 2000)).takenAtMs, 1000, 'taken again: the one already whole');

      writeFileSync(join(ws, 'train_gpt.py'), 'print(3)  # faster\n');
      writeFileSync(join(ws, 'notes.md'), 'tried lr 0.1\n');
      rmSync(join(ws, 'run.sh'));
      const second = treeOf(ws);
      const two = await takeSnapshot(ws, store, 2, 3000);
      assert.equal(two.newBytes, 'print(3)  # faster\n'.length + 'tried lr 0.1\n'.length, 'the unchanged file is not copied again');

      const back1 = join(root, 'node-b', 'one');
      const back2 = join(root, 'node-b', 'two');
      await restoreSnapshot(store, 1, back1);
      await restoreSnapshot(store, 2, back2);
      assert.deepEqual(treeOf(back1), first);
      assert.deepEqual(treeOf(back2), second);
      await assert.rejects(restoreSnapshot(store, 7, join(root, 'node-b', 'seven')), /checkpoint 7 is not in/);
      assert.ok(!existsSync(join(root, 'node-b', 'seven')));

      writeFileSync(join(ws, 'notes.md'), 'tried lr 0.2\n');
      await takeSnapshot(ws, store, 3, 4000);
      await restoreSnapshot(store, 3, join(root, 'node-c'));
      assert.equal(readFileSync(join(root, 'node-c', 'notes.md'), 'utf8'), 'tried lr 0.2\n', 'a file rewritten at the same size');
      assert.equal(await readManifest(store, 1), null, 'the third drops the first');
      assert.ok(await readManifest(store, 2), 'the one before the last is kept');
      const named = new Set([...(await readManifest(store, 2))!.files, ...(await readManifest(store, 3))!.files].map((f) => f.sha256));
      assert.deepEqual(new Set(blobsIn(store)), named, 'only what the kept checkpoints name is kept');
      assert.deepEqual(
        readdirSync(store).filter((n) => n.includes('tmp')),
        [],
        'no temporary left behind',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes workspaceCheckpointMinutes from the spec: 10 by default, refused with the field named when not a positive number of minutes', () => {
    const spec = { agent: 'replay', budgetGpuHours: 1, gpus: 1, fleet: true };
    assert.equal(parseSessionSpec(spec).workspaceCheckpointMinutes, 10);
    assert.equal(parseSessionSpec({ ...spec, workspaceCheckpointMinutes: 0.5 }).workspaceCheckpointMinutes, 0.5);
    for (const bad of [0, -1, '5', 100_000]) assert.throws(() => parseSessionSpec({ ...spec, workspaceCheckpointMinutes: bad }), /workspaceCheckpointMinutes/);
  });

  it('puts back a folder submitted after the checkpoint began, as it was submitted, from the copy kept at submit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ws-submitted-'));
    try {
      const sub = join(root, 'node-a', 'submissions', 'c2');
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, 'train_gpt.py'), 'print("submitted")\n');
      const entries = await scanTree(sub);
      const copy = join(root, 'home', 'submitted', treeHash(entries));
      await keepCopy(entries, copy);
      await keepCopy(entries, copy); // a retried relay finds it there
      writeFileSync(join(sub, 'train_gpt.py'), 'print("edited after the submit")\n');

      const subs = [
        { path: 'submissions/c1', contentHash: 'a'.repeat(64), submittedAtMs: 900, state: 'queued' },
        { path: 'submissions/c0', contentHash: 'b'.repeat(64), submittedAtMs: 1500, state: 'accepted' },
        { path: 'submissions/c2', contentHash: treeHash(entries), submittedAtMs: 1500, state: 'queued' },
      ];
      assert.deepEqual(submittedSince(subs, 1000), [{ path: 'submissions/c2', contentHash: treeHash(entries) }], 'c1 is in the checkpoint, c0 validated');
      assert.equal(submittedSince(subs, null).length, 2, 'no checkpoint: every one not validated');

      const restored = join(root, 'node-b');
      mkdirSync(join(restored, 'submissions', 'c2'), { recursive: true });
      writeFileSync(join(restored, 'submissions', 'c2', 'old.py'), 'an older version\n');
      const put = await putBack(restored, [
        { path: 'submissions/c2', copy },
        { path: 'submissions/c9', copy: join(root, 'home', 'submitted', 'none') },
      ]);
      assert.deepEqual(put, ['submissions/c2'], 'a copy that was never kept is skipped');
      assert.equal(treeHash(await scanTree(join(restored, 'submissions', 'c2'))), treeHash(entries), 'the folder as it was submitted');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a node-local workspace: prepared on node a, checkpointed to the home, restored on node b once per placement', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ws-restore-'));
    const saved = { home: process.env.NANOGPT_BENCH_HOME, local: process.env.NANOGPT_BENCH_WORKSPACES };
    try {
      process.env.NANOGPT_BENCH_HOME = join(root, 'home');
      process.env.NANOGPT_BENCH_WORKSPACES = join(root, 'a');
      const s = spec({ agent: 'replay', budgetGpuHours: 1, gpus: 1, fleet: true, anchor: FASTRUN });
      const onA = await prepareWorkspace({ sessionId: 'w1', spec: s });
      assert.deepEqual([onA.dir, onA.nodeLocal], [join(root, 'a', 'w1', 'workspace'), true]);
      writeFileSync(join(onA.dir, 'notes.md'), 'kept\n');
      const taken = await takeSnapshot(onA.dir, layout.checkpoints('w1'), 1, Date.now());
      assert.ok(existsSync(join(layout.checkpoints('w1'), '000001.json')) && taken.files > 1);

      process.env.NANOGPT_BENCH_WORKSPACES = join(root, 'b');
      const restore = (epoch: number) => restoreWorkspace({ session: { sessionId: 'w1', spec: s, workspace: onA }, checkpoint: 1, epoch });
      const onB = await restore(2);
      assert.deepEqual([onB.workspace.dir, onB.checkpoint?.number, onB.putBack], [join(root, 'b', 'w1', 'workspace'), 1, []]);
      assert.equal(readFileSync(join(onB.workspace.dir, 'notes.md'), 'utf8'), 'kept\n');
      writeFileSync(join(onB.workspace.dir, 'since.md'), 'the agent on b\n');
      assert.deepEqual((await restore(2)).checkpoint, onB.checkpoint, 'retried: the same answer');
      assert.ok(existsSync(join(onB.workspace.dir, 'since.md')), 'retried: nothing laid out again');
      await restore(3);
      assert.ok(!existsSync(join(onB.workspace.dir, 'since.md')), 'a later placement on b starts from the checkpoint again');
    } finally {
      for (const [k, v] of [
        ['NANOGPT_BENCH_HOME', saved.home],
        ['NANOGPT_BENCH_WORKSPACES', saved.local],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
});
