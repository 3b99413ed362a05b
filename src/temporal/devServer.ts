import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, connect } from 'node:net';
import { temporalBinary } from './binary';

export interface DevServerOptions {
  /** SQLite file that holds every workflow: a server restarted on it keeps its sessions. */
  dbFile: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** File the server's own log goes to. */
  logFile?: string;
}

export interface DevServer {
  address: string;
  uiAddress: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` on a database file and waits until it accepts connections. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? null : (opts.uiPort ?? (await freePort()));
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--log-level',
    'warn',
    '--ui-disable-news-fetch',
  ];
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', out, out] });
  if (typeof out === 'number') closeSync(out);
  let exited = null as string | null;
  child.once('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`temporal dev server ${exited} before accepting connections${opts.logFile ? ` (see ${opts.logFile})` : ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('temporal dev server did not accept connections within 60 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    uiAddress: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

/** How often a supervised dev server that will not come up is tried again. */
export const RESTART_EVERY_MS = 2000;

export interface SupervisedDevServer extends DevServer {
  /** Resolves once a server answers again after the last unplanned exit (at once when none). */
  up(): Promise<void>;
}

/**
 * A dev server kept up as a supervisor would keep it: when its process exits (killed, or one
 * started while its database's disk was full, which exits at once), another is started on the same
 * database file and ports, every RESTART_EVERY_MS until one answers. Sessions lose nothing (their
 * state is in the file) and workers reconnect on their own. `onExit` hears of each exit,
 * `onStartFailed` of each start that did not come up.
 */
export async function startSupervisedDevServer(
  opts: DevServerOptions,
  onExit: (child: ChildProcess, how: string) => void = () => undefined,
  onStartFailed: (err: Error) => void = () => undefined,
): Promise<SupervisedDevServer> {
  const fixed: DevServerOptions = { ...opts, port: opts.port ?? (await freePort()) };
  if (!opts.headless) fixed.uiPort = opts.uiPort ?? (await freePort());
  let current = await startDevServer(fixed);
  let stopped = false;
  let back: Promise<void> = Promise.resolve();
  const watch = (server: DevServer) =>
    server.process.once('exit', (code, signal) => {
      if (stopped) return;
      onExit(server.process, signal ? `signal ${signal}` : `status ${code}`);
      back = (async () => {
        while (!stopped) {
          try {
            current = await startDevServer(fixed);
            watch(current);
            return;
          } catch (err) {
            onStartFailed(err as Error);
            await new Promise((r) => setTimeout(r, RESTART_EVERY_MS));
          }
        }
      })();
    });
  watch(current);
  return {
    address: current.address,
    uiAddress: current.uiAddress,
    get process() {
      return current.process;
    },
    up: () => back,
    async stop() {
      stopped = true;
      await back;
      await current.stop();
    },
  };
}

export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
