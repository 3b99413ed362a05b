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

    // Every timed run of a submission was scheduled on the pool's task queue: its 3, and the 3 of
    // the anchor timed beside them (the paired reference, a session's default).
    const history = await h.client.workflow.getHandle('pool-1.sub-001').fetchHistory();
    const timeRuns = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'timeRun');
    assert.equal(timeRuns.length, 6);
    for (const e of timeRuns) assert.equal(e.activityTaskScheduledEventAttributes?.taskQueue?.name, POOL);

    // Not paused: the agent's sandbox was charged through the validations, so its GPU time is at
    // least the wall time the validation runs took (they ran while it held its GPUs).
    const subs = await sessionQueries.submissions(handle);
    const validationWallS = subs.flatMap((s) => s.verdict!.runs).reduce((a, r) => a + r.wallMs, 0) / 1000;
    assert.ok(
      summary.budget.byCategory.agent * 3600 >= validationWallS,
      `agent ${summary.budget.byCategory.agent * 3600} GPU-s, validation runs ${validationWallS} s`,
    );
  });
});
