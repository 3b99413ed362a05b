import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Harness, FASTRUN, eventually, runCommand } from '../helpers/harness';
import { startSession, sessionQueries, stopSession, extendBudget } from '../../src/temporal/client';
import { submitUpdate } from '../../workflows/messages';
import { layout } from '../../src/files/layout';
import { repoRoot } from '../../src/files/repoRoot';
import { temporalBinary } from '../../src/temporal/binary';
import { sandboxGpuSeconds } from '../helpers/groundTruth';

/** One heartbeat of a process watcher (POLL_MS in activities/agent.ts): how far a charge may be from the truth. */
const HEARTBEAT_S = 1;

const SHA = 'a'.repeat(64);

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected an update failure, got ${String(err)}`);
    return err.cause?.message ?? '';
  }
  assert.fail('the submit was accepted');
}

describe('benchmarkSession on a real Temporal server', () => {
  const h = new Harness();
  before(async () => {
    await h.start();
    await h.inProcessWorker();
  });
  after(() => h.stop());

  it('replays a record history to the end, answering queries on the way', { timeout: 240_000 }, async () => {
    const handle = await startSession(
      h.client,
      { agent: 'replay', anchor: FASTRUN, budgetGpuHours: 1, gpus: 1, retimeRuns: 3, reference: 'calibration', confirmRuns: 2, confirmCandidates: 1 },
      'replay-1',
    );
    const midway = await eventually('a submission under validation', async () => {
      const s = await sessionQueries.status(handle);
      return s.submissions.validating ? s : null;
    });
    assert.equal(midway.phase, 'running');
    assert.ok(midway.budget.byCategory.calibration > 0, 'the anchor was timed and charged as calibration');
    const budget = await sessionQueries.budget(handle);
    assert.ok(budget.remainingGpuHours < 1 && budget.remainingGpuHours > 0.9);

    const summary = await handle.result();
    assert.equal(summary.endReason, 'agent finished');
    assert.deepEqual(summary.submissions, { accepted: 2 });
    assert.ok(summary.best);
    assert.match(summary.best.path, /02_fastest$/);
    // The fixture history's own table says 0.72 s; the harness measures the same within noise.
    assert.ok(summary.best.humanProgressPercent > 80 && summary.best.humanProgressPercent < 120, `recovered ${summary.best.humanProgressPercent}%`);
    const subs = await sessionQueries.submissions(handle);
    for (const s of subs) {
      assert.equal(s.verdict?.runs.length, 3);
      assert.ok(existsSync(layout.verdict('replay-1', s.id)), 'verdict.json written beside the frozen copy');
    }
    const onDisk = JSON.parse(readFileSync(layout.summary('replay-1'), 'utf8'));
    assert.equal(onDisk.endReason, 'agent finished');
  });

  // The rest share nothing but the server, the worker and the anchor's calibration the first left
  // in the cache, so they run side by side: their runs' times are sleeps, and what each asserts is
  // waited for, not timed.
  describe('side by side', { concurrency: true }, () => {
    it('ends by itself when the GPU budget runs out, within a second of GPU time', { timeout: 180_000 }, async () => {
      const gpus = 2;
      const budgetGpuHours = 0.03; // 108 GPU-s: calibration takes part, the confirmation's reserve part, the agent the rest
      const handle = await startSession(
        h.client,
        { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours, gpus, retimeRuns: 2, confirmCandidates: 1 },
        'budget-1',
      );
      const summary = await handle.result();
      assert.equal(summary.endReason, 'budget exhausted');
      const usedS = summary.budget.usedGpuHours * 3600;
      // Nothing was accepted, so the reserve kept for the confirmation is left unspent.
      const grantS = budgetGpuHours * 3600 - summary.confirmation!.reservedGpuSeconds!;
      assert.ok(Math.abs(usedS - grantS) <= gpus * 1.0, `used ${usedS.toFixed(3)} GPU-s of ${grantS} (reserve aside)`);
      assert.ok(summary.budget.byCategory.agent > 0 && summary.budget.byCategory.calibration > 0);
      const agentPid = JSON.parse(readFileSync(join(layout.agentState('budget-1'), 'procs', 'agent-1.json'), 'utf8')).pid;
      assert.equal(existsSync(`/proc/${agentPid}`), false, 'the agent process was stopped');
      // Against the ground truth, both ways: what the sandboxes' own records say they held.
      const truth = sandboxGpuSeconds('budget-1', gpus);
      assert.deepEqual(truth.unended, [], 'every process of the session wrote how it ended');
      const charged = {
        agent: summary.budget.byCategory.agent * 3600,
        runs: (summary.budget.byCategory.calibration + summary.budget.byCategory.validation + summary.budget.byCategory.confirmation) * 3600,
      };
      console.log(
        `budget-1: charged agent ${charged.agent.toFixed(2)} runs ${charged.runs.toFixed(2)} GPU-s; held agent ${truth.agent.toFixed(2)} runs ${truth.runs.toFixed(2)} GPU-s`,
      );
      assert.ok(Math.abs(charged.agent - truth.agent) <= gpus * HEARTBEAT_S, `agent charged ${charged.agent.toFixed(2)} GPU-s, held ${truth.agent.toFixed(2)}`);
      assert.ok(Math.abs(charged.runs - truth.runs) <= gpus * HEARTBEAT_S, `runs charged ${charged.runs.toFixed(2)} GPU-s, held ${truth.runs.toFixed(2)}`);
      // Exhaustion ended the session: there is nothing left to extend.
      await assert.rejects(extendBudget(handle, 1), /completed|closed|not found/i);
    });

    it(
      'refuses submits with a reason (bad path, too big for the budget, duplicate, while finishing, after stop), ignores a bad extendBudget, and kills an agent that ignores SIGTERM after its grace',
      { timeout: 180_000 },
      async () => {
        // The agent notes each SIGTERM in its workspace and carries on: only the kill after the grace ends it.
        const stubborn = ['bash', '-c', "trap 'echo TERM >> term.log' TERM; while true; do sleep 0.2; done"];
        const handle = await startSession(
          h.client,
          { agent: 'command', agentCommand: stubborn, agentStopGraceSeconds: 10, anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 2 },
          'refuse-1',
        );
        await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running');

        // Signals are handled in order: once the good one shows, the bad ones before it were seen, and ignored.
        await extendBudget(handle, -1);
        await extendBudget(handle, Number.NaN);
        await extendBudget(handle, 0);
        await extendBudget(handle, 0.01);
        await eventually('the budget extended', async () => Math.abs((await sessionQueries.budget(handle)).grantedGpuHours - 0.06) < 1e-9, 30_000);
        const submit = (path: string, contentHash = SHA, runs?: number) =>
          handle.executeUpdate(submitUpdate, { args: [{ path, contentHash, ...(runs ? { runs } : {}) }] });

        assert.match(await refusal(submit('/etc/passwd')), /outside the workspace/);
        assert.match(await refusal(submit('submissions/../../x')), /contains "\.\."/);
        assert.match(await refusal(submit('train_gpt.py')), /not a folder directly under submissions/);
        assert.match(await refusal(submit('submissions/a', 'nothex')), /contentHash/);
        assert.match(await refusal(submit('submissions/a', SHA, 100)), /not enough GPU budget for 100 timed runs/);

        const ws = layout.workspace('refuse-1');
        const first = await submit(join(ws, 'submissions', 'a'), SHA);
        assert.equal(first.submissionId, 'sub-001');
        assert.match(await refusal(submit('submissions/b', SHA)), /identical content to sub-001/);

        const agentPid = Number(readFileSync(join(layout.agentState('refuse-1'), 'procs', 'agent-1.pid'), 'utf8').trim());
        await stopSession(handle, 'test over');
        await eventually('the agent told to stop', async () => existsSync(join(ws, 'term.log')), 60_000, 100);
        assert.equal((await sessionQueries.status(handle)).phase, 'finishing');
        assert.ok(
          existsSync(`/proc/${agentPid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${agentPid}/stat`, 'utf8')),
          'the agent outlives its SIGTERM for the grace',
        );
        assert.match(await refusal(submit('submissions/c', 'c'.repeat(64))), /session is closed: stopped: test over/);
        const summary = await handle.result();
        assert.equal(summary.endReason, 'stopped: test over');
        // Gone, or a zombie not yet reaped by init: the kill itself has landed.
        const running = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        await eventually('the agent killed after its grace', async () => !running(agentPid), 15_000, 100);
        assert.match(await refusal(submit('submissions/c', 'b'.repeat(64))).catch((e) => String(e)), /closed|completed|not found/i);
      },
    );

    it(
      'the in-sandbox submit command reaches the session through the relay socket, whose path is longer than a socket address holds',
      { timeout: 180_000 },
      async () => {
        // A long session id puts the socket past the 107 bytes of sun_path: it must land where asked and be reachable.
        const id = 'relay-' + 'with-a-long-session-id-'.repeat(4);
        assert.ok(Buffer.byteLength(join(layout.relay(id), 'submit.sock')) > 107);
        const handle = await startSession(
          h.client,
          { agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 3 },
          id,
        );
        await eventually('the relay socket', async () => existsSync(join(layout.relay(id), 'submit.sock')));
        const ws = layout.workspace(id);
        spawnSync('cp', ['-r', join(FASTRUN, 'records', '01_faster'), join(ws, 'submissions', 'mine')]);
        const env = { ...process.env, NANOGPT_BENCH_RELAY_DIR: layout.relay(id), NANOGPT_BENCH_TOKEN: readFileSync(layout.relayToken(id), 'utf8').trim() };
        const submitCmd = join(repoRoot(), 'image', 'bin', 'submit');
        const ok = await runCommand(submitCmd, [join(ws, 'submissions', 'mine')], { env });
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);
        assert.equal(JSON.parse(ok.stdout).state, 'accepted');

        const bad = await runCommand(submitCmd, ['/etc'], { env });
        assert.equal(bad.status, 1);
        assert.match(bad.stdout, /outside the workspace/);

        const wrongToken = await runCommand(submitCmd, ['--status'], { env: { ...env, NANOGPT_BENCH_TOKEN: 'nope' } });
        assert.equal(wrongToken.status, 1);
        assert.match(wrongToken.stdout, /bad session token/);

        await stopSession(handle);
        await handle.result();
      },
    );

    it('starts and answers through the temporal CLI, as the README shows', { timeout: 180_000 }, async () => {
      const cli = temporalBinary();
      const input = JSON.stringify({ agent: 'command', agentCommand: ['sleep', '600'], anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 3 });
      const started = await runCommand(cli, [
        'workflow',
        'start',
        '--address',
        h.address,
        '--type',
        'benchmarkSession',
        '--task-queue',
        'nanogpt-bench',
        '--workflow-id',
        'cli-1',
        '--input',
        input,
      ]);
      assert.equal(started.status, 0, started.stderr);
      const handle = h.client.workflow.getHandle('cli-1');
      await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running');
      const q = await runCommand(cli, ['workflow', 'query', '--address', h.address, '--workflow-id', 'cli-1', '--type', 'budget', '--output', 'json']);
      assert.equal(q.status, 0, q.stderr);
      const budget = JSON.parse(q.stdout).queryResult[0];
      assert.equal(budget.grantedGpuHours, 0.05);
      assert.ok(budget.remainingGpuHours > 0 && budget.remainingGpuHours <= 0.05);
      assert.deepEqual(Object.keys(budget.byCategory).sort(), ['agent', 'calibration', 'confirmation', 'validation']);
      const bad = await runCommand(cli, [
        'workflow',
        'execute',
        '--address',
        h.address,
        '--type',
        'benchmarkSession',
        '--task-queue',
        'nanogpt-bench',
        '--workflow-id',
        'cli-bad',
        '--input',
        '{"agent":"replay","budgetGpuHours":"lots"}',
      ]);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stdout + bad.stderr, /budgetGpuHours/);
      const stop = await runCommand(cli, [
        'workflow',
        'signal',
        '--address',
        h.address,
        '--workflow-id',
        'cli-1',
        '--name',
        'stop',
        '--input',
        '{"reason":"from the CLI"}',
      ]);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal((await handle.result()).endReason, 'stopped: from the CLI');
    });

    it('continues as new with every field intact', { timeout: 240_000 }, async () => {
      const handle = await startSession(
        h.client,
        {
          agent: 'replay',
          anchor: FASTRUN,
          budgetGpuHours: 1,
          gpus: 1,
          retimeRuns: 3,
          continueAsNewAfterEvents: 20,
          reference: 'calibration',
          confirmRuns: 2,
          confirmCandidates: 1,
        },
        'can-1',
      );
      const summary = await handle.result();
      assert.ok(summary.continuedAsNew >= 1, `continued as new ${summary.continuedAsNew} times`);
      assert.equal(summary.budget.agentHoldingGpus, false);
      assert.equal(summary.endReason, 'agent finished');
      assert.deepEqual(summary.submissions, { accepted: 2 });
      assert.ok(summary.best && summary.best.speedupSeconds > 0);
      const subs = await sessionQueries.submissions(handle);
      assert.deepEqual(
        subs.map((s) => s.id),
        ['sub-001', 'sub-002'],
      );
      for (const s of subs) assert.equal(s.verdict?.runs.length, 3);
      // Every charge made before any continue-as-new is still on the books at the end.
      // The anchor's runs timed beside each candidate's (reference: paired) are validation time too.
      const runsGpuS = subs.flatMap((s) => [...s.verdict!.runs, ...(s.verdict!.referenceRuns ?? [])]).reduce((a, r) => a + r.gpuSeconds, 0);
      assert.ok(Math.abs(summary.budget.byCategory.validation * 3600 - runsGpuS) < 1e-6);
      // The first test timed this anchor on this machine: the reference comes from the cache, free.
      assert.equal(summary.reference?.fromCache, true);
      assert.equal(summary.budget.byCategory.calibration, 0);
    });
  });
});
