import { resolve } from 'node:path';
import { Command } from 'commander';
import { connectClient, connectWorker, temporalAddress, CONTROL_TASK_QUEUE } from '../../temporal/connection';
import { startEmbedded } from '../../temporal/embedded';
import { createWorker } from '../../temporal/worker';
import { benchHome } from '../../files/layout';
import { installTemporalLogging, keepRunningWhenLogsCannotBeWritten } from '../../temporal/logging';
import { availableSandboxes } from '../../sandbox/backends';
import { NODE_NAME, nodeTaskQueue } from '../../fleet/fleet';
import { NodeMembership } from '../../fleet/nodeMembership';
import { listNodes } from '../../fleet/fleetClient';
import { formatNodes } from '../format';

export function registerServerCommands(program: Command): void {
  program
    .command('up')
    .description("run the Temporal dev server (on the state folder's database, with its web UI) and a worker; TEMPORAL_ADDRESS skips the server")
    .option('--port <n>', 'gRPC port of the embedded server', Number, 7233)
    .option('--ui-port <n>', 'web UI port', Number, 8233)
    .action(async (o: { port: number; uiPort: number }) => {
      keepRunningWhenLogsCannotBeWritten();
      const sandboxes = await availableSandboxes((m) => console.log(m));
      const embedded = await startEmbedded(
        process.env.TEMPORAL_ADDRESS ? { address: process.env.TEMPORAL_ADDRESS, sandboxes } : { port: o.port, uiPort: o.uiPort, sandboxes },
      );
      console.log(`nanogpt-bench is up: server ${embedded.address}${embedded.uiAddress ? `, web UI ${embedded.uiAddress}` : ''}, state in ${benchHome()}`);
      console.log(`task queue ${CONTROL_TASK_QUEUE}; Ctrl-C stops (sessions resume on the next \`up\`)`);
      const stop = () => void embedded.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await embedded.running;
      await embedded.stop();
    });

  program
    .command('worker')
    .description('run only a worker, against the server in TEMPORAL_ADDRESS: the control worker, or with --node a GPU node of the fleet')
    .option('--task-queue <q>', 'task queue (a node serves nanogpt-bench.node.<name>)', CONTROL_TASK_QUEUE)
    .option('--node <name>', 'be this GPU node of the fleet: serve its task queue, register and heartbeat')
    .option('--gpus <n>', "this node's GPUs: offered to sessions (required with --node), and never more timed runs at once than they allow", Number)
    .option('--heartbeat-seconds <s>', 'seconds between heartbeats to the fleet (with --node)', Number, 10)
    .option(
      '--workspace-dir <dir>',
      "a folder on this node's own disk for agent workspaces (NANOGPT_BENCH_WORKSPACES); fleet sessions checkpoint them to NANOGPT_BENCH_HOME",
    )
    .action(async (o: { taskQueue: string; node?: string; gpus?: number; heartbeatSeconds: number; workspaceDir?: string }) => {
      keepRunningWhenLogsCannotBeWritten();
      installTemporalLogging();
      if (o.node !== undefined && !NODE_NAME.test(o.node)) throw new Error(`--node: letters, digits, '.', '_' or '-' (at most 63), got ${o.node}`);
      if (o.node !== undefined && !(Number.isInteger(o.gpus) && o.gpus! > 0))
        throw new Error('--gpus: a positive whole number of GPUs is required with --node');
      if (o.gpus !== undefined && !(Number.isInteger(o.gpus) && o.gpus > 0)) throw new Error(`--gpus: expected a positive whole number of GPUs, got ${o.gpus}`);
      if (!(o.heartbeatSeconds > 0)) throw new Error(`--heartbeat-seconds: expected a positive number, got ${o.heartbeatSeconds}`);
      // Read by the activities where they lay out a workspace (src/files/layout.ts), as NANOGPT_BENCH_HOME is.
      if (o.workspaceDir !== undefined) process.env.NANOGPT_BENCH_WORKSPACES = resolve(o.workspaceDir);
      const address = temporalAddress();
      const client = await connectClient(address);
      const connection = await connectWorker(address);
      const sandboxes = await availableSandboxes((m) => console.log(m), o.node);
      const taskQueue = o.node ? nodeTaskQueue(o.node) : o.taskQueue;
      // A node joins the fleet (and ends its leftovers of sessions placed elsewhere) before it takes work.
      const membership = o.node
        ? new NodeMembership({ client, node: o.node, gpus: o.gpus!, heartbeatSeconds: o.heartbeatSeconds, sandboxes, log: (m) => console.log(m) })
        : null;
      const worker = await createWorker({
        connection,
        client,
        taskQueue,
        sandboxes,
        ...(o.gpus ? { gpus: o.gpus } : {}),
        ...(o.node && membership ? { node: { name: o.node, placedHere: membership.placedHere } } : {}),
      });
      const placed = await membership?.start();
      console.log(
        `worker on ${address}, task queue ${taskQueue}${o.node ? `: node ${o.node} with ${o.gpus} GPUs, ${placed!.length} session(s) placed on it` : ''}` +
          (o.workspaceDir ? `; agent workspaces on this node's disk in ${process.env.NANOGPT_BENCH_WORKSPACES}` : ''),
      );
      const stop = () => worker.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await worker.run();
      await membership?.stop();
      await connection.close();
      await client.connection.close();
    });

  program
    .command('nodes')
    .description('the GPU nodes of the fleet: GPUs, free GPUs, last heartbeat, sessions placed on each, and sessions waiting for room')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const view = await listNodes(await connectClient());
      console.log(o.json ? JSON.stringify(view, null, 2) : formatNodes(view));
    });
}
