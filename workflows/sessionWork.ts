import { CancellationScope, condition, isCancellation, sleep, workflowInfo } from '@temporalio/workflow';
import { startAgentHolding, stopAgentHolding, agentWasDown, settleAgentLaunch, agentLaunchAsked } from '../src/domain/budget';
import { recordSpend, type SessionRef } from '../src/domain/session';
import { agentBackoffMs } from '../src/domain/agentPolicy';
import { validationLoop } from './validationLoop';
import { budgetChanged, type SessionRun } from './sessionRun';
import { checkpointLoop } from './workspaceCheckpoints';
import { onNode, sessionRef } from './sessionPlacement';

/** The strands of the session's work while it runs. */
export interface Work {
  agentScope: CancellationScope;
  relayScope: CancellationScope;
  /** Cancelled only when the session's node is lost; at the end the current validation finishes. */
  validationScope: CancellationScope;
  agentDone: Promise<void>;
  relayDone: Promise<void>;
  validationDone: Promise<void>;
  /** Checkpoints of a node-local workspace (workflows/workspaceCheckpoints.ts). */
  checkpointScope: CancellationScope;
  checkpointsDone: Promise<void>;
}

/**
 * Starts the agent, the relay and the validation loop. The agent and the relay live in scopes of
 * their own: cancelling them (at the end, or before continuing as new) detaches from the
 * processes without killing them.
 */
export function startWork(run: SessionRun, session: SessionRef): Work {
  const agentScope = new CancellationScope();
  const relayScope = new CancellationScope();
  const agentDone = agentScope.run(() => agentLoop(run, session)).catch(swallowCancellation);
  const relayDone = relayScope.run(() => run.activities.longLived.serveRelay({ session, workflowId: workflowInfo().workflowId })).catch(swallowCancellation);
  const validationScope = new CancellationScope();
  const validationDone = validationScope.run(() => validationLoop(run, session)).catch(swallowCancellation);
  const checkpointScope = new CancellationScope();
  const checkpointsDone = checkpointScope.run(() => checkpointLoop(run, session)).catch(swallowCancellation);
  return { agentScope, relayScope, validationScope, agentDone, relayDone, validationDone, checkpointScope, checkpointsDone };
}

/**
 * The session's node is lost: lets go of everything that ran there. The agent's launch ended with
 * it (the next one resumes its CLI's own session) and the submission under validation goes back
 * in line, to be timed again on the next node; nothing of the lost one was charged.
 */
export async function leaveLostNode(run: SessionRun, work: Work): Promise<void> {
  work.agentScope.cancel();
  work.relayScope.cancel();
  work.validationScope.cancel();
  work.checkpointScope.cancel();
  await Promise.all([work.agentDone, work.relayDone, work.validationDone, work.checkpointsDone]);
  const { state } = run;
  const lost = state.nodeMoves?.at(-1);
  if (state.agentLaunches > 0 && !state.agentExits.some((e) => e.launch === state.agentLaunches)) {
    state.agentExits.push({ launch: state.agentLaunches, exitCode: null, atMs: lost?.lastSeenMs ?? Date.now() });
  }
  backInLine(run);
}

/** The submission under validation on a lost node goes back in line, to be timed again on the next one. */
function backInLine(run: SessionRun): void {
  for (const s of run.state.submissions) if (s.state === 'validating') s.state = 'queued';
  run.validating = null;
  run.agentPaused = false;
  budgetChanged(run);
}

/**
 * At the end: the submission under validation finishes and the last timed checkpoint is taken. A
 * node lost meanwhile takes them with it: the checkpoints stop there (the last one stands), and the
 * submission is validated again on the session's next node.
 */
export async function settleWork(run: SessionRun, work: Work): Promise<void> {
  let { validationScope, validationDone, checkpointsDone } = work;
  let epoch = run.placedEpoch;
  await onNode(run, async () => {
    if (run.placedEpoch !== epoch) {
      validationScope.cancel();
      work.checkpointScope.cancel();
      await Promise.all([validationDone, checkpointsDone]);
      backInLine(run);
      epoch = run.placedEpoch;
      checkpointsDone = Promise.resolve();
      validationScope = new CancellationScope();
      validationDone = validationScope.run(() => validationLoop(run, sessionRef(run))).catch(swallowCancellation);
    }
    // A promise is not cancelled with the scope that awaits it: the node's loss is watched here.
    await Promise.race([Promise.all([validationDone, checkpointsDone]), CancellationScope.current().cancelRequested]);
  });
}

/** Before continuing as new: lets go of the agent and the relay, which keep running for the next run. */
export async function detachWork(work: Work): Promise<void> {
  work.agentScope.cancel();
  work.relayScope.cancel();
  work.checkpointScope.cancel();
  await Promise.all([work.agentDone, work.relayDone, work.checkpointsDone]);
}

/**
 * Launches the agent, and again (resuming) whenever it exits, until it says it has finished. Its
 * GPUs count while a launch's process runs (from the process's own start and end, as its sandbox
 * recorded them), less the validations that paused it; not between launches.
 */
async function agentLoop(run: SessionRun, session: SessionRef): Promise<void> {
  const { state } = run;
  const byProcess = run.agentChargedByProcess;
  if (state.agentFinished) return;
  if (!byProcess) startAgentHolding(state.ledger, Date.now());
  budgetChanged(run);
  for (;;) {
    const launch = state.agentLaunches + (state.agentExits.some((e) => e.launch === state.agentLaunches) || state.agentLaunches === 0 ? 1 : 0);
    state.agentLaunches = launch;
    if (byProcess) {
      // Not while a validation has this node's GPUs: the launch waits for it to end.
      await condition(() => !run.agentPaused);
      if (run.agentChargedFromStart) agentLaunchAsked(state.ledger, Date.now(), { tracksLife: run.agentCutToLaunchLife });
      else startAgentHolding(state.ledger, Date.now());
      budgetChanged(run);
    }
    run.agentRunning = true;
    const exit = await run.activities.longLived.runAgent({ session, launch }).finally(() => void (run.agentRunning = false));
    state.agentExits.push({ launch, exitCode: exit.exitCode, atMs: Date.now() });
    if (recordSpend(state, exit)) return budgetChanged(run);
    if (byProcess) {
      // A launch lost with its sandbox held its GPUs until it was last seen running.
      settleAgentLaunch(state.ledger, { startedAtMs: exit.startedAtMs, endedAtMs: exit.lostSinceMs ?? exit.endedAtMs }, Date.now());
    } else if (exit.lostSinceMs !== undefined) {
      agentWasDown(state.ledger, exit.lostSinceMs, Date.now());
    }
    if (exit.finished) {
      state.agentFinished = true;
      stopAgentHolding(state.ledger, Date.now());
    }
    // (Older histories woke the session's timer only on these two.)
    if (byProcess || exit.finished || exit.lostSinceMs !== undefined) budgetChanged(run);
    if (exit.finished) return;
    await sleep(agentBackoffMs(state.agentExits, Date.now()));
  }
}

function swallowCancellation(err: unknown): void {
  if (!isCancellation(err)) throw err;
}
