import type { AgentSpend } from '../domain/agentSpend';
import type { SessionSpec } from '../domain/spec';
import { PRICE_TABLE_VERSION, priceFor, priceTokens } from './prices';
import { UsageFileSchema } from './usage';

/** True when the agent's CLI is codex, whose input token counts include the cached ones. */
function cachedInInput(spec: Pick<SessionSpec, 'agent' | 'autoresearchDriver'>): boolean {
  return spec.agent === 'codex' || (spec.agent === 'autoresearch' && spec.autoresearchDriver === 'codex');
}

/**
 * The agent's spend from its usage.json (parsed JSON; null when it reported nothing yet): each
 * launch at the cost its CLI reported, or its tokens priced with the price table.
 */
export function spendFromUsage(file: unknown, spec: Pick<SessionSpec, 'agent' | 'autoresearchDriver' | 'agentModel'>, nowMs: number): AgentSpend | null {
  const parsed = UsageFileSchema.safeParse(file);
  if (!parsed.success) return null;
  const launches = Object.values(parsed.data.launches).filter((l) => l.reported);
  if (launches.length === 0) return null;
  const inInput = cachedInInput(spec);
  const { price, known } = priceFor(spec.agentModel ?? null);
  let costUsd = 0;
  let tokens = 0;
  let fromTable = false;
  for (const l of launches) {
    tokens += l.inputTokens + l.outputTokens + l.cacheWriteTokens + (inInput ? 0 : l.cachedInputTokens);
    if (l.costUsd !== null) costUsd += l.costUsd;
    else {
      costUsd += priceTokens(l, price, inInput);
      fromTable = true;
    }
  }
  const pricedBy = fromTable ? `price-table@${PRICE_TABLE_VERSION}${known ? '' : '+fallback'}` : 'cli';
  return { costUsd: Math.round(costUsd * 1e6) / 1e6, tokens, pricedBy, atMs: nowMs };
}
