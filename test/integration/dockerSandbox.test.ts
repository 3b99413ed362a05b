import { missing } from '../helpers/missing';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerSandbox, containerName, LABEL } from '../../src/sandbox/docker';
import type { SandboxSpec } from '../../src/sandbox/sandbox';
import { assessRun } from '../../activities/timing';
import { sandboxConformance } from '../helpers/sandboxConformance';
import { exitedStatus } from '../helpers/sandboxWait';
import { grantableUlimits, removeSessionContainers, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { eventually } from '../helpers/harness';

function sandboxFor(engine: TestEngine, image: string, extra: Partial<ConstructorParameters<typeof DockerSandbox>[0]> = {}): DockerSandbox {
  return new DockerSandbox({ docker: engine.docker, image, gpus: 'none', ulimits: grantableUlimits(), ...extra });
}

let made: { engine: TestEngine; image: string } | null = null;
sandboxConformance('docker', {
  make: async () => {
    const r = await engineAndImage();
    if ('unavailable' in r) return r;
    made = r;
    return sandboxFor(r.engine, r.image);
  },
  // A new engine client as well: a worker that came back shares nothing with the one that died.
  again: () => sandboxFor({ docker: new Docker({ socketPath: made!.engine.socketPath }), socketPath: made!.engine.socketPath }, made!.image),
});

describe('DockerSandbox: what only a container gives', { timeout: 20 * 60_000 }, () => {
  let engine: TestEngine;
  let image: string;
  let skip: string | false = false;
  const root = mkdtempSync(join(tmpdir(), 'docker-only-'));
  const sessionId = `docker-only-${process.pid}`;

  before(
    async () => {
      const r = await engineAndImage();
      if ('unavailable' in r) skip = r.unavailable;
      else ({ engine, image } = r);
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    if (engine) await removeSessionContainers(engine.docker, sessionId);
    rmSync(root, { recursive: true, force: true });
  });

  const spec = (subject: string, extra: Partial<SandboxSpec> = {}): SandboxSpec => ({
    labels: { sessionId, role: 'validation', subject, runIndex: 0 },
    workspaceDir: join(root, subject, 'work'),
    dataDir: null,
    relayDir: null,
    stateDir: join(root, subject),
    gpus: 1,
    egress: [],
    ...extra,
  });
  const exited = exitedStatus;

  it('a run over its memory limit is judged "killed for exceeding its memory limit"', { timeout: 180_000 }, async (t) => {
    if (skip) return missing(t, skip);
    const sb = sandboxFor(engine, image);
    const h = await sb.ensure(spec('oom', { memoryBytes: 256 * 1024 * 1024 }));
    const hog =
      'print("step:0/10 val_loss:4.0000 train_time:0ms step_avg:0.00ms", flush=True); x = bytearray(1 << 30); x[::4096] = b"x" * len(x[::4096]); print("survived")';
    await sb.start(h, { name: 'run', argv: ['python3', '-c', hog] });
    const st = await exited(sb, h, 'run');
    assert.equal(st.signal, 'SIGKILL');
    assert.equal(st.oomKilled, true);
    const result = assessRun(0, st, readFileSync(sb.outputPath(h, 'run')), null, 1);
    assert.equal(result.invalidReason, 'killed for exceeding its memory limit');
    await sb.remove(h);
  });

  it('runs as a non-root user, offline, with the labels that find it again', async (t) => {
    if (skip) return missing(t, skip);
    const sb = sandboxFor(engine, image);
    const s = spec('shape');
    const h = await sb.ensure(s);
    await sb.start(h, {
      name: 'look',
      argv: ['bash', '-c', 'id -u; ls /sys/class/net; python3 -c "import socket; socket.create_connection((\'192.0.2.1\', 80), timeout=2)" 2>&1 | tail -1'],
    });
    const st = await exited(sb, h, 'look');
    assert.equal(st.exitCode, 0);
    const [uid, nets, connect] = readFileSync(sb.outputPath(h, 'look'), 'utf8').trim().split('\n');
    assert.equal(uid, '1000');
    assert.equal(nets, 'lo', 'network none: a loopback device only');
    assert.match(connect, /Network is unreachable|OSError/);
    const info = await engine.docker.getContainer(containerName(s.labels)).inspect();
    assert.equal(info.Config.Labels[LABEL.session], sessionId);
    assert.equal(info.Config.Labels[LABEL.subject], 'shape');
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL'], 'every capability dropped');
    assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges'), `SecurityOpt: ${info.HostConfig.SecurityOpt}`);
    assert.ok((info.HostConfig.PidsLimit ?? 0) > 0, `a pids limit is set: ${info.HostConfig.PidsLimit}`);
    await sb.remove(h);
  });

  it('a container that vanished is made again around the workspace on disk', async (t) => {
    if (skip) return missing(t, skip);
    const sb = sandboxFor(engine, image);
    const s = spec('vanish');
    const h = await sb.ensure(s);
    await sb.start(h, { name: 'first', argv: ['bash', '-c', 'echo before > note.txt; sleep 60'] });
    await eventually('the note', async () => readFileSync(join(s.workspaceDir, 'note.txt'), 'utf8').includes('before'));
    const oldId = (await engine.docker.getContainer(h.id).inspect()).Id;
    await engine.docker.getContainer(h.id).remove({ force: true });
    const gone = await exited(sb, h, 'first');
    assert.equal(gone.signal, 'SIGKILL', 'a process whose container vanished reads as killed');
    const h2 = await sb.ensure(s);
    assert.notEqual((await engine.docker.getContainer(h2.id).inspect()).Id, oldId);
    await sb.start(h2, { name: 'second', argv: ['cat', 'note.txt'] });
    const st = await exited(sb, h2, 'second');
    assert.equal(st.exitCode, 0);
    assert.equal(readFileSync(sb.outputPath(h2, 'second'), 'utf8'), 'before\n');
    await sb.remove(h2);
  });

  it('a stopped container (engine or host restarted) starts again, its old processes read as killed', async (t) => {
    if (skip) return missing(t, skip);
    const sb = sandboxFor(engine, image);
    const s = spec('stopped');
    const h = await sb.ensure(s);
    await sb.start(h, { name: 'old', argv: ['sleep', '60'] });
    await eventually('running', async () => (await sb.status(h, 'old')).state === 'running');
    await engine.docker.getContainer(h.id).stop({ t: 0 });
    assert.equal((await exited(sb, h, 'old')).exitCode, null);
    await sb.ensure(s);
    assert.equal((await engine.docker.getContainer(h.id).inspect()).State.Running, true);
    await sb.start(h, { name: 'new', argv: ['true'] });
    assert.equal((await exited(sb, h, 'new')).exitCode, 0);
    await sb.remove(h);
  });

  it('in a fleet sharing one engine, each node finds, follows and fences only its own containers', async (t) => {
    if (skip) return missing(t, skip);
    const [a, b] = ['a', 'b'].map((node) => sandboxFor(engine, image, { node }));
    const s = spec('fleet');
    const ha = await a.ensure(s);
    await a.start(ha, { name: 'run', argv: ['sleep', '60'] });
    await eventually('running on node a', async () => (await a.status(ha, 'run')).state === 'running');
    // The session moved to node b, which shares the engine and the state folder.
    const hb = await b.ensure(s);
    assert.notEqual(hb.id, ha.id, 'a container of its own on node b');
    const seenFromB = await b.status(hb, 'run');
    assert.equal(seenFromB.state === 'exited' && seenFromB.lost, true, "node a's process reads as lost from node b");
    await b.signal(hb, 'run', 'SIGKILL');
    assert.equal((await a.status(ha, 'run')).state, 'running', 'node b signals nothing of node a');
    // Node a comes back and fences the session: its container goes, node b's stays.
    assert.equal(await a.removeSession(sessionId), 1);
    assert.equal((await engine.docker.getContainer(hb.id).inspect()).State.Running, true);
    assert.equal(
      (await engine.docker
        .getContainer(ha.id)
        .inspect()
        .catch(() => null)) ?? 'gone',
      'gone',
    );
    await b.remove(hb);
  });
});
