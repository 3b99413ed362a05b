import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { timingActivities } from '../../activities/timing';
import { LocalSandbox } from '../../src/sandbox/local';
import { parseSessionSpec } from '../../src/domain/spec';
import { layout } from '../../src/files/layout';
import type { SessionRef } from '../../src/domain/session';
import type { RunResult } from '../../src/domain/verdict';
import { FASTRUN } from '../helpers/harness';

/**
 * A run past its limit is killed even when its timeout mark cannot be written (a full disk): the
 * mark once came first, its failure failed the attempt, and the retries, seeing a mark, never
 * killed the run, which held its validation for good (the fault suite found it).
 */
describe('a timed run past its limit', () => {
  const home = mkdtempSync(join(tmpdir(), 'nanogpt-bench-timeout-'));
  const before_ = process.env.NANOGPT_BENCH_HOME;
  before(() => void (process.env.NANOGPT_BENCH_HOME = home));
  after(() => {
    process.env.NANOGPT_BENCH_HOME = before_;
    rmSync(home, { recursive: true, force: true });
  });

  it('is killed, and judged timed out, though its timeout mark cannot be written', { timeout: 60_000 }, async () => {
    const sessionId = 'timeout-1';
    const frozen = join(home, 'frozen');
    cpSync(join(FASTRUN, 'records', '02_fastest'), frozen, { recursive: true });
    writeFileSync(join(frozen, 'train_gpt.py'), `import time\ntime.sleep(3600)\n${readFileSync(join(frozen, 'train_gpt.py'), 'utf8')}`);
    const dataDir = join(home, 'data');
    mkdirSync(dataDir);
    const spec = parseSessionSpec({ agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 2 });
    const session = { sessionId, spec, workspace: { dataDir } } as unknown as SessionRef;
    // Where the mark goes, a folder: writing it fails as a full disk would, and it "exists".
    mkdirSync(join(layout.run(sessionId, 'sub-001', 0), 'timed-out'), { recursive: true });

    const { timeRun } = timingActivities({ client: null as unknown as Client, sandboxes: { local: new LocalSandbox() } });
    // It returns only once the run has ended: a run not killed sleeps an hour, past the test's timeout.
    const input = { session, subject: 'sub-001', frozenDir: frozen, runIndex: 0, limitSeconds: 2 };
    const result = await new MockActivityEnvironment().run<[typeof input], RunResult, typeof timeRun>(timeRun, input);
    assert.equal(result.trainTimeMs, null);
    assert.match(result.invalidReason ?? '', /timed out after 2 s/);
    const rec = JSON.parse(readFileSync(join(layout.run(sessionId, 'sub-001', 0), 'procs', 'run.json'), 'utf8'));
    assert.equal(existsSync(`/proc/${rec.pid}`), false, 'the run is gone');
  });
});
