import { CancellationScope, condition, isCancellation, setHandler } from '@temporalio/workflow';
import { stopAgentHolding } from '../src/domain/budget';
import type { SessionRef } from '../src/domain/session';
import { nodeTaskQueue } from '../src/fleet/fleet';
import { activitiesFor } from './activityStubs';
import { nodeLostSignal, placedSignal } from './messages';
import { budgetChanged, type SessionRun } from './sessionRun';

/**
 * A fleet session (spec `fleet`) on its node: the fleet workflow places it and tells it when that
 * node is lost. A placement's epoch is its fencing token: a signal naming an older one is ignored.
 * Sessions outside a fleet keep their spec's nodeTaskQueue and never see any of this.
 */
export function setUpPlacementHandlers(run: SessionRun): void {
  const { state } = run;
  setHandler(placedSignal, (p) => takePlacement(run, p));
  setHandler(nodeLostSignal, ({ node, epoch, lastSeenMs }) => {
    if (state.placement?.epoch !== epoch) return;
    const now = Date.now();
    // The agent held its GPUs until its node was last heard from, not until the loss was declared;
    // from then until it is relaunched elsewhere nothing is charged.
    const since = state.ledger.agentHoldingSinceMs;
    if (since !== null) stopAgentHolding(state.ledger, Math.min(now, Math.max(lastSeenMs, since)));
    (state.nodeMoves ??= []).push({ from: node, epoch, lastSeenMs, lostAtMs: now, to: null, placedAtMs: null });
    state.placement = null;
    budgetChanged(run);
  });
}

function takePlacement(run: SessionRun, p: { node: string; epoch: number }): void {
  const { state } = run;
  const lastLost = state.nodeMoves?.at(-1)?.epoch ?? 0;
  if (state.placement || p.epoch <= lastLost) return;
  state.placement = { node: p.node, epoch: p.epoch, placedAtMs: Date.now() };
  const move = state.nodeMoves?.at(-1);
  if (move && move.to === null) {
    move.to = p.node;
    move.placedAtMs = Date.now();
  }
}

/** Waits for a node with room (asking the fleet when the session has none), then routes node-bound work to it. */
export async function placeOnNode(run: SessionRun): Promise<void> {
  const { state } = run;
  if (!state.spec.fleet) return;
  if (!state.placement) {
    state.waitingForNodeSinceMs ??= Date.now();
    const now = await run.activities.control.requestPlacement({ sessionId: state.sessionId, gpus: state.spec.gpus });
    if (now) takePlacement(run, now);
    await condition(() => Boolean(state.placement));
    state.waitingForNodeSinceMs = null;
  }
  run.placedEpoch = state.placement!.epoch;
  run.spec = { ...state.spec, nodeTaskQueue: nodeTaskQueue(state.placement!.node) };
  run.activities = activitiesFor(run.spec);
}

/** The node the session's work was started on is gone (it may already be placed again: the loss and the new placement can arrive together). */
export const nodeLost = (run: SessionRun): boolean => Boolean(run.state.spec.fleet) && run.state.placement?.epoch !== run.placedEpoch;

/** What every node-bound activity gets: the session with its spec routed to the node it is on. */
export function sessionRef(run: SessionRun): SessionRef {
  return { sessionId: run.state.sessionId, spec: run.spec, workspace: run.state.workspace! };
}

/**
 * Node-bound work that starts over on the next node when its node is lost on the way (it must be
 * safe to run again: its activities re-attach to what already ran). Outside a fleet: run once.
 */
export async function onNode<T>(run: SessionRun, work: () => Promise<T>): Promise<T> {
  for (;;) {
    await placeOnNode(run);
    if (!run.state.spec.fleet) return await work();
    const epoch = run.placedEpoch!;
    const scope = new CancellationScope();
    const watch = new CancellationScope();
    void watch
      .run(() => condition(() => run.state.placement?.epoch !== epoch))
      .then(
        () => scope.cancel(),
        () => undefined,
      );
    try {
      return await scope.run(work);
    } catch (err) {
      if (!isCancellation(err) || run.state.placement?.epoch === epoch) throw err;
    } finally {
      watch.cancel();
    }
  }
}

/** Gives the node back to the fleet at the session's end. */
export async function releaseNode(run: SessionRun): Promise<void> {
  if (run.state.spec.fleet) await run.activities.control.releasePlacement({ sessionId: run.state.sessionId });
}
