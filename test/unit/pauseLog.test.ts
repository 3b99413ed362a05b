import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ranBetweenPauses } from '../../src/sandbox/procs/records';
import { agentRanDuring, newLedger } from '../../src/domain/budget';

// The agent's pause log of faults-4 (fault suite, disk full, seed 5151, 2026-11-30): a validation's
// first attempt failed on ENOSPC, the second resumed the agent and was lost, the third paused it again.
const LOG = `pause 1000
resume 7000
pause 7500
pause 13300
resume 16600
pause 33600
resume 33605
`;

test('the stretches a sandbox ran between a validation’s first pause and its last resume, by its pause log', () => {
  assert.deepEqual(ranBetweenPauses(LOG, 7500, 33605), [[16600, 33600]]);
  assert.deepEqual(ranBetweenPauses(LOG, 1000, 7000), [], 'one pause and its resume: nothing in between');
  assert.deepEqual(ranBetweenPauses('pause 10\n\0\0 garbage\nresume 20\npause 30\nresume 40\n', 10, 40), [[20, 30]], 'a line the disk cut is skipped');
});

test('what the agent ran during a validation is charged, and kept as part of its launch', () => {
  const ledger = newLedger(1, 2);
  ledger.agentLaunchSpans = [];
  agentRanDuring(ledger, ranBetweenPauses(LOG, 7500, 33605));
  assert.equal(ledger.used.agent, 17 * 2);
  assert.deepEqual(ledger.agentLaunchSpans, [[16600, 33600]]);
});
