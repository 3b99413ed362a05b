import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countTickets, markScreening, mayBeBest } from '../../src/domain/tickets';
import { newSessionState, refuseSubmit } from '../../src/domain/session';
import { newLedger, remainingAt, reserve, charge, viewBudget, msUntilExhausted, startAgentHolding } from '../../src/domain/budget';
import { parseSessionSpec } from '../../src/domain/spec';
import type { SubmissionRecord } from '../../src/domain/submission';
import type { Verdict } from '../../src/domain/verdict';

const verdict = (accepted: boolean, runs: number): Verdict => ({
  accepted,
  reasons: [],
  judge: null,
  runs: Array.from({ length: runs }, (_, index) => ({
    index,
    exitCode: 0,
    wallMs: 1,
    valLoss: 3,
    trainTimeMs: 1000,
    complete: true,
    invalidReason: null,
    gpuSeconds: 1,
  })),
  valLoss: null,
  time: null,
  speedup: { seconds: 1, ci95: [0.5, 1.5], fasterPValue: 0.001, humanProgressPercent: 50 },
  vsBest: null,
});
const HASH = 'c'.repeat(64);

describe('screening verdicts (issue 14, item 3)', () => {
  test('a verdict on fewer runs than retimeRuns is screening only: it says so and may not be the best', () => {
    const v = markScreening(verdict(true, 2), 2, 10);
    assert.equal(v.screening, true);
    assert.match(v.reasons.at(-1)!, /screening verdict: 2 runs, fewer than the session's 10/);
    assert.equal(mayBeBest({ verdict: v, requestedRuns: 2 }, 10), false);
    const full = markScreening(verdict(true, 10), 10, 10);
    assert.equal(full.screening, undefined);
    assert.equal(mayBeBest({ verdict: full, requestedRuns: 10 }, 10), true);
    assert.equal(mayBeBest({ verdict: verdict(false, 10), requestedRuns: 10 }, 10), false);
  });

  test('the same content may come again at full count after a screening, and only then', () => {
    const spec = parseSessionSpec({ agent: 'replay', budgetGpuHours: 1, gpus: 1, retimeRuns: 10 });
    const state = newSessionState('s', spec, newLedger(1, 1), 0);
    state.workspace = {
      dir: '/w',
      sandboxRoot: '/w',
      anchorDir: '/a',
      dataDir: '/d',
      historyDir: '/h',
      replayRecords: [],
      targetValLoss: 3.28,
      horizonSpeedupSeconds: 1,
      horizonDir: null,
    };
    const sub: SubmissionRecord = {
      id: 'sub-001',
      path: 'submissions/a',
      contentHash: HASH,
      requestedRuns: 2,
      submittedAtMs: 0,
      state: 'accepted',
      verdict: markScreening(verdict(true, 2), 2, 10),
      reason: null,
    };
    state.submissions.push(sub);
    assert.match(refuseSubmit(state, { path: 'submissions/a', contentHash: HASH, runs: 3 }, 0)!, /identical content to sub-001/);
    assert.equal(refuseSubmit(state, { path: 'submissions/a', contentHash: HASH }, 0), null);
    state.submissions.push({ ...sub, id: 'sub-002', requestedRuns: 10, verdict: verdict(true, 10) });
    assert.match(refuseSubmit(state, { path: 'submissions/a', contentHash: HASH }, 0)!, /identical content to sub-002/);
  });

  test('the summary counts the candidates timed and their runs, screening ones apart', () => {
    const subs: SubmissionRecord[] = [
      { id: '1', path: 'submissions/a', contentHash: HASH, requestedRuns: 2, submittedAtMs: 0, state: 'rejected', verdict: verdict(false, 2), reason: null },
      {
        id: '2',
        path: 'submissions/b',
        contentHash: HASH,
        requestedRuns: 10,
        submittedAtMs: 0,
        state: 'accepted',
        verdict: { ...verdict(true, 10), referenceRuns: verdict(true, 10).runs },
        reason: null,
      },
      { id: '3', path: 'submissions/c', contentHash: HASH, requestedRuns: 10, submittedAtMs: 0, state: 'cancelled', verdict: null, reason: 'ended' },
    ];
    assert.deepEqual(countTickets(subs, 10), { candidatesTimed: 2, runsTimed: 12, screeningCandidates: 1, screeningRuns: 2, referenceRuns: 10 });
  });
});

describe('the confirmation reserve (issue 14, item 1)', () => {
  test('what is left to the agent phase excludes the reserve; releasing it gives it back to the confirmation', () => {
    const ledger = newLedger(1, 2);
    charge(ledger, 'calibration', 100);
    reserve(ledger, 500);
    assert.equal(remainingAt(ledger, 0), 3600 - 100 - 500);
    startAgentHolding(ledger, 0);
    // 2 GPUs burn the 3000 GPU-s the agent phase may spend in 1500 s.
    assert.equal(msUntilExhausted(ledger, 0), 1500_000);
    const v = viewBudget(ledger, 1500_000);
    assert.equal(v.remainingGpuHours, 0);
    assert.ok(Math.abs(v.reservedGpuHours - 500 / 3600) < 1e-12);
    reserve(ledger, 0);
    ledger.agentHoldingSinceMs = null;
    ledger.used.agent = 3000;
    charge(ledger, 'confirmation', 450);
    const end = viewBudget(ledger, 2000_000);
    assert.ok(Math.abs(end.byCategory.confirmation - 450 / 3600) < 1e-12);
    assert.ok(Math.abs(end.remainingGpuHours - 50 / 3600) < 1e-12);
  });

  test('a ledger carried from before the confirmation existed still adds up', () => {
    const old = { grantedGpuSeconds: 3600, used: { agent: 10, validation: 20, calibration: 30 }, agentHoldingSinceMs: null, gpus: 1 } as unknown as ReturnType<
      typeof newLedger
    >;
    assert.equal(remainingAt(old, 0), 3540);
    charge(old, 'confirmation', 5);
    assert.equal(remainingAt(old, 0), 3535);
  });
});
