import Docker from 'dockerode';
import type { SandboxKind } from '../domain/spec';
import { DockerSandbox, dockerSandboxOptionsFromEnv } from './docker';
import { LocalSandbox } from './local';
import type { Sandbox } from './sandbox';

/** The sandboxes one worker offers, by kind. */
export type Sandboxes = Partial<Record<SandboxKind, Sandbox>>;

type Log = (msg: string) => void;

/** How often a worker asks again for an engine that did not answer at its start. */
export const ENGINE_RETRY_MS = 2000;

interface Backend {
  log: Log;
  node?: string;
  /** Offers the sandbox later, once its engine answers (the worker started before it, or while it restarted). */
  offerLater: (sb: Sandbox, ready: () => Promise<void>) => void;
}

/**
 * Every sandbox backend, by the name a session spec gives (`sandbox`): how this worker makes one,
 * or null when it cannot here. A new backend is one entry here and one name in SANDBOX_KINDS.
 */
const BACKENDS: Record<SandboxKind, (b: Backend) => Promise<Sandbox | null>> = {
  local: ({ node }) => Promise.resolve(new LocalSandbox({ owner: node })),
  // Docker (DOCKER_HOST, else /var/run/docker.sock), configured from NANOGPT_BENCH_DOCKER_*.
  docker: async ({ log, node, offerLater }) => {
    const docker = new Docker();
    let sb: DockerSandbox;
    try {
      sb = new DockerSandbox({ ...dockerSandboxOptionsFromEnv(), docker, node });
    } catch (err) {
      log(`no Docker sandbox on this worker (${(err as Error).message})`);
      return null;
    }
    const ping = () =>
      Promise.race([docker.ping().then(() => undefined), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000))]);
    try {
      await ping();
      log('Docker sandbox available');
      return sb;
    } catch (err) {
      // A worker restarted while its node's dockerd restarts (or boots) would otherwise refuse every
      // Docker session until its own next restart: it keeps asking, and offers Docker once it answers.
      log(`no Docker sandbox on this worker yet (the engine does not answer: ${(err as Error).message}); asking again every ${ENGINE_RETRY_MS / 1000} s`);
      offerLater(sb, ping);
      return null;
    }
  },
};

/**
 * The sandboxes this worker can offer: always local; the others where they work on this node,
 * added to the returned object when their engine comes up after the worker's start.
 * `node`: the fleet node this worker is (its local processes are marked as its own).
 */
export async function availableSandboxes(log: Log = () => undefined, node?: string): Promise<Sandboxes> {
  const out: Sandboxes = {};
  for (const [kind, make] of Object.entries(BACKENDS) as [SandboxKind, (b: Backend) => Promise<Sandbox | null>][]) {
    const offerLater = (sb: Sandbox, ready: () => Promise<void>) => {
      const ask = (): void =>
        void ready().then(
          () => {
            out[kind] = sb;
            log(`${kind} sandbox available (its engine answers now)`);
          },
          () => void setTimeout(ask, ENGINE_RETRY_MS).unref(),
        );
      setTimeout(ask, ENGINE_RETRY_MS).unref();
    };
    const sb = await make({ log, node, offerLater });
    if (sb) out[kind] = sb;
  }
  return out;
}
