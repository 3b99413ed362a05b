import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableSandboxes } from '../../src/sandbox/backends';
import { DockerSandbox } from '../../src/sandbox/docker';
import { eventually } from '../helpers/harness';
import { testEngine } from '../helpers/dockerd';
import { missing } from '../helpers/missing';

/**
 * A worker started while its node's Docker Engine is down (restarting, or not up yet at boot)
 * offers Docker sessions once the engine answers: the fault suite saw a worker restarted during a
 * dockerd restart refuse every Docker session ("this worker has no docker sandbox") until its own
 * next restart. The engine "comes up" here as a socket that appears at DOCKER_HOST's path and
 * leads to the test's real engine.
 */
describe('a Docker Engine that answers only after the worker started', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-late-'));
  const lateSocket = join(dir, 'docker.sock');
  const savedHost = process.env.DOCKER_HOST;
  let relay: Server | null = null;

  after(() => {
    relay?.close();
    if (savedHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is offered once it answers, and reached through it', { timeout: 120_000 }, async (t) => {
    const engine = await testEngine();
    if ('unavailable' in engine) return missing(t, engine.unavailable);
    process.env.DOCKER_HOST = `unix://${lateSocket}`;
    const lines: string[] = [];
    const sandboxes = await availableSandboxes((m) => lines.push(m));
    assert.equal(sandboxes.docker, undefined, 'no engine answers yet');
    assert.ok(sandboxes.local, 'local is always offered');
    assert.match(lines.join('\n'), /no Docker sandbox on this worker yet .*asking again/);

    relay = createServer((c) => {
      const up = connect(engine.socketPath);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => relay!.listen(lateSocket, r));
    const docker = await eventually('the Docker sandbox offered', async () => sandboxes.docker, 30_000, 200);
    assert.ok(docker instanceof DockerSandbox);
    assert.match(lines.join('\n'), /docker sandbox available \(its engine answers now\)/);
    // It talks to the engine that came up: nothing of this made-up session is there to remove.
    assert.equal(await docker.removeSession(`engine-late-${process.pid}`), 0);
  });
});
