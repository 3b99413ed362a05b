import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  declareLost,
  fleetView,
  heartbeat,
  newFleet,
  nextLossCheckMs,
  registerNode,
  release,
  requestPlacement,
  type FleetState,
  type SessionNotice,
} from '../src/fleet/fleet';
import {
  nodeHeartbeatUpdate,
  nodeLostSignal,
  nodesQuery,
  placedSignal,
  placementQuery,
  registerNodeUpdate,
  releasePlacementUpdate,
  requestPlacementUpdate,
} from './messages';

export interface FleetInput {
  /** Seconds without a heartbeat after which a node is declared lost. */
  lossAfterSeconds: number;
}

/** History length at which the fleet continues as new: every heartbeat is an update in its history. */
const CONTINUE_AS_NEW_AFTER_EVENTS = 4000;

/**
 * The fleet of GPU nodes, one long-lived workflow (id nanogpt-bench-fleet). Nodes register and
 * heartbeat; sessions ask for a node and give it back. The main loop sleeps on one durable timer,
 * until the next node would be overdue, and wakes to declare lost nodes, tell sessions where they
 * are placed or that their node is gone, and continue as new when its history grows.
 */
export async function nanogptFleet(input: FleetInput, carried?: FleetState): Promise<void> {
  const fleet = carried ?? newFleet(input.lossAfterSeconds * 1000);
  let changed = 0;
  setHandler(registerNodeUpdate, ({ node, gpus }) => {
    changed += 1;
    return { placed: registerNode(fleet, node, gpus, Date.now()) };
  });
  setHandler(nodeHeartbeatUpdate, ({ node, gpus, sentAtMs }) => {
    const wasLost = fleet.nodes[node]?.lostAtMs !== null;
    if (wasLost) changed += 1;
    return { placed: heartbeat(fleet, node, gpus, Date.now(), sentAtMs) };
  });
  setHandler(requestPlacementUpdate, ({ sessionId, gpus }) => {
    changed += 1;
    return requestPlacement(fleet, sessionId, gpus, Date.now());
  });
  setHandler(releasePlacementUpdate, ({ sessionId }) => {
    changed += 1;
    release(fleet, sessionId, Date.now());
  });
  setHandler(nodesQuery, () => fleetView(fleet));
  setHandler(placementQuery, (sessionId) => fleet.placements[sessionId] ?? null);

  for (;;) {
    const lost = declareLost(fleet, Date.now());
    if (lost.length > 0) log.warn('nodes lost: their sessions are placed again', { lost });
    await tellSessions(fleet);
    const info = workflowInfo();
    if (info.historyLength > CONTINUE_AS_NEW_AFTER_EVENTS || info.continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await tellSessions(fleet);
      return await continueAsNew<typeof nanogptFleet>(input, fleet);
    }
    const seen = changed;
    const waitMs = nextLossCheckMs(fleet) - Date.now();
    const woke = () => changed !== seen || fleet.outbox.length > 0;
    if (Number.isFinite(waitMs)) await condition(woke, Math.max(1, Math.ceil(waitMs) + 1));
    else await condition(woke);
  }
}

/** Delivers the notices in order; a session that has ended cannot be told and needs not be. */
async function tellSessions(fleet: FleetState): Promise<void> {
  while (fleet.outbox.length > 0) {
    const n = fleet.outbox.shift() as SessionNotice;
    const session = getExternalWorkflowHandle(n.sessionId);
    try {
      if (n.kind === 'placed') await session.signal(placedSignal, { node: n.node, epoch: n.epoch });
      else await session.signal(nodeLostSignal, { node: n.node, epoch: n.epoch, lastSeenMs: n.lastSeenMs });
    } catch (err) {
      // Gone without giving its node back (failed, terminated): its GPUs are free again.
      log.info('session not told: it has ended', { notice: n, err: (err as Error).message });
      if (fleet.placements[n.sessionId]?.epoch === n.epoch) release(fleet, n.sessionId, Date.now());
    }
  }
}
