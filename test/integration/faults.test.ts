import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSuite } from '../faults/suite';

/**
 * `npm run test:faults -- --quick` as part of `npm test`: each fault struck once into real
 * sessions sharing one server and worker (the full form, each five times, runs on demand).
 */
test(
  'faults (quick): every fault struck (but those with a known open defect, named); nothing lost, judged twice, orphaned, misjudged or mischarged; no planted key anywhere',
  { timeout: 20 * 60_000 },
  async (t) => {
    const seed = Number(process.env.NANOGPT_BENCH_FAULTS_SEED ?? Date.now() % 1_000_000);
    const r = await runSuite({ quick: true, seed });
    // Under CI a fault that could not be struck here fails the run instead of passing unseen.
    if (process.env.CI === 'true') assert.deepEqual(r.notRun, [], 'every fault could be struck');
    for (const d of r.openDefects) t.diagnostic(`left out, open defect: ${d.fault}: ${d.defect}`);
    for (const d of r.fullFormOnly) t.diagnostic(`left to the full form: ${d.fault}: ${d.why}`);
    for (const row of r.rows) assert.ok(row.injections >= 1, `${row.fault} was struck`);
    assert.deepEqual(r.findings, [], `seed ${seed}: ${r.findings.join('\n')}`);
    assert.equal(r.total.submissionsLost, 0);
    assert.equal(r.total.judgedTwice, 0);
    assert.equal(r.total.orphans, 0);
    assert.ok(r.total.maxBudgetErrorGpuS <= r.budgetToleranceGpuS, `ledger off by ${r.total.maxBudgetErrorGpuS} GPU-s`);
    assert.deepEqual(r.keyLeaks, []);
  },
);
