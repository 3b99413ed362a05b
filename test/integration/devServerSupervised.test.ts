import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSupervisedDevServer, type SupervisedDevServer } from '../../src/temporal/devServer';
import { fillDisk } from '../helpers/fillDisk';
import { missing } from '../helpers/missing';

/**
 * `up` keeps its Temporal dev server up: the fault suite's full form saw a server restarted while
 * NANOGPT_BENCH_HOME's disk was full exit at once, and every session stood still behind it. A
 * supervised server is started again on its database file whenever its process exits, until one
 * answers, and the workflows on the file are all still there.
 */
describe('a supervised Temporal dev server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dev-server-supervised-'));
  const servers: SupervisedDevServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    spawnSync('umount', ['-l', join(dir, 'small')]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function startWithAWorkflow(dbDir: string) {
    const exits: string[] = [];
    const failedStarts: string[] = [];
    const server = await startSupervisedDevServer(
      { dbFile: join(dbDir, 'temporal.db'), headless: true, logFile: join(dir, 'server.log') },
      (_c, how) => exits.push(how),
      (err) => failedStarts.push(err.message),
    );
    servers.push(server);
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    // Nobody polls this queue: the run stays open, as a session would.
    await client.workflow.start('anything', { taskQueue: 'nobody-polls', workflowId: `kept-${process.pid}`, args: [] });
    return { server, client, exits, failedStarts };
  }

  async function stillThere(client: Client): Promise<string> {
    const d = await client.workflow.getHandle(`kept-${process.pid}`).describe();
    return d.status.name;
  }

  it('comes back after a SIGKILL, on the same file and address', { timeout: 120_000 }, async () => {
    const { server, client, exits, failedStarts } = await startWithAWorkflow(join(dir, 'plain'));
    const first = server.process;
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await server.up();
    assert.notEqual(server.process.pid, first.pid, 'a new server process');
    assert.deepEqual(exits, ['signal SIGKILL']);
    assert.deepEqual(failedStarts, []);
    assert.equal(await stillThere(client), 'RUNNING');
    await client.connection.close();
  });

  it('keeps trying while its disk is full, and comes back once there is room', { timeout: 180_000 }, async (t) => {
    const small = join(dir, 'small');
    mkdirSync(small, { recursive: true });
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', small], { encoding: 'utf8' });
    if (m.status !== 0) return missing(t, `a small tmpfs for the database needs root: ${(m.stderr || '').trim()}`);
    const { server, client, exits, failedStarts } = await startWithAWorkflow(small);
    const first = server.process;
    // Full while the server is down: the next start fails at once (its cluster metadata cannot be written).
    const filled = fillDisk(small, 12_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await server.up();
    await filled;
    assert.deepEqual(exits, ['signal SIGKILL']);
    assert.ok(failedStarts.length >= 1, 'a start while the disk was full did not come up, and was tried again');
    assert.match(failedStarts[0], /exited with/);
    assert.equal(await stillThere(client), 'RUNNING');
    await client.connection.close();
  });
});
