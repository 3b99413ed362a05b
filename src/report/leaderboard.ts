import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { benchHome } from '../files/layout';
import type { ReportJson } from './model';

/** One line of $NANOGPT_BENCH_HOME/leaderboard.jsonl: a session as `compare --all` needs it, without the server. */
export const LeaderboardEntrySchema = z.object({
  sessionId: z.string(),
  endedAt: z.string(),
  agent: z.string(),
  model: z.string().nullable(),
  anchor: z.string(),
  /** The headline (confirmed where confirmed); 0 when nothing was accepted. */
  humanProgressPercent: z.number(),
  speedupSeconds: z.number().nullable(),
  confirmed: z.boolean(),
  usedGpuHours: z.number(),
  costUsd: z.number().nullable(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  endReason: z.string().nullable(),
});
export type LeaderboardEntry = z.infer<typeof LeaderboardEntrySchema>;

export const leaderboardPath = () => join(benchHome(), 'leaderboard.jsonl');

export function entryFromReport(r: ReportJson): LeaderboardEntry {
  return {
    sessionId: r.session.id,
    endedAt: r.generatedAt,
    agent: r.session.agent,
    model: r.session.model,
    anchor: r.session.anchor,
    humanProgressPercent: r.headline.humanProgressPercent ?? 0,
    speedupSeconds: r.headline.speedupSeconds,
    confirmed: r.headline.source === 'confirmation',
    usedGpuHours: r.budget.usedGpuHours,
    costUsd: r.agentUsage?.costUsd ?? null,
    accepted: r.submissions.filter((s) => s.accepted).length,
    rejected: r.submissions.filter((s) => s.state === 'rejected').length,
    endReason: r.session.endReason,
  };
}

/** Every entry, the last line of a session winning; a line that does not parse is named and skipped. */
export function readLeaderboard(path = leaderboardPath()): LeaderboardEntry[] {
  if (!existsSync(path)) return [];
  const bySession = new Map<string, LeaderboardEntry>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let parsed;
      try {
        parsed = LeaderboardEntrySchema.safeParse(JSON.parse(line));
      } catch {
        parsed = null;
      }
      if (parsed?.success) bySession.set(parsed.data.sessionId, parsed.data);
      else process.emitWarning(`${path}:${i + 1}: not a leaderboard entry, skipped`);
    });
  return [...bySession.values()];
}

/** Appends the session's line unless it is there already: a retried summary activity adds none. */
export async function appendLeaderboard(entry: LeaderboardEntry, path = leaderboardPath()): Promise<boolean> {
  if (readLeaderboard(path).some((e) => e.sessionId === entry.sessionId)) return false;
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, JSON.stringify(entry) + '\n');
  return true;
}
