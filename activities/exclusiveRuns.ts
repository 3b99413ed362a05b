import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import { layout } from '../src/files/layout';
import { ranBetweenPauses, readPauseLog } from '../src/sandbox/procs/records';
import type { SessionRef } from '../src/domain/session';
import type { RunResult } from '../src/domain/verdict';
import { freezeSubmission } from './freeze';
import type { TimeRunInput } from './types';
import type { GpuSlots } from '../src/sandbox/gpuSlots';

export interface ExclusiveRunsInput {
  session: SessionRef;
  /** The submission id: its runs are runs/<subject>/<i>, the anchor's beside them <subject>-anchor/<i>. */
  subject: string;
  frozenDir: string;
  runs: number;
  /** The candidate's own run limit (spec.candidateRunTimeoutSeconds). */
  limitSeconds?: number;
  /** Paired reference: one anchor run before each of the candidate's (A, B, A, B …) on the same GPUs. */
  pairedWithAnchor: boolean;
  /** The agent's sandbox holds these GPUs: paused before the first run, let go on after the last. */
  pauseAgent: boolean;
}

export interface ExclusiveRunsResult {
  runs: RunResult[];
  anchorRuns: RunResult[];
  /** When the agent was paused (its first pause, across retries) and let go on; null when it was not paused. */
  pausedAtMs: number | null;
  resumedAtMs: number | null;
  /** Between the two, the stretches the agent ran by its sandbox's pause log (a retry paused it again after a lost attempt had let it go on). */
  agentRan?: [number, number][];
}

interface Steps {
  timeRun(input: TimeRunInput, beat: (details: object) => void, gpusHeld: boolean): Promise<RunResult>;
  pauseAgent(input: { session: SessionRef }): Promise<{ atMs: number }>;
  resumeAgent(input: { session: SessionRef }): Promise<{ atMs: number }>;
  /** The node's GPUs (`worker --gpus`): taken for all the runs, before the agent is paused. */
  gpuSlots?: GpuSlots;
}

/**
 * A fixed-count validation's timed runs as one activity: the node's GPUs taken from the agent, the
 * runs timed one after the other, the GPUs handed back. One activity instead of a pause, N (or 2N)
 * runs and a resume saves the session two workflow tasks and their events per run. A retry after
 * a worker crash resumes where the crash left it: each run re-attaches to its process by name (or
 * finds its finished record) and is never started twice, and the pause's time comes from the
 * heartbeat, so the agent is not charged for the retry's wait. The price: the workflow learns the
 * runs' results only at the end (as it did from the child workflow before), and the sequential
 * policy, which decides between runs, keeps one activity per run.
 */
export function exclusiveRunsActivities(steps: Steps) {
  async function timeOnExclusiveGpus(input: ExclusiveRunsInput): Promise<ExclusiveRunsResult> {
    const { session, subject } = input;
    const earlier = (Context.current().info.heartbeatDetails ?? {}) as { pausedAtMs?: number | null; resumedAtMs?: number | null };
    let pausedAtMs = earlier.pausedAtMs ?? null;
    let resumedAtMs = earlier.resumedAtMs ?? null;
    const beat = (details: object) => heartbeat({ ...details, pausedAtMs, resumedAtMs });
    // The node's GPUs first, for every run: the agent works on while the validation waits its turn.
    const release = await steps.gpuSlots?.take(session.spec.gpus, () => beat({ waitingForGpus: true }), Context.current().cancellationSignal);
    try {
      if (input.pauseAgent && resumedAtMs === null) {
        // Paused again on a retry (a second pause is harmless); charged from the first.
        const paused = await steps.pauseAgent({ session });
        pausedAtMs ??= paused.atMs;
      }
      beat({});
      let anchorDir: string | null = null;
      if (input.pairedWithAnchor) {
        const anchor = await freezeSubmission({ session, submissionId: 'calibration', path: null });
        if ('refused' in anchor) throw ApplicationFailure.nonRetryable(`cannot freeze the anchor for paired runs: ${anchor.refused}`);
        anchorDir = anchor.frozenDir;
      }
      const runs: RunResult[] = [];
      const anchorRuns: RunResult[] = [];
      const held = release !== undefined;
      for (let i = 0; i < input.runs; i++) {
        if (anchorDir) anchorRuns.push(await steps.timeRun({ session, subject: `${subject}-anchor`, frozenDir: anchorDir, runIndex: i }, beat, held));
        const limit = input.limitSeconds ? { limitSeconds: input.limitSeconds } : {};
        runs.push(await steps.timeRun({ session, subject, frozenDir: input.frozenDir, runIndex: i, ...limit }, beat, held));
      }
      if (input.pauseAgent && resumedAtMs === null) {
        resumedAtMs = (await steps.resumeAgent({ session })).atMs;
        beat({});
      }
      const agentRan =
        pausedAtMs !== null && resumedAtMs !== null ? ranBetweenPauses(await readPauseLog(layout.agentState(session.sessionId)), pausedAtMs, resumedAtMs) : [];
      return { runs, anchorRuns, pausedAtMs, resumedAtMs, ...(agentRan.length > 0 ? { agentRan } : {}) };
    } finally {
      release?.();
    }
  }
  return { timeOnExclusiveGpus };
}
