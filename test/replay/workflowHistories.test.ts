import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { repoRoot } from '../../src/files/repoRoot';

/**
 * Histories of real tiny sessions (test/fixtures/histories, made by
 * test/fixtures-gen/recordHistories.ts) replayed against today's workflow code: a change that
 * alters the commands an existing session would replay (an activity added, moved or removed, a
 * timer, a child workflow) fails here, before it reaches a worker upgraded under a live session.
 */
const DIR = join(repoRoot(), 'test', 'fixtures', 'histories');
const BUNDLE = join(repoRoot(), 'dist', 'workflow-bundle.js');

/** Each file: { workflowId, history }, the history being fetchHistory()'s object as JSON (int64 as strings). */
function histories(): { workflowId: string; history: temporal.api.history.v1.History; file: string }[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const { workflowId, history } = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { workflowId: string; history: object };
      return { file, workflowId, history: temporal.api.history.v1.History.fromObject(history) };
    });
}

describe('recorded workflow histories replay against the current workflow code', () => {
  it('has the histories of a finished session, one that continued as new, and one stopped mid-validation', () => {
    const names = histories().map((h) => h.file);
    for (const f of [
      'session-finished.json',
      'session-continued-first-run.json',
      'session-continued-last-run.json',
      'session-stopped-mid-validation.json',
      'validation-finished.json',
    ]) {
      assert.ok(names.includes(f), `${f} in ${DIR}`);
    }
  });

  it('replays every one without a nondeterminism error', { timeout: 120_000 }, async () => {
    const all = histories();
    const source = existsSync(BUNDLE) ? { workflowBundle: { codePath: BUNDLE } } : { workflowsPath: require.resolve('../../workflows') };
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      source,
      all.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      if (result.error) failures.push(`${all[replayed].file}: ${result.error.message}`);
      replayed += 1;
    }
    assert.equal(replayed, all.length);
    assert.deepEqual(failures, [], 'see README "Changing workflow code": guard the change with patched(), or refresh the fixtures if it is deliberate');
  });
});
