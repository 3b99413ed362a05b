import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  setHandler,
  sleep,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import { newLedger, msUntilExhausted, remainingAt, startAgentHolding, stopAgentHolding, agentWasDown, charge, viewBudget } from '../src/domain/budget';
import { parseSessionSpec, type SessionSpec } from '../src/domain/spec';
import { newSessionState, refuseSubmit, statusView, bestView, horizonSpeedup, type SessionState, type SessionSummary } from '../src/domain/session';
import { SubmitRequestSchema, normaliseSubmissionPath, type SubmissionRecord } from '../src/domain/submission';
import { formatZodError } from '../src/domain/validation';
import { agentBackoffMs } from '../src/domain/agentPolicy';
import type { SessionRef } from '../activities/types';
import { budgetQuery, bestQuery, submissionsQuery, statusQuery, submitUpdate, stopSignal, extendBudgetSignal } from './messages';
import { activitiesFor } from './activityStubs';
import { retime } from './retime';
import { validateSubmission } from './validation';
import { confirmAtEnd, reserveConfirmation } from './confirmation';
import { currentReference } from './referenceWindow';
import { mayBeBest } from '../src/domain/tickets';

/**
 * One benchmark session: prepare the agent's workspace, time the anchor for reference, let the
 * agent work and submit until the budget or the session hours run out (or it stops), validate
 * each submission in turn, and return the summary. Continues as new with its whole state when
 * history grows; everything it waits on can be re-attached, so nothing is lost on the way.
 */
export async function benchmarkSession(input: unknown, carried?: SessionState): Promise<SessionSummary> {
  const spec = specOrFail(input);
  const state: SessionState = carried ?? newSessionState(workflowInfo().workflowId, spec, newLedger(spec.budgetGpuHours, spec.gpus), Date.now());
  if (carried) state.continuedAsNew += 1;
  const { short, longLived } = activitiesFor(spec.nodeTaskQueue ?? 'nanogpt-bench', spec.runTimeoutSeconds);

  // Anything that changes when the budget runs out bumps this, so the durable timer is recomputed.
  let budgetEpoch = 0;
  const budgetChanged = () => void (budgetEpoch += 1);
  let validating: string | null = null;

  setHandler(budgetQuery, () => viewBudget(state.ledger, Date.now()));
  setHandler(bestQuery, () => bestView(state));
  setHandler(submissionsQuery, () => state.submissions);
  setHandler(statusQuery, () => statusView(state, Date.now()));
  // Kept in state: a stop that arrives while the run is continuing as new must reach the next one.
  setHandler(stopSignal, (arg) => void (state.stopRequested ??= arg?.reason ?? 'stop requested'));
  setHandler(extendBudgetSignal, (arg) => {
    const gpuHours = Number(arg?.gpuHours);
    if (!Number.isFinite(gpuHours) || gpuHours <= 0) {
      log.warn('extendBudget ignored: gpuHours must be a positive number', { arg });
      return;
    }
    state.ledger.grantedGpuSeconds += gpuHours * 3600;
    budgetChanged();
  });
  setHandler(
    submitUpdate,
    (req) => {
      const path = normaliseSubmissionPath(req.path, state.workspace!.sandboxRoot);
      const id = `sub-${String(state.submissions.length + 1).padStart(3, '0')}`;
      const record: SubmissionRecord = {
        id,
        path: path.ok ? path.path : req.path,
        contentHash: req.contentHash,
        requestedRuns: req.runs ?? spec.retimeRuns,
        submittedAtMs: Date.now(),
        state: 'queued',
        verdict: null,
        reason: null,
      };
      state.submissions.push(record);
      return { submissionId: id };
    },
    {
      validator: (req) => {
        const parsed = SubmitRequestSchema.safeParse(req);
        if (!parsed.success) throw new Error(`bad submit request: ${formatZodError(parsed.error)}`);
        const refusal = refuseSubmit(state, parsed.data, Date.now());
        if (refusal) throw new Error(refusal);
      },
    },
  );

  if (!state.workspace) {
    state.workspace = await short.prepareWorkspace({ sessionId: state.sessionId, spec });
  }
  const session: SessionRef = { sessionId: state.sessionId, spec, workspace: state.workspace };

  if (!state.reference) {
    state.phase = 'calibrating';
    state.reference = await calibrate(session, state);
    budgetChanged();
  }
  state.phase = 'running';
  reserveConfirmation(state);

  // The agent and the relay live in scopes of their own: cancelling them (at the end, or before
  // continuing as new) detaches from the processes without killing them.
  const agentScope = new CancellationScope();
  const relayScope = new CancellationScope();
  const agentDone = agentScope.run(() => agentLoop()).catch(swallowCancellation);
  const relayDone = relayScope.run(() => longLived.serveRelay({ session, workflowId: workflowInfo().workflowId })).catch(swallowCancellation);
  const validationDone = validationLoop();

  const outcome = await waitForEnd();

  if (outcome === 'continue-as-new') {
    agentScope.cancel();
    relayScope.cancel();
    await Promise.all([agentDone, relayDone]);
    await condition(allHandlersFinished);
    return await continueAsNew<typeof benchmarkSession>(input, state);
  }

  state.phase = 'finishing';
  state.closedReason = outcome;
  state.endReason = outcome;
  for (const s of state.submissions) {
    if (s.state === 'queued') {
      s.state = 'cancelled';
      s.reason = `session ended before validation: ${outcome}`;
    }
  }
  // The agent's GPU time ends where the session decided to end, not when the kill lands.
  stopAgentHolding(state.ledger, Date.now());
  agentScope.cancel();
  await agentDone;
  await short.stopAgent({ session, graceSeconds: spec.agentStopGraceSeconds });
  await validationDone;
  await confirmAtEnd(state, session, budgetChanged);
  relayScope.cancel();
  await relayDone;
  await short.releaseSession({ session });
  await short.writeSummary({ session, summary: statusView(state, Date.now()) });
  state.phase = 'ended';
  await condition(allHandlersFinished);
  return statusView(state, Date.now());

  /** Returns why the session ends, or 'continue-as-new'. Sleeps on one durable timer at a time. */
  async function waitForEnd(): Promise<string> {
    for (;;) {
      const now = Date.now();
      if (state.stopRequested) return `stopped: ${state.stopRequested}`;
      if (remainingAt(state.ledger, now) <= 1e-9) return 'budget exhausted';
      if (now >= state.deadlineMs) return 'session hours exhausted';
      const idle = !validating && !state.submissions.some((s) => s.state === 'queued');
      if (state.agentFinished && idle) return 'agent finished';
      if (idle && (workflowInfo().historyLength > spec.continueAsNewAfterEvents || workflowInfo().continueAsNewSuggested)) return 'continue-as-new';
      const epoch = budgetEpoch;
      const agentFinished = state.agentFinished;
      const wasIdle = idle;
      const waitMs = Math.min(msUntilExhausted(state.ledger, now), state.deadlineMs - now);
      const woke = () =>
        budgetEpoch !== epoch ||
        state.stopRequested !== null ||
        state.agentFinished !== agentFinished ||
        wasIdle !== (!validating && !state.submissions.some((s) => s.state === 'queued'));
      if (Number.isFinite(waitMs)) await condition(woke, Math.max(1, Math.ceil(waitMs)));
      else await condition(woke);
    }
  }

  async function agentLoop(): Promise<void> {
    if (state.agentFinished) return;
    startAgentHolding(state.ledger, Date.now());
    budgetChanged();
    for (;;) {
      const launch = state.agentLaunches + (state.agentExits.some((e) => e.launch === state.agentLaunches) || state.agentLaunches === 0 ? 1 : 0);
      state.agentLaunches = launch;
      const exit = await longLived.runAgent({ session, launch });
      state.agentExits.push({ launch, exitCode: exit.exitCode, atMs: Date.now() });
      if (exit.lostSinceMs !== undefined) {
        agentWasDown(state.ledger, exit.lostSinceMs, Date.now());
        budgetChanged();
      }
      if (exit.finished) {
        state.agentFinished = true;
        stopAgentHolding(state.ledger, Date.now());
        budgetChanged();
        return;
      }
      await sleep(agentBackoffMs(state.agentExits, Date.now()));
    }
  }

  async function validationLoop(): Promise<void> {
    for (;;) {
      await condition(() => state.closedReason !== null || state.submissions.some((s) => s.state === 'queued'));
      const next = state.submissions.find((s) => s.state === 'queued');
      if (!next) return;
      validating = next.id;
      next.state = 'validating';
      // Exclusive GPUs: on the agent's own node its sandbox is paused, and its GPU time stops
      // counting, while a run times; a validation pool has GPUs of its own.
      const agentWasHolding = state.ledger.agentHoldingSinceMs !== null && !spec.validationTaskQueue;
      if (agentWasHolding) {
        await short.pauseAgent({ session });
        stopAgentHolding(state.ledger, Date.now());
        budgetChanged();
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
        charge(state.ledger, 'validation', [...verdict.runs, ...(verdict.referenceRuns ?? [])].reduce((a, r) => a + r.gpuSeconds, 0));
        next.verdict = verdict;
        next.state = verdict.accepted ? 'accepted' : 'rejected';
        if (mayBeBest(next, spec.retimeRuns) && verdict.speedup && (!bestView(state) || verdict.speedup.seconds > bestView(state)!.speedupSeconds)) {
          state.bestId = next.id;
        }
      } catch (err) {
        next.state = 'rejected';
        next.reason = `validation failed: ${err instanceof Error ? err.message : String(err)}`;
        log.error('validation failed', { submission: next.id, err });
      } finally {
        if (agentWasHolding && !state.agentFinished && state.closedReason === null) {
          await short.resumeAgent({ session });
          startAgentHolding(state.ledger, Date.now());
        }
        validating = null;
        budgetChanged();
      }
    }
  }
}

/** The anchor's own N timed runs on this hardware, from the cache when this hardware has them. */
async function calibrate(session: SessionRef, state: SessionState) {
  const { short } = activitiesFor(session.spec.nodeTaskQueue ?? 'nanogpt-bench', session.spec.runTimeoutSeconds);
  const cached = await short.lookupCalibration({ session });
  if (cached) return cached;
  const frozen = await short.freezeSubmission({ session, submissionId: 'calibration', path: null });
  if ('refused' in frozen) throw ApplicationFailure.nonRetryable(`cannot freeze the anchor: ${frozen.refused}`);
  const runs = await timeCleanly(session, state, 'calibration', frozen.frozenDir, 'the anchor');
  let horizonRuns = null;
  if (session.workspace.horizonDir) {
    const horizon = await short.freezeSubmission({ session, submissionId: 'calibration-horizon', path: null, hostDir: session.workspace.horizonDir });
    if ('refused' in horizon) throw ApplicationFailure.nonRetryable(`cannot freeze the horizon record: ${horizon.refused}`);
    horizonRuns = await timeCleanly(session, state, 'calibration-horizon', horizon.frozenDir, 'the horizon record');
  }
  return await short.storeCalibration({ session, runs, horizonRuns });
}

async function timeCleanly(session: SessionRef, state: SessionState, subject: string, frozenDir: string, what: string) {
  const runs = await retime(session, subject, frozenDir, session.spec.retimeRuns);
  charge(state.ledger, 'calibration', runs.reduce((a, r) => a + r.gpuSeconds, 0));
  const bad = runs.filter((r) => r.invalidReason !== null);
  if (bad.length > 0) {
    throw ApplicationFailure.nonRetryable(`${what} failed to run cleanly: ${bad.map((r) => `run ${r.index}: ${r.invalidReason}`).join('; ')}`);
  }
  return runs;
}

function specOrFail(input: unknown): SessionSpec {
  try {
    return parseSessionSpec(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidSessionSpec');
  }
}

function swallowCancellation(err: unknown): void {
  if (!isCancellation(err)) throw err;
}
