import { it } from 'node:test';
import assert from 'node:assert/strict';
import { trainingPython } from '../../src/sandbox/python';

it('the Python that imports torch is found without blocking the worker: timers run while it is looked for, and it is looked for once', async () => {
  delete process.env.NANOGPT_BENCH_PYTHON;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    // A synchronous look (Python importing torch) would hand back a settled promise: no tick before it.
    const first = trainingPython();
    const python = await first;
    assert.ok(ticks > 0, 'the event loop stood still while Python imported torch');
    assert.match(python, /python3$/);
    assert.equal(trainingPython(), first, 'asked again: the same answer, not a second look');
  } finally {
    clearInterval(timer);
  }
});
