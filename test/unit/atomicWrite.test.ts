import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../src/files/atomicWrite';

describe('writeFileAtomic', () => {
  it('many writers of one file at once: every write succeeds, the file is one of them whole, no temp file stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    try {
      const path = join(dir, 'record.json');
      const bodies = Array.from({ length: 40 }, (_, i) => JSON.stringify({ writer: i, pad: 'x'.repeat(20_000 + i) }));
      await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
      assert.ok(bodies.includes(readFileSync(path, 'utf8')), 'the file holds one write, whole');
      assert.deepEqual(readdirSync(dir), ['record.json']);
      await writeJsonAtomic(path, { a: 1 });
      assert.equal(readFileSync(path, 'utf8'), '{\n  "a": 1\n}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
