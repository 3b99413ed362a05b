import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { ProcessSpec, ProcessStatus, Sandbox, SandboxHandle, SandboxLabels, SandboxPaths, SandboxSpec } from './sandbox';
import { harnessToolsDir } from './tools';
import { parseWrapperExit, wrapperArgv } from './processWrapper';
import { chownTree } from './chownTree';
import { EgressProxy } from './egressProxy';
import { safeName } from '../storage/layout';

/** Where the sandbox's processes find what the harness provides. */
export const IN_SANDBOX = {
  workspace: '/workspace',
  data: '/data',
  relay: '/run/nanogpt-bench',
  tools: '/opt/nanogpt-bench/bin',
  /** The host's <stateDir>/procs: output and status files of the sandbox's processes. */
  procs: '/opt/nanogpt-bench/procs',
  /** The host's <stateDir>/egress: the worker's filtering proxy's socket (the folder: see DESIGN.md). */
  egress: '/run/nanogpt-bench-egress',
} as const;

/** Where an agent sandbox's processes find their way out: the forwarder to the worker's proxy. */
export const EGRESS_PROXY_URL = 'http://127.0.0.1:3128';

export const LABEL = {
  session: 'nanogpt-bench.session',
  role: 'nanogpt-bench.role',
  subject: 'nanogpt-bench.subject',
  run: 'nanogpt-bench.run',
} as const;

const DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024;
const GIB = 1024 ** 3;

export interface DockerSandboxOptions {
  /** The engine; default: DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Docker;
  /** Image for sessions whose spec names none. */
  image?: string;
  /** uid:gid the processes run as; never root. */
  user?: string;
  /** `auto`: a count of GPUs when this node has NVIDIA devices, none otherwise; or the node's device ids to hand out. */
  gpus?: 'auto' | 'none' | 'count' | string[];
  /** Memory limit for specs that set none (bytes); swap is never allowed on top. */
  memoryBytes?: number;
  pidsLimit?: number;
  /** /dev/shm: NCCL between torchrun's ranks lives there. */
  shmSizeBytes?: number;
  /**
   * How an agent sandbox reaches the endpoints its spec allows (its model API). `proxy` (default):
   * it has no network; a forwarder on its loopback joins the worker's filtering proxy through a
   * mounted socket, which lets those endpoints through and nothing else. `none`: no way out at
   * all. Any other value: a Docker network the operator made, whose rules are the operator's.
   */
  agentNetwork?: 'proxy' | 'none' | string;
  /** The Python that runs training inside the image. */
  python?: string;
  /** Host folder mounted at /opt/nanogpt-bench/bin; null: use the image's own copy (the production image has one). */
  toolsDir?: string | null;
  /**
   * The image holds the token shards at /data itself (the production image): a spec whose data
   * folder is /data (a worker running from that image) uses the image's copy, unmounted.
   */
  dataInImage?: boolean;
  /** Extra host folders mounted read-only at the same path (the replay agent's record history). */
  readOnlyMounts?: string[];
  /**
   * Resource limits of the sandbox's processes. Default: locked memory unlimited and a 64 MiB stack,
   * as NCCL and PyTorch want; an engine without CAP_SYS_RESOURCE cannot grant more than it has.
   */
  ulimits?: Docker.Ulimit[];
}

export const DEFAULT_ULIMITS: Docker.Ulimit[] = [
  { Name: 'memlock', Soft: -1, Hard: -1 },
  { Name: 'stack', Soft: 64 * 1024 * 1024, Hard: 64 * 1024 * 1024 },
];

interface ProcRecord {
  name: string;
  execId: string;
  containerId: string;
  startedAtMs: number;
  outputCapBytes: number;
}

type ContainerState = { running: boolean; paused: boolean; oomKilled: boolean } | null;

/**
 * Sandboxes as containers: one long-lived container per sandbox (found again by its labels), and
 * every process a detached exec under the shared bash wrapper, which writes output and exit status
 * into the host's state folder. A worker that died and came back needs nothing but the engine and
 * those files; a container that vanished is made again around the workspace on disk.
 */
export class DockerSandbox implements Sandbox {
  readonly kind = 'docker' as const;
  readonly docker: Docker;
  private readonly opts: Required<Omit<DockerSandboxOptions, 'docker' | 'image' | 'memoryBytes'>> & Pick<DockerSandboxOptions, 'image' | 'memoryBytes'>;
  private gpuDetected: boolean | null = null;
  private imagePaths = new Map<string, string>();
  /** The egress proxy this worker serves for each session's agent sandbox. */
  private readonly proxies = new Map<string, Promise<EgressProxy>>();

  constructor(opts: DockerSandboxOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.opts = {
      image: opts.image,
      user: opts.user ?? '1000:1000',
      gpus: opts.gpus ?? 'auto',
      memoryBytes: opts.memoryBytes,
      pidsLimit: opts.pidsLimit ?? 4096,
      shmSizeBytes: opts.shmSizeBytes ?? 16 * GIB,
      agentNetwork: opts.agentNetwork ?? 'proxy',
      python: opts.python ?? 'python3',
      toolsDir: opts.toolsDir === undefined ? harnessToolsDir() : opts.toolsDir,
      dataInImage: opts.dataInImage ?? false,
      readOnlyMounts: opts.readOnlyMounts ?? [],
      ulimits: opts.ulimits ?? DEFAULT_ULIMITS,
    };
    const [uid] = this.opts.user.split(':');
    if (uid === '0' || uid === 'root') throw new Error('DockerSandbox: user must not be root (got ' + this.opts.user + ')');
  }

  paths(spec: SandboxSpec): SandboxPaths {
    return {
      workspace: IN_SANDBOX.workspace,
      data: spec.dataDir ? IN_SANDBOX.data : null,
      relay: spec.relayDir ? IN_SANDBOX.relay : null,
      tools: IN_SANDBOX.tools,
    };
  }

  outputPath(h: SandboxHandle, name: string): string {
    return join(h.spec.stateDir, 'procs', `${name}.out`);
  }

  async ensure(spec: SandboxSpec): Promise<SandboxHandle> {
    const name = containerName(spec.labels);
    const handle = { id: name, spec };
    // Served before the container is found or made: after a worker restart, the way out comes back with it.
    if (this.proxied(spec)) await this.serveEgress(spec);
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.find(spec.labels);
      if (found) {
        if (found.State === 'running' || found.State === 'paused') return handle;
        if (found.State === 'created' || found.State === 'exited') {
          // Stopped with the engine or the host: its processes are gone (their status says so), the workspace is not.
          await this.docker.getContainer(found.Id).start().catch(ignoreStatus(304));
          return this.ready(handle);
        }
        await this.docker.getContainer(found.Id).remove({ force: true }).catch(ignoreStatus(404));
      }
      await this.prepareHostDirs(spec);
      try {
        const c = await this.docker.createContainer(await this.containerConfig(name, spec));
        await c.start();
        return this.ready(handle);
      } catch (err) {
        // Another worker made it first: take that one.
        if (statusOf(err) !== 409) throw err;
      }
    }
    throw new Error(`could not create or find the sandbox container ${name}`);
  }

  async start(h: SandboxHandle, proc: ProcessSpec): Promise<void> {
    const dir = join(h.spec.stateDir, 'procs');
    const rec = await readRecord(dir, proc.name);
    if (rec) {
      // The record is written before the exec starts: finish a start a dead worker left half done.
      const ex = await this.inspectExec(rec.execId);
      if (ex && !ex.Running && !ex.Pid && ex.ExitCode === null) await startDetached(this.docker.getExec(rec.execId));
      return;
    }
    const container = this.docker.getContainer(h.id);
    let info = await container.inspect().catch(ignoreStatus(404));
    if (!info) {
      await this.ensure(h.spec);
      info = await container.inspect();
    }
    if (this.chowns()) {
      await chownTree(h.spec.workspaceDir, ...this.uidGid());
      await chownTree(dir, ...this.uidGid());
    }
    const cap = proc.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
    const inProcs = (suffix: string) => `${IN_SANDBOX.procs}/${proc.name}.${suffix}`;
    const exec = await container.exec({
      Cmd: wrapperArgv({ cap, out: inProcs('out'), exitFile: inProcs('exit'), pidFile: inProcs('pid'), countOomKills: true }, proc.argv),
      // Secrets travel here only: per exec, never in the container's config or any record.
      Env: Object.entries({ ...passThrough(h.spec.passEnv), ...proc.env }).map(([k, v]) => `${k}=${v}`),
      WorkingDir: proc.cwd ?? IN_SANDBOX.workspace,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
    });
    const record: ProcRecord = { name: proc.name, execId: exec.id, containerId: info.Id, startedAtMs: Date.now(), outputCapBytes: cap };
    await writeAtomic(join(dir, `${proc.name}.json`), JSON.stringify(record));
    await startDetached(exec);
  }

  async status(h: SandboxHandle, name: string): Promise<ProcessStatus> {
    const dir = join(h.spec.stateDir, 'procs');
    const rec = await readRecord(dir, name);
    if (!rec) return { state: 'absent' };
    const exited = await this.exitedStatus(h, rec);
    if (exited) return exited;
    const ex = await this.inspectExec(rec.execId);
    if (ex?.Running) return { state: 'running', startedAtMs: rec.startedAtMs };
    const container = await this.containerState(h);
    if (!ex && container?.running && (await this.groupAlive(h, name))) return { state: 'running', startedAtMs: rec.startedAtMs };
    // The wrapper may have written its status between the two reads.
    const late = await this.exitedStatus(h, rec);
    if (late) return late;
    // Gone without a status: the container went away or was stopped, or the wrapper was killed too.
    return { state: 'exited', startedAtMs: rec.startedAtMs, endedAtMs: Date.now(), exitCode: null, signal: 'SIGKILL', outputTruncated: false, oomKilled: container?.oomKilled ?? false, lost: true };
  }

  async signal(h: SandboxHandle, name: string, sig: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): Promise<void> {
    const st = await this.status(h, name);
    if (st.state !== 'running') return;
    const container = await this.containerState(h);
    // As the local sandbox sends SIGCONT first: a frozen process cannot act on the signal.
    if (container?.paused) await this.docker.getContainer(h.id).unpause().catch(ignoreStatus(409));
    const pgid = await this.leaderPid(h, name);
    if (pgid === null) return;
    await this.execRun(h, ['bash', '-c', 'kill -s "$1" -- "-$2" 2>/dev/null || true', 'kill', sig.slice(3), pgid]);
  }

  async pause(h: SandboxHandle): Promise<void> {
    const st = await this.containerState(h);
    if (st?.running && !st.paused) await this.docker.getContainer(h.id).pause().catch(ignoreStatus(409));
  }

  async resume(h: SandboxHandle): Promise<void> {
    const st = await this.containerState(h);
    if (st?.paused) await this.docker.getContainer(h.id).unpause().catch(ignoreStatus(409));
  }

  async remove(h: SandboxHandle): Promise<void> {
    await this.docker.getContainer(h.id).remove({ force: true }).catch(ignoreStatus(404));
    if (h.spec.labels.role === 'agent') await this.closeEgress(h.spec.labels.sessionId);
  }

  /** Every container of a session, whatever state it is in: what a finished session leaves to clean. */
  async removeSession(sessionId: string): Promise<number> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${sessionId}`] } });
    await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(ignoreStatus(404))));
    await this.closeEgress(sessionId);
    return list.length;
  }

  /** Stops serving the egress proxies (the worker is shutting down); containers and their processes stay. */
  async close(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.closeEgress(id)));
  }

  /** A container just started: its forwarder listens before anything is launched that would use it. */
  private async ready(h: SandboxHandle): Promise<SandboxHandle> {
    if (!this.proxied(h.spec)) return h;
    const { hostname, port } = new URL(EGRESS_PROXY_URL);
    const wait = 'import socket, sys, time\nfor _ in range(200):\n    try:\n        socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close(); sys.exit(0)\n    except OSError:\n        time.sleep(0.05)\nsys.exit(1)';
    const code = await this.execRun(h, [this.opts.python, '-c', wait, hostname, port]);
    if (code !== 0) throw new Error(`the egress forwarder of ${h.id} did not listen on ${EGRESS_PROXY_URL} within 10 s (see: docker logs ${h.id})`);
    return h;
  }

  /** An agent sandbox that may reach some endpoints, on a node that filters them itself. */
  private proxied(spec: SandboxSpec): boolean {
    return spec.labels.role === 'agent' && spec.egress.length > 0 && this.opts.agentNetwork === 'proxy';
  }

  private async serveEgress(spec: SandboxSpec): Promise<void> {
    const key = spec.labels.sessionId;
    let p = this.proxies.get(key);
    if (!p) {
      const proxy = new EgressProxy(join(spec.stateDir, 'egress', 'egress.sock'), spec.egress, join(spec.stateDir, 'egress.log'));
      p = proxy.listen().then(() => proxy);
      this.proxies.set(key, p);
      p.catch(() => this.proxies.delete(key));
    }
    (await p).setAllowed(spec.egress);
  }

  private async closeEgress(sessionId: string): Promise<void> {
    const p = this.proxies.get(sessionId);
    this.proxies.delete(sessionId);
    if (p) await (await p.catch(() => null))?.close();
  }

  private async find(labels: SandboxLabels): Promise<Docker.ContainerInfo | null> {
    const filters = Object.entries(labelsOf(labels)).map(([k, v]) => `${k}=${v}`);
    const list = await this.docker.listContainers({ all: true, filters: { label: filters } });
    return list[0] ?? null;
  }

  private async containerConfig(name: string, spec: SandboxSpec): Promise<Docker.ContainerCreateOptions> {
    const image = spec.image ?? this.opts.image;
    if (!image) throw new Error('no sandbox image: set the session spec\'s "image" or NANOGPT_BENCH_DOCKER_IMAGE');
    const binds = [`${spec.workspaceDir}:${IN_SANDBOX.workspace}:rw`, `${join(spec.stateDir, 'procs')}:${IN_SANDBOX.procs}:rw`];
    if (spec.dataDir && !(this.opts.dataInImage && spec.dataDir === IN_SANDBOX.data)) binds.push(`${spec.dataDir}:${IN_SANDBOX.data}:ro`);
    if (spec.relayDir) binds.push(`${spec.relayDir}:${IN_SANDBOX.relay}:rw`);
    if (this.opts.toolsDir) binds.push(`${this.opts.toolsDir}:${IN_SANDBOX.tools}:ro`);
    for (const p of [...this.opts.readOnlyMounts, ...(spec.readOnlyMounts ?? [])]) binds.push(`${p}:${p}:ro`);
    const paths = this.paths(spec);
    const env: Record<string, string> = {
      PATH: `${IN_SANDBOX.tools}:${await this.imagePath(image)}`,
      HOME: IN_SANDBOX.workspace,
      LANG: 'C.UTF-8',
      WORKSPACE: paths.workspace,
      NPROC_PER_NODE: String(spec.gpus),
      PYTHON: this.opts.python,
      ...(paths.data ? { DATA_DIR: paths.data } : {}),
      ...(paths.relay ? { NANOGPT_BENCH_RELAY_DIR: paths.relay } : {}),
    };
    const memory = spec.memoryBytes ?? this.opts.memoryBytes;
    const proxied = this.proxied(spec);
    const ownNetwork = spec.labels.role === 'agent' && spec.egress.length > 0 && !proxied && this.opts.agentNetwork !== 'none';
    if (proxied) {
      binds.push(`${join(spec.stateDir, 'egress')}:${IN_SANDBOX.egress}:ro`);
      // Upper and lower case: curl reads only the lower, some SDKs only the upper.
      for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[k] = EGRESS_PROXY_URL;
    }
    return {
      name,
      Image: image,
      // The container's main process: nothing, or the forwarder to the egress proxy, restarted if it ever dies.
      Entrypoint: proxied ? ['bash', '-c', 'while :; do "$@"; sleep 1; done', 'egress-forward'] : ['sleep'],
      Cmd: proxied
        ? [this.opts.python, `${IN_SANDBOX.tools}/egress-forward`, '--listen', new URL(EGRESS_PROXY_URL).host, '--socket', `${IN_SANDBOX.egress}/egress.sock`]
        : ['infinity'],
      User: this.opts.user,
      WorkingDir: IN_SANDBOX.workspace,
      Labels: labelsOf(spec.labels),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      HostConfig: {
        // An init as pid 1 reaps what exec'd processes orphan, and forwards signals.
        Init: true,
        Binds: binds,
        NetworkMode: ownNetwork ? this.opts.agentNetwork : 'none',
        // torchrun's ranks talk through /dev/shm (NCCL) and CUDA IPC, within this one IPC namespace.
        IpcMode: 'private',
        ShmSize: this.opts.shmSizeBytes,
        Ulimits: this.opts.ulimits,
        ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
        PidsLimit: spec.pidsLimit ?? this.opts.pidsLimit,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        DeviceRequests: await this.deviceRequests(spec.gpus),
      },
    };
  }

  private async deviceRequests(count: number): Promise<Docker.DeviceRequest[]> {
    const mode = this.opts.gpus;
    if (Array.isArray(mode)) {
      if (mode.length < count) throw new Error(`the sandbox asks for ${count} GPUs; this node was given ${mode.length} (${mode.join(',')})`);
      return [{ Driver: 'nvidia', DeviceIDs: mode.slice(0, count), Capabilities: [['gpu']] }];
    }
    if (mode === 'none' || count === 0) return [];
    if (mode === 'auto' && !(await this.hasGpus())) return [];
    return [{ Driver: 'nvidia', Count: count, Capabilities: [['gpu']] }];
  }

  /** NVIDIA devices on this node, or an engine that knows the nvidia runtime. */
  private async hasGpus(): Promise<boolean> {
    if (this.gpuDetected === null) {
      const info = (await this.docker.info()) as { Runtimes?: Record<string, unknown> };
      this.gpuDetected = existsSync('/dev/nvidiactl') || Object.keys(info.Runtimes ?? {}).includes('nvidia');
    }
    return this.gpuDetected;
  }

  private async imagePath(image: string): Promise<string> {
    let p = this.imagePaths.get(image);
    if (p === undefined) {
      const info = await this.docker.getImage(image).inspect().catch((err) => {
        if (statusOf(err) === 404) throw new Error(`sandbox image ${image} is not in the engine (build it: docker build -t ${image} -f image/Dockerfile .)`);
        throw err;
      });
      const env = info.Config?.Env ?? [];
      p = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
      this.imagePaths.set(image, p);
    }
    return p;
  }

  private async prepareHostDirs(spec: SandboxSpec): Promise<void> {
    const procs = join(spec.stateDir, 'procs');
    await mkdir(procs, { recursive: true });
    await mkdir(spec.workspaceDir, { recursive: true });
    if (spec.relayDir) await mkdir(spec.relayDir, { recursive: true });
    if (this.proxied(spec)) await mkdir(join(spec.stateDir, 'egress'), { recursive: true });
    if (this.chowns()) await chownTree(procs, ...this.uidGid());
  }

  /** A root worker hands the workspace to the sandbox user; any other worker runs sandboxes as itself already. */
  private chowns(): boolean {
    return process.getuid?.() === 0 && /^\d+:\d+$/.test(this.opts.user);
  }

  private uidGid(): [number, number] {
    const [u, g] = this.opts.user.split(':').map(Number);
    return [u, g];
  }

  private async exitedStatus(h: SandboxHandle, rec: ProcRecord): Promise<ProcessStatus | null> {
    let text: string;
    try {
      text = await readFile(join(h.spec.stateDir, 'procs', `${rec.name}.exit`), 'utf8');
    } catch {
      return null;
    }
    const e = parseWrapperExit(text);
    const killed = e.signal === 'SIGKILL';
    return {
      state: 'exited',
      startedAtMs: rec.startedAtMs,
      endedAtMs: e.endedAtMs ?? Date.now(),
      exitCode: e.exitCode,
      signal: e.signal,
      outputTruncated: e.outputBytes >= rec.outputCapBytes,
      oomKilled: killed && (e.oomKills > 0 || ((await this.containerState(h))?.oomKilled ?? false)),
    };
  }

  private async containerState(h: SandboxHandle): Promise<ContainerState> {
    const info = await this.docker.getContainer(h.id).inspect().catch(ignoreStatus(404));
    if (!info) return null;
    return { running: info.State.Running, paused: info.State.Paused, oomKilled: info.State.OOMKilled };
  }

  private async inspectExec(id: string): Promise<Docker.ExecInspectInfo | null> {
    return (await this.docker.getExec(id).inspect().catch(ignoreStatus(404))) ?? null;
  }

  /** The process group leader's pid, written by the wrapper as the process starts. */
  private async leaderPid(h: SandboxHandle, name: string): Promise<string | null> {
    const file = join(h.spec.stateDir, 'procs', `${name}.pid`);
    for (let i = 0; i < 40; i++) {
      const pid = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (/^\d+$/.test(pid)) return pid;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /** After an engine restart the exec record is gone while the process may live on: ask the container. */
  private async groupAlive(h: SandboxHandle, name: string): Promise<boolean> {
    const pid = (await readFile(join(h.spec.stateDir, 'procs', `${name}.pid`), 'utf8').catch(() => '')).trim();
    if (!/^\d+$/.test(pid)) return false;
    return (await this.execRun(h, ['bash', '-c', 'kill -0 -- "-$1" 2>/dev/null', 'alive', pid])) === 0;
  }

  /** Runs a short command in the sandbox and waits for its exit code. */
  private async execRun(h: SandboxHandle, argv: string[]): Promise<number | null> {
    const exec = await this.docker.getContainer(h.id).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve) => {
      stream.on('end', resolve).on('close', resolve).on('error', () => resolve());
      stream.resume();
    });
    // A hijacked connection stays open past the end of output unless closed here.
    (stream as unknown as { destroy?: () => void }).destroy?.();
    return (await exec.inspect()).ExitCode;
  }
}

/** A container name per sandbox, readable and unique for its labels. */
export function containerName(l: SandboxLabels): string {
  const parts = ['nanogpt-bench', safeName(l.sessionId), l.role];
  if (l.subject !== undefined) parts.push(safeName(l.subject));
  if (l.runIndex !== undefined) parts.push(String(l.runIndex));
  return parts.join('.');
}

export function labelsOf(l: SandboxLabels): Record<string, string> {
  return {
    [LABEL.session]: l.sessionId,
    [LABEL.role]: l.role,
    ...(l.subject !== undefined ? { [LABEL.subject]: l.subject } : {}),
    ...(l.runIndex !== undefined ? { [LABEL.run]: String(l.runIndex) } : {}),
  };
}

/** Starts an exec without attaching; the engine's answer is a stream that must be closed or it keeps the process alive. */
async function startDetached(exec: Docker.Exec): Promise<void> {
  const stream = (await exec.start({ Detach: true })) as unknown as { resume?: () => void; destroy?: () => void } | undefined;
  stream?.resume?.();
  stream?.destroy?.();
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Turns the engine's answer for "already so" (304, 404, 409 as given) into nothing. */
function ignoreStatus(...codes: number[]) {
  return (err: unknown): null => {
    if (codes.includes(statusOf(err) ?? -1)) return null;
    throw err;
  };
}

async function readRecord(dir: string, name: string): Promise<ProcRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as ProcRecord;
  } catch {
    return null;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

function passThrough(names: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names ?? []) if (process.env[n] !== undefined) out[n] = process.env[n]!;
  return out;
}
