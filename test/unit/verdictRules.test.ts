import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideVerdict, type VerdictInput } from '../../src/domain/verdictRules';
import type { JudgeReport, RunResult } from '../../src/domain/verdict';

// Every branch of the acceptance rule, one row each: a change to any rule turns exactly the rows
// that name it red.

const REFERENCE_MS = [10_000, 10_100, 9_900, 10_050, 9_950];
const FAST_MS = [8_000, 8_050, 7_950, 8_020, 7_980];
const LOW_LOSS = [3.2, 3.21, 3.19, 3.2, 3.205];

function runs(timesMs: number[], losses: number[], bad: Partial<Record<number, Partial<RunResult>>> = {}): RunResult[] {
  return timesMs.map((t, i) => ({
    index: i,
    exitCode: 0,
    wallMs: t + 1000,
    valLoss: losses[i],
    trainTimeMs: t,
    complete: true,
    invalidReason: null,
    gpuSeconds: 1,
    ...bad[i],
  }));
}

const judge = (passed: boolean): JudgeReport => ({ passed, checks: [{ rule: 'x', passed, detail: '' }], staticOnly: true });

function input(over: Partial<VerdictInput>): VerdictInput {
  return {
    runs: runs(FAST_MS, LOW_LOSS),
    judge: judge(true),
    referenceTimesMs: REFERENCE_MS,
    best: null,
    targetValLoss: 3.28,
    alpha: 0.01,
    requireBeatBest: false,
    horizonSpeedupSeconds: 4,
    ...over,
  };
}

interface Row {
  name: string;
  over: Partial<VerdictInput>;
  accepted: boolean;
  /** A fragment every matching verdict's reasons must contain. */
  reason: RegExp;
  /** Fragments that must not appear (the rule that should not have fired). */
  not?: RegExp[];
}

const rows: Row[] = [
  { name: 'fast and below target: accepted', over: {}, accepted: true, reason: /^accepted: 2\.000 s faster/ },
  { name: 'judge rejected', over: { judge: judge(false) }, accepted: false, reason: /rules judge rejected/ },
  { name: 'no judge report (not judged) does not reject by itself', over: { judge: null }, accepted: true, reason: /^accepted/ },
  {
    name: 'one run with an invalid reason',
    over: { runs: runs(FAST_MS, LOW_LOSS, { 2: { invalidReason: 'the frozen copy changed' } }) },
    accepted: false,
    reason: /run 2 does not count: the frozen copy changed/,
  },
  {
    name: 'one run without final val loss',
    over: { runs: runs(FAST_MS, LOW_LOSS, { 1: { valLoss: null } }) },
    accepted: false,
    reason: /run 1 does not count: no final val loss and time/,
  },
  {
    name: 'one run without a train time',
    over: { runs: runs(FAST_MS, LOW_LOSS, { 4: { trainTimeMs: null } }) },
    accepted: false,
    reason: /run 4 does not count/,
  },
  { name: 'a single valid run is too few', over: { runs: runs([8000], [3.2]) }, accepted: false, reason: /1 valid run\(s\): at least 2/ },
  { name: 'no runs at all', over: { runs: [] }, accepted: false, reason: /0 valid run\(s\)/ },
  {
    name: 'val loss above target',
    over: { runs: runs(FAST_MS, [3.3, 3.31, 3.29, 3.3, 3.32]) },
    accepted: false,
    reason: /mean val loss 3\.30\d* is not shown below 3\.28/,
    not: [/not shown faster/],
  },
  {
    name: 'val loss below target but too noisy to show it',
    over: { runs: runs(FAST_MS, [3.1, 3.45, 3.2, 3.3, 3.25]) },
    accepted: false,
    reason: /is not shown below 3\.28/,
  },
  {
    name: 'not faster than the reference',
    over: { runs: runs([10_000, 10_080, 9_950, 10_020, 9_990], LOW_LOSS) },
    accepted: false,
    reason: /not shown faster than the anchor/,
    not: [/val loss .* is not shown below/],
  },
  {
    name: 'slower than the best so far, not required: accepted with vsBest filled',
    over: { best: { id: 'sub-001', trainTimesMs: [7_000, 7_050, 6_950] } },
    accepted: true,
    reason: /^accepted/,
  },
  {
    name: 'slower than the best so far, required: rejected',
    over: { best: { id: 'sub-001', trainTimesMs: [7_000, 7_050, 6_950] }, requireBeatBest: true },
    accepted: false,
    reason: /not shown faster than the best so far \(sub-001\)/,
  },
  {
    name: 'faster than the best so far, required: accepted',
    over: { best: { id: 'sub-001', trainTimesMs: [9_000, 9_050, 8_950] }, requireBeatBest: true },
    accepted: true,
    reason: /^accepted/,
  },
  {
    name: 'a best with one run cannot be compared, so it does not block',
    over: { best: { id: 'sub-001', trainTimesMs: [7_000] }, requireBeatBest: true },
    accepted: true,
    reason: /^accepted/,
  },
];

for (const row of rows) {
  test(`decideVerdict: ${row.name}`, () => {
    const v = decideVerdict(input(row.over));
    assert.equal(v.accepted, row.accepted, v.reasons.join(' | '));
    assert.ok(
      v.reasons.some((r) => row.reason.test(r)),
      `no reason matches ${row.reason}: ${v.reasons.join(' | ')}`,
    );
    for (const n of row.not ?? []) assert.ok(!v.reasons.some((r) => n.test(r)), `unexpected reason ${n}: ${v.reasons.join(' | ')}`);
    if (!v.accepted) assert.ok(!v.reasons.some((r) => r.startsWith('accepted')), 'a rejected verdict says accepted');
  });
}

test('decideVerdict: the figures of an accepted verdict', () => {
  const v = decideVerdict(input({ best: { id: 'sub-001', trainTimesMs: [9_000, 9_050, 8_950] } }));
  assert.ok(v.speedup && v.valLoss && v.time && v.vsBest);
  assert.ok(Math.abs(v.speedup.seconds - 2) < 1e-9, `speedup ${v.speedup.seconds}`);
  assert.ok(v.speedup.ci95[0] < 2 && v.speedup.ci95[1] > 2, `ci ${v.speedup.ci95.join('..')}`);
  assert.ok(Math.abs(v.speedup.humanProgressPercent - 50) < 1e-9, 'progress is speedup over the horizon speedup');
  assert.ok(v.speedup.fasterPValue < 0.01);
  assert.ok(Math.abs(v.time.meanMs - 8_000) < 1e-9);
  assert.ok(Math.abs(v.valLoss.mean - 3.201) < 1e-9);
  assert.equal(v.vsBest.bestId, 'sub-001');
  assert.ok(Math.abs(v.vsBest.seconds - 1) < 1e-9);
});

test('decideVerdict: without a horizon the progress is 0, not a division by zero', () => {
  const v = decideVerdict(input({ horizonSpeedupSeconds: 0 }));
  assert.equal(v.speedup?.humanProgressPercent, 0);
});
