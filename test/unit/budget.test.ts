import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentStartedAt, agentUsedAt, newLedger, settleAgentLaunch, startAgentHolding, stopAgentHolding } from '../../src/domain/budget';

/** The agent's ledger against its processes' own records: what a launch held is from its start to its end, at 2 GPUs. */
describe("the agent's GPU time is the time its processes ran", () => {
  it('counts from the process start, not from when the launch was asked for', () => {
    const l = newLedger(1, 2);
    startAgentHolding(l, 1_000);
    agentStartedAt(l, 3_500);
    assert.equal(agentUsedAt(l, 4_500), 2); // 1 s × 2 GPUs
    agentStartedAt(l, 2_000); // never earlier
    assert.equal(l.agentHoldingSinceMs, 3_500);
  });

  it('ends at the exit the sandbox recorded, however late a worker noticed it', () => {
    const l = newLedger(1, 2);
    startAgentHolding(l, 1_000);
    // The process ran 2 000 → 12 000; a worker killed meanwhile made the exit known at 40 000.
    settleAgentLaunch(l, { startedAtMs: 2_000, endedAtMs: 12_000 }, 40_000);
    assert.equal(l.agentHoldingSinceMs, null);
    assert.equal(l.used.agent, 20);
    assert.equal(agentUsedAt(l, 90_000), 20, 'nothing is held between launches');
  });

  it('a pause in between is kept: the open part after the resume is charged to the exit', () => {
    const l = newLedger(1, 1);
    startAgentHolding(l, 0);
    agentStartedAt(l, 1_000);
    stopAgentHolding(l, 5_000); // paused for a validation
    startAgentHolding(l, 9_000); // resumed
    settleAgentLaunch(l, { startedAtMs: 1_000, endedAtMs: 10_000 }, 30_000);
    assert.equal(l.used.agent, 5);
  });

  it('an exit without a recorded end is charged to now; one before the open start costs nothing more', () => {
    const l = newLedger(1, 1);
    startAgentHolding(l, 0);
    settleAgentLaunch(l, {}, 3_000);
    assert.equal(l.used.agent, 3);
    startAgentHolding(l, 10_000);
    settleAgentLaunch(l, { startedAtMs: 1_000, endedAtMs: 8_000 }, 12_000);
    assert.equal(l.used.agent, 3);
  });
});
