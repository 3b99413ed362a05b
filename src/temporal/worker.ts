import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { LocalSandbox } from '../sandbox/local';
import type { Sandboxes } from '../sandbox/backends';
import { CONTROL_TASK_QUEUE, namespace } from './connection';
import { fencingInterceptor } from '../fleet/fencing';
import { keepAlive } from './keepAlive';
import { GpuSlots } from '../sandbox/gpuSlots';
import { releaseStickyQueues } from './stickyQueues';

/**
 * Every session holds two activities for its whole life (its agent's watcher and its relay), both
 * idle between heartbeats; the SDK's default of 100 slots would let 50 sessions take them all and
 * leave no slot for any step of any session (found by bench/load.ts: 200 sessions stood still).
 */
export const MAX_CONCURRENT_ACTIVITIES = 2000;

/**
 * How many workflow runs a worker keeps in memory between their tasks (`NANOGPT_BENCH_WORKFLOW_CACHE`;
 * unset: the SDK's default). With a cache, a task is sent to the worker that holds the run (its
 * sticky queue); when that worker dies the task times out there and goes to another, and the
 * Temporal SDK (1.24, its core) may then run the next task's commands in one order and replay them
 * in another (a submit, a signal or a timer beside a child's end): every later task fails with a
 * nondeterminism error (TMPRL1100) and the session stands still. The full fault form hit it in 1 to
 * 4 of about 20 worker kills a run; with 0 (no cache) in none of 80 injections. But then every
 * task and every query replays its whole history: the fleet workflow's heartbeats and `watch`'s
 * polling fell behind in a fresh clone's test run. Hence the knob, and the default kept.
 */
export function workflowCacheSize(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.NANOGPT_BENCH_WORKFLOW_CACHE;
  if (raw === undefined || raw === '') return undefined;
  const parsed = z.coerce.number().int().min(0).safeParse(raw);
  if (!parsed.success) throw new Error(`NANOGPT_BENCH_WORKFLOW_CACHE: expected a whole number ≥ 0 (runs kept in memory), got ${JSON.stringify(raw)}`);
  return parsed.data;
}

export interface WorkerOptions {
  connection: NativeConnection;
  client: Client;
  taskQueue?: string;
  sandboxes?: Sandboxes;
  /** This node's GPUs: timed runs take them in turn (src/sandbox/gpuSlots.ts). Absent: no bound. */
  gpus?: number;
  /** A GPU node of a fleet: activities only (the control worker runs every workflow), fenced by placement. */
  node?: { name: string; placedHere: (sessionId: string) => boolean };
}

/**
 * One worker registers both workflows and every activity (a fleet node: activities only). The workflow code is bundled at build
 * time when dist/workflow-bundle.js exists (fast start), else from source here.
 */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const bundle = join(__dirname, '..', '..', 'workflow-bundle.js');
  const cache = workflowCacheSize();
  const taskQueue = opts.taskQueue ?? CONTROL_TASK_QUEUE;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: namespace(),
    taskQueue,
    ...(opts.node ? {} : existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') }),
    activities: createActivities({
      client: opts.client,
      sandboxes: opts.sandboxes ?? { local: new LocalSandbox() },
      ...(opts.gpus ? { gpuSlots: new GpuSlots(opts.gpus) } : {}),
    }),
    maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_ACTIVITIES,
    interceptors: {
      activity: [keepAlive, ...(opts.node ? [fencingInterceptor(opts.client, opts.node.name, opts.node.placedHere, (m) => console.log(m))] : [])],
    },
    shutdownGraceTime: '5s',
    ...(cache === undefined ? {} : { maxCachedWorkflows: cache }),
  });
  // Beside the worker's start, not before it: its polls need not wait for the releases.
  if (!opts.node) {
    const log = Runtime.instance().logger;
    void releaseStickyQueues(opts.client, taskQueue).then(
      (n) => {
        log.info('released the sticky queues of open runs', { runs: n });
      },
      (err: Error) => {
        log.warn('could not release the sticky queues of open runs: their next tasks may wait 10 s', { error: err.message });
      },
    );
  }
  return worker;
}
