import type { Verdict } from './verdict';

/**
 * The sequential retiming policy's error budget. Interim looks (after run 3, 4, …, N−1) may only
 * stop early to accept, each at an equal share of a quarter of alpha; the final look at N gets
 * the other three quarters. By Bonferroni the chance of a false accept over all looks stays at
 * most alpha, whatever the data; a failed run stops at once (it rejects, which costs no error).
 */
export function sequentialLevels(planned: number, alpha: number): { firstLook: number; interim: number; final: number } {
  const firstLook = 3;
  const looks = Math.max(0, planned - firstLook);
  return looks === 0 ? { firstLook, interim: 0, final: alpha } : { firstLook, interim: alpha / 4 / looks, final: (alpha * 3) / 4 };
}

/** Whether the runs so far settle the decision: an interim accept at its level, or a failed run. */
export function sequentialStop(interimVerdict: Verdict, done: number, planned: number): boolean {
  if (done >= planned) return true;
  if (interimVerdict.runs.some((r) => r.invalidReason !== null)) return true;
  return done >= sequentialLevels(planned, 0).firstLook && interimVerdict.accepted;
}
