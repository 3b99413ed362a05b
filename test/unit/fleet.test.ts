import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { declareLost, freeGpus, heartbeat, newFleet, nextLossCheckMs, registerNode, release, requestPlacement } from '../../src/fleet/fleet';

describe('fleet: placement, loss and fencing epochs', () => {
  it('spreads sessions over the nodes with the most free GPUs, and makes one wait when none has room', () => {
    const f = newFleet(10_000);
    registerNode(f, 'a', 2, 0);
    registerNode(f, 'b', 2, 0);
    assert.equal(requestPlacement(f, 's1', 1, 1)?.node, 'a');
    assert.equal(requestPlacement(f, 's2', 1, 1)?.node, 'b');
    assert.equal(requestPlacement(f, 's3', 2, 1), null, 'no node has 2 GPUs free');
    assert.equal(requestPlacement(f, 's4', 1, 1)?.node, 'a', 'a smaller one behind it passes');
    assert.deepEqual(
      f.waiting.map((w) => w.sessionId),
      ['s3'],
    );
    release(f, 's2', 2);
    assert.equal(f.placements.s3?.node, 'b', 'placed as soon as a node frees');
    assert.equal(freeGpus(f, 'b'), 0);
    const placedNotices = f.outbox.filter((n) => n.kind === 'placed').map((n) => n.sessionId);
    assert.deepEqual(placedNotices, ['s1', 's2', 's4', 's3']);
  });

  it('asking again returns the same placement and epoch', () => {
    const f = newFleet(10_000);
    registerNode(f, 'a', 1, 0);
    const p = requestPlacement(f, 's1', 1, 0)!;
    assert.deepEqual(requestPlacement(f, 's1', 1, 5), p);
  });

  it('declares a silent node lost, tells its sessions with their epoch, and places them elsewhere with a newer one', () => {
    const f = newFleet(10_000);
    registerNode(f, 'a', 1, 0);
    const first = requestPlacement(f, 's1', 1, 0)!;
    registerNode(f, 'b', 1, 1000);
    f.outbox = [];
    assert.equal(nextLossCheckMs(f), 10_000);
    heartbeat(f, 'a', 1, 9000);
    heartbeat(f, 'b', 1, 9000);
    assert.deepEqual(declareLost(f, 10_000), [], 'heard from within the limit');
    heartbeat(f, 'b', 1, 18_000);
    assert.deepEqual(declareLost(f, 19_000), ['a']);
    assert.deepEqual(f.outbox[0], { kind: 'nodeLost', sessionId: 's1', node: 'a', epoch: first.epoch, lastSeenMs: 9000, atMs: 19_000 });
    const moved = f.placements.s1;
    assert.equal(moved.node, 'b');
    assert.ok(moved.epoch > first.epoch, 'a newer epoch fences the old placement');
    assert.equal(freeGpus(f, 'a'), 0, 'a lost node offers nothing');
    // The lost node comes back: it has nothing placed, so it must end what it still runs of s1.
    assert.deepEqual(heartbeat(f, 'a', 1, 30_000), []);
    assert.equal(f.nodes.a.lostAtMs, null);
    assert.deepEqual(f.losses, [{ node: 'a', lastSeenMs: 9000, declaredAtMs: 19_000, sessions: ['s1'] }]);
  });

  it('a heartbeat read late proves the node alive when it was sent, never later than now', () => {
    const f = newFleet(10_000);
    registerNode(f, 'a', 1, 0);
    heartbeat(f, 'a', 1, 8000, 5000);
    assert.equal(f.nodes.a.lastSeenMs, 5000);
    heartbeat(f, 'a', 1, 9000, 99_000);
    assert.equal(f.nodes.a.lastSeenMs, 9000);
    heartbeat(f, 'a', 1, 9500, 1000);
    assert.equal(f.nodes.a.lastSeenMs, 9000, 'never goes back');
  });

  it('refuses a bad node name or GPU count, naming the field', () => {
    const f = newFleet(10_000);
    assert.throws(() => registerNode(f, '../x', 1, 0), /node:/);
    assert.throws(() => registerNode(f, 'a', 0, 0), /gpus:/);
  });
});
