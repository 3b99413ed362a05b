import { log, setHandler } from '@temporalio/workflow';
import { agentStartedAt } from '../src/domain/budget';
import { refuseSubmit, statusView, bestView, budgetWithSpend } from '../src/domain/session';
import { SubmitRequestSchema, normaliseSubmissionPath, type SubmissionRecord } from '../src/domain/submission';
import { formatZodError } from '../src/domain/validation';
import {
  budgetQuery,
  bestQuery,
  submissionsQuery,
  statusQuery,
  submitUpdate,
  stopSignal,
  extendBudgetSignal,
  agentUsageSignal,
  agentStartedSignal,
} from './messages';
import { budgetChanged, type SessionRun } from './sessionRun';

/** Queries read the state; signals and the `submit` update change it (messages.ts declares them). */
export function setUpHandlers(run: SessionRun): void {
  const { state, spec } = run;
  setHandler(budgetQuery, () => budgetWithSpend(state, Date.now()));
  setHandler(bestQuery, () => bestView(state));
  setHandler(submissionsQuery, () => state.submissions);
  setHandler(statusQuery, () => statusView(state, Date.now()));
  // Kept in state: a stop that arrives while the run is continuing as new must reach the next one.
  setHandler(stopSignal, (arg) => void (state.stopRequested ??= arg?.reason ?? 'stop requested'));
  setHandler(agentUsageSignal, (arg) => void (state.agentUsage = arg.usage));
  // Moves the agent's open interval to its process's start, and wakes nothing: a signal that makes
  // commands (a timer re-armed) can land beside other jobs in one activation on one worker and in
  // two on another after a workflow task timed out, and the replay then disagrees with the history
  // (the fault suite saw it). The exhaustion timer, armed a little early, simply looks again.
  setHandler(agentStartedSignal, ({ launch, startedAtMs }) => {
    if (run.agentChargedByProcess && launch === state.agentLaunches && Number.isFinite(startedAtMs)) agentStartedAt(state.ledger, startedAtMs);
  });
  setHandler(extendBudgetSignal, (arg) => {
    const gpuHours = Number(arg?.gpuHours);
    if (!Number.isFinite(gpuHours) || gpuHours <= 0) {
      log.warn('extendBudget ignored: gpuHours must be a positive number', { arg });
      return;
    }
    state.ledger.grantedGpuSeconds += gpuHours * 3600;
    budgetChanged(run);
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
}
