import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GpuSlots } from '../../src/sandbox/gpuSlots';

const none = () => undefined;
const tick = () => new Promise((r) => setImmediate(r));

describe('GpuSlots: never more timed runs at once than the node has GPUs', () => {
  it('lets runs in first come, first served, as GPUs are given back', async () => {
    const slots = new GpuSlots(2);
    const order: string[] = [];
    const went = (who: string) => (give: () => void) => (order.push(who), give);
    const a = await slots.take(1, none);
    const b = await slots.take(1, none);
    const c = slots.take(2, none).then(went('c'));
    const d = slots.take(1, none).then(went('d'));
    void d;
    await tick();
    assert.deepEqual(order, [], 'both GPUs are taken: nobody else runs');
    a();
    // One GPU is free now; a newcomer asking for one still goes behind c.
    const e = slots.take(1, none).then(went('e'));
    void e;
    await tick();
    assert.deepEqual(order, [], 'c waits for two, and neither d nor e, behind it, passes it');
    b();
    b();
    await tick();
    assert.deepEqual(order, ['c'], 'giving back twice counts once');
    (await c)();
    await tick();
    assert.deepEqual(order, ['c', 'd', 'e']);
  });

  it('an aborted wait leaves the line; a run found running is counted at once', async () => {
    const slots = new GpuSlots(1);
    const held = slots.takeNow(1);
    const abort = new AbortController();
    const waiting = slots.take(1, none, abort.signal);
    const after = slots.take(1, none);
    abort.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    held();
    (await after)();
    const again = slots.takeNow(1);
    const beats: number[] = [];
    const late = slots.take(1, () => beats.push(1), undefined, 5);
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(beats.length >= 2, 'heartbeats while it waits');
    again();
    (await late)();
  });

  it('refuses a count that is not a positive whole number', () => {
    assert.throws(() => new GpuSlots(0), /positive whole number/);
    assert.throws(() => new GpuSlots(1.5), /positive whole number/);
  });
});
