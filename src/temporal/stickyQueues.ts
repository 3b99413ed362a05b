import type { Client } from '@temporalio/client';
import { namespace } from './connection';

/**
 * A worker keeps the runs it served in memory and asks the server to send their next tasks to its
 * own (sticky) queue. When it dies, the server goes on doing so for about 10 s, and each such task
 * then waits out the sticky queue's own 10 s timeout before any worker may take it: a session's
 * `submit` made just after a worker's restart waited 20 s (bench/load.ts, 200 sessions). A worker
 * that starts therefore tells the server to forget the sticky queue of every run open on its task
 * queue; their next tasks go to the shared queue at once. A run a live worker still holds only loses
 * its place in that worker's memory (one replay).
 *
 * Returns how many runs it released; a server that cannot list them only costs the wait above.
 */
export async function releaseStickyQueues(client: Client, taskQueue: string): Promise<number> {
  let released = 0;
  const open = client.workflow.list({ query: `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'` });
  for await (const run of open) {
    // A run that ended since the listing has nothing to release.
    const done = await client.workflowService
      .resetStickyTaskQueue({ namespace: namespace(), execution: { workflowId: run.workflowId, runId: run.runId } })
      .then(
        () => true,
        () => false,
      );
    if (done) released++;
  }
  return released;
}
