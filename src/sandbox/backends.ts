import Docker from 'dockerode';
import type { SandboxKind } from '../domain/spec';
import { DockerSandbox, dockerSandboxOptionsFromEnv } from './docker';
import { LocalSandbox } from './local';
import type { Sandbox } from './sandbox';

/** The sandboxes one worker offers, by kind. */
export type Sandboxes = Partial<Record<SandboxKind, Sandbox>>;

type Log = (msg: string) => void;

/**
 * Every sandbox backend, by the name a session spec gives (`sandbox`): how this worker makes one,
 * or null when it cannot here. A new backend is one entry here and one name in SANDBOX_KINDS.
 */
const BACKENDS: Record<SandboxKind, (log: Log, node?: string) => Promise<Sandbox | null>> = {
  local: (_log, node) => Promise.resolve(new LocalSandbox({ owner: node })),
  // Docker when an engine answers (DOCKER_HOST, else /var/run/docker.sock), configured from NANOGPT_BENCH_DOCKER_*.
  docker: async (log, node) => {
    const docker = new Docker();
    try {
      await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000))]);
    } catch (err) {
      log(`no Docker sandbox on this worker (the engine does not answer: ${(err as Error).message})`);
      return null;
    }
    try {
      const sb = new DockerSandbox({ ...dockerSandboxOptionsFromEnv(), docker, node });
      log('Docker sandbox available');
      return sb;
    } catch (err) {
      log(`no Docker sandbox on this worker (${(err as Error).message})`);
      return null;
    }
  },
};

/**
 * The sandboxes this worker can offer: always local; the others where they work on this node.
 * `node`: the fleet node this worker is (its local processes are marked as its own).
 */
export async function availableSandboxes(log: Log = () => undefined, node?: string): Promise<Sandboxes> {
  const out: Sandboxes = {};
  for (const [kind, make] of Object.entries(BACKENDS) as [SandboxKind, (log: Log, node?: string) => Promise<Sandbox | null>][]) {
    const sb = await make(log, node);
    if (sb) out[kind] = sb;
  }
  return out;
}
