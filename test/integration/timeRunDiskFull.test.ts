import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { timingActivities } from '../../activities/timing';
import { LocalSandbox } from '../../src/sandbox/local';
import { parseWrapperExit } from '../../src/sandbox/procs/wrapper';
import { parseSessionSpec } from '../../src/domain/spec';
import { layout } from '../../src/files/layout';
import type { SessionRef } from '../../src/domain/session';
import type { RunResult } from '../../src/domain/verdict';
import { FASTRUN, eventually } from '../helpers/harness';
import { missing } from '../helpers/missing';

/**
 * A timed run whose output could not be kept (NANOGPT_BENCH_HOME's disk full while it printed)
 * is started again, not judged on the nothing it left: the fault suite's full form saw such a run
 * of the horizon record end with status 0 and no output, and its session fail calibration with
 * "no step lines found". The run's wrapper now records that its output writer failed.
 */
describe('a timed run whose output is lost on a full disk', () => {
  const home = mkdtempSync(join(tmpdir(), 'nanogpt-bench-run-disk-full-'));
  const saved = process.env.NANOGPT_BENCH_HOME;
  after(() => {
    process.env.NANOGPT_BENCH_HOME = saved;
    spawnSync('umount', ['-l', home]);
    rmSync(home, { recursive: true, force: true });
  });

  it('is set aside and run again, and the run that kept its output is the result', { timeout: 120_000 }, async (t) => {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', home], { encoding: 'utf8' });
    if (m.status !== 0) return missing(t, `a small tmpfs as NANOGPT_BENCH_HOME needs root: ${(m.stderr || '').trim()}`);
    process.env.NANOGPT_BENCH_HOME = home;
    const sessionId = 'disk-full-1';
    const frozen = join(home, 'frozen');
    cpSync(join(FASTRUN, 'records', '02_fastest'), frozen, { recursive: true });
    // Quiet for its first seconds, so that all it prints comes while the disk is full.
    writeFileSync(join(frozen, 'train_gpt.py'), `import time\ntime.sleep(2)\n${readFileSync(join(frozen, 'train_gpt.py'), 'utf8')}`);
    const dataDir = join(home, 'data');
    mkdirSync(dataDir);
    const spec = parseSessionSpec({ agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 2 });
    const session = { sessionId, spec, workspace: { dataDir } } as unknown as SessionRef;
    const runDir = layout.run(sessionId, 'sub-001', 0);
    const { timeRun } = timingActivities({ client: null as unknown as Client, sandboxes: { local: new LocalSandbox() } });
    const input = { session, subject: 'sub-001', frozenDir: frozen, runIndex: 0, limitSeconds: 60 };

    // The disk fills once the first run has started, and frees once that run has ended.
    const filler = join(home, 'filler.bin');
    const fill = (async () => {
      await eventually('the first run started', async () => existsSync(join(runDir, 'procs', 'run.json')), 30_000, 20);
      const fd = openSync(filler, 'w');
      const block = Buffer.alloc(1 << 16, 0x5a);
      try {
        for (;;) writeSync(fd, block);
      } catch {
        // ENOSPC: full
      }
      closeSync(fd);
      await eventually('the first run ended', async () => existsSync(join(runDir, 'procs', 'run.exit')), 30_000, 20);
      rmSync(filler, { force: true });
    })();

    // As the activity's retry policy would: an attempt that met the full disk itself is tried again.
    let result: RunResult | null = null;
    for (let attempt = 1; attempt <= 5 && !result; attempt++) {
      try {
        result = await new MockActivityEnvironment().run<[typeof input], RunResult, typeof timeRun>(timeRun, input);
      } catch (err) {
        if (attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await fill;
    const first = parseWrapperExit(readFileSync(join(`${runDir}.lost-1`, 'procs', 'run.exit'), 'utf8'));
    assert.equal(first.outputLost, true, 'the first run was set aside with its output lost');
    assert.equal(result?.invalidReason, null, `the run again is judged on its output: ${result?.invalidReason}`);
    assert.ok((result?.trainTimeMs ?? 0) > 0);
  });
});
