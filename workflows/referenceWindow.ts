import { patched } from '@temporalio/workflow';

import { charge } from '../src/domain/budget';
import { referenceDue, validTimes } from '../src/domain/referenceDrift';
import type { Reference, SessionRef, SessionState } from '../src/domain/session';
import type { RunResult } from '../src/domain/verdict';
import { activitiesFor } from './activityStubs';
import { retime } from './retime';

/**
 * Times a candidate with one anchor run before each of its runs (A, B, A, B …) on the same GPUs,
 * so its speed test compares runs of one window. The anchor's runs land in `anchorRuns` as they
 * come, so `shouldStop` (the sequential policy) sees the reference grow with the candidate.
 */
export async function retimePaired(
  session: SessionRef,
  subject: string,
  frozenDir: string,
  runs: number,
  anchorRuns: RunResult[],
  shouldStop: (done: RunResult[]) => boolean = () => false,
  limitSeconds?: number,
): Promise<RunResult[]> {
  const { spec } = session;
  const { short, timed } = activitiesFor(spec);
  const anchor = await short.freezeSubmission({ session, submissionId: 'calibration', path: null });
  if ('refused' in anchor) throw new Error(`cannot freeze the anchor for paired runs: ${anchor.refused}`);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    anchorRuns.push(await timed.timeRun({ session, subject: `${subject}-anchor`, frozenDir: anchor.frozenDir, runIndex: i }));
    results.push(await timed.timeRun({ session, subject, frozenDir, runIndex: i, ...(limitSeconds ? { limitSeconds } : {}) }));
    if (shouldStop(results)) break;
  }
  return results;
}

/** Whether this validation pairs its runs with the anchor's (histories from before replay unpaired). */
export const pairsWithAnchor = (session: SessionRef): boolean => session.spec.reference === 'paired' && patched('same-window-reference');

/** The reference a verdict compares against: its own paired anchor runs when 2 or more counted. */
export function sameWindowTimes(anchorRuns: readonly RunResult[], fallback: number[]): number[] {
  const times = validTimes(anchorRuns);
  return times.length >= 2 ? times : fallback;
}

/**
 * Reference `periodic`: before a verdict, the anchor is timed again (retimeRuns runs, charged as
 * calibration) when referenceEverySubmissions verdicts or referenceEveryHours hours passed since
 * the last window. Other modes: the calibration's reference.
 */
export async function currentReference(session: SessionRef, state: SessionState, nextId: string): Promise<Reference> {
  const spec = session.spec;
  if (spec.reference !== 'periodic') return state.reference!;
  const windows = (state.referenceWindows ??= []);
  const last = windows.at(-1);
  const sinceIdx = last ? state.submissions.findIndex((s) => s.id === last.beforeSubmission) : 0;
  const validated = state.submissions.slice(Math.max(0, sinceIdx)).filter((s) => s.verdict !== null).length;
  const sinceMs = Date.now() - (last?.atMs ?? state.startedAtMs);
  if (!referenceDue(validated, sinceMs, spec.referenceEverySubmissions, spec.referenceEveryHours)) {
    return last ? { ...state.reference!, trainTimesMs: last.timesMs } : state.reference!;
  }
  const { short } = activitiesFor(spec);
  const anchor = await short.freezeSubmission({ session, submissionId: 'calibration', path: null });
  if ('refused' in anchor) throw new Error(`cannot freeze the anchor: ${anchor.refused}`);
  const label = `reference-${windows.length + 1}`;
  const runs = await retime(session, label, anchor.frozenDir, spec.retimeRuns);
  charge(
    state.ledger,
    'calibration',
    runs.reduce((a, r) => a + r.gpuSeconds, 0),
  );
  const timesMs = validTimes(runs);
  if (timesMs.length < 2) return last ? { ...state.reference!, trainTimesMs: last.timesMs } : state.reference!;
  windows.push({ label, timesMs, beforeSubmission: nextId, atMs: Date.now() });
  return { ...state.reference!, trainTimesMs: timesMs };
}
