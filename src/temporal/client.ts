import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { parseSessionSpec, type SessionSpecInput } from '../domain/spec';
import { liveStatus } from '../domain/session';
import { projectBudget } from '../domain/budget';
import { benchmarkSession } from '../../workflows/session';
import { budgetQuery, bestQuery, statusQuery, submissionsQuery, stopSignal, extendBudgetSignal } from '../../workflows/messages';
import { CONTROL_TASK_QUEUE } from './connection';

/** Starts a session after validating its spec here too, so a typo fails before anything is created. */
export async function startSession(client: Client, spec: SessionSpecInput, id?: string): Promise<WorkflowHandle<typeof benchmarkSession>> {
  // Validated here for an early, clear error; sent as given, so defaults are the workflow's own.
  parseSessionSpec(spec);
  const workflowId = id ?? `session-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(3).toString('hex')}`;
  return client.workflow.start(benchmarkSession, { taskQueue: CONTROL_TASK_QUEUE, workflowId, args: [spec] });
}

export function sessionHandle(client: Client, id: string): WorkflowHandle<typeof benchmarkSession> {
  return client.workflow.getHandle<typeof benchmarkSession>(id);
}

/** Queries with the budget brought up to the reader's clock (see BudgetView.asOf). */
export const sessionQueries = {
  budget: async (h: WorkflowHandle) => projectBudget(await h.query(budgetQuery), Date.now()),
  best: (h: WorkflowHandle) => h.query(bestQuery),
  status: async (h: WorkflowHandle) => liveStatus(await h.query(statusQuery), Date.now()),
  submissions: (h: WorkflowHandle) => h.query(submissionsQuery),
};

export async function stopSession(h: WorkflowHandle, reason?: string): Promise<void> {
  await h.signal(stopSignal, { reason });
}

export async function extendBudget(h: WorkflowHandle, gpuHours: number): Promise<void> {
  await h.signal(extendBudgetSignal, { gpuHours });
}
