import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { SandboxLabels, SandboxSpec } from '../sandbox';
import { chownTree } from '../chownTree';
import { procsDir } from '../procs/records';
import { sandboxEnvironment } from '../procs/environment';
import { ignoreStatus, statusOf } from './engine';
import type { EgressSettings } from './egress';
import type { ResolvedDockerOptions } from './options';
import { IN_SANDBOX, labelsOf } from './paths';

export type ContainerState = { running: boolean; paused: boolean; oomKilled: boolean; finishedAtMs: number | null } | null;

/** When the engine says a container's last run ended, or null (never ended, or the engine's zero time). */
export function finishedAtMs(state: { FinishedAt?: string }): number | null {
  const ms = Date.parse(state.FinishedAt ?? '');
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** How a sandbox's processes see the harness's places inside a container. */
export function inSandboxPaths(spec: SandboxSpec) {
  return {
    workspace: IN_SANDBOX.workspace,
    data: spec.dataDir ? IN_SANDBOX.data : null,
    relay: spec.relayDir ? IN_SANDBOX.relay : null,
    tools: IN_SANDBOX.tools,
  };
}

/**
 * One long-lived container per sandbox: found by its labels, made from the session's image with
 * no capabilities, no new privileges, the limits of the options, and the host folders mounted.
 */
export class Containers {
  private gpuDetected: boolean | null = null;
  private readonly imagePaths = new Map<string, string>();

  constructor(
    readonly docker: Docker,
    private readonly opts: ResolvedDockerOptions,
  ) {}

  async find(labels: SandboxLabels): Promise<Docker.ContainerInfo | null> {
    const filters = Object.entries(labelsOf(labels, this.opts.node)).map(([k, v]) => `${k}=${v}`);
    const list = await this.docker.listContainers({ all: true, filters: { label: filters } });
    return list[0] ?? null;
  }

  async state(id: string): Promise<ContainerState> {
    const info = await this.docker.getContainer(id).inspect().catch(ignoreStatus(404));
    if (!info) return null;
    return { running: info.State.Running, paused: info.State.Paused, oomKilled: info.State.OOMKilled, finishedAtMs: finishedAtMs(info.State) };
  }

  async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true }).catch(ignoreStatus(404));
  }

  /** The host folders the container mounts, made (and handed to the sandbox user) before it starts. */
  async prepareHostDirs(spec: SandboxSpec, extraDirs: string[]): Promise<void> {
    const procs = procsDir(spec.stateDir);
    for (const d of [procs, spec.workspaceDir, ...(spec.relayDir ? [spec.relayDir] : []), ...extraDirs]) await mkdir(d, { recursive: true });
    if (this.chowns()) await chownTree(procs, ...this.uidGid());
  }

  /** A root worker hands the workspace to the sandbox user; any other worker runs sandboxes as itself already. */
  async handOver(...dirs: string[]): Promise<void> {
    if (this.chowns()) for (const d of dirs) await chownTree(d, ...this.uidGid());
  }

  async config(name: string, spec: SandboxSpec, egress: EgressSettings): Promise<Docker.ContainerCreateOptions> {
    const image = spec.image ?? this.opts.image;
    if (!image) throw new Error('no sandbox image: set the session spec\'s "image" or NANOGPT_BENCH_DOCKER_IMAGE');
    const binds = [`${spec.workspaceDir}:${IN_SANDBOX.workspace}:rw`, `${procsDir(spec.stateDir)}:${IN_SANDBOX.procs}:rw`];
    if (spec.dataDir && !(this.opts.dataInImage && spec.dataDir === IN_SANDBOX.data)) binds.push(`${spec.dataDir}:${IN_SANDBOX.data}:ro`);
    if (spec.relayDir) binds.push(`${spec.relayDir}:${IN_SANDBOX.relay}:rw`);
    if (this.opts.toolsDir) binds.push(`${this.opts.toolsDir}:${IN_SANDBOX.tools}:ro`);
    for (const p of [...this.opts.readOnlyMounts, ...(spec.readOnlyMounts ?? [])]) binds.push(`${p}:${p}:ro`);
    binds.push(...egress.binds);
    const env = { ...sandboxEnvironment(spec, inSandboxPaths(spec), { path: await this.imagePath(image), python: this.opts.python }), ...egress.env };
    const memory = spec.memoryBytes ?? this.opts.memoryBytes;
    return {
      name,
      Image: image,
      Entrypoint: egress.entrypoint,
      Cmd: egress.cmd,
      User: this.opts.user,
      WorkingDir: IN_SANDBOX.workspace,
      Labels: labelsOf(spec.labels, this.opts.node),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      HostConfig: {
        // An init as pid 1 reaps what exec'd processes orphan, and forwards signals.
        Init: true,
        Binds: binds,
        NetworkMode: egress.networkMode,
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

  /** The image's own search path, which the tools folder is put in front of. */
  private async imagePath(image: string): Promise<string> {
    let p = this.imagePaths.get(image);
    if (p === undefined) {
      const info = await this.docker
        .getImage(image)
        .inspect()
        .catch((err: unknown) => {
          if (statusOf(err) === 404) throw new Error(`sandbox image ${image} is not in the engine (build it: docker build -t ${image} -f image/Dockerfile .)`);
          throw err;
        });
      const env = info.Config?.Env ?? [];
      p = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
      this.imagePaths.set(image, p);
    }
    return p;
  }

  private chowns(): boolean {
    return process.getuid?.() === 0 && /^\d+:\d+$/.test(this.opts.user);
  }

  private uidGid(): [number, number] {
    const [u, g] = this.opts.user.split(':').map(Number);
    return [u, g];
  }
}
