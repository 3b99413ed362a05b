import { log } from '@temporalio/activity';
import type { JudgeReport } from '../src/domain/verdict';
import { judgeCandidate } from '../src/judge/judge';
import type { SessionRef } from '../src/domain/session';

/** The rules judge on a frozen candidate; the LLM judge's provider and key come from this worker's environment. */
export async function judgeSubmission({ session, frozenDir }: { session: SessionRef; frozenDir: string }): Promise<JudgeReport> {
  return judgeCandidate({
    candidateDir: frozenDir,
    anchorDir: session.workspace.anchorDir,
    env: process.env,
    log: (line) => {
      log.info(line);
    },
  });
}
