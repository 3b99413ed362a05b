import { it } from 'node:test';
import assert from 'node:assert/strict';
import { workflowCacheSize } from '../../src/temporal/worker';

it('the workflow cache is off unless NANOGPT_BENCH_WORKFLOW_CACHE asks for one; a bad value names the variable', () => {
  assert.equal(workflowCacheSize({}), 0);
  assert.equal(workflowCacheSize({ NANOGPT_BENCH_WORKFLOW_CACHE: '500' }), 500);
  for (const bad of ['-1', 'lots', '1.5'])
    assert.throws(() => workflowCacheSize({ NANOGPT_BENCH_WORKFLOW_CACHE: bad }), /NANOGPT_BENCH_WORKFLOW_CACHE: expected a whole number/);
});
