import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SessionSpec } from '../src/domain/spec';

/** The control task queue (src/temporal/connection.ts CONTROL_TASK_QUEUE): where a session runs when no GPU node is named. */
const CONTROL_TASK_QUEUE = 'nanogpt-bench';

export type SessionActivities = ReturnType<typeof activitiesFor>;

/**
 * A session's activity proxies, grouped by how they behave: short idempotent steps, long waits on
 * a process that heartbeat (a missed heartbeat means the worker died, and the retry re-attaches),
 * and the LLM judge. The task-queue rule lives here alone: everything goes to the session's GPU
 * node (`nodeTaskQueue`), except timed runs, which go to a validation pool when the spec names one,
 * and the fleet's bookkeeping, which runs on the control queue (a fleet session's nodeTaskQueue is
 * the node it is placed on: workflows/sessionPlacement.ts).
 */
export function activitiesFor(spec: Pick<SessionSpec, 'nodeTaskQueue' | 'validationTaskQueue' | 'runTimeoutSeconds'>) {
  const taskQueue = spec.nodeTaskQueue ?? CONTROL_TASK_QUEUE;
  const short = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '10 minutes',
    // The worker heartbeats every activity (src/temporal/keepAlive.ts): a step lost with its worker is retried after this, not after 10 minutes.
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
  });
  const timed = proxyActivities<Activities>({
    taskQueue: spec.validationTaskQueue ?? taskQueue,
    startToCloseTimeout: `${Math.ceil(spec.runTimeoutSeconds + 600)}s`,
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });
  const longLived = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '10s' },
  });
  // The LLM judge may retry a slow provider several times over; its own timeouts bound it. It
  // heartbeats, so a judge lost with its worker is retried at once, not after the 40 minutes.
  const judging = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '40 minutes',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 3 },
  });
  const control = proxyActivities<Activities>({
    taskQueue: CONTROL_TASK_QUEUE,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', maximumInterval: '10s' },
  });
  return { short, timed, longLived, judging, control };
}

/**
 * A validation's timed runs in one activity (activities/exclusiveRuns.ts), on the queue timed runs
 * go to: its start-to-close grows with the runs it holds (each bounded by its own limit).
 */
export function exclusiveRunsFor(
  spec: Pick<SessionSpec, 'nodeTaskQueue' | 'validationTaskQueue' | 'runTimeoutSeconds' | 'candidateRunTimeoutSeconds'>,
  runs: number,
  paired: boolean,
) {
  const perRound = (spec.candidateRunTimeoutSeconds ?? spec.runTimeoutSeconds) + (paired ? spec.runTimeoutSeconds : 0);
  return proxyActivities<Activities>({
    taskQueue: spec.validationTaskQueue ?? spec.nodeTaskQueue ?? CONTROL_TASK_QUEUE,
    startToCloseTimeout: `${Math.ceil(runs * perRound + 600)}s`,
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });
}
