import { CancellationScope, ParentClosePolicy, condition, executeChild, isCancellation, log, patched } from '@temporalio/workflow';
import { agentHeldUntilPause, agentRanDuring, charge, startAgentHolding, stopAgentHolding } from '../src/domain/budget';
import { bestView, horizonSpeedup, type SessionRef } from '../src/domain/session';
import type { SubmissionRecord } from '../src/domain/submission';
import { mayBeBest } from '../src/domain/tickets';
import type { Verdict } from '../src/domain/verdict';
import { currentReference } from './referenceWindow';
import { budgetChanged, historyFull, type SessionRun } from './sessionRun';
import { validateInSession, validateSubmission, validatesInSession, type ValidateSubmissionInput } from './validation';

/**
 * Validates queued submissions one at a time until the session closes: the fixed policy inside the
 * session's own history (`patched('validation-in-session')`), the sequential one and a periodic
 * reference (and histories from before) in a child workflow each.
 */
export async function validationLoop(run: SessionRun, session: SessionRef): Promise<void> {
  const { state, spec } = run;
  for (;;) {
    await condition(() => state.closedReason !== null || state.submissions.some((s) => s.state === 'queued'));
    if (run.continueWithQueue && state.closedReason === null && historyFull(run)) {
      // The next run of the workflow takes the queue: none starts here (waitForEnd continues as new).
      await condition(() => state.closedReason !== null);
      continue;
    }
    const next = state.submissions.find((s) => s.state === 'queued');
    if (!next) return;
    run.validating = next.id;
    next.state = 'validating';
    if (validatesInSession(spec) && patched('validation-in-session')) await validateHere(run, session, next);
    else await validateInChild(run, session, next);
  }
}

/**
 * Exclusive GPUs: on the agent's own node its sandbox is paused, and its GPU time stops counting,
 * while a run times; a validation pool has GPUs of its own. Whether the agent holds them now.
 */
function agentHoldsGpus(run: SessionRun): boolean {
  const { state, spec } = run;
  const onAgentNode = !spec.validationTaskQueue && !state.agentFinished;
  const holding = run.agentChargedByProcess ? onAgentNode && run.agentRunning : state.ledger.agentHoldingSinceMs !== null && !spec.validationTaskQueue;
  if (run.agentChargedByProcess) run.agentPaused = onAgentNode;
  return holding;
}

async function validateHere(run: SessionRun, session: SessionRef, next: SubmissionRecord): Promise<void> {
  const { state } = run;
  const { short } = run.activities;
  // The agent's interval closes when the session sends for its pause; the activity says when it took effect.
  let paused: { closedAtMs: number } | null = null;
  let resumed = false;
  const takeGpus = () => {
    if (!agentHoldsGpus(run)) return false;
    paused = { closedAtMs: Date.now() };
    stopAgentHolding(state.ledger, paused.closedAtMs);
    budgetChanged(run);
    return true;
  };
  const goesOn = () => !CancellationScope.current().consideredCancelled && !state.agentFinished && state.closedReason === null;
  try {
    const out = await validateInSession(await validationInput(run, session, next), takeGpus);
    // Once the session is closing, its stop settled the agent from its own records (session.ts finish).
    if (paused && out.pausedAtMs !== null && state.closedReason === null) {
      agentHeldUntilPause(state.ledger, (paused as { closedAtMs: number }).closedAtMs, out.pausedAtMs);
      agentRanDuring(state.ledger, out.agentRan ?? []);
    }
    if (paused && out.resumedAtMs !== null) {
      resumed = true;
      // A launch that ended meanwhile (lost with its sandbox) holds nothing any more.
      if (goesOn() && (!run.agentChargedByProcess || run.agentRunning)) startAgentHolding(state.ledger, out.resumedAtMs);
    }
    run.agentPaused = false;
    recordVerdict(run, next, out.verdict);
    budgetChanged(run);
    await short.writeVerdict({ session, submissionId: next.id, verdict: out.verdict });
  } catch (err) {
    failed(err, next);
  } finally {
    // The runs' activity failed for good: the agent is let go on here.
    if (paused && !resumed && goesOn()) {
      const again = await short.resumeAgent({ session });
      if (!run.agentChargedByProcess || run.agentRunning) startAgentHolding(state.ledger, again.atMs);
    }
    run.agentPaused = false;
    run.validating = null;
    budgetChanged(run);
  }
}

async function validateInChild(run: SessionRun, session: SessionRef, next: SubmissionRecord): Promise<void> {
  const { state } = run;
  const { short } = run.activities;
  const agentWasHolding = agentHoldsGpus(run);
  if (agentWasHolding) {
    const paused = await short.pauseAgent({ session });
    stopAgentHolding(state.ledger, paused?.atMs ?? Date.now());
    budgetChanged(run);
  }
  try {
    const verdict = await executeChild(validateSubmission, {
      workflowId: `${state.sessionId}.${next.id}`,
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      args: [await validationInput(run, session, next)],
    });
    recordVerdict(run, next, verdict);
  } catch (err) {
    failed(err, next);
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

async function validationInput(run: SessionRun, session: SessionRef, next: SubmissionRecord): Promise<ValidateSubmissionInput> {
  const { state } = run;
  const best = state.submissions.find((s) => s.id === state.bestId);
  return {
    session,
    submissionId: next.id,
    path: next.path,
    contentHash: next.contentHash,
    runs: next.requestedRuns,
    reference: await currentReference(session, state, next.id),
    horizonSpeedupSeconds: horizonSpeedup(state),
    best: best?.verdict ? { id: best.id, trainTimesMs: best.verdict.runs.flatMap((r) => (r.trainTimeMs === null ? [] : [r.trainTimeMs])) } : null,
  };
}

/** The verdict's runs charged, the submission decided, the best one kept. */
function recordVerdict(run: SessionRun, next: SubmissionRecord, verdict: Verdict): void {
  const { state } = run;
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
}

function failed(err: unknown, next: SubmissionRecord): void {
  // Its node was lost: leaveLostNode puts it back in line.
  if (isCancellation(err) && CancellationScope.current().consideredCancelled) throw err;
  next.state = 'rejected';
  next.reason = `validation failed: ${err instanceof Error ? err.message : String(err)}`;
  log.error('validation failed', { submission: next.id, err });
}
