import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Harness, FASTRUN, eventually, runCommand } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { repoRoot } from '../../src/files/repoRoot';
import { sandboxGpuSeconds } from '../helpers/groundTruth';

/** One heartbeat of a process watcher (POLL_MS in activities/agent.ts): how far a charge may be from the truth. */
const HEARTBEAT_S = 1;

/**
 * Sessions whose validation policy or end is under test: sequential retiming, a stop mid-run. They
 * share nothing but the server and the worker, so they run side by side: their runs' times are
 * sleeps, and what each asserts is waited for, not timed.
 */
describe('benchmarkSession: retiming policies and a stop while a run is timed', { concurrency: true }, () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
  });
  after(() => h.stop());

  it('sequential retiming stops early on a clear accept, and requireBeatBest rejects a candidate slower than the best', { timeout: 240_000 }, async () => {
    // The fastest record first, then a slower one: far faster than the anchor, but not than sub-001.
    const planned = 6;
    const handle = await startSession(
      h.client,
      {
        agent: 'replay',
        anchor: FASTRUN,
        replayRecords: ['02_fastest', '01_faster'],
        budgetGpuHours: 1,
        gpus: 1,
        retimeRuns: planned,
        retimePolicy: 'sequential',
        requireBeatBest: true,
        confirmRuns: 2,
        confirmCandidates: 1,
      },
      'seq-1',
    );
    const summary = await handle.result();
    assert.equal(summary.endReason, 'agent finished');
    const [fastest, slower] = await sessionQueries.submissions(handle);
    assert.match(fastest.path, /02_fastest$/);
    assert.equal(fastest.state, 'accepted', fastest.verdict?.reasons.join('; '));
    assert.equal(fastest.verdict?.runs.length, 3, 'a clear accept stops at the first look, run 3 of 6');
    assert.equal(fastest.verdict?.vsBest, null, 'nothing to beat yet');
    assert.match(slower.path, /01_faster$/);
    assert.equal(slower.state, 'rejected');
    assert.equal(slower.verdict?.runs.length, planned, 'no early stop without an accept');
    assert.ok(slower.verdict.speedup!.seconds > 0, 'faster than the anchor');
    assert.equal(slower.verdict?.vsBest?.bestId, fastest.id);
    assert.match(slower.verdict.reasons.join('; '), /not shown faster than the best so far \(sub-001\)/);
    assert.equal(summary.best?.submissionId, fastest.id);
  });

  it(
    'a stop while a validation runs ends the session cleanly: the candidate gets its verdict, every run is charged as long as it ran',
    { timeout: 240_000 },
    async () => {
      const id = 'stop-mid-1';
      const runs = 4;
      const handle = await startSession(
        h.client,
        { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: runs },
        id,
      );
      await eventually('the relay socket', async () => existsSync(join(layout.relay(id), 'submit.sock')));
      const ws = layout.workspace(id);
      spawnSync('cp', ['-r', join(FASTRUN, 'records', '01_faster'), join(ws, 'submissions', 'mine')]);
      const env = { ...process.env, NANOGPT_BENCH_RELAY_DIR: layout.relay(id), NANOGPT_BENCH_TOKEN: readFileSync(layout.relayToken(id), 'utf8').trim() };
      const submitted = runCommand(join(repoRoot(), 'image', 'bin', 'submit'), [join(ws, 'submissions', 'mine')], { env });
      // The first timed run started: the candidate is mid-validation when the stop lands.
      await eventually('a timed run started', async () => existsSync(join(layout.run(id, 'sub-001', 0), 'procs', 'run.json')), 120_000, 100);
      await stopSession(handle, 'mid-validation');
      const summary = await handle.result();
      assert.equal(summary.endReason, 'stopped: mid-validation');
      const [sub] = await sessionQueries.submissions(handle);
      assert.ok(sub.state === 'accepted' || sub.state === 'rejected', `a definite state, got ${sub.state}`);
      assert.equal(sub.verdict?.runs.length, runs);
      assert.equal(readdirSync(join(layout.submission(id, 'sub-001'), 'runs')).length, runs, 'no run started after the verdict, none left out');
      const answer = await submitted;
      assert.equal(JSON.parse(answer.stdout).state, sub.state, 'the agent heard the same verdict');
      const truth = sandboxGpuSeconds(id, 1);
      assert.deepEqual(truth.unended, []);
      // Timed runs are charged to calibration, validation (the candidate's and the anchor's beside
      // them) and the end-of-session confirmation of the accepted candidate.
      const { calibration, validation, confirmation } = summary.budget.byCategory;
      const chargedRuns = (calibration + validation + confirmation) * 3600;
      assert.ok(Math.abs(chargedRuns - truth.runs) <= HEARTBEAT_S, `runs charged ${chargedRuns.toFixed(2)} GPU-s, held ${truth.runs.toFixed(2)}`);
      const validationRuns = [...sub.verdict.runs, ...(sub.verdict.referenceRuns ?? [])];
      assert.ok(Math.abs(validation * 3600 - validationRuns.reduce((a, r) => a + r.gpuSeconds, 0)) < 1e-6);
    },
  );

  it(
    'session hours that run out while a validation runs: the candidate still gets its verdict with all its runs, each charged as long as it ran',
    { timeout: 240_000 },
    async () => {
      const id = 'hours-mid-1';
      const handle = await startSession(
        h.client,
        {
          agent: 'command',
          agentCommand: ['sleep', '600'],
          anchor: FASTRUN,
          budgetGpuHours: 0.05,
          gpus: 1,
          retimeRuns: 2,
          reference: 'calibration',
          confirmCandidates: 1,
          confirmRuns: 2,
          sessionHours: 45 / 3600,
        },
        id,
      );
      await eventually('the relay socket', async () => existsSync(join(layout.relay(id), 'submit.sock')));
      const ws = layout.workspace(id);
      spawnSync('cp', ['-r', join(FASTRUN, 'records', '01_faster'), join(ws, 'submissions', 'mine')]);
      const env = { ...process.env, NANOGPT_BENCH_RELAY_DIR: layout.relay(id), NANOGPT_BENCH_TOKEN: readFileSync(layout.relayToken(id), 'utf8').trim() };
      const submitted = runCommand(join(repoRoot(), 'image', 'bin', 'submit'), [join(ws, 'submissions', 'mine')], { env });
      // Hold the first timed run (SIGSTOP from outside) until the session's hours are over: the
      // end then lands mid-validation whatever the machine's speed.
      const held = await eventually(
        'a timed run to hold',
        async () => {
          for (let i = 0; i < 2; i++) {
            const rec = join(layout.run(id, 'sub-001', i), 'procs', 'run.json');
            if (existsSync(rec) && !existsSync(rec.replace(/\.json$/, '.exit'))) return JSON.parse(readFileSync(rec, 'utf8')).pid as number;
          }
          return null;
        },
        120_000,
        10,
      );
      process.kill(-held, 'SIGSTOP');
      try {
        await eventually('the session finishing', async () => (await sessionQueries.status(handle)).phase === 'finishing', 120_000, 250);
      } finally {
        process.kill(-held, 'SIGCONT');
      }
      const summary = await handle.result();
      assert.equal(summary.endReason, 'session hours exhausted');
      const [sub] = await sessionQueries.submissions(handle);
      assert.ok(sub.state === 'accepted' || sub.state === 'rejected', `a definite state, got ${sub.state}: ${sub.reason}`);
      assert.equal(sub.verdict?.runs.length, 2);
      assert.equal(readdirSync(join(layout.submission(id, 'sub-001'), 'runs')).length, 2, 'no run started after the verdict, none left out');
      assert.equal(JSON.parse((await submitted).stdout).state, sub.state, 'the agent heard the same verdict');
      const truth = sandboxGpuSeconds(id, 1);
      assert.deepEqual(truth.unended, []);
      const { calibration, validation, confirmation } = summary.budget.byCategory;
      const chargedRuns = (calibration + validation + confirmation) * 3600;
      assert.ok(Math.abs(chargedRuns - truth.runs) <= HEARTBEAT_S, `runs charged ${chargedRuns.toFixed(2)} GPU-s, held ${truth.runs.toFixed(2)}`);
    },
  );
});
