import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SessionSummary } from '../src/domain/session';
import type { Verdict } from '../src/domain/verdict';
import { layout } from '../src/storage/layout';
import { writeJsonAtomic } from '../src/storage/atomicWrite';
import type { SessionRef } from '../src/domain/session';

/** The verdict beside the frozen candidate, so it outlives the Temporal history. */
export async function writeVerdict({ session, submissionId, verdict }: { session: SessionRef; submissionId: string; verdict: Verdict }): Promise<void> {
  await writeJson(layout.verdict(session.sessionId, submissionId), verdict);
}

export async function writeSummary({ session, summary }: { session: SessionRef; summary: SessionSummary }): Promise<void> {
  await writeJson(layout.summary(session.sessionId), summary);
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeJsonAtomic(path, value);
}
