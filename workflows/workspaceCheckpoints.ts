import { condition, isCancellation, log, patched } from '@temporalio/workflow';
import { newWorkspaceCheckpoints, submittedSince, type WorkspaceCheckpoints } from '../src/domain/workspaceCheckpoint';
import type { SessionRef } from '../src/domain/session';
import { sessionRef } from './sessionPlacement';
import type { SessionRun } from './sessionRun';

/**
 * A fleet session whose workspace is on its node's local disk (worker --workspace-dir) keeps
 * checkpoints of it in the shared home: one at each accepted submit and one every
 * spec.workspaceCheckpointMinutes, so a lost node loses at most the work since the last one. On
 * the next node the last checkpoint is laid out before the agent is relaunched there.
 */
const hasNodeLocalWorkspace = (run: SessionRun): boolean => Boolean(run.state.spec.fleet && run.state.workspace?.nodeLocal);

/** The workspace was just prepared on the node the session is placed on. */
export function workspacePrepared(run: SessionRun): void {
  if (hasNodeLocalWorkspace(run) && patched('node-local-workspaces')) run.state.workspaceCheckpoints = newWorkspaceCheckpoints(run.placedEpoch ?? null);
}

/** Takes a checkpoint at each accepted submit and every M minutes, until the session closes or leaves the node. */
export async function checkpointLoop(run: SessionRun, session: SessionRef): Promise<void> {
  const { state } = run;
  if (!hasNodeLocalWorkspace(run) || !state.workspaceCheckpoints) return;
  const everyMs = (state.spec.workspaceCheckpointMinutes ?? 10) * 60_000;
  let seen = state.submissions.length;
  for (;;) {
    const submitted = await condition(() => state.submissions.length !== seen || state.closedReason !== null, everyMs);
    if (state.closedReason !== null) return;
    const reason = submitted ? `submit ${state.submissions.at(-1)!.id}` : `every ${everyMs / 60_000} min`;
    seen = state.submissions.length;
    await takeCheckpoint(run, session, state.workspaceCheckpoints, reason);
  }
}

/** The agent has stopped: its last workspace goes to the shared home too, where the node's disk is not reached. */
export async function checkpointAtEnd(run: SessionRun, session: SessionRef): Promise<void> {
  const c = run.state.workspaceCheckpoints;
  // Not from another node (its own was lost during the finish): the last checkpoint stands.
  if (hasNodeLocalWorkspace(run) && c && c.epoch === run.placedEpoch) await takeCheckpoint(run, session, c, 'session end');
}

async function takeCheckpoint(run: SessionRun, session: SessionRef, c: WorkspaceCheckpoints, reason: string): Promise<void> {
  const number = (c.last?.number ?? 0) + 1;
  try {
    const facts = await run.activities.short.checkpointWorkspace({ session, number });
    c.last = { number, takenAtMs: facts.takenAtMs, reason, node: run.state.placement?.node ?? null, files: facts.files, bytes: facts.bytes };
    c.taken += 1;
  } catch (err) {
    // A checkpoint that cannot be taken does not end the session; the next one tries again.
    if (isCancellation(err)) throw err;
    c.failed += 1;
    log.warn('workspace checkpoint failed', { number, reason, err });
  }
}

/**
 * Before the agent starts on a node: where the workspace was on another node's local disk, the
 * last checkpoint (or, before any, the anchor) is laid out here and the session's workspace is
 * this node's folder from now on.
 */
export async function bringWorkspace(run: SessionRun): Promise<void> {
  const { state } = run;
  const c = state.workspaceCheckpoints;
  if (!hasNodeLocalWorkspace(run) || !c || c.epoch === run.placedEpoch) return;
  const restored = await run.activities.short.restoreWorkspace({
    session: sessionRef(run),
    checkpoint: c.last?.number ?? null,
    epoch: run.placedEpoch!,
    submittedSince: submittedSince(state.submissions, c.last?.takenAtMs ?? null),
  });
  state.workspace = restored.workspace;
  c.epoch = run.placedEpoch!;
  c.restores.push({
    checkpoint: restored.checkpoint?.number ?? null,
    takenAtMs: restored.checkpoint?.takenAtMs ?? null,
    node: state.placement?.node ?? null,
    restoredAtMs: Date.now(),
    putBack: restored.putBack,
  });
}
