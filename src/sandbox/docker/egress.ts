import { join } from 'node:path';
import type { SandboxSpec } from '../sandbox';
import { EgressProxy } from '../egressProxy';
import { IN_SANDBOX } from './paths';
import type { ResolvedDockerOptions } from './options';

/** Where an agent sandbox's processes find their way out: the forwarder to the worker's proxy. */
export const EGRESS_PROXY_URL = 'http://127.0.0.1:3128';

/** What a container's config takes from its egress: network mode, mounts, environment, main process. */
export interface EgressSettings {
  networkMode: string;
  binds: string[];
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

/**
 * The way out of agent sandboxes: with `agentNetwork: 'proxy'` a sandbox has no network, and a
 * forwarder on its loopback joins this worker's filtering proxy (one per session) through a
 * mounted socket folder; `none` gives no way out; any other value names the operator's network.
 */
export class Egress {
  /** The egress proxy this worker serves for each session's agent sandbox. */
  private readonly proxies = new Map<string, Promise<EgressProxy>>();

  constructor(private readonly opts: Pick<ResolvedDockerOptions, 'agentNetwork' | 'python'>) {}

  /** An agent sandbox that may reach some endpoints, on a node that filters them itself. */
  proxied(spec: SandboxSpec): boolean {
    return spec.labels.role === 'agent' && spec.egress.length > 0 && this.opts.agentNetwork === 'proxy';
  }

  /** Host folder whose socket the sandbox mounts (the folder: see DESIGN.md). */
  socketDir(spec: SandboxSpec): string {
    return join(spec.stateDir, 'egress');
  }

  settings(spec: SandboxSpec): EgressSettings {
    const proxied = this.proxied(spec);
    const ownNetwork = spec.labels.role === 'agent' && spec.egress.length > 0 && !proxied && this.opts.agentNetwork !== 'none';
    if (!proxied) return { networkMode: ownNetwork ? this.opts.agentNetwork : 'none', binds: [], env: {}, entrypoint: ['sleep'], cmd: ['infinity'] };
    const env: Record<string, string> = {};
    // Upper and lower case: curl reads only the lower, some SDKs only the upper.
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[k] = EGRESS_PROXY_URL;
    return {
      networkMode: 'none',
      binds: [`${this.socketDir(spec)}:${IN_SANDBOX.egress}:ro`],
      env,
      // The container's main process: the forwarder to the egress proxy, restarted if it ever dies.
      entrypoint: ['bash', '-c', 'while :; do "$@"; sleep 1; done', 'egress-forward'],
      cmd: [this.opts.python, `${IN_SANDBOX.tools}/egress-forward`, '--listen', new URL(EGRESS_PROXY_URL).host, '--socket', `${IN_SANDBOX.egress}/egress.sock`],
    };
  }

  /** Serves (or re-serves, after a worker restart) the session's proxy with the spec's endpoints. */
  async serve(spec: SandboxSpec): Promise<void> {
    const key = spec.labels.sessionId;
    let p = this.proxies.get(key);
    if (!p) {
      const proxy = new EgressProxy(join(this.socketDir(spec), 'egress.sock'), spec.egress, join(spec.stateDir, 'egress.log'));
      p = proxy.listen().then(() => proxy);
      this.proxies.set(key, p);
      p.catch(() => this.proxies.delete(key));
    }
    (await p).setAllowed(spec.egress);
  }

  async close(sessionId: string): Promise<void> {
    const p = this.proxies.get(sessionId);
    this.proxies.delete(sessionId);
    if (p) await (await p.catch(() => null))?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.close(id)));
  }

  /** A container just started: its forwarder listens before anything is launched that would use it. */
  async waitForForwarder(containerId: string, run: (id: string, argv: string[]) => Promise<number | null>): Promise<void> {
    const { hostname, port } = new URL(EGRESS_PROXY_URL);
    const wait =
      'import socket, sys, time\nfor _ in range(200):\n    try:\n        socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close(); sys.exit(0)\n    except OSError:\n        time.sleep(0.05)\nsys.exit(1)';
    const code = await run(containerId, [this.opts.python, '-c', wait, hostname, port]);
    if (code !== 0)
      throw new Error(`the egress forwarder of ${containerId} did not listen on ${EGRESS_PROXY_URL} within 10 s (see: docker logs ${containerId})`);
  }
}
