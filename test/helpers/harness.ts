import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startDevServer, startSupervisedDevServer, stopProcess, freePort, type DevServer } from '../../src/temporal/devServer';
import { connectClient, connectWorker } from '../../src/temporal/connection';
import { createWorker, type WorkerOptions } from '../../src/temporal/worker';
import { repoRoot } from '../../src/files/repoRoot';
import { installTemporalLogging } from '../../src/temporal/logging';

/** The fast fixture family: speedrun-shaped records that sleep instead of training. */
export const FASTRUN = join(repoRoot(), 'test', 'fixtures', 'fastrun');
export const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

/**
 * A session test must never reach a real model provider: on a machine that has keys, the judge
 * and the agents would otherwise find them in the worker's environment and use them. Tests that
 * need a key plant a made-up one for a loopback server after this.
 */
export const PROVIDER_CREDENTIALS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
  'GOOGLE_APPLICATION_CREDENTIALS',
];
export function clearProviderCredentials(): void {
  for (const name of PROVIDER_CREDENTIALS) delete process.env[name];
}

/**
 * A real Temporal dev server on a database file in a fresh state folder, and workers either in
 * this process or as child processes (so a test can SIGKILL one).
 */
export class Harness {
  readonly home = mkdtempSync(join(tmpdir(), 'nanogpt-bench-test-'));
  server!: DevServer;
  client!: Client;
  port = 0;
  private workers: { worker: Worker; running: Promise<void>; close: () => Promise<void> }[] = [];
  private children = new Set<ChildProcess>();

  /**
   * `superviseServer`: the server is kept up as `up` keeps it (started again whenever its process
   * exits, src/temporal/devServer.ts), and the hook hears of each exit.
   */
  // Made before a test plants its loopback key, so only the machine's own keys are cleared.
  constructor(private readonly opts: { superviseServer?: (child: ChildProcess, how: string) => void } = {}) {
    clearProviderCredentials();
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    installTemporalLogging('WARN');
    process.env.NANOGPT_BENCH_HOME = this.home;
    this.port = await freePort();
    await this.startServer();
    this.client = await connectClient(this.address);
    return this;
  }

  async startServer(): Promise<void> {
    const opts = { dbFile: join(this.home, 'temporal.db'), port: this.port, headless: true, logFile: join(this.home, 'server.log') };
    this.server = this.opts.superviseServer ? await startSupervisedDevServer(opts, this.opts.superviseServer) : await startDevServer(opts);
  }

  async inProcessWorker(opts: Pick<WorkerOptions, 'sandboxes' | 'taskQueue'> = {}): Promise<Worker> {
    const connection = await connectWorker(this.address);
    const worker = await createWorker({ connection, client: this.client, sandboxes: opts.sandboxes, taskQueue: opts.taskQueue });
    const running = worker.run();
    this.workers.push({ worker, running, close: () => connection.close() });
    return worker;
  }

  /**
   * `nanogpt-bench worker` as its own process, as an operator would run it (`args`: more flags,
   * such as --node); its output appended to `logFile` when given.
   */
  spawnWorker(args: string[] = [], logFile?: string): ChildProcess {
    const out = logFile ? openSync(logFile, 'a') : 'pipe';
    const child = spawn(process.execPath, [CLI, 'worker', ...args], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.address,
        NANOGPT_BENCH_HOME: this.home,
        NANOGPT_BENCH_LOG_LEVEL: process.env.NANOGPT_BENCH_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', out, out],
    });
    if (typeof out === 'number') closeSync(out);
    child.stdout?.resume();
    child.stderr?.resume();
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Stops every worker process this harness spawned (a test that needs to be the only worker). */
  async stopSpawnedWorkers(): Promise<void> {
    for (const c of this.children) await stopProcess(c, 3000);
  }

  async stop(): Promise<void> {
    for (const w of this.workers) {
      if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
      await w.running.catch(() => undefined);
      await w.close();
    }
    for (const c of this.children) await stopProcess(c, 3000);
    await this.client?.connection.close();
    await this.server?.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs a command without blocking this process (its in-process worker must keep serving). */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
