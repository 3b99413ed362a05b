import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { familyDir, familyRecordTimes, familyTarget, SPEEDRUN_TARGET_VAL_LOSS } from '../humanRecords/anchors';
import { committedManifest } from '../domain/baselines';
import type { SessionSummary } from '../domain/session';
import type { SubmissionRecord } from '../domain/submission';
import type { Verdict } from '../domain/verdict';
import { summarizeUsage } from '../agents/usage';
import { traceFiles, type LaunchMeta } from '../agents/traceFiles';
import { layout } from '../files/layout';
import { ConfirmationSchema, type HumanLevel, type ReportInput } from './model';
import { readTranscript, type LaunchTranscript } from './transcript';

/** runs/<id>/session.json: what the summary leaves out, written beside it when the session ends. */
export interface SessionRecordFile {
  agentModel: string | null;
  targetValLoss: number | null;
  reference: { trainTimesMs: number[]; valLosses: number[] } | null;
  submissions: SubmissionRecord[];
}
export const sessionRecordPath = (sessionId: string) => join(layout.session(sessionId), 'session.json');

/** What a running session's server can tell when the files are not written yet. */
export interface LiveSession {
  status: SessionSummary;
  submissions: SubmissionRecord[];
}

/**
 * Everything a report is made from, read from runs/<id>/ (and the live session's queries when
 * given). Fails naming the file it needed when the session left nothing to report on.
 */
export function loadReportInput(sessionId: string, live: LiveSession | null = null, nowMs = Date.now()): ReportInput {
  const summaryPath = layout.summary(sessionId);
  const fromFile = existsSync(summaryPath) ? parseSummary(JSON.parse(readFileSync(summaryPath, 'utf8')), summaryPath) : null;
  const summary = fromFile ?? live?.status;
  if (!summary)
    throw new Error(`no summary for session ${sessionId}: ${summaryPath} is missing and the session's server did not answer (is it running? TEMPORAL_ADDRESS)`);
  const record = existsSync(sessionRecordPath(sessionId)) ? (JSON.parse(readFileSync(sessionRecordPath(sessionId), 'utf8')) as SessionRecordFile) : null;
  const submissions = record?.submissions ?? live?.submissions ?? submissionsFromVerdicts(sessionId);
  const dir = layout.agentState(sessionId);
  const { launches, intervals } = readLaunches(dir);
  return {
    summary,
    agentModel: record?.agentModel ?? null,
    submissions,
    reference: record?.reference ?? null,
    targetValLoss: record?.targetValLoss ?? defaultTarget(summary.anchor),
    usage: existsSync(traceFiles.usage(dir)) ? summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(dir), 'utf8'))) : null,
    launches,
    agentIntervals: intervals,
    human: humanLevels(summary.anchor),
    generatedAt: new Date(nowMs).toISOString(),
  };
}

/** The summary with its optional confirmation checked; a bad confirmation names the field. */
export function parseSummary(raw: unknown, where: string): ReportInput['summary'] {
  const s = raw as ReportInput['summary'];
  if (typeof s?.sessionId !== 'string' || typeof s.budget !== 'object') throw new Error(`${where}: expected a session summary (sessionId, budget, …)`);
  if (s.confirmation === undefined) return s;
  const c = ConfirmationSchema.safeParse(s.confirmation);
  if (!c.success) throw new Error(`${where}: confirmation.${c.error.issues[0].path.join('.')}: ${c.error.issues[0].message}`);
  return { ...s, confirmation: c.data };
}

/** Sessions that ended before session.json existed: their verdicts, without submission times. */
export function submissionsFromVerdicts(sessionId: string): SubmissionRecord[] {
  const root = join(layout.session(sessionId), 'submissions');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^sub-\d+$/.test(d) && existsSync(layout.verdict(sessionId, d)))
    .sort()
    .map((id) => {
      const verdict = JSON.parse(readFileSync(layout.verdict(sessionId, id), 'utf8')) as Verdict;
      return {
        id,
        path: id,
        contentHash: '',
        requestedRuns: verdict.runs.length,
        submittedAtMs: 0,
        state: verdict.accepted ? 'accepted' : 'rejected',
        verdict,
        reason: null,
      };
    });
}

function readLaunches(dir: string): { launches: LaunchTranscript[]; intervals: ReportInput['agentIntervals'] } {
  const launches: LaunchTranscript[] = [];
  const intervals: ReportInput['agentIntervals'] = [];
  const prompts = readPrompts(dir);
  for (const n of syncTracedLaunches(dir)) {
    const meta = readMetaSync(dir, n);
    const lines = existsSync(traceFiles.jsonl(dir, n)) ? readFileSync(traceFiles.jsonl(dir, n), 'utf8').split('\n') : [];
    const entries = readTranscript(lines);
    // The prompt is kept out of argv and the trace; the first launch is given the task prompt.
    if (!entries.some((e) => e.kind === 'prompt')) {
      if (n === 1 && prompts.task) entries.unshift({ kind: 'prompt', text: prompts.task });
      else if (meta?.promptKind === 'resume' && prompts.resumeFile) entries.unshift({ kind: 'prompt', text: `(the resume prompt: ${prompts.resumeFile})` });
    }
    launches.push({ launch: n, startedAt: meta ? new Date(meta.startedAtMs).toISOString() : null, promptKind: meta?.promptKind ?? null, entries });
    if (meta) intervals.push({ startMs: meta.startedAtMs, endMs: meta.finished?.endedAtMs ?? null });
  }
  return { launches, intervals };
}

/** prompt.json: the task prompt as given, and which file the resume prompt comes from. */
function readPrompts(dir: string): { task: string | null; resumeFile: string | null } {
  try {
    const raw: unknown = JSON.parse(readFileSync(traceFiles.prompt(dir), 'utf8'));
    const p = z.object({ task: z.string(), templates: z.record(z.string(), z.object({ file: z.string() })).optional() }).safeParse(raw);
    return p.success ? { task: p.data.task, resumeFile: p.data.templates?.resume?.file ?? null } : { task: null, resumeFile: null };
  } catch {
    return { task: null, resumeFile: null };
  }
}

function syncTracedLaunches(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((f) => /^launch-(\d+)\.json$/.exec(f)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
}

function readMetaSync(dir: string, n: number): LaunchMeta | null {
  try {
    return JSON.parse(readFileSync(traceFiles.meta(dir, n), 'utf8')) as LaunchMeta;
  } catch {
    return null;
  }
}

function defaultTarget(anchor: string): number | null {
  try {
    return familyDir(anchor) ? familyTarget(anchor) : SPEEDRUN_TARGET_VAL_LOSS;
  } catch {
    return null;
  }
}

/**
 * The human record history from the anchor to the horizon as % of human progress: a family's
 * records.tsv (times measured on its own machine), else the speedrun's manifest (re-timed speedups).
 */
export function humanLevels(anchor: string): HumanLevel[] {
  const family = familyDir(anchor);
  if (family) {
    const times = [...familyRecordTimes(family).entries()].sort(([a], [b]) => a.localeCompare(b));
    if (times.length < 2) return [];
    const t0 = times[0][1];
    const span = t0 - times[times.length - 1][1];
    return times.map(([name, t]) => ({ name, date: null, percent: span > 0 ? ((t0 - t) / span) * 100 : 0 }));
  }
  const m = committedManifest();
  const from = m.records.findIndex((r) => r.name === anchor);
  const to = m.records.findIndex((r) => r.name === m.horizon);
  if (from < 0 || to < from) return [];
  return m.records
    .slice(from, to + 1)
    .flatMap((r) => (r.speedupSeconds === null ? [] : [{ name: r.name, date: r.date, percent: (r.speedupSeconds / m.horizonSpeedupSeconds) * 100 }]));
}
