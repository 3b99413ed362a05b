import type { Client, WorkflowHandle } from '@temporalio/client';
import { nanogptFleet } from '../../workflows/fleet';
import { nodesQuery } from '../../workflows/messages';
import { CONTROL_TASK_QUEUE } from '../temporal/connection';
import { FLEET_WORKFLOW_ID, type FleetView } from './fleet';

/** Seconds without a heartbeat before a node is declared lost, as the fleet is first started with. */
export function nodeLossSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.NANOGPT_BENCH_NODE_LOSS_SECONDS;
  if (raw === undefined || raw === '') return 60;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`NANOGPT_BENCH_NODE_LOSS_SECONDS: expected a positive number of seconds, got ${raw}`);
  return n;
}

/**
 * The fleet workflow, started on the control task queue by whoever needs it first (a node that
 * registers, a session that asks for a node); the one already running otherwise.
 */
export async function ensureFleet(client: Client): Promise<WorkflowHandle<typeof nanogptFleet>> {
  return client.workflow.start(nanogptFleet, {
    workflowId: FLEET_WORKFLOW_ID,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ lossAfterSeconds: nodeLossSeconds() }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

export async function listNodes(client: Client): Promise<FleetView> {
  return client.workflow.getHandle(FLEET_WORKFLOW_ID).query(nodesQuery);
}
