import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneSampleTTestLess, summarize, welchDifferenceInterval, welchTTestLess } from '../../src/domain/stats';
import { computeVerdictStats } from '../../src/domain/verdictStats';
import { group, SCIPY } from './fixtureLogs';

/** Within 1e-6 relative (absolute near 0): p-values as small as 1e-11 must agree in their digits too. */
function close(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(typeof actual === 'number', `${what}: got ${actual}`);
  const tol = 1e-6 * Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs scipy ${expected}`);
}

test('one-sample t-test (mean < target) agrees with scipy on fixture val losses', () => {
  for (const c of SCIPY.loss) {
    const sample = group(c.prefix, 'val_loss');
    const r = oneSampleTTestLess(sample, c.target);
    close(r.statistic, c.t, `${c.name} t`);
    close(r.df, c.df, `${c.name} df`);
    close(r.pValue, c.p, `${c.name} p`);
    assert.equal(r.note, null);
  }
});

test('Welch test and speedup interval agree with scipy on fixture train times', () => {
  for (const c of SCIPY.time) {
    const candidate = group(c.candidate, 'train_time_ms');
    const reference = group(c.reference, 'train_time_ms');
    const r = welchTTestLess(candidate, reference);
    close(r.statistic, c.t, `${c.name} t`);
    close(r.df, c.df, `${c.name} df`);
    close(r.pValue, c.p, `${c.name} p`);
    const ci = welchDifferenceInterval(candidate, reference);
    assert.ok(ci !== null);
    close(ci.lower, c.ciLow, `${c.name} ci low`);
    close(ci.upper, c.ciHigh, `${c.name} ci high`);
    close(ci.df, c.df, `${c.name} ci df`);
  }
});

test('computeVerdictStats carries the same numbers, times in seconds', () => {
  const c = SCIPY.time[0];
  const loss = SCIPY.loss.find((l) => l.prefix === c.candidate);
  assert.ok(loss);
  const runs = group(c.candidate, 'val_loss').map((val_loss, i) => ({ val_loss, train_time_ms: group(c.candidate, 'train_time_ms')[i] }));
  const reference = group(c.reference, 'train_time_ms').map((train_time_ms) => ({ val_loss: 3.28, train_time_ms }));
  const s = computeVerdictStats(runs, { targetValLoss: loss.target, alpha: 0.01, reference });
  assert.equal(s.n, runs.length);
  close(s.valLoss.pValue, loss.p, 'val loss p');
  assert.equal(s.valLoss.met, false, 'p = 0.85 is not below 0.01');
  assert.ok(s.speedup !== null && s.speedup.ci95 !== null);
  close(s.speedup.ci95[0], c.ciLow / 1000, 'ci low (s)');
  close(s.speedup.ci95[1], c.ciHigh / 1000, 'ci high (s)');
  close(s.speedup.fasterPValue, c.p, 'faster p');
  assert.equal(s.speedup.fasterPValueMet, true);
  const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  close(s.speedup.seconds, (meanOf(reference.map((r) => r.train_time_ms)) - meanOf(runs.map((r) => r.train_time_ms))) / 1000, 'speedup');
});

test('n < 2 gives no p-value rather than an invented one', () => {
  const one = oneSampleTTestLess([3.27], 3.28);
  assert.equal(one.pValue, null);
  assert.match(one.note ?? '', /n=1/);
  assert.equal(oneSampleTTestLess([], 3.28).pValue, null);
  assert.equal(welchTTestLess([90_000], [100_000, 100_100]).pValue, null);
  assert.equal(welchDifferenceInterval([90_000, 90_010], [100_000]), null);
  assert.deepEqual(summarize([5]), { n: 1, mean: 5, std: null });
  const s = computeVerdictStats([{ val_loss: 3.27, train_time_ms: 90_000 }]);
  assert.equal(s.valLoss.pValue, null);
  assert.equal(s.valLoss.met, false);
});

test('zero variance takes the limit: below target is certain, a tie is not', () => {
  const below = oneSampleTTestLess([3.27, 3.27, 3.27], 3.28);
  assert.equal(below.pValue, 0);
  assert.equal(below.statistic, -Infinity);
  assert.match(below.note ?? '', /zero variance/);
  assert.equal(oneSampleTTestLess([3.29, 3.29], 3.28).pValue, 1);
  assert.equal(oneSampleTTestLess([3.28, 3.28], 3.28).pValue, 1);

  assert.equal(welchTTestLess([90_000, 90_000], [100_000, 100_000]).pValue, 0);
  assert.equal(welchTTestLess([100_000, 100_000], [100_000, 100_000]).pValue, 1);
  const ci = welchDifferenceInterval([90_000, 90_000], [100_000, 100_000]);
  assert.deepEqual(ci && [ci.lower, ci.estimate, ci.upper], [10_000, 10_000, 10_000]);

  // Zero spread in one sample only is an ordinary Welch test with df = n − 1 of the other.
  const half = welchTTestLess([90_000, 90_000, 90_000], [100_000, 100_200, 99_900]);
  assert.equal(half.df, 2);
  assert.ok(half.pValue !== null && half.pValue > 0 && half.pValue < 0.001);
});

test('non-finite inputs are rejected', () => {
  assert.throws(() => oneSampleTTestLess([3.27, Number.NaN], 3.28), /sample\[1\]: expected a finite number/);
  assert.throws(() => oneSampleTTestLess([3.27, 3.28], Number.NaN), /target/);
  assert.throws(() => welchTTestLess([1, 2], [3, Infinity]), /reference\[1\]/);
  assert.throws(() => welchDifferenceInterval([1, 2], [3, 4], 1.5), /level/);
  assert.throws(() => computeVerdictStats([{ val_loss: Number.NaN, train_time_ms: 1 }]), /val_loss\[0\]/);
});
