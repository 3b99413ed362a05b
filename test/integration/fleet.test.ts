import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { fencingInterceptor } from '../../src/fleet/fencing';
import { repoRoot } from '../../src/files/repoRoot';
import { readManifest } from '../../src/files/workspaceSnapshot';
import { Harness, eventually } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { listNodes } from '../../src/fleet/fleetClient';
import { layout } from '../../src/files/layout';
import { startCountingFamily } from '../helpers/startCount';
import { sandboxGpuSeconds } from '../helpers/groundTruth';
import type { SessionSpecInput } from '../../src/domain/spec';
import type { benchmarkSession } from '../../workflows/session';

const HEARTBEAT_S = 1;
// Generous: on a loaded 2-core machine a live node's heartbeats can lag by seconds.
const LOSS_S = 15;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** Every process a node's worker started, from the records on the shared state folder. */
function processesOf(home: string, node: string): { file: string; name: string; pid: number; leader: number | null; startedAtMs: number }[] {
  const out: ReturnType<typeof processesOf> = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 9 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === 'workspace' || e.name === 'work' || e.name === 'frozen') continue;
      const sub = join(dir, e.name);
      if (e.name !== 'procs') {
        walk(sub, depth + 1);
        continue;
      }
      for (const f of readdirSync(sub).filter((n) => n.endsWith('.json'))) {
        const rec = JSON.parse(readFileSync(join(sub, f), 'utf8')) as { name: string; pid: number; owner?: string; startedAtMs: number };
        if (rec.owner !== node) continue;
        const pidText = existsSync(join(sub, `${rec.name}.pid`)) ? readFileSync(join(sub, `${rec.name}.pid`), 'utf8').trim() : '';
        out.push({ file: join(sub, f), name: rec.name, pid: rec.pid, leader: /^\d+$/.test(pidText) ? Number(pidText) : null, startedAtMs: rec.startedAtMs });
      }
    }
  };
  walk(join(home, 'runs'), 0);
  return out;
}

function signalGroups(p: { pid: number; leader: number | null }, sig: NodeJS.Signals): void {
  for (const pid of [p.leader, p.pid]) {
    if (pid === null) continue;
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  }
}

describe('a fleet of three nodes: sessions placed and balanced, one node lost for good', () => {
  const h = new Harness();
  const nodes = new Map<string, ChildProcess>();
  // Node a keeps agent workspaces on a disk of its own, checkpointed to the shared home.
  const aDisk = join(h.home, 'node-a-disk');
  const onA = (id: string, ...p: string[]) => join(aDisk, id, 'workspace', ...p);
  const spawnNode = (name: string) => {
    const local = name === 'a' ? ['--workspace-dir', aDisk] : [];
    const child = h.spawnWorker(['--node', name, '--gpus', '2', '--heartbeat-seconds', String(HEARTBEAT_S), ...local]);
    if (process.env.FLEET_DEBUG) for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => appendFileSync(`/tmp/fleet-node-${name}.log`, d));
    nodes.set(name, child);
  };
  before(async () => {
    process.env.NANOGPT_BENCH_NODE_LOSS_SECONDS = String(LOSS_S);
    await h.start();
    await h.inProcessWorker(); // the control worker: workflows and the fleet's bookkeeping
    for (const n of ['a', 'b', 'c']) spawnNode(n);
  });
  after(async () => {
    delete process.env.NANOGPT_BENCH_NODE_LOSS_SECONDS;
    await h.stop();
  });

  it(
    'moves the sessions of a node killed mid-run and mid-agent-work, charges what was held, and fences the node when it returns',
    { timeout: 420_000 },
    async () => {
      await eventually('three nodes up', async () => (await listNodes(h.client)).nodes.filter((n) => n.state === 'up').length === 3, 90_000, 500);
      // The first candidate sleeps before its timed region, so one of its runs is surely in flight when its node dies.
      const counting = startCountingFamily(h.home);
      const slowPy = join(counting.family, 'records', '01_faster', 'train_gpt.py');
      writeFileSync(slowPy, readFileSync(slowPy, 'utf8').replace(/^(import [^\n]*\n)/m, '$1time.sleep(6)\n'));
      const small = {
        anchor: counting.family,
        budgetGpuHours: 1,
        gpus: 1,
        retimeRuns: 2,
        // With 2 runs the val-loss t-test has one degree of freedom: at 0.01 about 1 submission in
        // 130 of the fixture (loss 3.25 ± 0.0005 vs 3.28) reads "not shown below" (seen: p=0.0105).
        alpha: 0.05,
        reference: 'calibration',
        confirmCandidates: 1,
        confirmRuns: 2,
        fleet: true,
      } as const;
      const sleeper: SessionSpecInput = { ...small, agent: 'command', agentCommand: ['sleep', '600'] };
      const checkpointEvery = 0.1; // minutes: fleet-g's workspace is checkpointed every 6 s on node a

      const handles = new Map<string, WorkflowHandle<typeof benchmarkSession>>();
      const firstNode = new Map<string, string>();
      for (const [id, spec] of [
        ['fleet-t', { ...small, agent: 'replay' }],
        ['fleet-f1', sleeper],
        ['fleet-f2', sleeper],
        ['fleet-g', { ...sleeper, workspaceCheckpointMinutes: checkpointEvery }],
      ] as [string, SessionSpecInput][]) {
        const handle = await startSession(h.client, spec, id);
        handles.set(id, handle);
        firstNode.set(id, await eventually(`${id} placed`, async () => (await sessionQueries.status(handle)).fleet?.node, 60_000, 250));
      }
      // Balanced: each placed on the node with the most GPUs free (ties by name).
      assert.deepEqual(Object.fromEntries(firstNode), { 'fleet-t': 'a', 'fleet-f1': 'b', 'fleet-f2': 'c', 'fleet-g': 'a' });
      const view = await listNodes(h.client);
      assert.deepEqual(
        view.nodes.map((n) => [n.name, n.freeGpus, n.sessions]),
        [
          ['a', 0, ['fleet-g', 'fleet-t']],
          ['b', 1, ['fleet-f1']],
          ['c', 1, ['fleet-f2']],
        ],
      );

      // The activity-level fence: a task of fleet-f1 (placed on b) that reaches node a's worker runs nothing there.
      let ran = 0;
      const onNodeOf = (node: string) =>
        new MockActivityEnvironment(undefined, {
          logger: new DefaultLogger('ERROR'),
          interceptors: [
            fencingInterceptor(
              h.client,
              node,
              () => false,
              () => undefined,
            ),
          ],
        });
      const task = async (_: { session: { sessionId: string; spec: { fleet: boolean } } }) => void (ran += 1);
      const f1Task = { session: { sessionId: 'fleet-f1', spec: { fleet: true } } };
      await assert.rejects(onNodeOf('a').run(task, f1Task), /fenced: session fleet-f1 is not placed on node a \(it is on b\)/);
      assert.equal(ran, 0, 'the fenced task did not run');
      await onNodeOf('b').run(task, f1Task);
      assert.equal(ran, 1, 'on its own node it runs');

      // Node a's workspaces are on its own disk: each gets a file before its first checkpoint.
      for (const id of ['fleet-t', 'fleet-g']) {
        await eventually(`${id}'s workspace on node a`, async () => existsSync(onA(id, 'train_gpt.py')), 60_000, 100);
        writeFileSync(onA(id, 'before.txt'), 'written before the checkpoint\n');
        assert.ok(!existsSync(layout.workspace(id)), `${id}'s workspace is not in the shared home`);
      }
      const beforeWrittenAt = new Date().toISOString();

      // Node a dies while fleet-t's first candidate is being timed and fleet-g's agent works.
      const runRecord = (i: number) => join(layout.run('fleet-t', 'sub-001', i), 'procs', 'run.json');
      const inFlight = await eventually(
        'a timed run of fleet-t in flight on node a',
        async () => [0, 1].find((i) => existsSync(runRecord(i)) && !existsSync(runRecord(i).replace(/\.json$/, '.exit'))),
        180_000,
        100,
      );
      const gProcs = join(layout.agentState('fleet-g'), 'procs');
      await eventually('fleet-g agent running', async () => existsSync(join(gProcs, 'agent-1.pid')) && existsSync(join(gProcs, 'agent-1.json')), 60_000);
      await new Promise((r) => setTimeout(r, 2000)); // well into the run (it sleeps 6 s before training)
      // fleet-t's submit was checkpointed, fleet-g's workspace on its timer; a file written after fleet-t's checkpoint is lost with the node.
      const lastCheckpoint = async (id: string) => (await sessionQueries.status(handles.get(id)!)).fleet?.workspace?.last;
      assert.equal((await eventually("fleet-t's submit checkpointed", () => lastCheckpoint('fleet-t'), 30_000, 100)).reason, 'submit sub-001');
      await eventually('fleet-g checkpointed after before.txt', async () => ((await lastCheckpoint('fleet-g'))?.takenAt ?? '') > beforeWrittenAt);
      assert.equal((await lastCheckpoint('fleet-g'))?.reason, 'every 0.1 min');
      writeFileSync(onA('fleet-t', 'after.txt'), 'written after the checkpoint\n');
      nodes.get('a')!.kill('SIGKILL');
      const killedAtMs = Date.now();
      // Its sandbox processes die with it; one, fleet-g's agent, only freezes, as on a hung host:
      // the node must end it itself when it comes back.
      const leftover = processesOf(h.home, 'a').find((p) => p.file.includes('fleet-g') && p.name === 'agent-1')!;
      for (const p of processesOf(h.home, 'a')) signalGroups(p, p === leftover || p.file === leftover.file ? 'SIGSTOP' : 'SIGKILL');
      await new Promise((r) => nodes.get('a')!.once('exit', r));

      for (const id of ['fleet-t', 'fleet-g']) {
        const moved = await eventually(
          `${id} moved off node a`,
          async () => {
            const s = await sessionQueries.status(handles.get(id)!);
            return s.fleet?.node && s.fleet.node !== 'a' ? s.fleet : null;
          },
          90_000,
          250,
        );
        assert.equal(moved.moves.length, 1);
        assert.equal(moved.moves[0].from, 'a');
        assert.ok(moved.moves[0].lastSeenMs <= killedAtMs, 'last seen before the kill');
      }
      const agent2 = join(layout.agentState('fleet-g'), 'procs', 'agent-2.json');
      await eventually('fleet-g agent relaunched on its new node', async () => existsSync(agent2), 60_000);
      // Each workspace was laid out on its new node (which shares the home) from its last checkpoint before the agent came back.
      for (const id of ['fleet-t', 'fleet-g']) {
        const { node, workspace: ws } = await eventually(
          `${id}'s workspace restored`,
          async () => {
            const f = (await sessionQueries.status(handles.get(id)!)).fleet!;
            return f.workspace?.restores.length ? f : null;
          },
          60_000,
          250,
        );
        assert.equal(ws!.nodeLocal, false, `${id} now works in the shared home`);
        assert.equal(ws!.last?.node, 'a');
        assert.deepEqual(
          ws!.restores.map((r) => [r.checkpoint, r.node, r.takenAt, r.putBack]),
          [[ws!.last.number, node, ws!.last.takenAt, []]],
          `${id} restored its last checkpoint: ${JSON.stringify(ws)}`,
        );
        assert.ok(existsSync(join(layout.workspace(id), 'before.txt')), `${id}: the file written before the checkpoint is there`);
      }
      assert.ok(!existsSync(join(layout.workspace('fleet-t'), 'after.txt')), 'fleet-t: the file written after its checkpoint is not');
      assert.ok(existsSync(join(layout.workspace('fleet-t'), 'submissions', 'replay_01_01_faster', 'train_gpt.py')), 'its submitted folder is there');
      assert.ok(existsSync(layout.submittedCopy('fleet-t', (await sessionQueries.submissions(handles.get('fleet-t')!))[0].contentHash)), 'kept at submit');
      const agent2Cwd = readlinkSync(`/proc/${JSON.parse(readFileSync(agent2, 'utf8')).pid}/cwd`);
      assert.equal(agent2Cwd, layout.workspace('fleet-g'), "fleet-g's agent works in the restored folder");
      assert.ok(alive(leftover.pid), 'the frozen leftover is still there before node a returns');

      // Node a comes back: it ends its leftovers of the sessions that moved, and runs nothing of them.
      const restartedAtMs = Date.now();
      spawnNode('a');
      await eventually('the leftover ended by node a', async () => !alive(leftover.pid), 60_000, 250);
      assert.ok(alive(JSON.parse(readFileSync(agent2, 'utf8')).pid), "fleet-g's relaunched agent, on another node, is untouched");

      // Only node a has room: two new sessions work on its disk. fleet-h's workspace goes to the
      // shared home when it ends; fleet-i's agent ignores SIGTERM, so its stop is still waiting out
      // the grace period when node a is lost again.
      handles.set('fleet-h', await startSession(h.client, { ...sleeper, agentCommand: ['sh', '-c', 'echo done > end.txt; exec sleep 600'] }, 'fleet-h'));
      const stubborn = ['sh', '-c', "trap 'echo > term.txt' TERM; echo > up.txt; while :; do sleep 0.2; done"];
      handles.set('fleet-i', await startSession(h.client, { ...sleeper, agentCommand: stubborn, agentStopGraceSeconds: 300 }, 'fleet-i'));
      await eventually("fleet-h's agent at work on node a", async () => existsSync(onA('fleet-h', 'end.txt')), 90_000, 250);
      await eventually("fleet-i's agent at work on node a", async () => existsSync(onA('fleet-i', 'up.txt')), 90_000, 250);

      const tSummary = await handles.get('fleet-t')!.result();
      const summaries = new Map([['fleet-t', tSummary]]);
      await stopSession(handles.get('fleet-h')!, 'test done');
      summaries.set('fleet-h', await handles.get('fleet-h')!.result());
      const hEnd = summaries.get('fleet-h')!.fleet!.workspace!;
      assert.deepEqual([hEnd.nodeLocal, hEnd.last?.reason, hEnd.last?.node], [true, 'session end', 'a']);
      assert.ok((await readManifest(layout.checkpoints('fleet-h'), hEnd.last!.number))!.files.some((f) => f.path === 'end.txt'));

      // Node a dies while fleet-i finishes: it finishes on a node that has room (fleet-t's, now free).
      await stopSession(handles.get('fleet-i')!, 'test done');
      await eventually("fleet-i's stop under way", async () => existsSync(onA('fleet-i', 'term.txt')), 60_000, 100);
      assert.equal((await sessionQueries.status(handles.get('fleet-i')!)).phase, 'finishing');
      nodes.get('a')!.kill('SIGKILL');
      const killedAgainAtMs = Date.now();
      for (const p of processesOf(h.home, 'a')) if (p.startedAtMs >= restartedAtMs) signalGroups(p, 'SIGKILL');
      const iSummary = await Promise.race([
        handles.get('fleet-i')!.result(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('fleet-i did not finish within 120 s of losing its node')), 120_000).unref()),
      ]);
      summaries.set('fleet-i', iSummary);
      const iEndedS = (Date.now() - killedAgainAtMs) / 1000;
      assert.equal(iSummary.endReason, 'stopped: test done');
      assert.deepEqual(
        iSummary.fleet!.moves.map((m) => [m.from, m.to, m.lastSeenMs <= killedAgainAtMs]),
        [['a', tSummary.fleet!.node, true]],
      );
      // Its workspace was on node a's disk: the checkpoint the session started with stands.
      assert.equal(iSummary.fleet!.workspace!.last, null);

      for (const id of ['fleet-f1', 'fleet-f2', 'fleet-g']) await stopSession(handles.get(id)!, 'test done');
      for (const id of ['fleet-f1', 'fleet-f2', 'fleet-g']) summaries.set(id, await handles.get(id)!.result());

      // The new workflow paths (restores, checkpoint timers, the patch marker) replay as they ran.
      const bundle = { workflowBundle: { codePath: join(repoRoot(), 'dist', 'workflow-bundle.js') } };
      for (const id of ['fleet-t', 'fleet-g']) await Worker.runReplayHistory(bundle, await handles.get(id)!.fetchHistory(), id);

      const ranOnAAfter = processesOf(h.home, 'a').filter((p) => p.startedAtMs >= restartedAtMs && /fleet-[tg]\b/.test(p.file));
      assert.deepEqual(ranOnAAfter, [], 'node a ran nothing of the sessions that moved');

      // fleet-t: every submission validated once to a verdict, the run in flight on node a started again elsewhere.
      assert.equal(tSummary.endReason, 'agent finished');
      const subs = await sessionQueries.submissions(handles.get('fleet-t')!);
      assert.deepEqual(tSummary.submissions, { accepted: 2 }, JSON.stringify(subs.map((s) => [s.id, s.state, s.reason, s.verdict?.reasons])));
      assert.deepEqual(
        subs.map((s) => [s.id, s.verdict?.runs.length]),
        [
          ['sub-001', 2],
          ['sub-002', 2],
        ],
      );
      const starts = counting.starts();
      const killedRun = join(layout.run('fleet-t', 'sub-001', inFlight), 'work');
      assert.equal(starts.get(killedRun), 2, 'the run in flight was started again on the new node');
      assert.ok(existsSync(`${layout.run('fleet-t', 'sub-001', inFlight)}.lost-1`), 'the lost run is set aside');
      // Validated once each: the timing on node a was given up with it, not completed (the runs
      // of a validation are one activity of the session's history: workflows/validationLoop.ts).
      const timings: string[] = [];
      for await (const wf of h.client.workflow.list({ query: `WorkflowId = 'fleet-t'` })) {
        const events = (await h.client.workflow.getHandle('fleet-t', wf.runId).fetchHistory()).events ?? [];
        const scheduled = new Set(
          events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'timeOnExclusiveGpus').map((e) => String(e.eventId)),
        );
        for (const e of events) if (scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId))) timings.push(String(e.eventId));
      }
      assert.equal(timings.length, 2, 'one completed timing for each of the two submissions');

      // Charged against held, per session, from the sandboxes' own records (node a's cut at its death).
      const lost = { node: 'a', atMs: killedAtMs };
      const tTruth = sandboxGpuSeconds('fleet-t', 1, lost);
      const tRuns = (tSummary.budget.byCategory.calibration + tSummary.budget.byCategory.validation + tSummary.budget.byCategory.confirmation) * 3600;
      console.log(
        `fleet-t: runs charged ${tRuns.toFixed(2)} GPU-s, held ${tTruth.runs.toFixed(2)}; lost with node a ${tTruth.lostRuns.toFixed(2)} GPU-s (not charged)`,
      );
      assert.ok(Math.abs(tRuns - tTruth.runs) <= HEARTBEAT_S, `fleet-t runs charged ${tRuns.toFixed(2)} GPU-s, held ${tTruth.runs.toFixed(2)}`);
      assert.ok(tTruth.lostRuns > 0);
      for (const id of ['fleet-g', 'fleet-f1', 'fleet-i']) {
        const s = summaries.get(id)!;
        const truth = sandboxGpuSeconds(id, 1, id === 'fleet-i' ? { node: 'a', atMs: killedAgainAtMs } : lost);
        const charged = s.budget.byCategory.agent * 3600;
        const moves = s.fleet?.moves ?? [];
        const downS = moves.reduce((a, m) => a + ((m.placedAtMs ?? m.lastSeenMs) - m.lastSeenMs) / 1000, 0);
        console.log(`${id}: agent charged ${charged.toFixed(2)} GPU-s, held ${truth.agent.toFixed(2)}; node loss to new placement ${downS.toFixed(1)} s`);
        assert.ok(Math.abs(charged - truth.agent) <= HEARTBEAT_S, `${id} agent charged ${charged.toFixed(2)} GPU-s, held ${truth.agent.toFixed(2)}`);
      }
      assert.equal(summaries.get('fleet-g')!.agentLaunches, 2);
      // The figures of bench/RESULTS.md: from the kill to each session progressing again.
      const gMove = summaries.get('fleet-g')!.fleet!.moves[0];
      const rerun = JSON.parse(readFileSync(runRecord(inFlight), 'utf8')) as { startedAtMs: number };
      const agentBack = JSON.parse(readFileSync(agent2, 'utf8')) as { startedAtMs: number };
      const gTruth = sandboxGpuSeconds('fleet-g', 1, lost);
      console.log(
        `figures: loss declared ${((gMove.lostAtMs - killedAtMs) / 1000).toFixed(1)} s after the kill (limit ${LOSS_S} s, heartbeat ${HEARTBEAT_S} s); ` +
          `fleet-t's lost run started again ${((rerun.startedAtMs - killedAtMs) / 1000).toFixed(1)} s after the kill, fleet-g's agent relaunched ${((agentBack.startedAtMs - killedAtMs) / 1000).toFixed(1)} s after; ` +
          `GPU-s lost: fleet-t run ${tTruth.lostRuns.toFixed(2)}, fleet-g agent held but not charged ${(gTruth.agent - summaries.get('fleet-g')!.budget.byCategory.agent * 3600).toFixed(2)}; ` +
          `node a lost again while fleet-i finished: placed again ${((iSummary.fleet!.moves[0].placedAtMs! - killedAgainAtMs) / 1000).toFixed(1)} s after the kill, ended ${iEndedS.toFixed(1)} s after`,
      );
      assert.deepEqual(
        (await listNodes(h.client)).nodes.map((n) => [n.name, n.state, n.freeGpus]),
        [
          ['a', 'lost', 0],
          ['b', 'up', 2],
          ['c', 'up', 2],
        ],
      );
    },
  );
});
