/**
 * Every message of the session, declared once and imported by the workflow, the worker's relay
 * and the CLI, so a name typed on `temporal workflow query --type …` has one definition.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetView } from '../src/domain/budget';
import type { SubmissionRecord, SubmitRequest } from '../src/domain/submission';
import type { SessionStatus, BestView } from '../src/domain/session';
import type { FleetView, Placement } from '../src/fleet/fleet';
import type { AgentUsageSummary } from '../src/agents/usage';

export const budgetQuery = defineQuery<BudgetView>('budget');
export const bestQuery = defineQuery<BestView | null>('best');
export const submissionsQuery = defineQuery<SubmissionRecord[]>('submissions');
export const statusQuery = defineQuery<SessionStatus>('status');

/** Returns the submission id at once; the verdict is read later through `submissions`. */
export const submitUpdate = defineUpdate<{ submissionId: string }, [SubmitRequest]>('submit');

export const stopSignal = defineSignal<[{ reason?: string }?]>('stop');
export const extendBudgetSignal = defineSignal<[{ gpuHours: number }]>('extendBudget');
/** The agent's token usage as its CLI reported it, sent by the worker watching it when it changes, so `status` reads it from anywhere. */
export const agentUsageSignal = defineSignal<[{ usage: AgentUsageSummary }]>('agentUsage');
/** A launch of the agent is running since `startedAtMs` (its process's own record): its GPU time counts from then, not from when it was asked for. */
export const agentStartedSignal = defineSignal<[{ launch: number; startedAtMs: number }]>('agentStarted');

/** The fleet workflow's messages (workflows/fleet.ts); each answer names what is placed on the node. */
export const registerNodeUpdate = defineUpdate<{ placed: string[] }, [{ node: string; gpus: number }]>('registerNode');
export const nodeHeartbeatUpdate = defineUpdate<{ placed: string[] }, [{ node: string; gpus: number; sentAtMs?: number }]>('nodeHeartbeat');
/** Returns the placement when a node has room now; else the session waits and is told by `placed`. */
export const requestPlacementUpdate = defineUpdate<Placement | null, [{ sessionId: string; gpus: number }]>('requestPlacement');
export const releasePlacementUpdate = defineUpdate<void, [{ sessionId: string }]>('releasePlacement');
export const nodesQuery = defineQuery<FleetView>('nodes');
export const placementQuery = defineQuery<Placement | null, [string]>('placement');

/** What the fleet tells a session: it has a node, or the node it had is lost. */
export const placedSignal = defineSignal<[{ node: string; epoch: number }]>('placed');
export const nodeLostSignal = defineSignal<[{ node: string; epoch: number; lastSeenMs: number }]>('nodeLost');
