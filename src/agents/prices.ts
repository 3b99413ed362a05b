/**
 * Dollars per million tokens, for CLIs that report no cost of their own (codex). Versioned: a
 * session's spend names the table it was priced with. Models are matched by the longest prefix
 * of the model name; a model the table does not know is priced at the dearest entry, so a spend
 * limit errs on the side of stopping early.
 */
export interface TokenPrice {
  input: number;
  cachedInput: number;
  output: number;
  /** Prompt-cache writes (Anthropic bills them above plain input). */
  cacheWrite: number;
}

export const PRICE_TABLE_VERSION = '2026-11-30';

export const PRICE_TABLE: Record<string, TokenPrice> = {
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2, cacheWrite: 0 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4, cacheWrite: 0 },
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10, cacheWrite: 0 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8, cacheWrite: 0 },
  o3: { input: 2, cachedInput: 0.5, output: 8, cacheWrite: 0 },
  'claude-opus': { input: 15, cachedInput: 1.5, output: 75, cacheWrite: 18.75 },
  'claude-sonnet': { input: 3, cachedInput: 0.3, output: 15, cacheWrite: 3.75 },
  'claude-haiku': { input: 1, cachedInput: 0.1, output: 5, cacheWrite: 1.25 },
};

/** The entry for a model, and whether the table knows it (false: the dearest entry was used). */
export function priceFor(model: string | null): { price: TokenPrice; known: boolean } {
  const match = model
    ? Object.keys(PRICE_TABLE)
        .filter((p) => model.startsWith(p))
        .sort((a, b) => b.length - a.length)[0]
    : undefined;
  if (match) return { price: PRICE_TABLE[match], known: true };
  const dearest = Object.values(PRICE_TABLE).reduce((a, b) => (b.output > a.output ? b : a));
  return { price: dearest, known: false };
}

/** Tokens as one launch reported them; `cachedInInput` says whether inputTokens already holds the cached ones (codex). */
export interface PricedTokens {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
}

export function priceTokens(t: PricedTokens, price: TokenPrice, cachedInInput: boolean): number {
  const uncached = cachedInInput ? Math.max(0, t.inputTokens - t.cachedInputTokens) : t.inputTokens;
  return (uncached * price.input + t.cachedInputTokens * price.cachedInput + t.outputTokens * price.output + t.cacheWriteTokens * price.cacheWrite) / 1e6;
}
