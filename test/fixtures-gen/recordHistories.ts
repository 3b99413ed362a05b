/**
 * Records the workflow histories that test/unit/replay.test.ts replays against the current
 * workflow code: real tiny sessions on a real Temporal dev server, fetched with
 * `handle.fetchHistory()` and written to test/fixtures/histories/. Run after a deliberate change
 * of workflow commands (see README "Changing workflow code"):
 *
 *   npm run build && node dist/test/fixtures-gen/recordHistories.js [prefix]
 *
 * A prefix (e.g. `in-session-`) keeps the histories of older code beside the new ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { sessionHandle, sessionQueries, startSession, stopSession } from '../../src/temporal/client';
import { repoRoot } from '../../src/files/repoRoot';

export const HISTORIES_DIR = join(repoRoot(), 'test', 'fixtures', 'histories');

const prefix = process.argv[2] ?? '';

async function save(handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  const file = `${prefix}${name}`;
  const h = runId ? handle.client.getHandle(handle.workflowId, runId) : handle;
  const history = await h.fetchHistory();
  // The workflow id is not in the history itself, and replay checks child ids derived from it.
  writeFileSync(join(HISTORIES_DIR, file), JSON.stringify({ workflowId: h.workflowId, history }, null, 1) + '\n');
  console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
}

async function main(): Promise<void> {
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const h = await new Harness().start();
  try {
    await h.inProcessWorker();
    const tiny = { agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 2 } as const;

    const finished = await startSession(h.client, tiny, 'history-finished');
    await finished.result();
    await save(finished, 'session-finished.json');
    // A validation child, where the session's code still makes one (the sequential policy, a periodic reference, older code).
    const child = h.client.workflow.getHandle('history-finished.sub-001');
    if (
      await child.describe().then(
        () => true,
        () => false,
      )
    )
      await save(child, 'validation-finished.json');

    // Continues as new: the first run ends in continue-as-new, the last one finishes.
    const can = await startSession(h.client, { ...tiny, continueAsNewAfterEvents: 20 }, 'history-continued');
    await can.result();
    const first = (await sessionHandle(h.client, 'history-continued').describe()).raw.workflowExecutionInfo?.firstRunId;
    if (!first) throw new Error('no first run id for history-continued');
    await save(can, 'session-continued-first-run.json', first);
    await save(can, 'session-continued-last-run.json');

    // Stopped while a submission is under validation.
    const stopped = await startSession(h.client, tiny, 'history-stopped');
    await eventually('a submission under validation', async () => (await sessionQueries.status(stopped)).submissions.validating, 120_000);
    await stopSession(stopped, 'recorded mid-validation');
    await stopped.result();
    await save(stopped, 'session-stopped-mid-validation.json');
  } finally {
    await h.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
