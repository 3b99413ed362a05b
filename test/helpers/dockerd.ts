import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { repoRoot } from '../../src/files/repoRoot';
import { DEFAULT_ULIMITS } from '../../src/sandbox/docker';
import { runCommand } from './harness';

export interface TestEngine {
  docker: Docker;
  socketPath: string;
}

/**
 * A real Docker Engine for tests: NANOGPT_BENCH_TEST_DOCKER_SOCKET when set (an engine someone
 * else runs), else the private dockerd of scripts/start-dockerd.sh, started here when it does not
 * answer yet and left running for the next test file (the data root keeps the imported image).
 * Returns the reason instead when no engine can be had, for the test to skip with.
 */
export async function testEngine(): Promise<TestEngine | { unavailable: string }> {
  let socketPath = process.env.NANOGPT_BENCH_TEST_DOCKER_SOCKET;
  if (!socketPath) {
    const r = await runCommand('bash', [join(repoRoot(), 'scripts', 'start-dockerd.sh'), 'start'], { timeoutMs: 60_000 });
    if (r.status !== 0) return { unavailable: (r.stderr || r.stdout).trim() || `start-dockerd.sh exited with ${r.status}` };
    socketPath = r.stdout.trim().split('\n').pop()!;
  }
  const docker = new Docker({ socketPath });
  try {
    await docker.ping();
  } catch (err) {
    return { unavailable: `the Docker Engine on ${socketPath} does not answer: ${(err as Error).message}` };
  }
  return { docker, socketPath };
}

/** Removes every container a test left with the given session label (cleanup only). */
export async function removeSessionContainers(docker: Docker, sessionId: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`nanogpt-bench.session=${sessionId}`] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/**
 * The sandbox's default limits, lowered to what this machine's engine may grant: where the
 * engine lacks CAP_SYS_RESOURCE (as in some VMs), runc cannot raise a hard limit above its own.
 */
export function grantableUlimits(): { Name: string; Soft: number; Hard: number }[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (label: string): number => {
    const m = new RegExp(`^${label}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits);
    return !m || m[1] === 'unlimited' ? -1 : Number(m[1]);
  };
  const fit = (want: number, max: number) => (max === -1 ? want : want === -1 ? max : Math.min(want, max));
  return DEFAULT_ULIMITS.map((u) => {
    const max = hard(u.Name === 'memlock' ? 'Max locked memory' : 'Max stack size');
    return { Name: u.Name!, Soft: fit(u.Soft!, max), Hard: fit(u.Hard!, max) };
  });
}
