import { log } from '@temporalio/workflow';
import type { SessionRef } from '../src/domain/session';
import type { Reference } from '../src/domain/session';
import type { Verdict } from '../src/domain/verdict';
import { decideVerdict } from '../src/domain/verdictRules';
import { sequentialLevels, sequentialStop } from '../src/domain/sequential';
import { markScreening } from '../src/domain/tickets';
import type { JudgeReport, RunResult } from '../src/domain/verdict';
import { activitiesFor, exclusiveRunsFor } from './activityStubs';
import { retime } from './retime';
import { pairsWithAnchor, retimePaired, sameWindowTimes } from './referenceWindow';

export interface ValidateSubmissionInput {
  session: SessionRef;
  submissionId: string;
  path: string;
  contentHash: string;
  runs: number;
  reference: Reference;
  /** The 100% mark of the headline metric, in seconds of speedup over the anchor. */
  horizonSpeedupSeconds: number;
  best: { id: string; trainTimesMs: number[] } | null;
}

/**
 * One candidate's way to a verdict: freeze it, judge it, time it on exclusive GPUs, decide.
 * A child workflow of the session, so a crash at any step resumes at that step.
 */
export async function validateSubmission(input: ValidateSubmissionInput): Promise<Verdict> {
  const { session, submissionId } = input;
  const { spec } = session;
  const { short, judging } = activitiesFor(spec);

  const frozen = await short.freezeSubmission({ session, submissionId, path: input.path });
  if ('refused' in frozen) {
    const verdict = rejectedBeforeRuns(`the submission folder was refused: ${frozen.refused}`);
    await short.writeVerdict({ session, submissionId, verdict });
    return verdict;
  }

  const judge = await judging.judgeSubmission({ session, frozenDir: frozen.frozenDir });
  if (!judge.passed) {
    const verdict = judgeRejected(judge);
    await short.writeVerdict({ session, submissionId, verdict });
    return verdict;
  }

  // Paired (the default): the reference is the anchor runs timed beside this candidate's.
  const paired = pairsWithAnchor(session);
  const anchorRuns: Verdict['runs'] = [];
  const decide = decider(input, judge, paired, anchorRuns);
  // Fixed: N runs, one test at alpha. Sequential: looks after each run from the third, at levels
  // that keep the false-accept rate at most alpha overall (src/domain/sequential.ts).
  const levels = sequentialLevels(input.runs, spec.alpha);
  const sequential = spec.retimePolicy === 'sequential';
  const stopEarly = sequential ? (runs: Verdict['runs']) => sequentialStop(decide(runs, levels.interim), runs.length, input.runs) : undefined;
  const runs = paired
    ? await retimePaired(session, submissionId, frozen.frozenDir, input.runs, anchorRuns, stopEarly, spec.candidateRunTimeoutSeconds)
    : await retime(session, submissionId, frozen.frozenDir, input.runs, stopEarly, spec.candidateRunTimeoutSeconds);
  const decided = markScreening(
    decide(runs, !sequential ? spec.alpha : runs.length >= input.runs ? levels.final : levels.interim),
    input.runs,
    spec.retimeRuns,
  );
  const verdict = paired ? { ...decided, referenceRuns: anchorRuns } : decided;
  log.info('verdict', { submissionId, accepted: verdict.accepted });
  await short.writeVerdict({ session, submissionId, verdict });
  return verdict;
}

export interface InSessionVerdict {
  verdict: Verdict;
  /** When the agent was paused for the runs and let go on (null: it was not). */
  pausedAtMs: number | null;
  resumedAtMs: number | null;
  /** Between the two, when the agent ran all the same (activities/exclusiveRuns.ts). */
  agentRan?: [number, number][];
}

/**
 * The same way to a verdict for a fixed number of runs, inside the session's own history (a child
 * workflow cost 35 events of its own per submission; bench/load.ts): the candidate is admitted
 * (frozen and judged in one step) while the agent goes on working, then `takeGpus` is asked
 * whether the agent must be paused, and the runs are timed in one activity that holds the GPUs
 * from the agent's pause to its resumption. The session writes the verdict. A crash at any step
 * resumes at that step: the session's history holds each step, the runs re-attach by name.
 */
export async function validateInSession(input: ValidateSubmissionInput, takeGpus: () => boolean): Promise<InSessionVerdict> {
  const { session, submissionId } = input;
  const { spec } = session;
  const admitted = await activitiesFor(spec).judging.freezeAndJudge({ session, submissionId, path: input.path });
  const notTimed = (verdict: Verdict) => ({ verdict, pausedAtMs: null, resumedAtMs: null });
  if ('refused' in admitted) return notTimed(rejectedBeforeRuns(`the submission folder was refused: ${admitted.refused}`));
  if (!admitted.judge.passed) return notTimed(judgeRejected(admitted.judge));

  const paired = pairsWithAnchor(session);
  const timed = await exclusiveRunsFor(spec, input.runs, paired).timeOnExclusiveGpus({
    session,
    subject: submissionId,
    frozenDir: admitted.frozenDir,
    runs: input.runs,
    ...(spec.candidateRunTimeoutSeconds ? { limitSeconds: spec.candidateRunTimeoutSeconds } : {}),
    pairedWithAnchor: paired,
    pauseAgent: takeGpus(),
  });
  const decided = markScreening(decider(input, admitted.judge, paired, timed.anchorRuns)(timed.runs, spec.alpha), input.runs, spec.retimeRuns);
  log.info('verdict', { submissionId, accepted: decided.accepted });
  return {
    verdict: paired ? { ...decided, referenceRuns: timed.anchorRuns } : decided,
    pausedAtMs: timed.pausedAtMs,
    resumedAtMs: timed.resumedAtMs,
    agentRan: timed.agentRan,
  };
}

/** Whether a submission is validated inside its session (the fixed policy against the calibration's or a paired reference). */
export function validatesInSession(spec: ValidateSubmissionInput['session']['spec']): boolean {
  return spec.retimePolicy === 'fixed' && spec.reference !== 'periodic';
}

/** The verdict rules applied to `runs`, against the paired anchor runs (as they stand) or the reference. */
function decider(input: ValidateSubmissionInput, judge: JudgeReport, paired: boolean, anchorRuns: readonly RunResult[]) {
  const { session } = input;
  return (runs: Verdict['runs'], alpha: number) =>
    decideVerdict({
      runs,
      judge,
      referenceTimesMs: paired ? sameWindowTimes(anchorRuns, input.reference.trainTimesMs) : input.reference.trainTimesMs,
      best: input.best,
      targetValLoss: session.workspace.targetValLoss,
      alpha,
      requireBeatBest: session.spec.requireBeatBest,
      horizonSpeedupSeconds: input.horizonSpeedupSeconds,
    });
}

function judgeRejected(judge: JudgeReport): Verdict {
  const verdict = { ...rejectedBeforeRuns('the rules judge rejected the candidate'), judge };
  verdict.reasons.push(...judge.checks.filter((c) => !c.passed).map((c) => `${c.rule}: ${c.detail}`));
  return verdict;
}

function rejectedBeforeRuns(reason: string): Verdict {
  return { accepted: false, reasons: [reason], judge: null, runs: [], valLoss: null, time: null, speedup: null, vsBest: null };
}
