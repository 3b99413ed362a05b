import { ApplicationFailure, patched } from '@temporalio/workflow';

import {
  candidatesToConfirm,
  interleavedOrder,
  summarizeConfirmation,
  confirmationReserveGpuSeconds,
  type ConfirmationSummary,
  type Contender,
} from '../src/domain/confirmation';
import type { SubmissionRecord } from '../src/domain/submission';
import { charge, reserve } from '../src/domain/budget';
import { horizonSpeedup, type SessionRef, type SessionState } from '../src/domain/session';
import { mayBeBest } from '../src/domain/tickets';
import type { RunResult } from '../src/domain/verdict';
import { activitiesFor } from './activityStubs';

/** Interleaved runs per side: the spec's confirmRuns, else its retimeRuns. */
export const confirmRunsOf = (spec: SessionRef['spec']) => spec.confirmRuns ?? spec.retimeRuns;

/** GPU-seconds to keep aside for the confirmation once a run's cost is known (after calibration). */
export function confirmationReserve(spec: SessionRef['spec'], meanRunGpuSeconds: number, withHorizon: boolean): number {
  return confirmationReserveGpuSeconds(confirmRunsOf(spec), spec.confirmCandidates, meanRunGpuSeconds, withHorizon);
}

/**
 * Whether the horizon record is timed in the confirmation's rounds too (when the session has its
 * folder): the 100% mark then comes from the same window as the speedup it divides. Histories
 * recorded before this step replay without it.
 */
function horizonInWindow(session: Pick<SessionRef, 'workspace'>): boolean {
  return session.workspace.horizonDir !== null && session.workspace.horizonDir !== undefined && patched('confirmation-horizon');
}

/** The accepted candidates that may be the headline: full-count verdicts only (screening ones cannot). */
export function contenders(submissions: readonly SubmissionRecord[], fullRuns: number): Contender[] {
  return submissions.flatMap((s) =>
    s.state === 'accepted' && mayBeBest(s, fullRuns) && s.verdict?.speedup
      ? [{ id: s.id, speedupSeconds: s.verdict.speedup.seconds, ci95: s.verdict.speedup.ci95 }]
      : [],
  );
}

/**
 * The end of a session: the best accepted candidate, and the others whose CI overlaps it, timed
 * again round by round with the anchor (A, B, A, B …) on the same GPUs in the same window. The
 * headline comes from these paired runs. `charge` books each run's GPU time as it lands.
 */
export async function confirmBest(
  session: SessionRef,
  submissions: readonly SubmissionRecord[],
  horizonSpeedupSeconds: number,
  charge: (gpuSeconds: number) => void,
  attempt = 1,
): Promise<ConfirmationSummary> {
  const { spec } = session;
  const runs = confirmRunsOf(spec);
  const chosen = candidatesToConfirm(contenders(submissions, spec.retimeRuns), spec.confirmCandidates);
  if (chosen.length === 0) return summarizeConfirmation([], horizonSpeedupSeconds, runs);
  const { short, timed } = activitiesFor(spec);
  const withHorizon = horizonInWindow(session);

  // Frozen copies are content-addressed and kept: freezing again returns the same folder. The
  // calibration's names are reused for the anchor and the horizon record.
  const toFreeze: { id: string; submissionId: string; path: string | null; hostDir?: string }[] = [
    { id: 'anchor', submissionId: 'calibration', path: null },
    ...(withHorizon ? [{ id: HORIZON, submissionId: 'calibration-horizon', path: null, hostDir: session.workspace.horizonDir! }] : []),
    ...chosen.map((c) => ({ id: c.id, submissionId: c.id, path: submissions.find((s) => s.id === c.id)!.path })),
  ];
  const frozen = new Map<string, string>();
  for (const { id, ...what } of toFreeze) {
    const f = await short.freezeSubmission({ session, ...what });
    if ('refused' in f) throw ApplicationFailure.nonRetryable(`confirmation: cannot freeze ${id}: ${f.refused}`);
    frozen.set(id, f.frozenDir);
  }

  const times = new Map<string, (number | null)[]>([...frozen.keys()].map((id) => [id, []]));
  for (const { round, subject } of interleavedOrder([...(withHorizon ? [HORIZON] : []), ...chosen.map((c) => c.id)], runs)) {
    const run: RunResult = await timed.timeRun({
      session,
      subject: `${confirmationPrefix(attempt)}${subject}`,
      frozenDir: frozen.get(subject)!,
      runIndex: round,
    });
    charge(run.gpuSeconds);
    times.get(subject)!.push(run.invalidReason === null && run.trainTimeMs !== null ? run.trainTimeMs : null);
  }
  const anchorMs = times.get('anchor')!;
  return summarizeConfirmation(
    chosen.map((c) => ({ submissionId: c.id, candidateMs: times.get(c.id)!, anchorMs })),
    horizonSpeedupSeconds,
    runs,
    withHorizon ? times.get(HORIZON) : undefined,
  );
}

/**
 * Where a confirmation's runs go: a confirmation started again on another node (its own was lost)
 * times every round afresh in folders of its own; those done on the lost node stay as they ran,
 * charged once, and count for nothing.
 */
const confirmationPrefix = (attempt: number) => (attempt === 1 ? 'confirmation-' : `confirmation${attempt}-`);

/** The horizon record's subject name in the confirmation (its runs are `confirmation-horizon#i`). */
const HORIZON = 'horizon';

/**
 * Called once a run's cost is known: keeps the confirmation's GPU time aside so the agent phase
 * ends with it still there. Histories recorded before the confirmation existed replay without it.
 */
export function reserveConfirmation(state: SessionState): void {
  if (state.ledger.reservedGpuSeconds !== undefined || !state.reference) return;
  if (patched('confirmation') && state.workspace) {
    reserve(state.ledger, confirmationReserve(state.spec, state.reference.meanRunGpuSeconds, horizonInWindow({ workspace: state.workspace })));
  }
}

/**
 * After the agent phase: releases the reserve, confirms, and keeps the result in the state.
 * `onNode` runs the confirmation on the session's node, again from its first round on the next
 * one if that node is lost (its rounds must share one machine and window).
 */
export async function confirmAtEnd(
  state: SessionState,
  onNode: (confirm: (session: SessionRef) => Promise<ConfirmationSummary>) => Promise<ConfirmationSummary>,
  budgetChanged: () => void,
): Promise<void> {
  if (!patched('confirmation')) return;
  state.phase = 'confirming';
  const reservedGpuSeconds = state.ledger.reservedGpuSeconds ?? 0;
  reserve(state.ledger, 0);
  budgetChanged();
  let attempt = 0;
  const confirmed = await onNode((session) =>
    confirmBest(
      session,
      state.submissions,
      horizonSpeedup(state),
      (gpuSeconds) => {
        charge(state.ledger, 'confirmation', gpuSeconds);
        budgetChanged();
      },
      ++attempt,
    ),
  );
  state.confirmation = { ...confirmed, reservedGpuSeconds };
}
