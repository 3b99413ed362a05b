import type { SandboxPaths, SandboxSpec } from '../sandbox';

/**
 * The environment every sandboxed process starts from, whichever backend runs it: where the
 * harness's places are (as the sandbox sees them), the GPU count, the Python that trains. `path`
 * is the search path the tools folder is put in front of.
 */
export function sandboxEnvironment(spec: Pick<SandboxSpec, 'gpus'>, paths: SandboxPaths, o: { path: string; python: string }): Record<string, string> {
  return {
    PATH: `${paths.tools}:${o.path}`,
    HOME: paths.workspace,
    LANG: 'C.UTF-8',
    WORKSPACE: paths.workspace,
    NPROC_PER_NODE: String(spec.gpus),
    PYTHON: o.python,
    ...(paths.data ? { DATA_DIR: paths.data } : {}),
    ...(paths.relay ? { NANOGPT_BENCH_RELAY_DIR: paths.relay } : {}),
  };
}

/** The values of the host variables a spec passes in by name (API keys); absent ones are left out. */
export function passedThrough(names: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names ?? []) {
    const v = env[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}
