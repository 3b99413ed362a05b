import type { RunResult } from '../src/domain/verdict';
import type { SessionRef } from '../src/domain/session';
import { activitiesFor } from './activityStubs';

/**
 * Times a frozen candidate `runs` times, one run at a time so that each has the GPUs to itself.
 * `shouldStop` lets the sequential policy end early once the decision is certain.
 */
export async function retime(
  session: SessionRef,
  subject: string,
  frozenDir: string,
  runs: number,
  shouldStop: (done: RunResult[]) => boolean = () => false,
  limitSeconds?: number,
): Promise<RunResult[]> {
  const { timed } = activitiesFor(session.spec);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await timed.timeRun({ session, subject, frozenDir, runIndex: i, ...(limitSeconds ? { limitSeconds } : {}) }));
    if (shouldStop(results)) break;
  }
  return results;
}
