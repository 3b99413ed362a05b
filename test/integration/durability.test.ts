import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { startCountingFamily } from '../helpers/startCount';
import { sandboxGpuSeconds } from '../helpers/groundTruth';
import { agentBackoffMs } from '../../src/domain/agentPolicy';

const runRecord = (sessionId: string, subject: string, i: number) => join(layout.run(sessionId, subject, i), 'procs', 'run.json');
const alive = (pid: number) => existsSync(`/proc/${pid}`);
/** One poll of a process watcher (POLL_MS in activities/agent.ts). */
const HEARTBEAT_S = 1;
/** From the workflow's decision to launch the agent to its process's start: charged, though no process holds the GPUs yet. */
const LAUNCH_ALLOWANCE_S = 2;

/** The aliveAtMs of the agent watcher's last heartbeat that reached the server, if any. */
async function agentAliveOnServer(handle: WorkflowHandle): Promise<number | null> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const data = pending.find((a) => a.activityType?.name === 'runAgent')?.heartbeatDetails?.payloads?.[0]?.data;
  if (!data) return null;
  const aliveAtMs = (JSON.parse(Buffer.from(data).toString('utf8')) as { aliveAtMs?: number }).aliveAtMs;
  return typeof aliveAtMs === 'number' ? aliveAtMs : null;
}

describe('a session survives its worker and its server', () => {
  const h = new Harness();
  before(() => h.start());
  after(() => h.stop());

  it('a worker killed with SIGKILL mid-run is replaced and the run is re-attached, not restarted', { timeout: 300_000 }, async () => {
    let worker = h.spawnWorker();
    const counting = startCountingFamily(h.home);
    const handle = await startSession(
      h.client,
      { agent: 'replay', anchor: counting.family, budgetGpuHours: 1, gpus: 1, retimeRuns: 3, reference: 'calibration', confirmRuns: 2, confirmCandidates: 1 },
      'kill-1',
    );
    // Wait for a timed run of the first submission to be in flight, then kill the worker under it.
    const inFlight = await eventually(
      'a run in flight',
      async () => {
        for (let i = 0; i < 3; i++) {
          const rec = runRecord('kill-1', 'sub-001', i);
          if (existsSync(rec) && !existsSync(rec.replace(/\.json$/, '.exit'))) return { i, pid: JSON.parse(readFileSync(rec, 'utf8')).pid as number };
        }
        return null;
      },
      120_000,
      50,
    );
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    assert.ok(alive(inFlight.pid) || existsSync(runRecord('kill-1', 'sub-001', inFlight.i).replace(/\.json$/, '.exit')), 'the run outlives the worker');

    worker = h.spawnWorker();
    const summary = await handle.result();
    // Counted outside the sandbox: each run's run.sh appended its own folder once when it started.
    const killedRun = join(layout.run('kill-1', 'sub-001', inFlight.i), 'work');
    const starts = counting.starts();
    assert.equal(starts.get(killedRun), 1, `the run under the killed worker started ${starts.get(killedRun) ?? 0} times`);
    for (const sub of ['sub-001', 'sub-002'])
      for (let i = 0; i < 3; i++) assert.equal(starts.get(join(layout.run('kill-1', sub, i), 'work')), 1, `${sub} run ${i} started once`);
    assert.equal(summary.endReason, 'agent finished');
    assert.deepEqual(summary.submissions, { accepted: 2 });
    const subs = await sessionQueries.submissions(handle);
    assert.equal(subs[0].verdict?.runs.length, 3);
    // One sandbox per run, no extra runs started by the retry.
    assert.deepEqual(readdirSync(join(layout.submission('kill-1', 'sub-001'), 'runs')).sort(), ['0', '1', '2']);
  });

  it('an agent lost with its sandbox while the worker was down is relaunched, and the time it was down is not charged', { timeout: 240_000 }, async () => {
    await h.stopSpawnedWorkers();
    let worker = h.spawnWorker();
    const gpus = 2;
    const handle = await startSession(
      h.client,
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 1, gpus, retimeRuns: 3 },
      'lost-1',
    );
    const procs = join(layout.agentState('lost-1'), 'procs');
    await eventually(
      'the agent running',
      async () => (await sessionQueries.status(handle)).phase === 'running' && existsSync(join(procs, 'agent-1.pid')),
      120_000,
    );
    // The ledger can charge a lost agent only up to the last heartbeat the server holds: wait for
    // the first one (the event), not for a fixed time.
    const lastAliveMs = await eventually('the agent seen alive by the server', () => agentAliveOnServer(handle), 60_000, 100);
    // The host goes down: the worker and every process of the agent's sandbox die at once.
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const first = JSON.parse(readFileSync(join(procs, 'agent-1.json'), 'utf8')) as { pid: number; startedAtMs: number };
    for (const pid of [Number(readFileSync(join(procs, 'agent-1.pid'), 'utf8').trim()), first.pid]) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone with the other group
      }
    }
    const killedAtMs = Date.now();
    const downS = 15;
    await new Promise((r) => setTimeout(r, downS * 1000));
    worker = h.spawnWorker();
    await eventually('the agent relaunched', async () => (await sessionQueries.status(handle)).agentLaunches >= 2, 90_000, 500);
    // A relaunch that lives long enough for a charge at the wrong rate to show, either way.
    await eventually('the relaunched agent charged 20 GPU-s', async () => (await sessionQueries.budget(handle)).byCategory.agent * 3600 >= 20, 60_000, 250);
    await stopSession(handle, 'back up');
    const summary = await handle.result();
    // The ground truth, both ways: the relaunch from its own record and exit line; the first launch
    // from its record to the kill (its wrapper died with it, so it wrote no exit line).
    const truth = sandboxGpuSeconds('lost-1', gpus);
    assert.deepEqual(
      truth.unended.map((f) => basename(f)),
      ['agent-1.json'],
      'only the killed launch has no end',
    );
    const truthS = truth.agent + ((killedAtMs - first.startedAtMs) / 1000) * gpus;
    const chargedS = summary.budget.byCategory.agent * 3600;
    // Never less than held, but for what the ledger cannot know: the life between the last
    // heartbeat the server held and the kill, and one poll.
    const unknowableS = gpus * ((killedAtMs - lastAliveMs) / 1000 + HEARTBEAT_S);
    // Never more than held, but for what the ledger charges with no process: each launch from the
    // workflow's decision to the process's start (allowed 2 s each on a loaded machine), and the
    // relaunch's backoff (agentBackoffMs, 1 s after a first exit).
    const noProcessS = gpus * (2 * LAUNCH_ALLOWANCE_S + agentBackoffMs([], 0) / 1000);
    console.log(
      `agent charged ${chargedS.toFixed(2)} GPU-s, held ${truthS.toFixed(2)}, allowed -${unknowableS.toFixed(2)} / +${(unknowableS + noProcessS).toFixed(2)}`,
    );
    assert.ok(
      chargedS >= truthS - unknowableS,
      `agent charged ${chargedS.toFixed(1)} GPU-s, less than the ${truthS.toFixed(1)} held (- ${unknowableS.toFixed(1)})`,
    );
    assert.ok(
      chargedS <= truthS + unknowableS + noProcessS,
      `agent charged ${chargedS.toFixed(1)} GPU-s, more than the ${truthS.toFixed(1)} held (+ ${(unknowableS + noProcessS).toFixed(1)}); ${downS} s down not held`,
    );
  });

  it('a server restarted on its database file keeps the session', { timeout: 240_000 }, async () => {
    h.spawnWorker();
    const handle = await startSession(
      h.client,
      { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 0.5, gpus: 1, retimeRuns: 3 },
      'restart-1',
    );
    const before = await eventually('the session running', async () => {
      const s = await sessionQueries.status(handle);
      return s.phase === 'running' ? s : null;
    });
    await h.server.stop();
    await h.startServer();
    const afterRestart = await eventually('the session answering again', () => sessionQueries.status(handle), 60_000, 500);
    assert.equal(afterRestart.sessionId, 'restart-1');
    assert.equal(afterRestart.phase, 'running');
    assert.equal(afterRestart.startedAt, before.startedAt);
    assert.deepEqual(afterRestart.reference, before.reference);
    assert.ok(afterRestart.budget.usedGpuHours >= before.budget.usedGpuHours);
    await stopSession(handle, 'after restart');
    const summary = await handle.result();
    assert.equal(summary.endReason, 'stopped: after restart');
  });
});
