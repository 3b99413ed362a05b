import { log } from '@temporalio/workflow';
import type { SessionRef } from '../src/domain/session';
import type { Reference } from '../src/domain/session';
import type { Verdict } from '../src/domain/verdict';
import { decideVerdict } from '../src/domain/verdictRules';
import { sequentialLevels, sequentialStop } from '../src/domain/sequential';
import { markScreening } from '../src/domain/tickets';
import { activitiesFor } from './activityStubs';
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
    const failed = judge.checks.filter((c) => !c.passed).map((c) => `${c.rule}: ${c.detail}`);
    const verdict = { ...rejectedBeforeRuns('the rules judge rejected the candidate'), judge };
    verdict.reasons.push(...failed);
    await short.writeVerdict({ session, submissionId, verdict });
    return verdict;
  }

  // Paired (the default): the reference is the anchor runs timed beside this candidate's.
  const paired = pairsWithAnchor(session);
  const anchorRuns: Verdict['runs'] = [];
  const decide = (runs: Verdict['runs'], alpha: number) =>
    decideVerdict({
      runs,
      judge,
      referenceTimesMs: paired ? sameWindowTimes(anchorRuns, input.reference.trainTimesMs) : input.reference.trainTimesMs,
      best: input.best,
      targetValLoss: session.workspace.targetValLoss,
      alpha,
      requireBeatBest: spec.requireBeatBest,
      horizonSpeedupSeconds: input.horizonSpeedupSeconds,
    });
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

function rejectedBeforeRuns(reason: string): Verdict {
  return { accepted: false, reasons: [reason], judge: null, runs: [], valLoss: null, time: null, speedup: null, vsBest: null };
}
