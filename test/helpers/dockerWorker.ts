/**
 * A worker with a Docker sandbox as a process of its own, so a test can SIGKILL it mid-run:
 *
 *   node dist/test/helpers/dockerWorker.js
 *
 * reads TEMPORAL_ADDRESS, NANOGPT_BENCH_HOME, and the test engine from DOCKER_WORKER_SOCKET,
 * DOCKER_WORKER_IMAGE and DOCKER_WORKER_MOUNTS (colon-separated host folders mounted read-only).
 */
import Docker from 'dockerode';
import { connectClient, connectWorker } from '../../src/temporal/connection';
import { createWorker } from '../../src/temporal/worker';
import { DockerSandbox } from '../../src/sandbox/docker';
import { LocalSandbox } from '../../src/sandbox/local';
import { grantableUlimits } from './dockerd';

async function main(): Promise<void> {
  const need = (name: string) =>
    process.env[name] ??
    (() => {
      throw new Error(`${name} is not set`);
    })();
  const address = need('TEMPORAL_ADDRESS');
  const docker = new Docker({ socketPath: need('DOCKER_WORKER_SOCKET') });
  const sandbox = new DockerSandbox({
    docker,
    image: need('DOCKER_WORKER_IMAGE'),
    gpus: 'none',
    ulimits: grantableUlimits(),
    readOnlyMounts: (process.env.DOCKER_WORKER_MOUNTS ?? '').split(':').filter(Boolean),
  });
  const client = await connectClient(address);
  const worker = await createWorker({ connection: await connectWorker(address), client, sandboxes: { docker: sandbox, local: new LocalSandbox() } });
  process.stdout.write('worker running\n');
  await worker.run();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
