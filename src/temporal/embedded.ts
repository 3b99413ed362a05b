import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker, LogLevel } from '@temporalio/worker';
import { installTemporalLogging } from './logging';
import { benchHome, layout } from '../files/layout';
import { connectClient, connectWorker } from './connection';
import { startSupervisedDevServer, type DevServer } from './devServer';
import { createWorker, type WorkerOptions } from './worker';

export interface Embedded {
  address: string;
  uiAddress: string | null;
  client: Client;
  worker: Worker;
  server: DevServer | null;
  /** Resolves when the worker stops; rejects if it fails. */
  running: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole harness in one process: a dev server on the state folder's database (unless an
 * address is given) and a worker. What `up` and `demo` run.
 */
export async function startEmbedded(
  opts: { address?: string; port?: number; uiPort?: number; headless?: boolean; logLevel?: LogLevel; sandboxes?: WorkerOptions['sandboxes'] } = {},
): Promise<Embedded> {
  installTemporalLogging(opts.logLevel);
  mkdirSync(benchHome(), { recursive: true });
  const server = opts.address
    ? null
    : // Kept up: a server that dies (one restarted on a full disk exits at once) would otherwise leave
      // the worker waiting on nothing while every session stands still.
      await startSupervisedDevServer(
        {
          dbFile: layout.temporalDb(),
          port: opts.port,
          uiPort: opts.uiPort,
          headless: opts.headless,
          logFile: join(benchHome(), 'temporal-server.log'),
        },
        (_child, how) => console.log(`temporal dev server exited (${how}); starting it again on ${layout.temporalDb()}`),
        (err) => console.log(`temporal dev server did not start (${err.message}); trying again`),
      );
  const address = opts.address ?? server!.address;
  const client = await connectClient(address);
  const connection = await connectWorker(address);
  const worker = await createWorker({ connection, client, sandboxes: opts.sandboxes });
  const running = worker.run();
  return {
    address,
    uiAddress: server?.uiAddress ?? null,
    client,
    worker,
    server,
    running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await client.connection.close();
      await server?.stop();
    },
  };
}
