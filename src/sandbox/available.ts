import Docker from 'dockerode';
import { DockerSandbox } from './docker';
import { dockerSandboxOptionsFromEnv } from './dockerOptions';
import { LocalSandbox } from './local';
import type { Sandbox } from './sandbox';

/**
 * The sandboxes this worker can offer: always local; Docker too when an engine answers (DOCKER_HOST,
 * else /var/run/docker.sock), configured from NANOGPT_BENCH_DOCKER_* (see dockerOptions.ts).
 */
export async function availableSandboxes(log: (msg: string) => void = () => undefined): Promise<Partial<Record<'local' | 'docker', Sandbox>>> {
  const sandboxes: Partial<Record<'local' | 'docker', Sandbox>> = { local: new LocalSandbox() };
  const docker = new Docker();
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000))]);
    sandboxes.docker = new DockerSandbox({ ...dockerSandboxOptionsFromEnv(), docker });
    log('Docker sandbox available');
  } catch (err) {
    log(`no Docker sandbox on this worker (the engine does not answer: ${(err as Error).message})`);
  }
  return sandboxes;
}
