import { missing } from '../helpers/missing';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DockerSandbox, containerName } from '../../src/sandbox/docker';
import type { SandboxSpec } from '../../src/sandbox/sandbox';
import { pausesFile } from '../../src/sandbox/procs/records';
import { timingActivities } from '../../activities/timing';
import { agentActivities } from '../../activities/agent';
import Docker from 'dockerode';
import type { ActivityDeps } from '../../activities/deps';
import type { SessionRef } from '../../src/domain/session';
import type { RunResult } from '../../src/domain/verdict';
import { parseSessionSpec } from '../../src/domain/spec';
import { layout } from '../../src/files/layout';
import { FASTRUN, eventually } from '../helpers/harness';
import { grantableUlimits, removeSessionContainers, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';

/**
 * A sandbox's container dying under the harness, as the fault suite strikes it (`docker kill`
 * from outside, the engine restarted): what the Docker sandbox and a timed run make of it.
 */
describe('the Docker sandbox when its container dies', { timeout: 20 * 60_000 }, () => {
  let engine: TestEngine;
  let image: string;
  let skip: string | false = false;
  const home = mkdtempSync(join(tmpdir(), 'docker-killed-'));
  const sessionId = `docker-killed-${process.pid}`;
  let sb: DockerSandbox;

  before(
    async () => {
      const r = await engineAndImage();
      if ('unavailable' in r) return void (skip = r.unavailable);
      ({ engine, image } = r);
      process.env.NANOGPT_BENCH_HOME = home;
      sb = new DockerSandbox({ docker: engine.docker, image, gpus: 'none', ulimits: grantableUlimits() });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    if (engine) await removeSessionContainers(engine.docker, sessionId);
    await sb?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('a paused sandbox whose container was stopped comes back paused until resumed; its process ended when the container did', async (t) => {
    if (skip) return missing(t, skip);
    const stateDir = join(home, 'agent');
    const spec: SandboxSpec = {
      labels: { sessionId, role: 'agent' },
      workspaceDir: join(stateDir, 'ws'),
      dataDir: null,
      relayDir: null,
      stateDir,
      gpus: 1,
      egress: [],
    };
    const h = await sb.ensure(spec);
    await sb.start(h, { name: 'agent-1', argv: ['sleep', '600'] });
    await eventually('agent-1 running', async () => (await sb.status(h, 'agent-1')).state === 'running');
    // A validation pauses the agent; then the engine stops its containers (a restart).
    await sb.pause(h);
    await engine.docker.getContainer(h.id).kill();
    const finished = Date.parse((await engine.docker.getContainer(h.id).inspect()).State.FinishedAt);

    const again = await sb.ensure(spec);
    assert.equal((await engine.docker.getContainer(h.id).inspect()).State.Paused, true, 'started again, and paused again: the validation holds its GPUs');
    const st = await sb.status(again, 'agent-1');
    assert.equal(st.state === 'exited' && st.lost, true, 'agent-1 died with its container');
    assert.equal(st.state === 'exited' && st.endedAtMs, finished, "it ended when its container did, by the engine's record");
    assert.equal(st.state === 'exited' && st.endRecorded, true, 'and says that end is a record, not when the loss was noticed');
    assert.equal(Number(readFileSync(join(stateDir, 'procs', 'agent-1.lost'), 'utf8')), finished, 'and the sandbox noted it on disk');

    await sb.resume(again);
    assert.equal((await engine.docker.getContainer(h.id).inspect()).State.Paused, false);
    assert.match(readFileSync(pausesFile(stateDir), 'utf8'), /^pause \d+\nresume \d+\n$/);
    await sb.start(again, { name: 'agent-2', argv: ['true'] });
    await eventually('agent-2 exited', async () => (await sb.status(again, 'agent-2')).state === 'exited');
  });

  const frozenDir = join(home, 'frozen');
  const sessionRef = (): SessionRef => ({
    sessionId,
    spec: parseSessionSpec({
      agent: 'command',
      agentCommand: ['true'],
      anchor: FASTRUN,
      budgetGpuHours: 1,
      gpus: 1,
      sandbox: 'docker',
      image,
      runTimeoutSeconds: 300,
    }),
    workspace: {
      dir: join(home, 'ws'),
      sandboxRoot: '/workspace',
      anchorDir: frozenDir,
      dataDir: layout.data(),
      historyDir: join(FASTRUN, 'records'),
      replayRecords: [],
      targetValLoss: 3.28,
      horizonSpeedupSeconds: 63,
      horizonDir: null,
    },
  });

  it('a timed run whose container is killed from outside is set aside and run again, not judged "killed"', async (t) => {
    if (skip) return missing(t, skip);
    cpSync(join(FASTRUN, 'records', '02_fastest'), frozenDir, { recursive: true });
    mkdirSync(layout.data(), { recursive: true });
    const session = sessionRef();
    const deps = { client: null, sandboxes: { docker: sb } } as unknown as ActivityDeps;
    const runDir = layout.run(sessionId, 'sub-001', 0);
    const timing = new MockActivityEnvironment().run(timingActivities(deps).timeRun, { session, subject: 'sub-001', frozenDir, runIndex: 0 });
    await eventually(
      'the run in flight',
      async () => existsSync(join(runDir, 'procs', 'run.pid')) && !existsSync(join(runDir, 'procs', 'run.exit')),
      120_000,
      20,
    );
    await engine.docker.getContainer(containerName({ sessionId, role: 'validation', subject: 'sub-001', runIndex: 0 })).kill();
    const result = (await timing) as RunResult;
    assert.equal(result.invalidReason, null, 'the run started again and counted');
    assert.ok(existsSync(join(`${runDir}.lost-1`, 'procs', 'run.lost')), 'the lost run is set aside, with when it ended');
    assert.ok(existsSync(join(runDir, 'procs', 'run.exit')), 'the run that counts wrote its own exit line');
  });

  it('pausing the agent waits for an engine that is restarting, instead of spending its retries', async (t) => {
    if (skip) return missing(t, skip);
    await removeSessionContainers(engine.docker, sessionId);
    // The worker's engine socket, not there yet (the engine is down); it comes back 2 s later.
    const socket = join(home, 'engine.sock');
    const down = new DockerSandbox({ docker: new Docker({ socketPath: socket }), image, gpus: 'none', ulimits: grantableUlimits() });
    const deps = { client: null, sandboxes: { docker: down } } as unknown as ActivityDeps;
    const pausing = new MockActivityEnvironment().run(agentActivities(deps).pauseAgent, { session: sessionRef() });
    const back = new Promise((r) => setTimeout(r, 2000)).then(() => symlinkSync(engine.socketPath, socket));
    await Promise.all([pausing, back]);
    const agent = await engine.docker.getContainer(containerName({ sessionId, role: 'agent' })).inspect();
    assert.equal(agent.State.Paused, true, 'paused once the engine answered');
    await down.close();
  });

  it('a container whose folders were set aside is made again around the new ones; a process started in a stopped one starts it first', async (t) => {
    if (skip) return missing(t, skip);
    const stateDir = join(home, 'runs-aside', '0');
    const spec: SandboxSpec = {
      labels: { sessionId, role: 'validation', subject: 'aside', runIndex: 0 },
      workspaceDir: join(stateDir, 'work'),
      dataDir: null,
      relayDir: null,
      stateDir,
      gpus: 1,
      egress: [],
    };
    const h = await sb.ensure(spec);
    await engine.docker.getContainer(h.id).kill();
    // Stopped since ensured: the start brings it up again instead of failing on the engine's 409.
    await sb.start(h, { name: 'first', argv: ['true'] });
    await eventually('first exited', async () => (await sb.status(h, 'first')).state === 'exited');
    await engine.docker.getContainer(h.id).kill();
    renameSync(stateDir, `${stateDir}.lost-1`);
    const again = await sb.ensure(spec);
    await sb.start(again, { name: 'run', argv: ['true'] });
    await eventually('run exited', async () => (await sb.status(again, 'run')).state === 'exited');
    assert.ok(existsSync(join(stateDir, 'procs', 'run.exit')), "the new folder's process wrote its exit line there");
    assert.ok(!existsSync(join(`${stateDir}.lost-1`, 'procs', 'run.exit')), 'nothing of it reached the folder set aside');
  });
});
