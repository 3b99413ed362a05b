import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { startSession, sessionQueries, extendBudget, stopSession } from '../../src/temporal/client';
import { CONTROL_TASK_QUEUE } from '../../src/temporal/connection';
import { releaseStickyQueues } from '../../src/temporal/stickyQueues';

/**
 * What a starting worker does for the runs a dead one held (src/temporal/stickyQueues.ts): after the
 * release, a run's next workflow task is put on the shared queue, not on the queue of the worker
 * that last served it (which, dead, would hold it 10 s). Shown on a live worker, so no timing
 * decides it: without the release the task goes to that worker's sticky queue.
 */
const Kind = temporal.api.enums.v1.TaskQueueKind;

describe('a starting worker releases the sticky queues of open runs', () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
  });
  after(() => h.stop());

  it("an open session's next workflow task goes to the shared queue", { timeout: 180_000 }, async () => {
    const handle = await startSession(
      h.client,
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 2 },
      'sticky-1',
    );
    await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running', 120_000);

    // A task in flight when the release lands completes asking for the sticky queue again (a dead
    // worker's tasks never do): the release is made once the session has nothing under way.
    await eventually('the agent launched and the session quiet', async () => {
      const ev = (await handle.fetchHistory()).events ?? [];
      const lastDone = ev.map((e) => Boolean(e.workflowTaskCompletedEventAttributes)).lastIndexOf(true);
      const pending = ev.slice(lastDone + 1).some((e) => e.workflowTaskScheduledEventAttributes || e.workflowExecutionSignaledEventAttributes);
      return ev.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'agentStarted') && !pending;
    });
    // Taken before the release: a task the session makes itself between the release and its reply
    // (an agent's signal) is on the shared queue, and the one after it on the sticky queue again.
    const releasedAtMs = Date.now();
    assert.equal(await releaseStickyQueues(h.client, CONTROL_TASK_QUEUE), 1);
    await extendBudget(handle, 1);
    await eventually('the signal applied', async () => (await sessionQueries.budget(handle)).grantedGpuHours === 2);

    const events = (await handle.fetchHistory()).events ?? [];
    const atMs = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
    const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'extendBudget');
    const after = events.filter((e) => e.workflowTaskScheduledEventAttributes && atMs(e) >= releasedAtMs);
    assert.ok(signalled > 0 && after.length > 0, 'the signal and a workflow task after the release');
    // With its worker alive, every task of the session would go to that worker's sticky queue:
    // one on the shared queue is the release's doing.
    assert.ok(
      after.some((e) => e.workflowTaskScheduledEventAttributes!.taskQueue!.kind === Kind.TASK_QUEUE_KIND_NORMAL),
      `a task after the release is on the shared queue (kinds: ${after.map((e) => e.workflowTaskScheduledEventAttributes!.taskQueue!.kind).join(', ')})`,
    );
    const stickyBefore = events.filter(
      (e) => atMs(e) < releasedAtMs && e.workflowTaskScheduledEventAttributes?.taskQueue?.kind === Kind.TASK_QUEUE_KIND_STICKY,
    );
    assert.ok(stickyBefore.length > 0, "the session was on its worker's sticky queue before the release");
    await stopSession(handle, 'done');
    await handle.result();
  });
});
