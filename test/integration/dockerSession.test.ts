import { missing } from '../helpers/missing';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { startSession, sessionQueries } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { DockerSandbox, LABEL, containerName } from '../../src/sandbox/docker';
import { stopProcess } from '../../src/temporal/devServer';
import { grantableUlimits, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { runExecStarts } from '../helpers/startCount';

const runDir = (sessionId: string, subject: string, i: number) => join(layout.run(sessionId, subject, i), 'procs');

async function sessionContainers(engine: TestEngine, sessionId: string): Promise<string[]> {
  const list = await engine.docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${sessionId}`] } });
  return list.map((c) => c.Names[0]);
}

describe('a session on Docker', { timeout: 20 * 60_000 }, () => {
  const h = new Harness();
  let skip: string | false = false;
  let engine: TestEngine;
  let image: string;
  before(
    async () => {
      const r = await engineAndImage();
      if ('unavailable' in r) return void (skip = r.unavailable);
      ({ engine, image } = r);
      await h.start();
      // The replay agent reads the fixture's record history: the worker mounts it read-only.
      const docker = new DockerSandbox({ docker: engine.docker, image, gpus: 'none', ulimits: grantableUlimits(), readOnlyMounts: [FASTRUN] });
      await h.inProcessWorker({ sandboxes: { docker } });
    },
    { timeout: 20 * 60_000 },
  );
  after(() => (skip ? undefined : h.stop()));

  it('replays the fixture history: agent sandbox, validation sandboxes, verdicts, nothing left behind', { timeout: 600_000 }, async (t) => {
    if (skip) return missing(t, skip);
    const handle = await startSession(
      h.client,
      {
        agent: 'replay',
        anchor: FASTRUN,
        budgetGpuHours: 1,
        gpus: 1,
        retimeRuns: 3,
        sandbox: 'docker',
        image,
        reference: 'calibration',
        confirmRuns: 2,
        confirmCandidates: 1,
      },
      'docker-replay-1',
    );
    const agentSandbox = await eventually(
      'the agent container',
      async () => {
        const names = await sessionContainers(engine, 'docker-replay-1');
        return names.find((n) => n.endsWith('.agent'));
      },
      300_000,
    );
    const info = await engine.docker.getContainer(agentSandbox.slice(1)).inspect();
    assert.equal(info.Config.User, '1000:1000');
    assert.ok(
      info.HostConfig.Binds?.some((b) => b.endsWith(':/run/nanogpt-bench:rw')),
      'the relay folder is mounted',
    );

    const summary = await handle.result();
    assert.equal(summary.endReason, 'agent finished');
    assert.deepEqual(summary.submissions, { accepted: 2 });
    assert.match(summary.best!.path, /02_fastest$/);
    const subs = await sessionQueries.submissions(handle);
    for (const s of subs) {
      assert.equal(s.verdict?.runs.length, 3);
      for (const r of s.verdict.runs) assert.equal(r.invalidReason, null);
      // Each timed run was an exec in a container of its own.
      for (let i = 0; i < 3; i++) assert.ok(JSON.parse(readFileSync(join(runDir('docker-replay-1', s.id, i), 'run.json'), 'utf8')).execId);
    }
    assert.match(
      readFileSync(join(layout.agentState('docker-replay-1'), 'procs', 'agent-1.out'), 'utf8'),
      /\[replay\] done: 01_faster=accepted, 02_fastest=accepted/,
    );
    assert.deepEqual(await sessionContainers(engine, 'docker-replay-1'), [], 'every container of the session is removed');
  });
});

describe('a Docker session whose worker is killed', { timeout: 20 * 60_000 }, () => {
  const h = new Harness();
  let skip: string | false = false;
  let engine: TestEngine;
  let image: string;
  const children = new Set<ChildProcess>();
  const spawnWorker = () => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'helpers', 'dockerWorker.js')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        NANOGPT_BENCH_HOME: h.home,
        DOCKER_WORKER_SOCKET: engine.socketPath,
        DOCKER_WORKER_IMAGE: image,
        DOCKER_WORKER_MOUNTS: FASTRUN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume();
    child.stderr.resume();
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  before(
    async () => {
      const r = await engineAndImage();
      if ('unavailable' in r) return void (skip = r.unavailable);
      ({ engine, image } = r);
      await h.start();
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    for (const c of children) await stopProcess(c, 3000);
    if (!skip) await h.stop();
  });

  it('the container keeps running, and the retried activity re-attaches to the same process', { timeout: 600_000 }, async (t) => {
    if (skip) return missing(t, skip);
    let worker = spawnWorker();
    const sessionId = 'docker-kill-1';
    const sinceS = Math.floor(Date.now() / 1000) - 1;
    const handle = await startSession(
      h.client,
      {
        agent: 'replay',
        anchor: FASTRUN,
        budgetGpuHours: 1,
        gpus: 1,
        retimeRuns: 3,
        sandbox: 'docker',
        image,
        reference: 'calibration',
        confirmRuns: 2,
        confirmCandidates: 1,
      },
      sessionId,
    );
    const inFlight = await eventually(
      'a timed run in flight',
      async () => {
        for (let i = 0; i < 3; i++) {
          const dir = runDir(sessionId, 'sub-001', i);
          if (existsSync(join(dir, 'run.json')) && existsSync(join(dir, 'run.pid')) && !existsSync(join(dir, 'run.exit'))) {
            return { i, execId: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).execId as string };
          }
        }
        return null;
      },
      300_000,
      50,
    );
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const name = containerName({ sessionId, role: 'validation', subject: 'sub-001', runIndex: inFlight.i });
    const c = await engine.docker.getContainer(name).inspect();
    assert.equal(c.State.Running, true, 'the run container outlives the worker');

    worker = spawnWorker();
    const summary = await handle.result();
    // Counted by the engine, outside the sandbox: a second start would be a second exec of run.sh.
    // (The exec id in the record and the log, truncated on each start, could not tell.)
    assert.equal(await runExecStarts(engine.docker, name, sinceS), 1, 'the run under the killed worker was started once');
    for (let i = 0; i < 3; i++)
      assert.equal(
        await runExecStarts(engine.docker, containerName({ sessionId, role: 'validation', subject: 'sub-002', runIndex: i }), sinceS),
        1,
        `sub-002 run ${i} started once`,
      );
    assert.equal(summary.endReason, 'agent finished');
    assert.deepEqual(summary.submissions, { accepted: 2 });
    const subs = await sessionQueries.submissions(handle);
    assert.equal(subs[0].verdict?.runs.length, 3);
    assert.deepEqual(readdirSync(join(layout.submission(sessionId, 'sub-001'), 'runs')).sort(), ['0', '1', '2']);
    assert.deepEqual(await sessionContainers(engine, sessionId), []);
  });
});
