import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { heartbeat, log } from '@temporalio/activity';
import type { JudgeReport } from '../src/domain/verdict';
import { judgeCandidate } from '../src/judge/judge';
import { writeJsonAtomic } from '../src/files/atomicWrite';
import type { SessionRef } from '../src/domain/session';
import type { FrozenSubmission } from './types';
import { freezeSubmission } from './freeze';

/**
 * The rules judge on a frozen candidate; the LLM judge's provider and key come from this worker's
 * environment. Its report is kept beside the frozen copy: a validation that starts over (its node
 * lost, its worker killed after the judge) gets the same report, and the model is asked once.
 */
export async function judgeSubmission({ session, frozenDir }: { session: SessionRef; frozenDir: string }): Promise<JudgeReport> {
  const contentHash = await frozenHash(frozenDir);
  const key = contentHash ? `${frozenDir}\n${contentHash}` : null;
  const kept = key ? (judgedHere.get(key) ?? (await keptReport(frozenDir, contentHash!))) : null;
  if (kept) {
    log.info('judge report kept from an earlier attempt', { frozenDir });
    return kept;
  }
  // Beats while the model is asked, so a worker that dies mid-judge is noticed within the
  // heartbeat timeout, not at the end of the judge's 40-minute start-to-close.
  const beat = setInterval(() => heartbeat(), 2000);
  try {
    const report = await judgeCandidate({
      candidateDir: frozenDir,
      anchorDir: session.workspace.anchorDir,
      env: process.env,
      log: (line) => {
        log.info(line);
      },
    });
    if (key) remember(key, report);
    // Kept where it can be: a full disk must not fail the judge it could only have saved asking again.
    if (contentHash)
      await writeJsonAtomic(reportPath(frozenDir), { contentHash, report }).catch((err: unknown) => {
        log.warn('judge report not kept', { error: String(err) });
      });
    return report;
  } finally {
    clearInterval(beat);
  }
}

const reportPath = (frozenDir: string) => join(dirname(frozenDir), 'judge.json');

/**
 * The reports this worker judged, also where their file could not be written: an attempt whose
 * result the server could not record (its own disk full: the fault suite saw the model asked twice)
 * is retried, mostly on the same worker, and finds its report here.
 */
const judgedHere = new Map<string, JudgeReport>();
const JUDGED_HERE_MAX = 256;

function remember(key: string, report: JudgeReport): void {
  judgedHere.delete(key);
  judgedHere.set(key, report);
  if (judgedHere.size > JUDGED_HERE_MAX) judgedHere.delete(judgedHere.keys().next().value as string);
}

/** As a new worker process starts: nothing judged here yet (for tests). */
export function forgetJudgedHere(): void {
  judgedHere.clear();
}

/** The frozen copy's content hash, from the manifest its freeze wrote beside it. */
async function frozenHash(frozenDir: string): Promise<string | null> {
  const manifest = await readFile(join(dirname(frozenDir), 'manifest.json'), 'utf8').catch(() => null);
  return manifest ? (JSON.parse(manifest) as FrozenSubmission).contentHash : null;
}

async function keptReport(frozenDir: string, contentHash: string): Promise<JudgeReport | null> {
  const text = await readFile(reportPath(frozenDir), 'utf8').catch(() => null);
  if (!text) return null;
  const kept = JSON.parse(text) as { contentHash: string; report: JudgeReport };
  return kept.contentHash === contentHash ? kept.report : null;
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
