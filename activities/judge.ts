import type { JudgeReport } from '../src/domain/verdict';
import { staticChecks } from '../src/judge/staticChecks';
import type { SessionRef } from './types';

/** The rules judge on a frozen candidate. */
export async function judgeSubmission({ session, frozenDir }: { session: SessionRef; frozenDir: string }): Promise<JudgeReport> {
  const checks = staticChecks(frozenDir, session.workspace.anchorDir);
  return { passed: checks.every((c) => c.passed), checks, staticOnly: true };
}
