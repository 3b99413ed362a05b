import type { RunMeasurement } from './runMeasurement';
import { oneSampleTTestLess, summarize, welchDifferenceInterval, welchTTestLess } from './stats';

export interface VerdictStatsOptions {
  /** The val loss the mean must be shown to be below [3.28]. */
  targetValLoss?: number;
  /** Significance level of both one-sided tests [0.01]. */
  alpha?: number;
  /** Runs of the reference (the anchor, or the best so far) to compare times against. */
  reference?: readonly RunMeasurement[];
}

export interface SpeedupStatsOfRuns {
  /** mean(reference) − mean(candidate) train time, in seconds; positive means faster. */
  seconds: number | null;
  ci95: [number, number] | null;
  /** One-sided Welch p of "candidate times are below reference times". */
  fasterPValue: number | null;
  fasterPValueMet: boolean;
  referenceN: number;
  referenceMeanMs: number | null;
  referenceStdMs: number | null;
  note: string | null;
}

export interface VerdictStats {
  n: number;
  valLoss: { mean: number | null; std: number | null; target: number; alpha: number; pValue: number | null; met: boolean; note: string | null };
  time: { meanMs: number | null; stdMs: number | null };
  speedup: SpeedupStatsOfRuns | null;
}

/** The statistics a verdict rests on, from the measured runs alone; acceptance rules live elsewhere. */
export function computeVerdictStats(runs: readonly RunMeasurement[], options: VerdictStatsOptions = {}): VerdictStats {
  const target = options.targetValLoss ?? 3.28;
  const alpha = options.alpha ?? 0.01;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha: expected a number in (0, 1), got ${alpha}`);
  const losses = runs.map((r) => r.val_loss);
  const times = runs.map((r) => r.train_time_ms);
  const lossSummary = summarize(losses, 'runs.val_loss');
  const timeSummary = summarize(times, 'runs.train_time_ms');
  const lossTest = oneSampleTTestLess(losses, target);

  let speedup: SpeedupStatsOfRuns | null = null;
  if (options.reference !== undefined) {
    const refTimes = options.reference.map((r) => r.train_time_ms);
    const refSummary = summarize(refTimes, 'reference.train_time_ms');
    const faster = welchTTestLess(times, refTimes);
    const interval = welchDifferenceInterval(times, refTimes, 0.95);
    const seconds = timeSummary.mean !== null && refSummary.mean !== null ? (refSummary.mean - timeSummary.mean) / 1000 : null;
    speedup = {
      seconds,
      ci95: interval === null ? null : [interval.lower / 1000, interval.upper / 1000],
      fasterPValue: faster.pValue,
      fasterPValueMet: faster.pValue !== null && faster.pValue < alpha,
      referenceN: refSummary.n,
      referenceMeanMs: refSummary.mean,
      referenceStdMs: refSummary.std,
      note: faster.note,
    };
  }

  return {
    n: runs.length,
    valLoss: {
      mean: lossSummary.mean,
      std: lossSummary.std,
      target,
      alpha,
      pValue: lossTest.pValue,
      met: lossTest.pValue !== null && lossTest.pValue < alpha,
      note: lossTest.note,
    },
    time: { meanMs: timeSummary.mean, stdMs: timeSummary.std },
    speedup,
  };
}
