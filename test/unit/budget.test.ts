import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentHeldUntilPause,
  agentLaunchAsked,
  agentRanDuring,
  agentStartedAt,
  agentUsedAt,
  newLedger,
  settleAgentLaunch,
  settleStoppedAgent,
  startAgentHolding,
  stopAgentHolding,
} from '../../src/domain/budget';

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

  it('at the end, a stopped launch is charged until it ended, a paused one from when the stop let it go on', () => {
    const running = newLedger(1, 1);
    startAgentHolding(running, 0);
    // Decided at 10 000; the SIGTERM landed and the process ended at 12 500.
    settleStoppedAgent(running, { resumedAtMs: 11_000, runningAtStop: true, lastLaunch: { startedAtMs: 500, endedAtMs: 12_500 } }, 13_000);
    assert.equal(running.used.agent, 12);

    const paused = newLedger(1, 1);
    startAgentHolding(paused, 0);
    stopAgentHolding(paused, 4_000); // paused for a validation, still paused at the end
    settleStoppedAgent(paused, { resumedAtMs: 20_000, runningAtStop: true, lastLaunch: { startedAtMs: 0, endedAtMs: 21_000 } }, 22_000);
    assert.equal(paused.used.agent, 5);

    const between = newLedger(1, 1);
    startAgentHolding(between, 30_000); // a relaunch asked for, its process never started
    settleStoppedAgent(between, { resumedAtMs: 31_000, runningAtStop: false, lastLaunch: { startedAtMs: 0, endedAtMs: 25_000 } }, 32_000);
    assert.equal(between.used.agent, 0);
    assert.equal(between.agentHoldingSinceMs, null);
  });

  // What the fault suite's Docker sessions showed (seed 11, 2026-11-30): the pause came first, the record after.
  it('a launch asked for before a validation paused its sandbox is charged from its process start, not from the ask', () => {
    const l = newLedger(1, 2);
    agentLaunchAsked(l, 0);
    stopAgentHolding(l, 900); // a validation paused the sandbox before the exec had started
    startAgentHolding(l, 9_000); // resumed; the launch's process starts only now
    agentStartedAt(l, 9_100);
    settleAgentLaunch(l, { startedAtMs: 9_100, endedAtMs: 11_100 }, 12_000);
    assert.equal(l.used.agent, 4); // 2 s × 2 GPUs: nothing for 0 → 900
    agentStartedAt(l, 9_100); // a second report of the same start takes nothing back twice
    assert.equal(l.used.agent, 4);
  });

  it('a launch whose container died before a validation paused it is charged to its recorded end, not to the pause', () => {
    const l = newLedger(1, 1);
    agentLaunchAsked(l, 0);
    agentStartedAt(l, 500);
    stopAgentHolding(l, 3_000); // paused; the process had died with its container at 2 000
    settleAgentLaunch(l, { startedAtMs: 500, endedAtMs: 2_000 }, 4_000);
    assert.equal(l.used.agent, 1.5);
    // The next launch is cut by its own process only.
    agentLaunchAsked(l, 10_000);
    settleAgentLaunch(l, { startedAtMs: 10_200, endedAtMs: 11_200 }, 12_000);
    assert.equal(l.used.agent, 2.5);
  });

  it('a launch that never started costs nothing at the stop, even where a pause closed its interval', () => {
    const l = newLedger(1, 1);
    agentLaunchAsked(l, 0);
    settleAgentLaunch(l, { startedAtMs: 100, endedAtMs: 1_100 }, 2_000);
    agentLaunchAsked(l, 5_000); // a relaunch asked for; a validation paused the sandbox before it started
    stopAgentHolding(l, 6_000);
    settleStoppedAgent(l, { resumedAtMs: 9_000, runningAtStop: false, lastLaunch: { startedAtMs: 100, endedAtMs: 1_100 } }, 9_500);
    assert.equal(l.used.agent, 1);
    const never = newLedger(1, 1);
    agentLaunchAsked(never, 0);
    stopAgentHolding(never, 2_000);
    settleStoppedAgent(never, { resumedAtMs: 3_000, runningAtStop: false, lastLaunch: null }, 3_500);
    assert.equal(never.used.agent, 0);
  });

  // The fault suite, seed 2414 (2026-11-30), faults-docker-1's third launch: dockerd restarted under it.
  it('a launch that started during a validation is charged from its start for the stretch until the pause', () => {
    const l = newLedger(1, 1);
    agentLaunchAsked(l, 37_376, { tracksLife: true });
    stopAgentHolding(l, 38_059); // a validation sent for the GPUs before the exec had started
    agentStartedAt(l, 273_012); // the process started half a minute later, the runs still under way
    agentHeldUntilPause(l, 38_059, 283_206); // the runs returned: the pause took effect only then
    assert.equal(l.used.agent, 10.194);
    settleAgentLaunch(l, { startedAtMs: 273_012, endedAtMs: 301_674 }, 311_000);
    assert.equal(l.used.agent, 10.194);
  });

  it('a launch that ended before the validation reported its pause or its run is charged to its end only', () => {
    const l = newLedger(1, 1);
    agentLaunchAsked(l, 0, { tracksLife: true });
    agentStartedAt(l, 1_000);
    stopAgentHolding(l, 3_000);
    settleAgentLaunch(l, { startedAtMs: 1_000, endedAtMs: 4_000 }, 5_000); // lost with its container
    agentHeldUntilPause(l, 3_000, 6_000);
    agentRanDuring(l, [[7_000, 8_000]]);
    assert.equal(l.used.agent, 3);
  });

  it('without a life to cut to (a session begun before), the pause and the runs are charged as reported', () => {
    const l = newLedger(1, 1);
    agentLaunchAsked(l, 0);
    stopAgentHolding(l, 1_000);
    agentStartedAt(l, 20_000);
    agentHeldUntilPause(l, 1_000, 30_000);
    assert.equal(l.used.agent, 29);
  });
});
