import { z } from 'zod';

/**
 * Token usage and cost as one CLI reports them. `cumulative` reports (claude's result event)
 * carry the launch's whole total and replace what came before; the others (codex's
 * turn.completed) are one turn's share and add up.
 */
export interface UsageReport {
  cumulative: boolean;
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (included in inputTokens for codex, not for claude). */
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Dollars, when the CLI prices its own usage (claude does, codex does not). */
  costUsd: number | null;
  turns: number;
  /**
   * The model message this report belongs to (claude's assistant events: one per content block,
   * all with the message's usage): counted once. Such interim reports let a spend limit act before
   * the CLI's final, cumulative report replaces them.
   */
  messageId?: string;
}

/** One launch's usage so far: the reports added up (or the last cumulative one). */
export interface LaunchUsage extends Omit<UsageReport, 'cumulative'> {
  /** False when the launch ended without the CLI reporting any usage (killed before its result). */
  reported: boolean;
  /** The last model message counted from interim reports. */
  lastMessageId?: string;
}

const LaunchUsageSchema = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cachedInputTokens: z.number().nonnegative(),
  cacheWriteTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative().nullable(),
  turns: z.number().nonnegative(),
  reported: z.boolean(),
  lastMessageId: z.string().optional(),
});

/** runs/<id>/agent/usage.json */
export const UsageFileSchema = z.object({
  agent: z.string(),
  launches: z.record(z.string().regex(/^\d+$/), LaunchUsageSchema),
});
export type UsageFile = z.infer<typeof UsageFileSchema>;

/** What `status` shows: the session's agent usage over every launch. */
export interface AgentUsageSummary {
  agent: string;
  launches: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Sum of the priced launches; null when no launch was priced. */
  costUsd: number | null;
  /** Launches whose usage the CLI never reported (so the totals are a lower bound). */
  unreportedLaunches: number;
}

export function emptyLaunchUsage(): LaunchUsage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, costUsd: null, turns: 0, reported: false };
}

export function addUsage(acc: LaunchUsage, r: UsageReport): LaunchUsage {
  if (r.cumulative) {
    return {
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cachedInputTokens: r.cachedInputTokens,
      cacheWriteTokens: r.cacheWriteTokens,
      costUsd: r.costUsd,
      turns: r.turns,
      reported: true,
    };
  }
  if (r.messageId !== undefined && r.messageId === acc.lastMessageId) return acc;
  return {
    ...(r.messageId === undefined ? {} : { lastMessageId: r.messageId }),
    inputTokens: acc.inputTokens + r.inputTokens,
    outputTokens: acc.outputTokens + r.outputTokens,
    cachedInputTokens: acc.cachedInputTokens + r.cachedInputTokens,
    cacheWriteTokens: acc.cacheWriteTokens + r.cacheWriteTokens,
    costUsd: r.costUsd === null ? acc.costUsd : (acc.costUsd ?? 0) + r.costUsd,
    turns: acc.turns + r.turns,
    reported: true,
  };
}

/** Pure: the usage file (parsed JSON, or null when the agent reported none yet) as status shows it. */
export function summarizeUsage(file: unknown): AgentUsageSummary | null {
  if (file === null || file === undefined) return null;
  const parsed = UsageFileSchema.safeParse(file);
  if (!parsed.success) return null;
  const all = Object.values(parsed.data.launches);
  const priced = all.filter((l) => l.costUsd !== null);
  const sum = (f: (l: LaunchUsage) => number) => all.reduce((a, l) => a + f(l), 0);
  return {
    agent: parsed.data.agent,
    launches: all.length,
    inputTokens: sum((l) => l.inputTokens),
    outputTokens: sum((l) => l.outputTokens),
    cachedInputTokens: sum((l) => l.cachedInputTokens),
    cacheWriteTokens: sum((l) => l.cacheWriteTokens),
    costUsd: priced.length > 0 ? Math.round(priced.reduce((a, l) => a + l.costUsd!, 0) * 1e6) / 1e6 : null,
    unreportedLaunches: all.filter((l) => !l.reported).length,
  };
}

/** One line for `status`: "12.3k in (4.0k cached) / 1.2k out tokens, $0.42 over 3 launches". */
export function formatUsage(s: AgentUsageSummary): string {
  const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
  const cost = s.costUsd === null ? 'cost not reported' : `$${s.costUsd.toFixed(2)}`;
  const partial = s.unreportedLaunches > 0 ? ` (${s.unreportedLaunches} unreported)` : '';
  return `${k(s.inputTokens)} in (${k(s.cachedInputTokens)} cached) / ${k(s.outputTokens)} out tokens, ${cost} over ${s.launches} launch${s.launches === 1 ? '' : 'es'}${partial}`;
}
