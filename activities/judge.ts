import { heartbeat, log } from '@temporalio/activity';
import type { JudgeReport } from '../src/domain/verdict';
import { judgeCandidate } from '../src/judge/judge';
import type { SessionRef } from '../src/domain/session';
import { freezeSubmission } from './freeze';

/** The rules judge on a frozen candidate; the LLM judge's provider and key come from this worker's environment. */
export async function judgeSubmission({ session, frozenDir }: { session: SessionRef; frozenDir: string }): Promise<JudgeReport> {
  // Beats while the model is asked, so a worker that dies mid-judge is noticed within the
  // heartbeat timeout, not at the end of the judge's 40-minute start-to-close.
  const beat = setInterval(() => heartbeat(), 2000);
  try {
    return await judgeCandidate({
      candidateDir: frozenDir,
      anchorDir: session.workspace.anchorDir,
      env: process.env,
      log: (line) => {
        log.info(line);
      },
    });
  } finally {
    clearInterval(beat);
  }
}

/**
 * A submission's admission in one step: its read-only copy made (or found, freezing is idempotent)
 * and judged. The judge reads nothing but that copy, so the two are one concern; one activity saves
 * the session a workflow task and three events per submission. Retried under the judge's policy.
 */
export async function freezeAndJudge({
  session,
  submissionId,
  path,
}: {
  session: SessionRef;
  submissionId: string;
  path: string;
}): Promise<{ refused: string } | { frozenDir: string; judge: JudgeReport }> {
  const frozen = await freezeSubmission({ session, submissionId, path });
  if ('refused' in frozen) return frozen;
  return { frozenDir: frozen.frozenDir, judge: await judgeSubmission({ session, frozenDir: frozen.frozenDir }) };
}
