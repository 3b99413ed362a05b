import { log } from '@temporalio/workflow';
import type { SessionRef } from '../activities/types';
import type { Reference } from '../src/domain/session';
import type { Verdict } from '../src/domain/verdict';
import { decideVerdict, sequentialDecisionReached } from '../src/domain/verdictRules';
import { activitiesFor } from './activityStubs';
import { retime } from './retime';

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
  const { short } = activitiesFor(spec.nodeTaskQueue ?? 'nanogpt-bench', spec.runTimeoutSeconds);

  const frozen = await short.freezeSubmission({ session, submissionId, path: input.path });
  if ('refused' in frozen) {
    return rejectedBeforeRuns(input, frozen.refused);
  }

  const judge = await short.judgeSubmission({ session, frozenDir: frozen.frozenDir });
  if (!judge.passed) {
    const failed = judge.checks.filter((c) => !c.passed).map((c) => `${c.rule}: ${c.detail}`);
    const verdict = { ...rejectedBeforeRuns(input, 'the rules judge rejected the candidate'), judge };
    verdict.reasons.push(...failed);
    await short.writeVerdict({ session, submissionId, verdict });
    return verdict;
  }

  const decide = (runs: Verdict['runs']) =>
    decideVerdict({
      runs,
      judge,
      referenceTimesMs: input.reference.trainTimesMs,
      best: input.best,
      targetValLoss: session.workspace.targetValLoss,
      alpha: spec.alpha,
      requireBeatBest: spec.requireBeatBest,
      horizonSpeedupSeconds: input.horizonSpeedupSeconds,
    });
  const stopEarly = spec.retimePolicy === 'sequential' ? (runs: Verdict['runs']) => sequentialDecisionReached(decide(runs), runs.length, input.runs) : undefined;
  const runs = await retime(session, submissionId, frozen.frozenDir, input.runs, stopEarly);
  const verdict = decide(runs);
  log.info('verdict', { submissionId, accepted: verdict.accepted });
  await short.writeVerdict({ session, submissionId, verdict });
  return verdict;
}

function rejectedBeforeRuns(input: ValidateSubmissionInput, reason: string): Verdict {
  return { accepted: false, reasons: [reason], judge: null, runs: [], valLoss: null, time: null, speedup: null, vsBest: null };
}
