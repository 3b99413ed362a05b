import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Activity proxies grouped by how they behave: short idempotent steps, and long waits on a
 * process that heartbeat (a missed heartbeat means the worker died, and the retry re-attaches).
 */
export function activitiesFor(taskQueue: string, runTimeoutSeconds: number) {
  const short = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '10 minutes',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
  });
  const timed = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: `${Math.ceil(runTimeoutSeconds + 600)}s`,
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });
  const longLived = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumInterval: '10s' },
  });
  // The LLM judge may retry a slow provider several times over; its own timeouts bound it.
  const judging = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '40 minutes',
    retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 3 },
  });
  return { short, timed, longLived, judging };
}
