import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, FASTRUN } from '../helpers/harness';
import { startSession, sessionQueries } from '../../src/temporal/client';

const POOL = 'nanogpt-bench.validation-pool';

describe('a validation pool', () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
    await h.inProcessWorker({ taskQueue: POOL });
  });
  after(() => h.stop());

  it('takes the timed runs, and the agent keeps its GPUs meanwhile', { timeout: 240_000 }, async () => {
    const handle = await startSession(
      h.client,
      { agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 3, validationTaskQueue: POOL, confirmRuns: 2, confirmCandidates: 1 },
      'pool-1',
    );
    const summary = await handle.result();
    assert.deepEqual(summary.submissions, { accepted: 2 });

    // Every timed run was scheduled on the pool's task queue: the calibration's, and each
    // validation's 3 runs with the 3 of the anchor timed beside them (the paired reference, a
    // session's default), all in one activity of the session's own history.
    const events = (await handle.fetchHistory()).events ?? [];
    const timed = events.filter((e) => ['timeRun', 'timeOnExclusiveGpus'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''));
    assert.equal(timed.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'timeOnExclusiveGpus').length, 2);
    for (const e of timed) assert.equal(e.activityTaskScheduledEventAttributes?.taskQueue?.name, POOL);
    const subs = await sessionQueries.submissions(handle);
    for (const s of subs) assert.deepEqual([s.verdict?.runs.length, s.verdict?.referenceRuns?.length], [3, 3], s.id);

    // Not paused: the agent's sandbox was charged through the validations, so its GPU time is at
    // least the wall time the validation runs took (they ran while it held its GPUs).
    const validationWallS = subs.flatMap((s) => s.verdict!.runs).reduce((a, r) => a + r.wallMs, 0) / 1000;
    assert.ok(
      summary.budget.byCategory.agent * 3600 >= validationWallS,
      `agent ${summary.budget.byCategory.agent * 3600} GPU-s, validation runs ${validationWallS} s`,
    );
  });
});
