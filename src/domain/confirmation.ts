import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean, variance } from './stats';

/**
 * The end-of-session confirmation (issue 14, item 1). The best accepted candidate is chosen on the
 * runs that accepted it; the maximum of many noisy estimates is biased upward (the winner's
 * curse), so the headline is measured again on fresh runs: each candidate interleaved with the
 * anchor (A, B, A, B …) on the same GPUs in the same window, and the speedup is the mean of the
 * paired differences, which cancels what drifts between pairs (clocks, thermals, neighbours).
 */

export interface ConfirmedFigures {
  speedupSeconds: number;
  ci95: [number, number];
  humanProgressPercent: number;
}

export interface ConfirmedCandidate extends ConfirmedFigures {
  submissionId: string;
  candidateRunsS: number[];
  anchorRunsS: number[];
}

/** What the summary carries: the headline and every candidate confirmed, runs included. */
export interface ConfirmationSummary {
  headline: (ConfirmedFigures & { submissionId: string }) | null;
  candidates: ConfirmedCandidate[];
  /** Why there is no headline, when there is none (no accepted candidate, runs failed). */
  note?: string;
  /** Interleaved runs per side. */
  runs?: number;
  /** GPU-seconds that were kept aside for it during the agent phase. */
  reservedGpuSeconds?: number;
  /**
   * The horizon record timed in the same rounds (A, H, B …): its paired speedup over the anchor is
   * the 100% mark the percentages divide by, so a machine that drifts since calibration moves
   * both sides of the ratio alike. Absent where the session has no horizon folder to time.
   */
  horizon?: { speedupSeconds: number; ci95: [number, number]; runsS: number[] };
  /** Which 100% mark the percentages use: this window's horizon runs, or calibration's figure. */
  progressBasis?: 'same-window' | 'calibration';
}

/** One candidate's per-submission figures, as the verdict that accepted it gave them. */
export interface Contender {
  id: string;
  speedupSeconds: number;
  ci95: [number, number];
}

/**
 * The candidates to confirm: the best by its own verdict, then the others whose 95% CI overlaps
 * the best's (they may be as fast), fastest first, at most `max` in all. The headline is the
 * best's confirmation: chosen on earlier runs and measured on new ones, it carries no selection bias.
 */
export function candidatesToConfirm(accepted: readonly Contender[], max: number): Contender[] {
  if (accepted.length === 0 || max < 1) return [];
  const ranked = [...accepted].sort((a, b) => b.speedupSeconds - a.speedupSeconds);
  const best = ranked[0];
  return [best, ...ranked.slice(1).filter((c) => c.ci95[1] >= best.ci95[0])].slice(0, max);
}

/**
 * The order of the runs: round after round, the anchor then each candidate. Round i's anchor run
 * pairs with round i's run of each candidate.
 */
export function interleavedOrder(candidateIds: readonly string[], runs: number): { round: number; subject: string }[] {
  const order: { round: number; subject: string }[] = [];
  for (let round = 0; round < runs; round++) {
    order.push({ round, subject: 'anchor' });
    for (const id of candidateIds) order.push({ round, subject: id });
  }
  return order;
}

/**
 * GPU-seconds kept aside from the start so the confirmation always runs: every run of the plan
 * (the anchor, the candidates and, when it is timed in the window, the horizon record).
 */
export function confirmationReserveGpuSeconds(runs: number, maxCandidates: number, meanRunGpuSeconds: number, withHorizon = false): number {
  return runs * (maxCandidates + 1 + (withHorizon ? 1 : 0)) * meanRunGpuSeconds;
}

/**
 * Speedup in seconds (anchor − candidate) from paired runs, with its two-sided 95% t interval.
 * A pair counts only when both of its runs do (null: that run failed). Null below 2 pairs.
 */
export function pairedSpeedup(
  candidateMs: readonly (number | null)[],
  anchorMs: readonly (number | null)[],
  level = 0.95,
): { speedupSeconds: number; ci95: [number, number]; pairs: number } | null {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(candidateMs.length, anchorMs.length); i++) {
    const c = candidateMs[i];
    const a = anchorMs[i];
    if (c !== null && a !== null && Number.isFinite(c) && Number.isFinite(a)) diffs.push((a - c) / 1000);
  }
  if (diffs.length < 2) return null;
  const m = mean(diffs);
  const half = tQuantile(1 - (1 - level) / 2, diffs.length - 1) * Math.sqrt(Math.max(0, variance(diffs)) / diffs.length);
  return { speedupSeconds: m, ci95: [m - half, m + half], pairs: diffs.length };
}

/**
 * The summary's confirmation block from each candidate's paired runs; candidates in confirmation
 * order, the best first. `horizonMs`, the horizon record's runs in the same rounds, gives the 100%
 * mark when they make a positive paired speedup; else calibration's `horizonSpeedupSeconds` does.
 */
export function summarizeConfirmation(
  confirmed: readonly { submissionId: string; candidateMs: (number | null)[]; anchorMs: (number | null)[] }[],
  horizonSpeedupSeconds: number,
  runs: number,
  horizonMs?: (number | null)[],
): ConfirmationSummary {
  const window = horizonMs && confirmed.length > 0 ? pairedSpeedup(horizonMs, confirmed[0].anchorMs) : null;
  const sameWindow = window !== null && window.speedupSeconds > 0;
  const hundred = sameWindow ? window.speedupSeconds : horizonSpeedupSeconds;
  const pct = (s: number) => (hundred > 0 ? (s / hundred) * 100 : 0);
  const basis: Pick<ConfirmationSummary, 'horizon' | 'progressBasis'> = window
    ? {
        horizon: { speedupSeconds: window.speedupSeconds, ci95: window.ci95, runsS: seconds(horizonMs!) },
        progressBasis: sameWindow ? 'same-window' : 'calibration',
      }
    : {};
  const candidates: ConfirmedCandidate[] = [];
  for (const c of confirmed) {
    const p = pairedSpeedup(c.candidateMs, c.anchorMs);
    if (!p) continue;
    candidates.push({
      submissionId: c.submissionId,
      candidateRunsS: seconds(c.candidateMs),
      anchorRunsS: seconds(c.anchorMs),
      speedupSeconds: p.speedupSeconds,
      ci95: p.ci95,
      humanProgressPercent: pct(p.speedupSeconds),
    });
  }
  // The best by its verdict, or the next in line when its own runs failed in the confirmation.
  const best = candidates[0];
  const failed =
    confirmed.length > 0 && best?.submissionId !== confirmed[0].submissionId
      ? `the confirmation of ${confirmed[0].submissionId} has fewer than 2 valid pairs of runs`
      : undefined;
  if (!best) return { headline: null, candidates, note: failed ?? 'no accepted candidate to confirm', runs, ...basis };
  const headline = { submissionId: best.submissionId, speedupSeconds: best.speedupSeconds, ci95: best.ci95, humanProgressPercent: best.humanProgressPercent };
  return failed ? { headline, candidates, note: failed, runs, ...basis } : { headline, candidates, runs, ...basis };
}

const seconds = (ms: readonly (number | null)[]) => ms.flatMap((t) => (t === null ? [] : [t / 1000]));
