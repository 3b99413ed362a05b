import { it } from 'node:test';
import assert from 'node:assert/strict';
import { workflowCacheSize } from '../../src/temporal/worker';

it("the workflow cache is the SDK's unless NANOGPT_BENCH_WORKFLOW_CACHE sets one (0: none); a bad value names the variable", () => {
  assert.equal(workflowCacheSize({}), undefined);
  assert.equal(workflowCacheSize({ NANOGPT_BENCH_WORKFLOW_CACHE: '0' }), 0);
  assert.equal(workflowCacheSize({ NANOGPT_BENCH_WORKFLOW_CACHE: '500' }), 500);
  for (const bad of ['-1', 'lots', '1.5'])
    assert.throws(() => workflowCacheSize({ NANOGPT_BENCH_WORKFLOW_CACHE: bad }), /NANOGPT_BENCH_WORKFLOW_CACHE: expected a whole number/);
});
