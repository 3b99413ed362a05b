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

/**
 * The quick form in `npm test` would deal them a Docker session of their own: with two engine
 * restarts of up to 20 s each it ended 140-255 s into the quick form (2026-11-30), about as late as
 * the slowest local session, on a default run with under 80 s to spare, and it is one more session
 * for the known stall after a worker SIGKILL (TMPRL1100) to strike (it did, once in three quick runs).
 */
const FULL_FORM_ONLY =
  'a Docker session of its own in the quick form costs it up to a minute of a 2-core machine and one more session the TMPRL1100 stall can strike';

/**
 * The Docker sandbox's faults, struck into sessions on the suite's own engine: the engine stopped
 * and started again (its containers stop with it), and a sandbox's container killed from outside.
 */
export const DOCKER_FAULTS: Fault[] = [
  {
    name: 'dockerd restart: agent work',
    sandbox: 'docker',
    fullFormOnly: FULL_FORM_ONLY,
    candidate: 'good',
    unavailable,
    before: async (t) => (await agentAtWork(t)) && (await t.world.exclusive('dockerd restart: agent work', () => t.world.restartDockerd(downtime(t))), true),
  },
  {
    name: 'dockerd restart: timed run',
    sandbox: 'docker',
    fullFormOnly: FULL_FORM_ONLY,
    candidate: 'good',
    unavailable,
    strike: async (t) =>
      (await runToStrike(t)) !== null && (await t.world.exclusive('dockerd restart: timed run', () => t.world.restartDockerd(downtime(t))), true),
  },
  {
    name: 'docker kill: run container',
    sandbox: 'docker',
    fullFormOnly: FULL_FORM_ONLY,
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
    fullFormOnly: FULL_FORM_ONLY,
    candidate: 'good',
    unavailable,
    before: async (t) =>
      (await agentAtWork(t)) &&
      t.world.exclusive('docker kill: agent container', () => t.world.killContainer(containerName({ sessionId: t.sessionId, role: 'agent' }))),
  },
];
