import { it } from 'node:test';
import assert from 'node:assert/strict';
import { judgedAgain } from '../faults/checks';

it('a candidate asked about again is judged twice, unless a worker died between the answers with the first kept nowhere', () => {
  const died = (atMs: number, kept: string[] = []) => ({ atMs, kept: new Set(kept) });
  // Once: nothing to say.
  assert.deepEqual(judgedAgain('m', [100], [died(150)]), { twice: false, afterDeath: 0 });
  // Asked again with no worker lost meanwhile: the worker had the answer and asked anyway.
  assert.deepEqual(judgedAgain('m', [100, 300], []), { twice: true, afterDeath: 0 });
  assert.deepEqual(judgedAgain('m', [100, 300], [died(50), died(350)]), { twice: true, afterDeath: 0 });
  // The worker died after the answer and before it kept it: asking again was the only way on.
  assert.deepEqual(judgedAgain('m', [100, 300], [died(120)]), { twice: false, afterDeath: 1 });
  // It died after the report was kept beside the frozen copy: the next worker should have read it.
  assert.deepEqual(judgedAgain('m', [100, 300], [died(120, ['m'])]), { twice: true, afterDeath: 0 });
  // Another candidate's report kept says nothing of this one.
  assert.deepEqual(judgedAgain('m', [100, 300], [died(120, ['other'])]), { twice: false, afterDeath: 1 });
  // Three answers: one excused, one not.
  assert.deepEqual(judgedAgain('m', [100, 300, 500], [died(120)]), { twice: true, afterDeath: 1 });
});
