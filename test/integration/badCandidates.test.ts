import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { BAD } from '../helpers/badCandidates';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { submitUpdate } from '../../workflows/messages';
import { layout } from '../../src/files/layout';
import { scanTree, treeHash } from '../../src/files/tree';

// The two sessions share nothing but the server and the worker: they run side by side.
describe('bad candidates get a verdict, never a broken session', { concurrency: true }, () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
  });
  after(() => h.stop());

  it('rejects each with the reason, and the session goes on', { timeout: 400_000 }, async () => {
    const id = 'bad-1';
    const handle = await startSession(
      h.client,
      // The hang is cut at 6 s; the anchor's runs (calibration, the paired references) keep the default limit.
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 2, candidateRunTimeoutSeconds: 6 },
      id,
    );
    await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running', 120_000);
    const ids = new Map<string, string>();
    for (const bad of BAD) {
      const dir = join(layout.workspace(id), 'submissions', bad.name);
      cpSync(join(FASTRUN, 'records', '01_faster'), dir, { recursive: true });
      bad.mutate(dir);
      const contentHash = treeHash(await scanTree(dir));
      const r = await handle.executeUpdate(submitUpdate, { args: [{ path: `submissions/${bad.name}`, contentHash }] });
      ids.set(bad.name, r.submissionId);
    }
    const subs = await eventually(
      'every verdict',
      async () => {
        const s = await sessionQueries.submissions(handle);
        return s.every((x) => x.state === 'accepted' || x.state === 'rejected') ? s : null;
      },
      360_000,
      1000,
    );
    for (const bad of BAD) {
      const sub = subs.find((s) => s.id === ids.get(bad.name))!;
      assert.equal(sub.state, 'rejected', `${bad.name} was ${sub.state}`);
      const said = sub.verdict!.reasons.join(' | ');
      assert.match(said, bad.reason, `${bad.name}: ${said}`);
    }
    assert.equal((await sessionQueries.status(handle)).phase, 'running', 'the session is still running');
    await stopSession(handle);
    await handle.result();
  });

  it('a submit storm of 100 in a second: each queued or refused, none lost', { timeout: 240_000 }, async () => {
    const id = 'storm-1';
    const handle = await startSession(
      h.client,
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 2 },
      id,
    );
    await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running', 120_000);
    const hashes = Array.from({ length: 100 }, (_, i) => {
      const dir = join(layout.workspace(id), 'submissions', `s${i}`);
      cpSync(join(FASTRUN, 'records', '02_fastest'), dir, { recursive: true });
      writeFileSync(join(dir, 'note.txt'), `candidate ${i}\n`);
      return dir;
    });
    const contentHashes = await Promise.all(hashes.map(async (d) => treeHash(await scanTree(d))));
    const t0 = Date.now();
    const outcomes = await Promise.all(
      contentHashes.map((contentHash, i) =>
        handle.executeUpdate(submitUpdate, { args: [{ path: `submissions/s${i}`, contentHash }] }).then(
          (r) => ({ id: r.submissionId, refused: null as string | null }),
          (err) => ({ id: null, refused: err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? 'refused') : `ERROR ${err}` }),
        ),
      ),
    );
    const seconds = (Date.now() - t0) / 1000;
    const accepted = outcomes.filter((o) => o.id).map((o) => o.id!);
    const refused = outcomes.filter((o) => o.refused);
    assert.equal(accepted.length + refused.length, 100);
    for (const r of refused) assert.match(r.refused!, /not enough GPU budget/, 'refusals are for the budget, not errors');
    assert.ok(accepted.length >= 1, 'some were queued');
    assert.equal(new Set(accepted).size, accepted.length, 'distinct ids');
    const subs = await sessionQueries.submissions(handle);
    assert.deepEqual(subs.map((s) => s.id).sort(), [...accepted].sort(), 'every queued submission is on the books');
    await stopSession(handle, 'storm over');
    const summary = await handle.result();
    const final = await sessionQueries.submissions(handle);
    assert.equal(final.length, accepted.length);
    for (const s of final) assert.ok(['accepted', 'rejected', 'cancelled'].includes(s.state), `${s.id} ended ${s.state}`);
    assert.match(summary.endReason ?? '', /storm over/);
    console.log(`storm: ${accepted.length} queued, ${refused.length} refused for budget, in ${seconds.toFixed(2)} s`);
  });
});
