import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { LocalSandbox } from '../sandbox/local';
import type { Sandboxes } from '../sandbox/backends';
import { CONTROL_TASK_QUEUE, namespace } from './connection';
import { fencingInterceptor } from '../fleet/fencing';
import { keepAlive } from './keepAlive';

/**
 * Every session holds two activities for its whole life (its agent's watcher and its relay), both
 * idle between heartbeats; the SDK's default of 100 slots would let 50 sessions take them all and
 * leave no slot for any step of any session (found by bench/load.ts: 200 sessions stood still).
 */
export const MAX_CONCURRENT_ACTIVITIES = 2000;

export interface WorkerOptions {
  connection: NativeConnection;
  client: Client;
  taskQueue?: string;
  sandboxes?: Sandboxes;
  /** A GPU node of a fleet: activities only (the control worker runs every workflow), fenced by placement. */
  node?: { name: string; placedHere: (sessionId: string) => boolean };
}

/**
 * One worker registers both workflows and every activity (a fleet node: activities only). The workflow code is bundled at build
 * time when dist/workflow-bundle.js exists (fast start), else from source here.
 */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const bundle = join(__dirname, '..', '..', 'workflow-bundle.js');
  return Worker.create({
    connection: opts.connection,
    namespace: namespace(),
    taskQueue: opts.taskQueue ?? CONTROL_TASK_QUEUE,
    ...(opts.node ? {} : existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') }),
    activities: createActivities({ client: opts.client, sandboxes: opts.sandboxes ?? { local: new LocalSandbox() } }),
    maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_ACTIVITIES,
    interceptors: {
      activity: [keepAlive, ...(opts.node ? [fencingInterceptor(opts.client, opts.node.name, opts.node.placedHere, (m) => console.log(m))] : [])],
    },
    shutdownGraceTime: '5s',
  });
}
