import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lostLaunchEnd } from '../../activities/agent';
import { lostStatus } from '../../src/sandbox/procs/status';

/**
 * A launch of the agent lost with its sandbox is charged until it ended. The fault suite's "docker
 * kill: agent container" (seed 11, 2026-11-30): agent-1 ran 735190 → 736226 by its sandbox's record
 * of the container's stop, but was charged only to 735255, its watcher's last sight of it.
 */
describe('a launch lost with its sandbox', () => {
  const rec = { name: 'agent-1', startedAtMs: 735_190, outputCapBytes: 1 };

  it("ends at its sandbox's record of the end where there is one", () => {
    const st = lostStatus(rec, false, 736_226);
    assert.ok(st.state === 'exited' && st.endRecorded);
    assert.equal(lostLaunchEnd(st, 735_255), 736_226);
  });

  it('ends when it was last seen running where the sandbox knows no end (a local process that vanished)', () => {
    const st = lostStatus(rec);
    assert.ok(st.state === 'exited' && !st.endRecorded);
    assert.equal(lostLaunchEnd(st, 735_255), 735_255);
  });
});
