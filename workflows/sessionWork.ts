import { CancellationScope, ParentClosePolicy, condition, executeChild, isCancellation, log, sleep, workflowInfo } from '@temporalio/workflow';
import { startAgentHolding, stopAgentHolding, agentWasDown, charge, settleAgentLaunch, agentLaunchAsked } from '../src/domain/budget';
import { bestView, horizonSpeedup, recordSpend, type SessionRef } from '../src/domain/session';
import { agentBackoffMs } from '../src/domain/agentPolicy';
import { validateSubmission } from './validation';
import { currentReference } from './referenceWindow';
import { mayBeBest } from '../src/domain/tickets';
import { budgetChanged, historyFull, type SessionRun } from './sessionRun';
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
      if (run.agentChargedFromStart) agentLaunchAsked(state.ledger, Date.now());
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

/** Validates queued submissions one at a time, each in a child workflow, until the session closes. */
async function validationLoop(run: SessionRun, session: SessionRef): Promise<void> {
  const { state, spec } = run;
  const { short } = run.activities;
  for (;;) {
    await condition(() => state.closedReason !== null || state.submissions.some((s) => s.state === 'queued'));
    if (run.continueWithQueue && state.closedReason === null && historyFull(spec)) {
      // The next run of the workflow takes the queue: none starts here (waitForEnd continues as new).
      await condition(() => state.closedReason !== null);
      continue;
    }
    const next = state.submissions.find((s) => s.state === 'queued');
    if (!next) return;
    run.validating = next.id;
    next.state = 'validating';
    // Exclusive GPUs: on the agent's own node its sandbox is paused, and its GPU time stops
    // counting, while a run times; a validation pool has GPUs of its own.
    const onAgentNode = !spec.validationTaskQueue && !state.agentFinished;
    const agentWasHolding = run.agentChargedByProcess
      ? onAgentNode && run.agentRunning
      : state.ledger.agentHoldingSinceMs !== null && !spec.validationTaskQueue;
    if (run.agentChargedByProcess) run.agentPaused = onAgentNode;
    if (agentWasHolding) {
      const paused = await short.pauseAgent({ session });
      stopAgentHolding(state.ledger, paused?.atMs ?? Date.now());
      budgetChanged(run);
    }
    try {
      const best = state.submissions.find((s) => s.id === state.bestId);
      const verdict = await executeChild(validateSubmission, {
        workflowId: `${state.sessionId}.${next.id}`,
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        args: [
          {
            session,
            submissionId: next.id,
            path: next.path,
            contentHash: next.contentHash,
            runs: next.requestedRuns,
            reference: await currentReference(session, state, next.id),
            horizonSpeedupSeconds: horizonSpeedup(state),
            best: best?.verdict ? { id: best.id, trainTimesMs: best.verdict.runs.flatMap((r) => (r.trainTimeMs === null ? [] : [r.trainTimeMs])) } : null,
          },
        ],
      });
      charge(
        state.ledger,
        'validation',
        [...verdict.runs, ...(verdict.referenceRuns ?? [])].reduce((a, r) => a + r.gpuSeconds, 0),
      );
      next.verdict = verdict;
      next.state = verdict.accepted ? 'accepted' : 'rejected';
      if (mayBeBest(next, run.spec.retimeRuns) && verdict.speedup && (!bestView(state) || verdict.speedup.seconds > bestView(state)!.speedupSeconds)) {
        state.bestId = next.id;
      }
    } catch (err) {
      // Its node was lost: leaveLostNode puts it back in line.
      if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
      next.state = 'rejected';
      next.reason = `validation failed: ${err instanceof Error ? err.message : String(err)}`;
      log.error('validation failed', { submission: next.id, err });
    } finally {
      const moved = CancellationScope.current().consideredCancelled;
      if (!moved && agentWasHolding && !state.agentFinished && state.closedReason === null) {
        const resumed = await short.resumeAgent({ session });
        // A launch that ended meanwhile (lost with its sandbox) holds nothing any more.
        if (!run.agentChargedByProcess || run.agentRunning) startAgentHolding(state.ledger, resumed?.atMs ?? Date.now());
      }
      run.agentPaused = false;
      run.validating = null;
      budgetChanged(run);
    }
  }
}

function swallowCancellation(err: unknown): void {
  if (!isCancellation(err)) throw err;
}
