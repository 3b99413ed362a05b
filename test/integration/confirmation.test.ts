import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { startSession, sessionQueries } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { repoRoot } from '../../src/files/repoRoot';

/** The subjects of the session's timed runs, in the order the workflow scheduled them. */
async function timedSubjects(h: Harness, workflowId: string): Promise<string[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name !== 'timeRun') return [];
    const input = JSON.parse(Buffer.from(a.input!.payloads![0].data!).toString('utf8'));
    return [`${input.subject}#${input.runIndex}`];
  });
}

const split = (subjectRun: string): [string, number] => {
  const [subject, i] = subjectRun.split('#');
  return [subject, Number(i)];
};

// Side by side: the second test's agent mostly sleeps its budget away.
describe('the headline comes from an interleaved confirmation (issue 14, item 1)', { concurrency: true }, () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
  });
  after(() => h.stop());

  it(
    're-times the best, and those whose CI overlaps it, A B A B … with the anchor, books it as confirmation and replays deterministically',
    { timeout: 300_000 },
    async () => {
      const handle = await startSession(h.client, { agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 3, confirmRuns: 3 }, 'confirm-1');
      const summary = await handle.result();
      assert.equal(summary.endReason, 'agent finished');
      const c = summary.confirmation!;
      assert.ok(c, 'the summary has a confirmation');
      assert.equal(c.headline!.submissionId, summary.best!.submissionId, 'the headline is the best by its verdict, measured again');
      const best = c.candidates.find((x) => x.submissionId === c.headline!.submissionId)!;
      assert.equal(best.candidateRunsS.length, 3);
      assert.equal(best.anchorRunsS.length, 3);
      const paired = best.anchorRunsS.map((a, i) => a - best.candidateRunsS[i]);
      assert.ok(Math.abs(c.headline!.speedupSeconds - paired.reduce((x, y) => x + y, 0) / 3) < 1e-9);
      assert.ok(c.headline!.ci95[0] <= c.headline!.speedupSeconds && c.headline!.speedupSeconds <= c.headline!.ci95[1]);
      assert.ok(c.headline!.humanProgressPercent > 50 && c.headline!.humanProgressPercent < 150, `${c.headline!.humanProgressPercent}%`);
      // The 100% mark is the horizon record timed in the same rounds, not calibration's figure.
      assert.equal(c.progressBasis, 'same-window');
      assert.equal(c.horizon!.runsS.length, 3);
      const horizonPaired = best.anchorRunsS.map((a, i) => a - c.horizon!.runsS[i]);
      assert.ok(Math.abs(c.horizon!.speedupSeconds - horizonPaired.reduce((x, y) => x + y, 0) / 3) < 1e-9);
      assert.ok(Math.abs(c.headline!.humanProgressPercent - (100 * c.headline!.speedupSeconds) / c.horizon!.speedupSeconds) < 1e-9);

      // Round by round: the anchor, the horizon record, then each confirmed candidate; all after every verdict.
      const subjects = await timedSubjects(h, 'confirm-1');
      const tail = subjects.filter((s) => s.startsWith('confirmation-'));
      const ids = c.candidates.map((x) => x.submissionId);
      const expected = [0, 1, 2].flatMap((r) => [`confirmation-anchor#${r}`, `confirmation-horizon#${r}`, ...ids.map((id) => `confirmation-${id}#${r}`)]);
      assert.deepEqual(tail, expected);
      assert.deepEqual(subjects.slice(-tail.length), tail);

      // Each verdict was decided against anchor runs timed beside its own (reference: paired, the default).
      const subs = await sessionQueries.submissions(handle);
      for (const sub of subs) {
        assert.equal(sub.verdict!.referenceRuns!.length, 3);
        // Timed A, B, A, B … (one activity of the session's history holds them: their process records say the order).
        const startedAt = (subject: string, i: number) =>
          (JSON.parse(readFileSync(join(layout.run('confirm-1', subject, i), 'procs', 'run.json'), 'utf8')) as { startedAtMs: number }).startedAtMs;
        const order = [0, 1, 2].flatMap((r) => [`${sub.id}-anchor#${r}`, `${sub.id}#${r}`]);
        const byStart = [...order].sort((a, b) => startedAt(...split(a)) - startedAt(...split(b)));
        assert.deepEqual(byStart, order);
      }
      assert.deepEqual(summary.tickets, { candidatesTimed: 2, runsTimed: 6, screeningCandidates: 0, screeningRuns: 0, referenceRuns: 6 });
      assert.equal(summary.referenceDrift!.windows, 4, 'calibration, two paired windows, the confirmation');

      // Its GPU time is its own category; the per-submission figures stay beside it.
      assert.ok(summary.budget.byCategory.confirmation > 0, 'the confirmation is charged to its own category');
      assert.equal(summary.budget.reservedGpuHours, 0, 'the reserve was released to it');
      assert.ok(summary.best && summary.best.humanProgressPercent > 0);
      const onDisk = JSON.parse(readFileSync(layout.summary('confirm-1'), 'utf8'));
      assert.deepEqual(onDisk.confirmation, c);
      assert.ok(existsSync(layout.run('confirm-1', 'confirmation-anchor', 2)));

      // Recorded history replays against this code (the confirmation is behind patched()).
      const history = await handle.fetchHistory();
      const bundle = join(repoRoot(), 'dist', 'workflow-bundle.js');
      await Worker.runReplayHistory(
        existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') },
        history,
        'confirm-1',
      );
    },
  );

  it('reserves the confirmation from the start: the agent phase ends when the budget left equals the reserve', { timeout: 180_000 }, async () => {
    const budgetGpuHours = 0.025;
    const handle = await startSession(
      h.client,
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours, gpus: 1, retimeRuns: 2 },
      'reserve-1',
    );
    const running = await eventually('the agent holding its GPUs', async () => {
      const b = await sessionQueries.budget(handle);
      return b.agentHoldingGpus ? b : null;
    });
    assert.ok(running.reservedGpuHours > 0, 'a reserve is kept');
    // confirmRuns (= retimeRuns 2) × (3 candidates + the anchor + the horizon record) runs at the anchor's cost per run.
    const reference = (await sessionQueries.status(handle)).reference!;
    assert.equal(reference.runs, 2);
    assert.ok(Math.abs(running.reservedGpuHours * 3600 - 2 * 5 * reference.meanRunGpuSeconds!) < 1e-6, `reserved ${running.reservedGpuHours * 3600} GPU-s`);
    assert.ok(Math.abs(running.remainingGpuHours - (budgetGpuHours - running.usedGpuHours - running.reservedGpuHours)) < 1e-9);

    const summary = await handle.result();
    assert.equal(summary.endReason, 'budget exhausted');
    const usedS = summary.budget.usedGpuHours * 3600;
    const reservedS = running.reservedGpuHours * 3600;
    assert.ok(Math.abs(summary.confirmation!.reservedGpuSeconds! - reservedS) < 1e-6);
    assert.ok(
      Math.abs(usedS - (budgetGpuHours * 3600 - reservedS)) <= 1.0,
      `used ${usedS.toFixed(3)} GPU-s; granted ${budgetGpuHours * 3600}, reserved ${reservedS.toFixed(3)}`,
    );
    assert.equal(summary.confirmation?.headline, null);
    assert.match(summary.confirmation.note!, /no accepted candidate/);
  });
});
