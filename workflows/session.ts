import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, continueAsNew, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { newLedger, msUntilExhausted, remainingAt, stopAgentHolding, charge, settleStoppedAgent, agentStopMargin } from '../src/domain/budget';
import { parseSessionSpec, type SessionSpec } from '../src/domain/spec';
import { newSessionState, statusView, type Reference, type SessionRef, type SessionState, type SessionSummary } from '../src/domain/session';
import type { RunResult } from '../src/domain/verdict';
import { activitiesFor } from './activityStubs';
import { retime } from './retime';
import { setUpHandlers } from './sessionHandlers';
import { CONTINUE_AS_NEW, NODE_LOST, budgetChanged, historyFull, isIdle, mayContinueAsNew, type SessionRun } from './sessionRun';
import { detachWork, leaveLostNode, settleWork, startWork, type Work } from './sessionWork';
import { nodeLost, onNode, placeOnNode, releaseNode, sessionRef, setUpPlacementHandlers } from './sessionPlacement';
import { confirmAtEnd, reserveConfirmation } from './confirmation';
import { bringWorkspace, checkpointAtEnd, workspacePrepared } from './workspaceCheckpoints';

/**
 * One benchmark session: prepare the agent's workspace, time the anchor for reference, let the
 * agent work and submit until the budget or the session hours run out (or it stops), validate
 * each submission in turn, and return the summary. Continues as new with its whole state when
 * history grows; everything it waits on can be re-attached, so nothing is lost on the way.
 */
export async function benchmarkSession(input: unknown, carried?: SessionState): Promise<SessionSummary> {
  const run = begin(input, carried);
  setUpHandlers(run);
  setUpPlacementHandlers(run);

  await onNode(run, () => prepare(run));
  await onNode(run, () => calibrate(run, sessionRef(run)));

  run.state.phase = 'running';
  reserveConfirmation(run.state);
  await onNode(run, () => bringWorkspace(run));
  let work = startWork(run, sessionRef(run));
  let outcome = await waitForEnd(run);
  // A fleet session whose node is lost goes on on another one: the agent resumes on its
  // workspace, the submission under validation is timed again there.
  while (outcome === NODE_LOST) {
    await leaveLostNode(run, work);
    await placeOnNode(run);
    await onNode(run, () => bringWorkspace(run));
    work = startWork(run, sessionRef(run));
    outcome = await waitForEnd(run);
  }
  if (outcome === CONTINUE_AS_NEW) {
    await detachWork(work);
    await condition(allHandlersFinished);
    return await continueAsNew<typeof benchmarkSession>(input, run.state);
  }
  return await finish(run, work, outcome);
}

/** The spec is parsed once, by the first run; a run continued as new takes it from the state it carries. */
function begin(input: unknown, carried: SessionState | undefined): SessionRun {
  const spec = carried ? carried.spec : specOrFail(input);
  const state = carried ?? newSessionState(workflowInfo().workflowId, spec, newLedger(spec.budgetGpuHours, spec.gpus), Date.now());
  if (carried) state.continuedAsNew += 1;
  return {
    spec,
    state,
    activities: activitiesFor(spec),
    validating: null,
    budgetEpoch: 0,
    continueWithQueue: patched('continue-as-new-with-queue'),
    agentChargedByProcess: patched('agent-charged-by-process'),
    agentChargedFromStart: patched('agent-charged-from-process-start'),
    agentCutToLaunchLife: patched('agent-cut-to-launch-life'),
    shortRuns: patched('runs-of-1000-events'),
    agentRunning: false,
    agentPaused: false,
  };
}

/** The agent's workspace: the anchor record copied in, once. */
async function prepare(run: SessionRun): Promise<void> {
  const { state, spec } = run;
  if (state.workspace) return;
  state.workspace = await run.activities.short.prepareWorkspace({ sessionId: state.sessionId, spec });
  workspacePrepared(run);
}

/** The anchor's own N timed runs on this hardware (and the horizon record's), from the cache when this hardware has them. */
async function calibrate(run: SessionRun, session: SessionRef): Promise<void> {
  const { state } = run;
  if (state.reference) return;
  state.phase = 'calibrating';
  state.reference = await referenceFor(run, session);
  budgetChanged(run);
}

async function referenceFor(run: SessionRun, session: SessionRef): Promise<Reference> {
  const { short } = run.activities;
  const cached = await short.lookupCalibration({ session });
  if (cached) return cached;
  const frozen = await short.freezeSubmission({ session, submissionId: 'calibration', path: null });
  if ('refused' in frozen) throw ApplicationFailure.nonRetryable(`cannot freeze the anchor: ${frozen.refused}`);
  const runs = await timeCleanly(run, session, 'calibration', frozen.frozenDir, 'the anchor');
  let horizonRuns = null;
  if (session.workspace.horizonDir) {
    const horizon = await short.freezeSubmission({ session, submissionId: 'calibration-horizon', path: null, hostDir: session.workspace.horizonDir });
    if ('refused' in horizon) throw ApplicationFailure.nonRetryable(`cannot freeze the horizon record: ${horizon.refused}`);
    horizonRuns = await timeCleanly(run, session, 'calibration-horizon', horizon.frozenDir, 'the horizon record');
  }
  return await short.storeCalibration({ session, runs, horizonRuns });
}

async function timeCleanly(run: SessionRun, session: SessionRef, subject: string, frozenDir: string, what: string): Promise<RunResult[]> {
  const runs = await retime(session, subject, frozenDir, session.spec.retimeRuns);
  charge(
    run.state.ledger,
    'calibration',
    runs.reduce((a, r) => a + r.gpuSeconds, 0),
  );
  const bad = runs.filter((r) => r.invalidReason !== null);
  if (bad.length > 0) {
    throw ApplicationFailure.nonRetryable(`${what} failed to run cleanly: ${bad.map((r) => `run ${r.index}: ${r.invalidReason}`).join('; ')}`);
  }
  return runs;
}

/** Returns why the session ends, or CONTINUE_AS_NEW. Sleeps on one durable timer at a time. */
async function waitForEnd(run: SessionRun): Promise<string> {
  const { state } = run;
  // Histories from before re-armed the timer on every change of the budget: 4 events for each
  // validation's pause and resume. Now it is kept while the end it was armed for stays as late or
  // later, and fires a little early at worst (then the loop looks again).
  const keepTimer = patched('budget-timer-kept');
  let timer: BudgetTimer | null = null;
  try {
    for (;;) {
      const now = Date.now();
      if (nodeLost(run)) return NODE_LOST;
      if (state.stopRequested) return `stopped: ${state.stopRequested}`;
      // The agent is charged until it has stopped: its stop is kept out of what it may spend.
      const margin = run.agentChargedByProcess ? agentStopMargin(state.ledger) : 0;
      if (remainingAt(state.ledger, now) - margin <= 1e-9) return 'budget exhausted';
      if (state.spendLimitReached) return state.spendLimitReached;
      if (now >= state.deadlineMs) return 'session hours exhausted';
      const idle = isIdle(run);
      if (state.agentFinished && idle) return 'agent finished';
      const mayContinue = mayContinueAsNew(run);
      if (mayContinue && historyFull(run)) return CONTINUE_AS_NEW;
      const epoch = run.budgetEpoch;
      const agentFinished = state.agentFinished;
      const placement = state.placement;
      const waitMs = Math.min(msUntilExhausted(state.ledger, now, margin), state.deadlineMs - now);
      const woke = () =>
        run.budgetEpoch !== epoch ||
        state.stopRequested !== null ||
        state.agentFinished !== agentFinished ||
        isIdle(run) !== idle ||
        state.placement !== placement ||
        (run.continueWithQueue && mayContinueAsNew(run) !== mayContinue);
      if (keepTimer) {
        const waitUntil = now + Math.max(1, Math.ceil(waitMs));
        if (timer?.fired) timer = null;
        if (Number.isFinite(waitMs) && (timer === null || timer.untilMs > waitUntil)) {
          timer?.scope.cancel();
          timer = budgetTimer(waitUntil - now);
        }
        const armed = timer;
        await condition(() => woke() || armed?.fired === true);
      } else if (Number.isFinite(waitMs)) await condition(woke, Math.max(1, Math.ceil(waitMs)));
      else await condition(woke);
    }
  } finally {
    if (timer && !timer.fired) timer.scope.cancel();
  }
}

interface BudgetTimer {
  untilMs: number;
  fired: boolean;
  scope: CancellationScope;
}

/** A durable timer of its own scope, so it outlives the waits that look at it. */
function budgetTimer(ms: number): BudgetTimer {
  const timer: BudgetTimer = { untilMs: Date.now() + ms, fired: false, scope: new CancellationScope() };
  timer.scope
    .run(() => sleep(ms))
    .then(
      () => void (timer.fired = true),
      () => undefined,
    );
  return timer;
}

/**
 * The end: queued submissions are cancelled, the agent is stopped, the submission under
 * validation finishes, the best is confirmed, the session's sandboxes are released and the summary
 * written. A fleet session whose node is lost on the way finishes on the next one: each step runs
 * again there (each is safe to), and the submission under validation is timed again.
 */
async function finish(run: SessionRun, work: Work, outcome: string): Promise<SessionSummary> {
  const { state, spec } = run;
  state.phase = 'finishing';
  state.closedReason = outcome;
  state.endReason = outcome;
  for (const s of state.submissions) {
    if (s.state === 'queued') {
      s.state = 'cancelled';
      s.reason = `session ended before validation: ${outcome}`;
    }
  }
  // Older histories: the agent's GPU time ends where the session decided to end. Now: where its
  // processes did (its sandbox's records), as it held its GPUs until then, paused or not.
  if (!run.agentChargedByProcess) stopAgentHolding(state.ledger, Date.now());
  work.agentScope.cancel();
  await work.agentDone;
  const stopped = await onNode(run, () => run.activities.short.stopAgent({ session: sessionRef(run), graceSeconds: spec.agentStopGraceSeconds }));
  if (run.agentChargedByProcess) settleStoppedAgent(state.ledger, stopped, Date.now());
  await settleWork(run, work);
  await onNode(run, () => checkpointAtEnd(run, sessionRef(run)));
  await confirmAtEnd(
    state,
    (confirm) => onNode(run, () => confirm(sessionRef(run))),
    () => budgetChanged(run),
  );
  work.relayScope.cancel();
  await work.relayDone;
  await onNode(run, () => run.activities.short.releaseSession({ session: sessionRef(run) }));
  await onNode(run, () => run.activities.short.writeSummary({ session: sessionRef(run), summary: statusView(state, Date.now()) }));
  await releaseNode(run);
  state.phase = 'ended';
  await condition(allHandlersFinished);
  return statusView(state, Date.now());
}

function specOrFail(input: unknown): SessionSpec {
  try {
    return parseSessionSpec(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidSessionSpec');
  }
}
