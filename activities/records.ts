import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context, log } from '@temporalio/activity';
import type { SessionSummary } from '../src/domain/session';
import type { SubmissionRecord } from '../src/domain/submission';
import type { Verdict } from '../src/domain/verdict';
import { layout } from '../src/files/layout';
import { buildReport } from '../src/report/build';
import { appendLeaderboard, entryFromReport } from '../src/report/leaderboard';
import { loadReportInput, sessionRecordPath, submissionsFromVerdicts, type SessionRecordFile } from '../src/report/load';
import { writeReportFiles } from '../src/report/write';
import { submissionsQuery } from '../workflows/messages';
import { lookupCalibration } from './calibration';
import type { SessionRef } from '../src/domain/session';
import { writeJsonAtomic } from '../src/files/atomicWrite';

/** The verdict beside the frozen candidate, so it outlives the Temporal history. */
export async function writeVerdict({ session, submissionId, verdict }: { session: SessionRef; submissionId: string; verdict: Verdict }): Promise<void> {
  await writeJson(layout.verdict(session.sessionId, submissionId), verdict);
}

/**
 * The session's end on disk: summary.json, session.json (submissions, reference: what the report
 * needs beyond the summary), the leaderboard line (once per session, however often this is
 * retried) and report.{json,html}. Everything is rewritten whole, so a retry is harmless; only
 * summary.json may fail the activity: the rest can be made again with `nanogpt-bench report`,
 * and must never hold the session open.
 */
export async function writeSummary({ session, summary }: { session: SessionRef; summary: SessionSummary }): Promise<void> {
  const id = session.sessionId;
  await writeJson(layout.summary(id), summary);
  try {
    const reference = await lookupCalibration({ session });
    const record: SessionRecordFile = {
      agentModel: session.spec.agentModel ?? null,
      targetValLoss: session.workspace.targetValLoss,
      reference: reference ? { trainTimesMs: reference.trainTimesMs, valLosses: reference.valLosses } : null,
      submissions: await ownSubmissions(id),
    };
    await writeJson(sessionRecordPath(id), record);
    const input = loadReportInput(id);
    await appendLeaderboard(entryFromReport(buildReport(input)));
    const { html } = await writeReportFiles(input, layout.session(id));
    log.info('report written', { html });
  } catch (err) {
    log.warn('report or leaderboard line not written', { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The workflow's own submissions, as its query tells them (the summary keeps only counts); else their verdict files. */
async function ownSubmissions(sessionId: string): Promise<SubmissionRecord[]> {
  try {
    // The session id is the workflow id (workflows/session.ts).
    return await Context.current().client.workflow.getHandle(sessionId).query(submissionsQuery);
  } catch (err) {
    log.warn('submissions query failed; reading the verdict files', { error: err instanceof Error ? err.message : String(err) });
    return submissionsFromVerdicts(sessionId);
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeJsonAtomic(path, value);
}
