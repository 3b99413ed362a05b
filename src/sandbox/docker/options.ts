import { z } from 'zod';
import { formatZodError } from '../../domain/validation';
import type Docker from 'dockerode';
import { harnessToolsDir } from '../tools';

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
  agentNetwork?: string;
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
  /**
   * In a fleet, the node this worker is. Its containers carry it (label and name), so a node finds,
   * signals and fences only its own, even on an engine another node uses too, and reads a process
   * another node started as lost (from here it cannot be followed; its own node ends it).
   */
  node?: string;
}

export const DEFAULT_ULIMITS: Docker.Ulimit[] = [
  { Name: 'memlock', Soft: -1, Hard: -1 },
  { Name: 'stack', Soft: 64 * 1024 * 1024, Hard: 64 * 1024 * 1024 },
];

/** The options with every default filled in (image and memory may stay unset). */
export type ResolvedDockerOptions = Required<Omit<DockerSandboxOptions, 'docker' | 'image' | 'memoryBytes' | 'node'>> &
  Pick<DockerSandboxOptions, 'image' | 'memoryBytes' | 'node'>;

export function resolveDockerOptions(opts: DockerSandboxOptions): ResolvedDockerOptions {
  const resolved = {
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
    node: opts.node,
  };
  const [uid] = resolved.user.split(':');
  if (uid === '0' || uid === 'root') throw new Error('DockerSandbox: user must not be root (got ' + resolved.user + ')');
  return resolved;
}

const EnvSchema = z.object({
  NANOGPT_BENCH_DOCKER_IMAGE: z.string().min(1).optional(),
  NANOGPT_BENCH_DOCKER_USER: z
    .string()
    .regex(/^\d+:\d+$/, 'uid:gid in numbers, not root')
    .refine((u) => !u.startsWith('0:'), 'must not be root')
    .optional(),
  NANOGPT_BENCH_DOCKER_GPUS: z
    .string()
    .regex(/^(auto|none|count|[\w-]+(,[\w-]+)*)$/, '"auto", "none", "count" or comma-separated device ids')
    .optional(),
  NANOGPT_BENCH_DOCKER_MEMORY_BYTES: z.coerce.number().int().positive().optional(),
  NANOGPT_BENCH_DOCKER_SHM_BYTES: z.coerce.number().int().positive().optional(),
  NANOGPT_BENCH_DOCKER_PIDS_LIMIT: z.coerce.number().int().positive().optional(),
  /** `proxy` (default): only the model API, through the worker; `none`: nothing; else a Docker network by name. */
  NANOGPT_BENCH_DOCKER_AGENT_NETWORK: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, '"proxy", "none" or the name of a Docker network')
    .optional(),
  /** `image`: the image's own /opt/nanogpt-bench/bin; otherwise a host folder to mount there. */
  NANOGPT_BENCH_DOCKER_TOOLS: z.string().min(1).optional(),
  /** `image`: sessions whose data folder is /data use the image's own shards there; `mount` (default): always bind-mount it. */
  NANOGPT_BENCH_DOCKER_DATA: z.enum(['image', 'mount']).optional(),
  /** `name=soft:hard,…` (-1: unlimited) instead of DEFAULT_ULIMITS: an engine without CAP_SYS_RESOURCE cannot grant more than it has. */
  NANOGPT_BENCH_DOCKER_ULIMITS: z
    .string()
    .regex(/^[a-z]+=-?\d+:-?\d+(,[a-z]+=-?\d+:-?\d+)*$/, '"name=soft:hard" pairs, comma-separated (-1: unlimited)')
    .optional(),
});

/**
 * The Docker sandbox's settings from the worker's environment (docker-compose.yml sets them; the
 * engine itself comes from DOCKER_HOST). Fails naming the variable and what it expects.
 */
export function dockerSandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DockerSandboxOptions {
  const r = EnvSchema.safeParse(env);
  if (!r.success) throw new Error(`invalid Docker sandbox settings: ${formatZodError(r.error)}`);
  const e = r.data;
  const gpus = e.NANOGPT_BENCH_DOCKER_GPUS;
  return {
    image: e.NANOGPT_BENCH_DOCKER_IMAGE,
    user: e.NANOGPT_BENCH_DOCKER_USER,
    gpus: gpus === undefined || gpus === 'auto' || gpus === 'none' || gpus === 'count' ? gpus : gpus.split(','),
    memoryBytes: e.NANOGPT_BENCH_DOCKER_MEMORY_BYTES,
    shmSizeBytes: e.NANOGPT_BENCH_DOCKER_SHM_BYTES,
    pidsLimit: e.NANOGPT_BENCH_DOCKER_PIDS_LIMIT,
    agentNetwork: e.NANOGPT_BENCH_DOCKER_AGENT_NETWORK,
    toolsDir: e.NANOGPT_BENCH_DOCKER_TOOLS === 'image' ? null : e.NANOGPT_BENCH_DOCKER_TOOLS,
    dataInImage: e.NANOGPT_BENCH_DOCKER_DATA === 'image',
    ulimits: e.NANOGPT_BENCH_DOCKER_ULIMITS?.split(',').map((u) => {
      const [name, limits] = u.split('=');
      const [soft, hard] = limits.split(':').map(Number);
      return { Name: name, Soft: soft, Hard: hard };
    }),
  };
}
