import type { SessionSpec } from './spec';

/**
 * What the agent's model calls have cost so far, as its CLI reported them (claude prices its own
 * usage; codex's tokens are priced with the versioned table of src/agents/prices.ts). A launch
 * killed before its CLI reported is missing, so the figures are a lower bound.
 */
export interface AgentSpend {
  costUsd: number;
  /** Tokens read and written by the model, cached input included. */
  tokens: number;
  /** `cli`: every launch priced by the CLI; `price-table@<version>` otherwise (`+fallback` for a model the table lacks). */
  pricedBy: string;
  atMs: number;
}

export interface SpendView {
  costUsd: number;
  tokens: number;
  costLimitUsd: number | null;
  tokenLimit: number | null;
  pricedBy: string | null;
  asOf: string | null;
}

/** The reason the session ends when the spend has reached a limit of the spec; null while under both. */
export function spendLimitReason(spec: Pick<SessionSpec, 'agentCostLimitUsd' | 'agentTokenLimit'>, spend: AgentSpend | null | undefined): string | null {
  if (!spend) return null;
  if (spec.agentCostLimitUsd !== undefined && spend.costUsd >= spec.agentCostLimitUsd) {
    return `agent cost limit reached: $${spend.costUsd.toFixed(4)} of $${spec.agentCostLimitUsd}`;
  }
  if (spec.agentTokenLimit !== undefined && spend.tokens >= spec.agentTokenLimit) {
    return `agent token limit reached: ${spend.tokens} of ${spec.agentTokenLimit} tokens`;
  }
  return null;
}

export function viewSpend(spec: Pick<SessionSpec, 'agentCostLimitUsd' | 'agentTokenLimit'>, spend: AgentSpend | null | undefined): SpendView {
  return {
    costUsd: spend?.costUsd ?? 0,
    tokens: spend?.tokens ?? 0,
    costLimitUsd: spec.agentCostLimitUsd ?? null,
    tokenLimit: spec.agentTokenLimit ?? null,
    pricedBy: spend?.pricedBy ?? null,
    asOf: spend ? new Date(spend.atMs).toISOString() : null,
  };
}
