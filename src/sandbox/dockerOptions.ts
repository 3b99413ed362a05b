import { z } from 'zod';
import { formatZodError } from '../domain/validation';
import type { DockerSandboxOptions } from './docker';

const EnvSchema = z.object({
  NANOGPT_BENCH_DOCKER_IMAGE: z.string().min(1).optional(),
  NANOGPT_BENCH_DOCKER_USER: z.string().regex(/^\d+:\d+$/, 'uid:gid in numbers, not root').refine((u) => !u.startsWith('0:'), 'must not be root').optional(),
  NANOGPT_BENCH_DOCKER_GPUS: z
    .string()
    .regex(/^(auto|none|count|[\w-]+(,[\w-]+)*)$/, '"auto", "none", "count" or comma-separated device ids')
    .optional(),
  NANOGPT_BENCH_DOCKER_MEMORY_BYTES: z.coerce.number().int().positive().optional(),
  NANOGPT_BENCH_DOCKER_SHM_BYTES: z.coerce.number().int().positive().optional(),
  NANOGPT_BENCH_DOCKER_PIDS_LIMIT: z.coerce.number().int().positive().optional(),
  /** `proxy` (default): only the model API, through the worker; `none`: nothing; else a Docker network by name. */
  NANOGPT_BENCH_DOCKER_AGENT_NETWORK: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, '"proxy", "none" or the name of a Docker network').optional(),
  /** `image`: the image's own /opt/nanogpt-bench/bin; otherwise a host folder to mount there. */
  NANOGPT_BENCH_DOCKER_TOOLS: z.string().min(1).optional(),
  /** `image`: sessions whose data folder is /data use the image's own shards there; `mount` (default): always bind-mount it. */
  NANOGPT_BENCH_DOCKER_DATA: z.enum(['image', 'mount']).optional(),
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
  };
}
