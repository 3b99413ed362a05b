import { containerName } from '../../src/sandbox/docker';
import { eventually } from '../helpers/harness';
import { runInFlight, sleep, type Fault, type Target } from './faults';

/** Waits for the agent's container to run unpaused (the agent at work between validations), then a seeded moment more. */
async function agentAtWork(t: Target): Promise<boolean> {
  const c = t.world.dockerd!.docker.getContainer(containerName({ sessionId: t.sessionId, role: 'agent' }));
  try {
    await eventually(
      'the agent at work',
      async () => {
        const s = (await c.inspect()).State;
        return s.Running && !s.Paused;
      },
      120_000,
      100,
    );
  } catch {
    t.world.note(`${t.sessionId}: the agent's container never ran unpaused: not struck`);
    return false;
  }
  await sleep(t.rng.below(1500));
  return true;
}

/** A timed run of the submission in flight, a seeded moment into it; null when none came. */
async function runToStrike(t: Target): Promise<{ subject: string; index: number } | null> {
  const id = await t.submitted;
  const r = await runInFlight(t.sessionId, () => [id]);
  if (r) await sleep(t.rng.below(300));
  return r;
}

/** How long the engine stays down: up to 20 s, as a service manager's restart of a loaded engine may take. */
const downtime = (t: Target) => t.rng.below(20_000);

const unavailable = (w: Target['world']) => w.dockerUnavailable;

/** Seen on seeds 7 and 11 (2026-11-30): the workflow's ledger, not the sandbox, is what is off. */
/** Seen on seed 11 (2026-11-30 10:13, main's 5f63605 merged): with no agent fault at all. */
const DOCKER_AGENT_LEDGER =
  "a Docker session's agent is charged over what its processes held even when no fault touches it (1.32 GPU-s charged, 0.24 held: over the 1 GPU-s tolerance), so the quick form cannot gate on a Docker session yet (workflows/sessionWork.ts, src/domain/budget.ts)";

const AGENT_LOST =
  "an agent lost with its container is charged while no agent process runs: from the watcher's noticing the loss (agentWasDown starts holding again) and from each resume until the next launch starts (after a backoff, and after the validation when it was lost while paused): 1.2–3.1 GPU-s over the sandbox's records per session (workflows/sessionWork.ts, src/domain/budget.ts: charging the agent by its processes' own start and end removes it)";

/**
 * The Docker sandbox's faults, struck into sessions on the suite's own engine: the engine stopped
 * and started again (its containers stop with it), and a sandbox's container killed from outside.
 */
export const DOCKER_FAULTS: Fault[] = [
  {
    name: 'dockerd restart: agent work',
    sandbox: 'docker',
    openDefect: AGENT_LOST,
    candidate: 'good',
    unavailable,
    before: async (t) => (await agentAtWork(t)) && (await t.world.exclusive('dockerd restart: agent work', () => t.world.restartDockerd(downtime(t))), true),
  },
  {
    name: 'dockerd restart: timed run',
    sandbox: 'docker',
    openDefect: AGENT_LOST,
    candidate: 'good',
    unavailable,
    strike: async (t) =>
      (await runToStrike(t)) !== null && (await t.world.exclusive('dockerd restart: timed run', () => t.world.restartDockerd(downtime(t))), true),
  },
  {
    name: 'docker kill: run container',
    sandbox: 'docker',
    openDefect: DOCKER_AGENT_LEDGER,
    candidate: 'good',
    unavailable,
    strike: async (t) => {
      const r = await runToStrike(t);
      if (!r) return false;
      const name = containerName({ sessionId: t.sessionId, role: 'validation', subject: r.subject, runIndex: r.index });
      return t.world.exclusive('docker kill: run container', () => t.world.killContainer(name));
    },
  },
  {
    name: 'docker kill: agent container',
    sandbox: 'docker',
    openDefect: AGENT_LOST,
    candidate: 'good',
    unavailable,
    before: async (t) =>
      (await agentAtWork(t)) &&
      t.world.exclusive('docker kill: agent container', () => t.world.killContainer(containerName({ sessionId: t.sessionId, role: 'agent' }))),
  },
];
