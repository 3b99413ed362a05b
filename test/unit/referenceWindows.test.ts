import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceDrift, referenceDue, sessionWindows, validTimes } from '../../src/domain/referenceDrift';
import { calibrationUnusable, parseSoftwareProbe, type CalibrationFacts } from '../../src/domain/calibrationCache';
import { fingerprintOf } from '../../activities/calibration';
import { parseSessionSpec } from '../../src/domain/spec';
import type { RunResult } from '../../src/domain/verdict';

const run = (index: number, trainTimeMs: number | null, invalidReason: string | null = null): RunResult => ({
  index,
  exitCode: 0,
  wallMs: 1,
  valLoss: 3,
  trainTimeMs,
  complete: true,
  invalidReason,
  gpuSeconds: 1,
});

describe('same-window references (issue 14, item 2)', () => {
  test('drift between windows beyond their noise is flagged, drift within it is not', () => {
    const calm = referenceDrift(
      [
        { label: 'calibration', timesMs: [1000, 1010, 990, 1005] },
        { label: 'sub-001', timesMs: [1003, 995, 1008, 999] },
      ],
      0.01,
    );
    assert.deepEqual(calm.flagged, []);
    const drifted = referenceDrift(
      [
        { label: 'calibration', timesMs: [1000, 1010, 990, 1005] },
        { label: 'sub-001', timesMs: [1003, 995, 1008, 999] },
        { label: 'sub-002', timesMs: [1100, 1110, 1095, 1104] },
      ],
      0.01,
    );
    assert.equal(drifted.windows, 3);
    assert.equal(drifted.flagged.length, 1);
    assert.equal(drifted.flagged[0].from, 'sub-001');
    assert.equal(drifted.flagged[0].to, 'sub-002');
    assert.ok(drifted.flagged[0].shiftMs > 95 && drifted.flagged[0].pValue < 0.01);
    assert.ok(drifted.maxShiftMs > 95);
  });

  test('windows in session order: calibration, re-timings before the verdict they served, paired runs, confirmation', () => {
    const w = sessionWindows({
      calibrationMs: [1, 2],
      verdicts: [{ id: 'sub-001', referenceRuns: [run(0, 10), run(1, null, 'crashed'), run(2, 12)] }, { id: 'sub-002' }],
      periodic: [{ label: 'reference-1', timesMs: [5, 6], beforeSubmission: 'sub-002' }],
      confirmationAnchorS: [0.5, 0.6],
    });
    assert.deepEqual(
      w.map((x) => x.label),
      ['calibration', 'sub-001', 'reference-1', 'confirmation'],
    );
    assert.deepEqual(w[1].timesMs, [10, 12]);
    assert.deepEqual(w[3].timesMs, [500, 600]);
    assert.deepEqual(validTimes([run(0, 5), run(1, 6, 'nan')]), [5]);
  });

  test('periodic re-timing is due after K verdicts or H hours; the mode needs one of them', () => {
    assert.equal(referenceDue(2, 0, 3), false);
    assert.equal(referenceDue(3, 0, 3), true);
    assert.equal(referenceDue(0, 2 * 3600_000, undefined, 1.5), true);
    assert.equal(referenceDue(100, 0, undefined, 1.5), false);
    assert.throws(
      () => parseSessionSpec({ agent: 'replay', budgetGpuHours: 1, reference: 'periodic' }),
      /referenceEverySubmissions: reference "periodic" needs/,
    );
    assert.equal(parseSessionSpec({ agent: 'replay', budgetGpuHours: 1 }).reference, 'paired');
  });
});

describe('the calibration cache key and age (issue 14, item 2)', () => {
  const facts: CalibrationFacts = {
    anchor: 'tiny',
    anchorHash: 'a',
    horizonHash: 'h',
    gpus: 1,
    runs: 5,
    sandbox: 'local',
    image: null,
    cpu: 'cpu',
    cpuCount: 2,
    gpuNames: 'NVIDIA H200',
    driver: '570.86',
    cuda: '12.8',
    torch: '2.7.0',
    python: '3.12.3',
  };

  test('is keyed by hardware and software: a new driver, CUDA, PyTorch, Python or image recalibrates', () => {
    const key = fingerprintOf(facts);
    assert.match(key, /^[0-9a-f]{24}$/);
    assert.equal(fingerprintOf({ ...facts }), key);
    for (const change of [
      { driver: '575.1' },
      { cuda: '12.9' },
      { torch: '2.8.0' },
      { python: '3.13.0' },
      { image: 'nanogpt-bench:0.2.0' },
      { gpuNames: 'NVIDIA H100' },
      { runs: 10 },
    ]) {
      assert.notEqual(fingerprintOf({ ...facts, ...change }), key, JSON.stringify(change));
    }
  });

  test('a cached calibration past its maximum age, or with --recalibrate, is not reused', () => {
    const now = 1_000 * 3600_000;
    assert.equal(calibrationUnusable(now - 3600_000, now, 168, false), null);
    assert.match(calibrationUnusable(now - 200 * 3600_000, now, 168, false)!, /older than calibrationMaxAgeHours 168/);
    assert.match(calibrationUnusable(now, now, 168, true)!, /recalibrate/);
    assert.match(calibrationUnusable(undefined, now, 168, false)!, /before calibrations carried their age/);
    assert.equal(parseSessionSpec({ agent: 'replay', budgetGpuHours: 1, recalibrate: true }).recalibrate, true);
  });

  test('reads the software probe, unknown parts as none', () => {
    assert.deepEqual(parseSoftwareProbe('torch 2.5.1+cu124 cuda 12.4\npython 3.11.2\n'), { torch: '2.5.1+cu124', cuda: '12.4', python: '3.11.2' });
    assert.deepEqual(parseSoftwareProbe('torch 1.13.0 cuda None\npython 3.11.2\n'), { torch: '1.13.0', cuda: 'None', python: '3.11.2' });
    assert.deepEqual(parseSoftwareProbe(''), { torch: 'none', cuda: 'none', python: 'none' });
  });
});
