import { z } from 'zod';

/**
 * Which model judges, read from the worker's own environment (never from workflow input, so no
 * key enters history): NANOGPT_BENCH_JUDGE_PROVIDER (anthropic | openai; default: the provider
 * whose key is set, Anthropic first), NANOGPT_BENCH_JUDGE_MODEL, the key from ANTHROPIC_API_KEY or
 * OPENAI_API_KEY, and ANTHROPIC_BASE_URL / OPENAI_BASE_URL to point the SDK elsewhere.
 */
export const JUDGE_PROVIDERS = ['anthropic', 'openai'] as const;
export type JudgeProvider = (typeof JUDGE_PROVIDERS)[number];

export const DEFAULT_MODELS: Record<JudgeProvider, string> = {
  anthropic: 'claude-sonnet-4-5',
  openai: 'gpt-5',
};

const KEY_VARS: Record<JudgeProvider, string> = { anthropic: 'ANTHROPIC_API_KEY', openai: 'OPENAI_API_KEY' };
const BASE_URL_VARS: Record<JudgeProvider, string> = { anthropic: 'ANTHROPIC_BASE_URL', openai: 'OPENAI_BASE_URL' };

export interface JudgeLlmConfig {
  provider: JudgeProvider;
  model: string;
  apiKey: string;
  baseURL?: string;
  /** Transient failures (429, 5xx, 529, connection) the SDK retries with backoff before giving up. */
  maxRetries: number;
  timeoutMs: number;
}

const envSchema = z.object({
  NANOGPT_BENCH_JUDGE_PROVIDER: z.enum(JUDGE_PROVIDERS).optional(),
  NANOGPT_BENCH_JUDGE_MODEL: z.string().trim().min(1).optional(),
  NANOGPT_BENCH_JUDGE_MAX_RETRIES: z.coerce.number().int().min(0).max(10).optional(),
  NANOGPT_BENCH_JUDGE_TIMEOUT_S: z.coerce.number().positive().max(600).optional(),
});

export type JudgeConfigResult = { config: JudgeLlmConfig } | { none: string } | { invalid: string };

const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);

export function judgeConfigFromEnv(env: NodeJS.ProcessEnv): JudgeConfigResult {
  const parsed = envSchema.safeParse({
    NANOGPT_BENCH_JUDGE_PROVIDER: blankToUndefined(env.NANOGPT_BENCH_JUDGE_PROVIDER),
    NANOGPT_BENCH_JUDGE_MODEL: blankToUndefined(env.NANOGPT_BENCH_JUDGE_MODEL),
    NANOGPT_BENCH_JUDGE_MAX_RETRIES: blankToUndefined(env.NANOGPT_BENCH_JUDGE_MAX_RETRIES),
    NANOGPT_BENCH_JUDGE_TIMEOUT_S: blankToUndefined(env.NANOGPT_BENCH_JUDGE_TIMEOUT_S),
  });
  if (!parsed.success) {
    return { invalid: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  const e = parsed.data;
  const provider = e.NANOGPT_BENCH_JUDGE_PROVIDER ?? JUDGE_PROVIDERS.find((p) => blankToUndefined(env[KEY_VARS[p]]) !== undefined);
  if (!provider) return { none: 'no judge key in the worker environment (ANTHROPIC_API_KEY or OPENAI_API_KEY)' };
  const apiKey = blankToUndefined(env[KEY_VARS[provider]]);
  if (!apiKey) return { none: `NANOGPT_BENCH_JUDGE_PROVIDER=${provider} but ${KEY_VARS[provider]} is not set in the worker environment` };
  return {
    config: {
      provider,
      model: e.NANOGPT_BENCH_JUDGE_MODEL ?? DEFAULT_MODELS[provider],
      apiKey,
      baseURL: blankToUndefined(env[BASE_URL_VARS[provider]]),
      maxRetries: e.NANOGPT_BENCH_JUDGE_MAX_RETRIES ?? 4,
      timeoutMs: (e.NANOGPT_BENCH_JUDGE_TIMEOUT_S ?? 180) * 1000,
    },
  };
}
