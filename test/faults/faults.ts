import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Prng } from '../../src/domain/prng';
import { layout } from '../../src/files/layout';
import { eventually } from '../helpers/harness';
import { fillDisk } from '../helpers/fillDisk';
import type { CandidateKind } from './candidates';
import type { JudgeFault } from './judgeServer';
import type { World } from './world';

/** What an injection acts on: the world, the session it is aimed at, its candidate's marker and (once acknowledged) id. */
export interface Target {
  world: World;
  rng: Prng;
  sessionId: string;
  marker: string;
  /** Resolves with the submission's id once the session acknowledged it. */
  submitted: Promise<string>;
  /** Hooks the next judge request for this candidate. */
  onJudgeRequest: (fn: () => Promise<void>) => void;
}

export interface Fault {
  name: string;
  /** The candidate submitted with it: a misbehaving training run is itself the fault. */
  candidate: CandidateKind;
  /** The sessions it is struck into: local (default) or Docker sandboxes. */
  sandbox?: 'docker';
  /** Set up before the submit (a judge answer queued, a hook laid). */
  arm?: (t: Target) => void;
  /** Struck before the submit, and waited for (while only the agent works); false when it could not be. */
  before?: (t: Target) => Promise<boolean>;
  /** Strikes while the candidate is being validated; false when there was nothing to strike. */
  strike?: (t: Target) => Promise<void | boolean>;
  /** Strikes while the session confirms its best, at its end; false when there was nothing in flight to strike. */
  atEnd?: (t: Omit<Target, 'marker' | 'submitted' | 'onJudgeRequest'>) => Promise<boolean>;
  /** Why it cannot run here, if it cannot. */
  unavailable?: (w: World) => string | null;
  /**
   * A defect this fault finds that is known and not fixed yet: the full form still strikes it (and
   * goes red on it); the quick form in `npm test` leaves it out, says so, and stays a gate for the rest.
   */
  openDefect?: string;
  /** Why only the full form strikes it (no defect: what it would cost the quick form in `npm test`). */
  fullFormOnly?: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const DISK_FULL = 'disk of NANOGPT_BENCH_HOME full';

/** Waits for a timed run of one of `subjects` to be in flight (its process record written, its exit line not yet); which one, or null when none came. */
export async function runInFlight(sessionId: string, subjects: () => string[], timeoutMs = 120_000): Promise<{ subject: string; index: number } | null> {
  const inFlight = (s: string) => {
    const runs = join(layout.submission(sessionId, s), 'runs');
    const i = existsSync(runs)
      ? readdirSync(runs).find((i) => /^\d+$/.test(i) && existsSync(join(runs, i, 'procs', 'run.json')) && !existsSync(join(runs, i, 'procs', 'run.exit')))
      : undefined;
    return i === undefined ? null : { subject: s, index: Number(i) };
  };
  try {
    return await eventually(
      'a timed run in flight',
      async () =>
        subjects()
          .map(inFlight)
          .find((r) => r !== null) ?? null,
      timeoutMs,
      20,
    );
  } catch {
    return null;
  }
}

const killWorkerNow = (t: { world: World }, fault: string) => t.world.exclusive(fault, () => t.world.killWorker());
const judgeFault = (f: JudgeFault): Fault => ({
  name: `judge API: ${f === 'timeout' ? 'timeout' : f === 'malformed' ? 'malformed JSON' : f}`,
  candidate: 'good',
  arm: (t) => t.world.judge.queue(t.marker, f),
});
const badRun = (kind: CandidateKind, what: string): Fault => ({ name: `training run ${what}`, candidate: kind });

export const FAULTS: Fault[] = [
  {
    name: 'worker SIGKILL: agent work',
    candidate: 'good',
    // Before the submit, while only the agent works: the submit then waits for the next worker.
    arm: (t) => void sleep(t.rng.below(1500)).then(() => killWorkerNow(t, 'worker SIGKILL: agent work')),
  },
  { name: 'worker SIGKILL: judging', candidate: 'good', arm: (t) => t.onJudgeRequest(() => killWorkerNow(t, 'worker SIGKILL: judging')) },
  {
    name: 'worker SIGKILL: retime run',
    candidate: 'good',
    strike: async (t) => {
      const id = await t.submitted;
      if ((await runInFlight(t.sessionId, () => [id])) !== null) {
        await sleep(t.rng.below(300));
        await killWorkerNow(t, 'worker SIGKILL: retime run');
      }
    },
  },
  {
    name: 'worker SIGKILL: confirmation',
    candidate: 'good',
    atEnd: async (t) => {
      // The anchor's and each candidate's confirmation runs, interleaved: any of them in flight.
      const confirming = () => readdirSync(join(layout.session(t.sessionId), 'submissions')).filter((n) => n.startsWith('confirmation-'));
      if ((await runInFlight(t.sessionId, confirming)) === null) return false;
      await killWorkerNow(t, 'worker SIGKILL: confirmation');
      return true;
    },
  },
  {
    name: 'Temporal server SIGKILL + restart',
    candidate: 'good',
    strike: async (t) => {
      await t.submitted;
      await sleep(t.rng.below(1500));
      await t.world.exclusive('Temporal server SIGKILL + restart', () => t.world.killServer());
    },
  },
  {
    name: DISK_FULL,
    candidate: 'good',
    strike: async (t) => {
      await t.submitted;
      await sleep(t.rng.below(1000));
      await t.world.exclusive(DISK_FULL, () => fillDisk(t.world.h.home, 3000));
    },
    unavailable: (w) => w.homeNotMounted,
  },
  judgeFault('500'),
  judgeFault('429'),
  judgeFault('timeout'),
  judgeFault('malformed'),
  badRun('hang', 'hangs'),
  badRun('crash', 'crashes'),
  badRun('nan', 'prints NaN'),
  badRun('flood', 'floods output'),
  badRun('fork', 'forks a survivor'),
  badRun('writes-outside', 'writes outside its folder'),
];
