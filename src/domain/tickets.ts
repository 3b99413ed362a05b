import type { SubmissionRecord } from './submission';
import type { Verdict } from './verdict';

/**
 * Counting the tickets (issue 14, item 3). Every timed candidate is a draw in a lottery whose
 * prize is the best: a near-copy with a new hash, or a verdict on `--runs 2`, buys one cheaply.
 * So the summary says how many were timed and on how many runs, and a verdict on fewer runs than
 * the session's retimeRuns only screens: it may be accepted, but never becomes the best until the
 * same content is timed again at full count.
 */

/** A verdict on fewer runs than retimeRuns: says so in its reasons and is marked `screening`. */
export function markScreening(verdict: Verdict, requestedRuns: number, retimeRuns: number): Verdict {
  if (requestedRuns >= retimeRuns) return verdict;
  const note = `screening verdict: ${requestedRuns} runs, fewer than the session's ${retimeRuns}; it cannot become the best until the same content is submitted again at full count (submit without --runs)`;
  return { ...verdict, screening: true, reasons: [...verdict.reasons, note] };
}

/** Whether an accepted verdict may stand as the best. */
export const mayBeBest = (s: Pick<SubmissionRecord, 'verdict' | 'requestedRuns'>, retimeRuns: number): boolean =>
  !!s.verdict?.accepted && !s.verdict.screening && s.requestedRuns >= retimeRuns;

/** The same content again is refused, unless it was only screened and now comes at full count. */
export function resubmitAllowed(previous: Pick<SubmissionRecord, 'verdict' | 'requestedRuns'>, requestedRuns: number, retimeRuns: number): boolean {
  return previous.requestedRuns < retimeRuns && requestedRuns >= retimeRuns;
}

export interface TicketCount {
  /** Candidates timed at least once, and their timed runs. */
  candidatesTimed: number;
  runsTimed: number;
  /** Of those, the ones timed on fewer runs than retimeRuns (screening verdicts). */
  screeningCandidates: number;
  screeningRuns: number;
  /** Anchor runs timed beside candidates (same-window references), when the session pairs them. */
  referenceRuns: number;
}

export function countTickets(submissions: readonly SubmissionRecord[], retimeRuns: number): TicketCount {
  const timed = submissions.filter((s) => (s.verdict?.runs.length ?? 0) > 0);
  const screening = timed.filter((s) => s.requestedRuns < retimeRuns);
  const runs = (xs: SubmissionRecord[]) => xs.reduce((a, s) => a + s.verdict!.runs.length, 0);
  return {
    candidatesTimed: timed.length,
    runsTimed: runs(timed),
    screeningCandidates: screening.length,
    screeningRuns: runs(screening),
    referenceRuns: timed.reduce((a, s) => a + (s.verdict!.referenceRuns?.length ?? 0), 0),
  };
}
