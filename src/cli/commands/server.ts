import { Command } from 'commander';
import { connectClient, connectWorker, temporalAddress, CONTROL_TASK_QUEUE } from '../../temporal/connection';
import { startEmbedded } from '../../temporal/embedded';
import { createWorker } from '../../temporal/worker';
import { benchHome } from '../../files/layout';
import { installTemporalLogging } from '../../temporal/logging';
import { availableSandboxes } from '../../sandbox/backends';

export function registerServerCommands(program: Command): void {
  program
    .command('up')
    .description("run the Temporal dev server (on the state folder's database, with its web UI) and a worker; TEMPORAL_ADDRESS skips the server")
    .option('--port <n>', 'gRPC port of the embedded server', Number, 7233)
    .option('--ui-port <n>', 'web UI port', Number, 8233)
    .action(async (o: { port: number; uiPort: number }) => {
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
    .description('run only a worker, against the server in TEMPORAL_ADDRESS')
    .option('--task-queue <q>', 'task queue', CONTROL_TASK_QUEUE)
    .action(async (o: { taskQueue: string }) => {
      installTemporalLogging();
      const address = temporalAddress();
      const client = await connectClient(address);
      const connection = await connectWorker(address);
      const sandboxes = await availableSandboxes((m) => console.log(m));
      const worker = await createWorker({ connection, client, taskQueue: o.taskQueue, sandboxes });
      console.log(`worker on ${address}, task queue ${o.taskQueue}`);
      const stop = () => worker.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await worker.run();
      await connection.close();
      await client.connection.close();
    });
}
