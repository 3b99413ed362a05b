import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { candidatesToConfirm, confirmationReserveGpuSeconds, interleavedOrder, pairedSpeedup, summarizeConfirmation } from '../../src/domain/confirmation';
import { runHeadlineSimulation } from '../../src/cli/commands/simulate';
import { repoRoot } from '../../src/files/repoRoot';

describe('confirmation statistics (issue 14, item 1)', () => {
  test('paired speedup: mean of anchor − candidate per pair, t interval, a failed run drops its pair', () => {
    const p = pairedSpeedup([9000, 9100, 8900, null], [10000, 10200, 9900, 10000])!;
    assert.equal(p.pairs, 3);
    assert.ok(Math.abs(p.speedupSeconds - (1 + 1.1 + 1) / 3) < 1e-12);
    // t(0.975, 2) = 4.3027; sd of (1, 1.1, 1) = 0.057735
    const half = 4.302652729911275 * (0.05773502691896258 / Math.sqrt(3));
    assert.ok(Math.abs(p.ci95[0] - (p.speedupSeconds - half)) < 1e-9 && Math.abs(p.ci95[1] - (p.speedupSeconds + half)) < 1e-9);
    assert.equal(pairedSpeedup([1, null], [2, 3]), null);
  });

  test('confirms the best and those whose CI overlaps it, fastest first, at most max', () => {
    const c = (id: string, s: number, lo: number, hi: number) => ({ id, speedupSeconds: s, ci95: [lo, hi] as [number, number] });
    const chosen = candidatesToConfirm([c('a', 1, 0.5, 1.5), c('b', 3, 2, 4), c('c', 2.5, 1.9, 3.1), c('d', 2.2, 2.1, 2.3)], 2);
    assert.deepEqual(
      chosen.map((x) => x.id),
      ['b', 'c'],
    );
    assert.deepEqual(candidatesToConfirm([], 3), []);
  });

  test('interleaves the anchor with each candidate, round by round, and reserves every run of that plan', () => {
    assert.deepEqual(
      interleavedOrder(['s1', 's2'], 2).map((o) => `${o.round}${o.subject}`),
      ['0anchor', '0s1', '0s2', '1anchor', '1s1', '1s2'],
    );
    assert.equal(confirmationReserveGpuSeconds(10, 3, 2.5), 100);
  });

  test("the headline is the best's confirmation, even when another confirmed faster", () => {
    const s = summarizeConfirmation(
      [
        { submissionId: 'sub-002', candidateMs: [900, 910], anchorMs: [1000, 1000] },
        { submissionId: 'sub-001', candidateMs: [800, 810], anchorMs: [1000, 1010] },
      ],
      0.2,
      2,
    );
    assert.equal(s.headline!.submissionId, 'sub-002');
    assert.ok(Math.abs(s.headline!.humanProgressPercent - 47.5) < 1e-9);
    assert.deepEqual(s.candidates[1].candidateRunsS, [0.8, 0.81]);
    assert.equal(summarizeConfirmation([], 1, 2).headline, null);
  });

  test('a machine twice as slow since calibration reads the same percentage: the 100% mark is timed in the window', () => {
    // Calibration: anchor 1.0 s, horizon 0.6 s (100% = 0.4 s). Now every run takes twice as long.
    const anchorMs = [2000, 2010, 1990];
    const confirmed = [{ submissionId: 'sub-001', candidateMs: [1600, 1610, 1590], anchorMs }];
    const drifted = summarizeConfirmation(confirmed, 0.4, 3);
    assert.ok(Math.abs(drifted.headline!.humanProgressPercent - 100) < 1e-9, 'calibration basis: the drift doubles a half-way candidate');
    assert.equal(drifted.progressBasis, undefined);
    const s = summarizeConfirmation(confirmed, 0.4, 3, [1200, 1210, 1190]);
    assert.equal(s.progressBasis, 'same-window');
    assert.ok(Math.abs(s.horizon!.speedupSeconds - 0.8) < 1e-9);
    assert.deepEqual(s.horizon!.runsS, [1.2, 1.21, 1.19]);
    assert.ok(Math.abs(s.headline!.humanProgressPercent - 50) < 1e-9);
    // A horizon not faster than the anchor in the window cannot be a 100% mark: calibration's is used, and said.
    const odd = summarizeConfirmation(confirmed, 0.4, 3, [2100, 2000, 2050]);
    assert.equal(odd.progressBasis, 'calibration');
    assert.ok(Math.abs(odd.headline!.humanProgressPercent - 100) < 1e-9);
    assert.equal(confirmationReserveGpuSeconds(3, 2, 10, true), 3 * 4 * 10);
  });
});

describe('headline simulation (issue 14, item 5)', () => {
  const sim = (runs: number) => runHeadlineSimulation({ runs, retimeRuns: 10, confirmCandidates: 3, driftMs: 30, maxGainMs: 200, sessions: 400, seed: 7 });

  for (const runs of [10, 2]) {
    test(`at --runs ${runs}: the max over accepted is biased upward, the confirmed headline is not`, () => {
      const r = sim(runs);
      assert.ok(r.bias_max_s > 5 * r.bias_max_se_s, `max bias ${r.bias_max_s} ± ${r.bias_max_se_s}`);
      assert.ok(Math.abs(r.bias_confirmed_s) < 3 * r.bias_confirmed_se_s, `confirmed bias ${r.bias_confirmed_s} ± ${r.bias_confirmed_se_s}`);
      assert.ok(r.false_best_rate_confirmed <= r.false_best_rate_max);
    });
  }

  test('seeded: the same inputs give the same figures', () => {
    assert.deepEqual(sim(2), sim(2));
  });

  test('`nanogpt-bench simulate headline --json` prints the four fields', () => {
    const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [cli, 'simulate', 'headline', '--runs', '2', '--sessions', '50', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const f of ['bias_max_s', 'bias_confirmed_s', 'false_best_rate_max', 'false_best_rate_confirmed']) assert.equal(typeof out[f], 'number', f);
    assert.equal(out.runs, 2);
  });
});
