import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffLines, submissionDiff } from '../../src/judge/diff';
import { Prng } from '../../src/domain/prng';

const work = mkdtempSync(join(tmpdir(), 'nanogpt-bench-judgediff-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Length of a longest common subsequence, by dynamic programming: the reference for the edit count. */
function lcs(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let prev = 0;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = a[i - 1] === b[j - 1] ? prev + 1 : Math.max(row[j], row[j - 1]);
      prev = tmp;
    }
  }
  return row[b.length];
}

test('diffLines gives a shortest edit script that rebuilds both sides (random inputs against a DP reference)', () => {
  const rng = new Prng(7);
  for (let trial = 0; trial < 300; trial++) {
    const gen = () => Array.from({ length: rng.below(25) }, () => 'abcde'[rng.below(5)]);
    const a = gen();
    const b = gen();
    const ops = diffLines(a, b);
    assert.deepEqual(
      ops.filter((o) => o.op !== '+').map((o) => o.line),
      a,
    );
    assert.deepEqual(
      ops.filter((o) => o.op !== '-').map((o) => o.line),
      b,
    );
    assert.equal(ops.filter((o) => o.op === ' ').length, lcs(a, b), `${a.join('')} -> ${b.join('')}`);
  }
});

test('submissionDiff shows changed, new and deleted files with hunk headers, and names binary files', () => {
  const a = join(work, 'a');
  const b = join(work, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  writeFileSync(join(a, 'train_gpt.py'), lines.join('\n') + '\n');
  writeFileSync(join(b, 'train_gpt.py'), lines.map((l) => (l === 'line 10' ? 'line ten' : l)).join('\n') + '\n');
  writeFileSync(join(a, 'run.sh'), 'torchrun train_gpt.py\n');
  writeFileSync(join(b, 'run.sh'), 'torchrun train_gpt.py\n');
  writeFileSync(join(a, 'gone.py'), 'x = 1\n');
  writeFileSync(join(b, 'new.py'), 'y = 2\n');
  writeFileSync(join(b, 'weights.bin'), Buffer.from([0, 1, 2, 3]));
  const d = submissionDiff(a, b);
  assert.deepEqual(d.changedFiles, ['gone.py', 'new.py', 'train_gpt.py', 'weights.bin']);
  assert.match(
    d.text,
    /--- anchor\/train_gpt\.py\n\+\+\+ candidate\/train_gpt\.py\n@@ -7,7 \+7,7 @@\n line 7\n line 8\n line 9\n-line 10\n\+line ten\n line 11/,
  );
  assert.match(d.text, /\+\+\+ \/dev\/null \(the candidate deleted this file, 1 lines\)/);
  assert.match(d.text, /--- \/dev\/null \(new file\)\n\+\+\+ candidate\/new\.py\n@@ -1,0 \+1,1 @@\n\+y = 2/);
  assert.match(d.text, /Binary or oversized file in the candidate: weights\.bin \(4 bytes\), new/);
  assert.doesNotMatch(d.text, /run\.sh/);
});
