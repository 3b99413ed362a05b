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
