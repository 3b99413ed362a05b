import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSandbox, SANDBOX_MARK } from '../../src/sandbox/local';
import { ensureProcsDir, procFiles, readLeaderPid } from '../../src/sandbox/procs/records';
import { wrapperArgv } from '../../src/sandbox/procs/wrapper';
import type { SandboxSpec } from '../../src/sandbox/sandbox';
import { eventually } from '../helpers/harness';
import { exitedStatus } from '../helpers/sandboxWait';

/**
 * The local sandbox writes a process's record after spawning it, so an attempt that died between
 * the two (the write refused on a full disk, the worker killed) leaves a process with no record.
 * The fault suite saw the next attempt start the run again beside the first one's exit line: the
 * second truncated the log, the status read the first's end, and a good run was judged on an empty
 * log ("no step lines found"). A start now ends such a process and clears its files first.
 */
describe('a local start after an attempt that left a process but no record', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  /** What the attempt left: the wrapper running `script` in the sandbox's state folder, no record. */
  async function leftBehind(script: string) {
    const root = mkdtempSync(join(tmpdir(), 'sandbox-recordless-'));
    roots.push(root);
    const spec: SandboxSpec = {
      labels: { sessionId: `recordless-${process.pid}`, role: 'validation', subject: 'sub-001', runIndex: 0 },
      workspaceDir: join(root, 'work'),
      dataDir: null,
      relayDir: null,
      stateDir: root,
      gpus: 1,
      egress: [],
    };
    const sb = new LocalSandbox();
    const h = await sb.ensure(spec);
    await ensureProcsDir(root);
    const files = procFiles(root, 'run');
    const [bash, ...args] = wrapperArgv({ cap: 1 << 20, out: files.out, exitFile: files.exit, pidFile: files.pid }, ['bash', '-c', script]);
    spawn(bash, args, { env: { ...process.env, [SANDBOX_MARK]: root }, detached: true, stdio: 'ignore' }).unref();
    await eventually('the earlier process running', async () => (await readLeaderPid(root, 'run')) !== null, 10_000, 20);
    return { sb, h, files, leader: (await readLeaderPid(root, 'run'))! };
  }

  it('ends one still running, and reports only the new one', { timeout: 60_000 }, async () => {
    const { sb, h, files, leader } = await leftBehind('echo first; sleep 60');
    await sb.start(h, { name: 'run', argv: ['bash', '-c', 'echo second'] });
    const st = await exitedStatus(sb, h, 'run', 20_000);
    assert.equal(existsSync(`/proc/${leader}`), false, 'the earlier process is gone');
    assert.equal(readFileSync(files.out, 'utf8'), 'second\n');
    assert.ok(st.endedAtMs >= st.startedAtMs, 'its end is its own');
  });

  it('clears the exit line of one that finished, and waits for the new one', { timeout: 60_000 }, async () => {
    const { sb, h, files } = await leftBehind('echo first');
    await eventually('the earlier process ended', async () => existsSync(files.exit), 10_000, 20);
    await sb.start(h, { name: 'run', argv: ['bash', '-c', 'sleep 1; echo second'] });
    assert.equal((await sb.status(h, 'run')).state, 'running', "not the earlier one's end");
    const st = await exitedStatus(sb, h, 'run', 20_000);
    assert.equal(readFileSync(files.out, 'utf8'), 'second\n');
    assert.ok(st.endedAtMs >= st.startedAtMs);
  });
});
