import { missing } from './missing';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Sandbox, SandboxHandle, SandboxSpec } from '../../src/sandbox/sandbox';
import { eventually } from './harness';
import { done } from './sandboxWait';

/** Counts to 600 in a file, 20 times a second. */
const TICKER = 'i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo $i > tick.tmp && mv tick.tmp tick; sleep 0.05; done';

export interface ConformanceTarget {
  /** A sandbox, or the reason this machine cannot have one (the suite then skips, saying so). */
  make(): Promise<Sandbox | { unavailable: string }>;
  /** A second instance against the same backend: a worker that died and came back. */
  again(first: Sandbox): Sandbox;
  /** Spec fields the backend needs beyond the common ones (the image, limits). */
  extra?: Partial<SandboxSpec>;
}

/**
 * What every Sandbox implementation must do, run against each one (local and Docker): detached
 * processes with output and exit status on disk, re-attachment by name from a fresh instance,
 * signals, pause and resume, the output cap, and removal.
 */
export function sandboxConformance(kind: string, target: ConformanceTarget): void {
  describe(`Sandbox conformance: ${kind}`, () => {
    let sandbox: Sandbox | null = null;
    let skip: string | false = false;
    const root = mkdtempSync(join(tmpdir(), `sandbox-${kind}-`));
    const handles: SandboxHandle[] = [];
    let n = 0;

    before(async () => {
      const made = await target.make();
      if ('unavailable' in made) skip = made.unavailable;
      else sandbox = made;
    });
    after(async () => {
      for (const h of handles) await sandbox?.remove(h).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    });

    /** A fresh sandbox of its own for each case, so no case sees another's processes. */
    async function fresh(extra: Partial<SandboxSpec> = {}): Promise<{ sb: Sandbox; h: SandboxHandle; spec: SandboxSpec }> {
      const i = ++n;
      const dir = join(root, `s${i}`);
      const spec: SandboxSpec = {
        labels: { sessionId: `conf-${process.pid}-${Date.now()}`, role: 'validation', subject: `case-${i}`, runIndex: 0 },
        workspaceDir: join(dir, 'work'),
        dataDir: null,
        relayDir: null,
        stateDir: dir,
        gpus: 2,
        egress: [],
        ...target.extra,
        ...extra,
      };
      const sb = sandbox!;
      const h = await sb.ensure(spec);
      handles.push(h);
      return { sb, h, spec };
    }

    // node:test's it() returns a promise the runner itself awaits.
    const test = (name: string, fn: () => Promise<void>): void =>
      void it(name, { timeout: 60_000 }, async (t) => {
        if (skip) return missing(t, skip);
        await fn();
      });

    test('runs a detached process: output to a file, exit code, times', async () => {
      const { sb, h } = await fresh();
      assert.deepEqual(await sb.status(h, 'p'), { state: 'absent' });
      await sb.start(h, { name: 'p', argv: ['bash', '-c', 'echo out; echo err >&2; exit 7'] });
      const st = await eventually('the process to exit', async () => done(await sb.status(h, 'p')));
      assert.equal(st.exitCode, 7);
      assert.equal(st.signal, null);
      assert.equal(st.outputTruncated, false);
      assert.equal(st.oomKilled, false);
      assert.ok(st.endedAtMs >= st.startedAtMs);
      assert.equal(readFileSync(sb.outputPath(h, 'p'), 'utf8'), 'out\nerr\n');
    });

    test('lists every process started in it, running or not, and only its own', async () => {
      const { sb, h } = await fresh();
      const other = await fresh();
      assert.deepEqual(await sb.list(h), []);
      await sb.start(h, { name: 'b-sleeper', argv: ['sleep', '30'] });
      await sb.start(h, { name: 'a-quick', argv: ['true'] });
      await other.sb.start(other.h, { name: 'elsewhere', argv: ['true'] });
      await eventually('the quick one to exit', async () => done(await sb.status(h, 'a-quick')));
      assert.deepEqual(await sb.list(h), ['a-quick', 'b-sleeper']);
      assert.deepEqual(await target.again(sb).list(h), ['a-quick', 'b-sleeper'], 'a worker that came back finds them too');
      await sb.signal(h, 'b-sleeper', 'SIGKILL');
    });

    test('sees the workspace as its working directory and the harness variables', async () => {
      const { sb, h, spec } = await fresh({ passEnv: ['CONFORMANCE_SECRET'] });
      process.env.CONFORMANCE_SECRET = 'by-name-only';
      const paths = sb.paths(spec);
      await sb.start(h, {
        name: 'env',
        argv: ['bash', '-c', 'echo "$PWD|$WORKSPACE|$NPROC_PER_NODE|$CONFORMANCE_SECRET|$FROM_SPEC"; command -v submit; touch made-here'],
        env: { FROM_SPEC: 'given' },
      });
      const st = await eventually('the process to exit', async () => done(await sb.status(h, 'env')));
      delete process.env.CONFORMANCE_SECRET;
      assert.equal(st.exitCode, 0, readFileSync(sb.outputPath(h, 'env'), 'utf8'));
      const [line, submit] = readFileSync(sb.outputPath(h, 'env'), 'utf8').trim().split('\n');
      assert.equal(line, `${paths.workspace}|${paths.workspace}|2|by-name-only|given`);
      assert.equal(submit, join(paths.tools, 'submit'));
      assert.ok(existsSync(join(spec.workspaceDir, 'made-here')), 'the workspace on disk is the one the process wrote to');
    });

    test('starting a name twice re-attaches instead of running it again', async () => {
      const { sb, h } = await fresh();
      const p = { name: 'once', argv: ['bash', '-c', 'echo ran >> runs.txt; sleep 1'] };
      await sb.start(h, p);
      await sb.start(h, p);
      await eventually('the process to exit', async () => done(await sb.status(h, 'once')));
      await sb.start(h, p);
      assert.equal(readFileSync(join(h.spec.workspaceDir, 'runs.txt'), 'utf8'), 'ran\n');
    });

    test('a new instance (a worker that came back) finds the sandbox and its running process', async () => {
      const { sb, h, spec } = await fresh();
      await sb.start(h, { name: 'long', argv: ['bash', '-c', 'sleep 2; echo finished'] });
      const other = target.again(sb);
      const h2 = await other.ensure(spec);
      assert.equal(h2.id, h.id);
      assert.equal((await other.status(h2, 'long')).state, 'running');
      const st = await eventually('the process to exit', async () => done(await other.status(h2, 'long')));
      assert.equal(st.exitCode, 0);
      assert.equal(readFileSync(other.outputPath(h2, 'long'), 'utf8'), 'finished\n');
    });

    test('a signal ends the process, and its status says it was killed', async () => {
      const { sb, h } = await fresh();
      await sb.start(h, { name: 'victim', argv: ['sleep', '60'] });
      await eventually('the process running', async () => (await sb.status(h, 'victim')).state === 'running');
      await sb.signal(h, 'victim', 'SIGTERM');
      const st = await eventually('the process to exit', async () => done(await sb.status(h, 'victim')));
      assert.equal(st.exitCode, null);
      assert.ok(st.signal, 'a signal is named');
      assert.equal(st.oomKilled, false);
    });

    test('pause freezes the processes and resume lets them go on', async () => {
      const { sb, h } = await fresh();
      await sb.start(h, { name: 'ticker', argv: ['bash', '-c', TICKER] });
      const tick = () => Number(readFileSync(join(h.spec.workspaceDir, 'tick'), 'utf8').trim() || 0);
      await eventually('ticks', async () => existsSync(join(h.spec.workspaceDir, 'tick')) && tick() > 0);
      await sb.pause(h);
      const frozen = tick();
      // The same loop outside the sandbox, never paused: once it has ticked 10 times, the paused
      // one would have ticked too had it been running (a window that scales with the machine's load).
      const reference = mkdtempSync(join(root, 'reference-'));
      const outside = spawn('bash', ['-c', TICKER], { cwd: reference, stdio: 'ignore' });
      try {
        await eventually(
          '10 ticks outside the sandbox',
          async () => existsSync(join(reference, 'tick')) && Number(readFileSync(join(reference, 'tick'), 'utf8')) >= 10,
        );
      } finally {
        outside.kill('SIGKILL');
      }
      assert.equal(tick(), frozen, 'no tick while paused');
      assert.equal((await sb.status(h, 'ticker')).state, 'running', 'a paused process is still running');
      await sb.resume(h);
      await eventually('ticks after resume', async () => tick() > frozen);
      await sb.signal(h, 'ticker', 'SIGKILL');
      await eventually('the process to exit', async () => done(await sb.status(h, 'ticker')));
    });

    test('output past the cap is cut there and marked truncated', async () => {
      const { sb, h } = await fresh();
      await sb.start(h, { name: 'loud', argv: ['bash', '-c', 'yes nanogpt-bench-output'], outputCapBytes: 10_000 });
      const st = await eventually('the process to exit', async () => done(await sb.status(h, 'loud')));
      assert.equal(st.outputTruncated, true);
      assert.equal(statSync(sb.outputPath(h, 'loud')).size, 10_000);
    });

    test('remove stops what runs and keeps the workspace', async () => {
      const { sb, h, spec } = await fresh();
      await sb.start(h, { name: 'bg', argv: ['bash', '-c', 'echo kept > kept.txt; sleep 60'] });
      await eventually('the file written', async () => existsSync(join(spec.workspaceDir, 'kept.txt')));
      await sb.remove(h);
      const st = await eventually('the process gone', async () => done(await sb.status(h, 'bg')));
      assert.equal(st.exitCode, null);
      assert.equal(readFileSync(join(spec.workspaceDir, 'kept.txt'), 'utf8'), 'kept\n');
      await sb.remove(h);
    });
  });
}
