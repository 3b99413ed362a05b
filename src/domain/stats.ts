import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Degenerate cases, decided once for every test here:
 * - n < 2 in a sample: no variance can be estimated, so there is no t statistic; pValue is null
 *   (the caller must treat that as "not shown"), never a made-up number.
 * - zero standard error (every value identical): the t statistic is the limit ±∞, so p is 0 when
 *   the observed difference points the way the alternative claims and 1 otherwise (an exact tie
 *   is not "strictly less"). A deterministic run that lands below target every time really is
 *   below target; refusing it would punish determinism. `note` says it happened.
 * - NaN or ±∞ in a sample: a RangeError, since one poisoned value would silently poison the mean.
 */
export interface TTestResult {
  statistic: number | null;
  df: number | null;
  pValue: number | null;
  note: string | null;
}

export interface SampleSummary {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1 denominator); null for n < 2. */
  std: number | null;
}

function assertFinite(sample: readonly number[], name: string): void {
  sample.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${name}[${i}]: expected a finite number, got ${String(x)}`);
  });
}

export function mean(sample: readonly number[]): number {
  let s = 0;
  for (const x of sample) s += x;
  return s / sample.length;
}

/** Unbiased sample variance; two passes so values like 163621 ms with 50 ms spread lose no digits. */
export function variance(sample: readonly number[]): number {
  const m = mean(sample);
  let ss = 0;
  let c = 0;
  for (const x of sample) {
    ss += (x - m) * (x - m);
    c += x - m;
  }
  return (ss - (c * c) / sample.length) / (sample.length - 1);
}

export function summarize(sample: readonly number[], name = 'sample'): SampleSummary {
  assertFinite(sample, name);
  const n = sample.length;
  return { n, mean: n > 0 ? mean(sample) : null, std: n > 1 ? Math.sqrt(Math.max(0, variance(sample))) : null };
}

/** p of "the true value lies below 0" given a difference d and its standard error, when se is 0. */
function limitPValue(difference: number): number {
  return difference < 0 ? 0 : 1;
}

/** One-sided one-sample t-test of H1: mean < target. */
export function oneSampleTTestLess(sample: readonly number[], target: number): TTestResult {
  assertFinite(sample, 'sample');
  if (!Number.isFinite(target)) throw new RangeError(`target: expected a finite number, got ${target}`);
  const n = sample.length;
  if (n < 2) return { statistic: null, df: null, pValue: null, note: `n=${n}: at least 2 values are needed to estimate the spread` };
  const df = n - 1;
  const diff = mean(sample) - target;
  const se = Math.sqrt(Math.max(0, variance(sample)) / n);
  if (se === 0) {
    return {
      statistic: diff < 0 ? -Infinity : diff > 0 ? Infinity : null,
      df,
      pValue: limitPValue(diff),
      note: 'zero variance: p is the limit as the spread goes to 0',
    };
  }
  const t = diff / se;
  return { statistic: t, df, pValue: tCdf(t, df), note: null };
}

export interface WelchParts {
  difference: number;
  se: number;
  df: number | null;
}

/** reference mean − candidate mean, its standard error and the Welch–Satterthwaite df. */
function welchParts(candidate: readonly number[], reference: readonly number[]): WelchParts {
  const vc = Math.max(0, variance(candidate)) / candidate.length;
  const vr = Math.max(0, variance(reference)) / reference.length;
  const se = Math.sqrt(vc + vr);
  const denominator = (vc * vc) / (candidate.length - 1) + (vr * vr) / (reference.length - 1);
  return { difference: mean(reference) - mean(candidate), se, df: denominator > 0 ? ((vc + vr) * (vc + vr)) / denominator : null };
}

function checkTwoSamples(candidate: readonly number[], reference: readonly number[]): string | null {
  assertFinite(candidate, 'candidate');
  assertFinite(reference, 'reference');
  if (candidate.length < 2 || reference.length < 2) {
    return `n=${candidate.length} candidate and n=${reference.length} reference values: each needs at least 2 to estimate its spread`;
  }
  return null;
}

/** One-sided Welch test of H1: mean(candidate) < mean(reference), e.g. candidate times are faster. */
export function welchTTestLess(candidate: readonly number[], reference: readonly number[]): TTestResult {
  const tooSmall = checkTwoSamples(candidate, reference);
  if (tooSmall !== null) return { statistic: null, df: null, pValue: null, note: tooSmall };
  const { difference, se, df } = welchParts(candidate, reference);
  if (se === 0 || df === null) {
    return {
      statistic: difference > 0 ? Infinity : difference < 0 ? -Infinity : null,
      df,
      pValue: limitPValue(-difference),
      note: 'zero variance in both samples: p is the limit as the spread goes to 0',
    };
  }
  const t = difference / se;
  // P(T ≥ t) written as P(T ≤ −t): the upper tail by subtraction loses digits for large t.
  return { statistic: t, df, pValue: tCdf(-t, df), note: null };
}

export interface DifferenceInterval {
  estimate: number;
  lower: number;
  upper: number;
  df: number | null;
  note: string | null;
}

/**
 * Two-sided Welch confidence interval for mean(reference) − mean(candidate), the speedup when the
 * samples are times. With zero spread in both samples the interval collapses to the point.
 */
export function welchDifferenceInterval(candidate: readonly number[], reference: readonly number[], level = 0.95): DifferenceInterval | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`level: expected a number in (0, 1), got ${level}`);
  if (checkTwoSamples(candidate, reference) !== null) return null;
  const { difference, se, df } = welchParts(candidate, reference);
  if (se === 0 || df === null) return { estimate: difference, lower: difference, upper: difference, df, note: 'zero variance in both samples' };
  const half = tQuantile(1 - (1 - level) / 2, df) * se;
  return { estimate: difference, lower: difference - half, upper: difference + half, df, note: null };
}
