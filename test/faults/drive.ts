import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Prng } from '../../src/domain/prng';
import type { SessionSummary } from '../../src/domain/session';
import type { SessionSpecInput } from '../../src/domain/spec';
import type { SubmissionRecord } from '../../src/domain/submission';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { submitUpdate } from '../../workflows/messages';
import { FASTRUN, eventually } from '../helpers/harness';
import { CANDIDATES, writeCandidate } from './candidates';
import type { Acked } from './checks';
import type { Fault } from './faults';
import type { World } from './world';

/** A small session: near-instant fastrun runs, two per verdict, the calibration as reference, one candidate confirmed. */
export const sessionSpec = (extra: Partial<SessionSpecInput> = {}): SessionSpecInput => ({
  agent: 'command',
  agentCommand: ['sleep', '3600'],
  anchor: FASTRUN,
  budgetGpuHours: 1,
  gpus: 1,
  retimeRuns: 2,
  reference: 'calibration',
  confirmCandidates: 1,
  confirmRuns: 2,
  // Long enough for a fastrun run on a loaded 2-core machine (the calibration runs under it too), short for a hang.
  runTimeoutSeconds: 25,
  // Two runs a side on a loaded 2-core machine: 0.01 rejected a clearly faster candidate now and then, leaving no best to confirm.
  alpha: 0.05,
  ...extra,
});

export interface Injection {
  fault: string;
  sessionId: string;
  /** The submission it was aimed at, once acknowledged; null for a fault struck at the session's end. */
  submissionId: string | null;
  /** What went wrong in the driving itself (a verdict that never came), if anything. */
  stalled: string | null;
}

export interface DrivenSession {
  sessionId: string;
  gpus: number;
  summary: SessionSummary | null;
  submissions: SubmissionRecord[];
  acked: Acked[];
  injections: Injection[];
}

const VERDICT_WAIT_MS = 240_000;
const retryable = (what: string, fn: () => Promise<unknown>) => eventually(what, async () => (await fn(), true), 180_000, 500);

/**
 * One long-lived session with a list of faults struck into it one after another: each submits its
 * candidate (marked for the judge's API), strikes while it is validated, and waits for its verdict.
 * Faults with `atEnd` strike while the session confirms its best after the stop.
 */
export async function driveSession(
  world: World,
  sessionId: string,
  faults: Fault[],
  seed: number,
  extra: Partial<SessionSpecInput> = {},
): Promise<DrivenSession> {
  const rng = new Prng(seed, 1);
  const spec = sessionSpec(extra);
  world.sessionIds.add(sessionId);
  const handle = await startSession(world.h.client, spec, sessionId);
  const out: DrivenSession = { sessionId, gpus: spec.gpus ?? 1, summary: null, submissions: [], acked: [], injections: [] };
  try {
    await eventually('the session running', async () => (await sessionQueries.status(handle)).phase === 'running', 300_000, 500);
  } catch (err) {
    // A finding of its own (did not finish; its faults stalled), never the end of the suite.
    world.note(`${sessionId}: NEVER RUNNING`);
    out.injections = faults.map((f) => ({ fault: f.name, sessionId, submissionId: null, stalled: `the session never ran: ${(err as Error).message}` }));
    return out;
  }

  // A session ends with its best confirmed: one good candidate first, so there is one.
  const plan: Fault[] = [{ name: 'none', candidate: 'good' }, ...faults.filter((f) => !f.atEnd)];
  // Why the driving stopped early: a submit never acknowledged or a verdict that never came. The
  // session's later faults are not struck (each would wait out its own verdict), they count as stalled.
  let gaveUp: string | null = null;
  for (const [n, fault] of plan.entries()) {
    const name = `c${String(n).padStart(2, '0')}-${fault.candidate}`;
    const c = await writeCandidate(sessionId, name, fault.candidate);
    let ack!: (id: string) => void;
    const submitted = new Promise<string>((r) => (ack = r));
    const injection: Injection = { fault: fault.name, sessionId, submissionId: null, stalled: null };
    const target = { world, rng, sessionId, marker: c.marker, submitted, onJudgeRequest: (fn: () => Promise<void>) => world.hookJudge(c.marker, fn) };
    world.note(`${sessionId}: ${name} for "${fault.name}"`);
    fault.arm?.(target);
    const first = await fault.before?.(target);
    const striking = fault.strike?.(target);
    let id: string;
    try {
      id = await submitOnce(handle, c.path, c.contentHash);
    } catch (err) {
      // A session that stops acknowledging is a finding (its faults stalled), never the end of the suite.
      world.note(`${sessionId}: SUBMIT NEVER ACKNOWLEDGED: ${(err as Error).message}`);
      gaveUp = `the submit of ${name} was never acknowledged: ${(err as Error).message}`;
      out.injections.push(...notStruck(plan.slice(n), sessionId, gaveUp));
      // A strike waiting on this submission's id waits for good: left behind, not awaited.
      void striking?.catch(() => undefined);
      break;
    }
    ack(id);
    injection.submissionId = id;
    out.acked.push({ id, marker: c.marker, reason: CANDIDATES[fault.candidate].reason });
    // Only a fault that struck counts as an injection.
    const struck = first !== false && (await striking) !== false;
    if (!struck) world.note(`${sessionId}/${id}: "${fault.name}" found nothing to strike`);
    try {
      await eventually(
        `a verdict for ${sessionId}/${id}`,
        async () => ['accepted', 'rejected'].includes((await sessionQueries.submissions(handle)).find((s) => s.id === id)?.state ?? ''),
        VERDICT_WAIT_MS,
        500,
      );
      world.note(`${sessionId}/${id}: verdict`);
    } catch (err) {
      injection.stalled = (err as Error).message;
      world.note(`${sessionId}/${id}: STALLED`);
      gaveUp = `no verdict for ${id}: ${(err as Error).message}`;
    }
    if (fault.name !== 'none' && struck) out.injections.push(injection);
    if (gaveUp) {
      out.injections.push(...notStruck(plan.slice(n + 1), sessionId, gaveUp));
      break;
    }
  }

  await retryable('the stop signal', () => stopSession(handle, 'faults done'));
  for (const fault of faults.filter((f) => f.atEnd)) {
    if (gaveUp) {
      out.injections.push(...notStruck([fault], sessionId, gaveUp));
      continue;
    }
    world.note(`${sessionId}: "${fault.name}" at the end`);
    // Only a fault that struck counts as an injection: a confirmation over before it was seen is no test.
    if (await fault.atEnd!({ world, rng, sessionId })) out.injections.push({ fault: fault.name, sessionId, submissionId: null, stalled: null });
    else world.note(`${sessionId}: no confirmation run in flight to strike`);
  }
  try {
    out.summary = await Promise.race([
      handle.result(),
      // A session that already stood still gets a short look, not the full wait again.
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the session did not end in time')), gaveUp ? 30_000 : VERDICT_WAIT_MS).unref()),
    ]);
  } catch (err) {
    for (const i of out.injections) i.stalled ??= `session did not finish: ${(err as Error).message}`;
  }
  world.note(`${sessionId}: ${out.summary ? `ended (${out.summary.endReason})` : 'DID NOT END'}`);
  out.submissions = await eventually('the final submissions', () => sessionQueries.submissions(handle), 60_000, 500).catch(() => []);
  return out;
}

/** Faults a stalled session never got to: counted, each with why. */
function notStruck(faults: Fault[], sessionId: string, why: string): Injection[] {
  return faults.filter((f) => f.name !== 'none').map((f) => ({ fault: f.name, sessionId, submissionId: null, stalled: `not struck: ${why}` }));
}

/**
 * The submit, as a client that saw its call fail would make it again: a second try after an
 * unknown outcome is refused as a duplicate naming the first, which then is the id.
 */
async function submitOnce(handle: Awaited<ReturnType<typeof startSession>>, path: string, contentHash: string): Promise<string> {
  return eventually(
    `the submit of ${path}`,
    async () => {
      try {
        return (await handle.executeUpdate(submitUpdate, { args: [{ path, contentHash }] })).submissionId;
      } catch (err) {
        const said = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? '') : '';
        const dup = /identical content to (sub-\d+)/.exec(said)?.[1];
        if (dup) return dup;
        if (said) throw new Error(`refused: ${said}`);
        // The client's "Workflow Update failed" alone hides the gRPC error (a deadline, an abort): say it.
        const cause = (err as Error).cause;
        if (cause instanceof Error) throw new Error(`${(err as Error).message}: ${cause.message}`);
        throw err;
      }
    },
    180_000,
    500,
  );
}
