import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulatePolicy } from '../../src/domain/retimeSimulation';
import { sequentialLevels } from '../../src/domain/sequential';
import { recordDistributions } from '../../bench/sequentialPolicy';

describe('sequential retiming', () => {
  const records = recordDistributions();
  const anchor = records[0].d;
  const common = { reference: anchor, planned: 10, alpha: 0.01, target: 3.28, trials: 2000 };
  // Three binomial standard errors above alpha: a true rate at alpha fails this about 0.1% of the time.
  const ceiling = 0.01 + 3 * Math.sqrt((0.01 * 0.99) / common.trials);

  it('spends at most alpha over all its looks', () => {
    const l = sequentialLevels(10, 0.01);
    assert.equal(l.firstLook, 3);
    assert.ok(Math.abs(7 * l.interim + l.final - 0.01) < 1e-15);
  });

  it('keeps the false-accept rate at most alpha when the mean loss sits exactly at the target', () => {
    const r = simulatePolicy({
      ...common,
      candidate: { lossMean: 3.28, lossStd: 0.0011, timeMeanMs: anchor.timeMeanMs - 5000, timeStdMs: 72 },
      policy: 'sequential',
      seed: 7,
    });
    assert.ok(r.acceptRate <= ceiling, `false-accept rate ${r.acceptRate}`);
  });

  it('keeps the false-accept rate at most alpha when the candidate is no faster', () => {
    const r = simulatePolicy({ ...common, candidate: { ...anchor }, policy: 'sequential', seed: 8 });
    assert.ok(r.acceptRate <= ceiling, `false-accept rate ${r.acceptRate}`);
  });

  it('stops early on a clear winner and still accepts it', () => {
    const winner = records.find((r) => r.record === '2025-11-29_BatchSizeSchedule')!.d;
    const seq = simulatePolicy({ ...common, trials: 500, candidate: winner, policy: 'sequential', seed: 9 });
    const fixed = simulatePolicy({ ...common, trials: 500, candidate: winner, policy: 'fixed', seed: 9 });
    assert.equal(fixed.meanRuns, 10);
    assert.ok(seq.meanRuns < 7, `sequential used ${seq.meanRuns} runs on average`);
    assert.ok(seq.acceptRate > 0.99);
  });
});
