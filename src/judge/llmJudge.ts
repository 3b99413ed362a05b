import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { z } from 'zod';
import type { JudgeLlmConfig } from './llmConfig';
import { PROMPT_VERSION, reAskPrompt, SYSTEM_PROMPT } from './prompt';
import { redactSecrets } from './redact';

/** What the model must answer; anything else is re-asked once, then the judge fails. */
export const llmAnswerSchema = z.object({
  cheating: z.boolean(),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string().trim().min(1)).min(1),
  summary: z.string().trim().min(1),
});
export type LlmAnswer = z.infer<typeof llmAnswerSchema>;

export type LlmVerdict =
  | ({ provider: string; model: string; promptVersion: string; attempts: number } & LlmAnswer)
  | { provider: string; model: string; promptVersion: string; error: string };

type Message = { role: 'user' | 'assistant'; content: string };
const MAX_ANSWER_TOKENS = 4096;

/** The answer as JSON: the object itself, or one inside a ```json fence or surrounding prose. */
export function parseAnswer(text: string): { ok: true; answer: LlmAnswer } | { ok: false; problem: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = fenced ? fenced[1] : text;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end <= start) return { ok: false, problem: 'it holds no JSON object' };
  let json: unknown;
  try {
    json = JSON.parse(body.slice(start, end + 1));
  } catch (err) {
    return { ok: false, problem: `it is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const parsed = llmAnswerSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join('.') || 'the answer'}: ${i.message}`).join('; ') };
  }
  return { ok: true, answer: parsed.data };
}

function sdkLogger(log: (line: string) => void, secrets: string[]) {
  const emit =
    (level: string) =>
    (message: string, ...rest: unknown[]) => {
      const extra = rest.length ? ` ${rest.map((r) => (typeof r === 'string' ? r : safeJson(r))).join(' ')}` : '';
      log(redactSecrets(`judge sdk ${level}: ${message}${extra}`, secrets));
    };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** One round trip to the provider; the SDK retries transient failures (429, 5xx, 529, connection) with backoff. */
function makeAsker(config: JudgeLlmConfig, log: (line: string) => void): (messages: Message[]) => Promise<string> {
  const common = {
    apiKey: config.apiKey,
    baseURL: config.baseURL ?? null,
    maxRetries: config.maxRetries,
    timeout: config.timeoutMs,
    logLevel: 'warn' as const,
    logger: sdkLogger(log, [config.apiKey]),
  };
  if (config.provider === 'anthropic') {
    const client = new Anthropic({ ...common, authToken: null });
    return async (messages) => {
      const res = await client.messages.create({ model: config.model, max_tokens: MAX_ANSWER_TOKENS, system: SYSTEM_PROMPT, messages });
      return res.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    };
  }
  const client = new OpenAI({ ...common, organization: null, project: null });
  return async (messages) => {
    const res = await client.chat.completions.create({
      model: config.model,
      messages: [{ role: 'system', content: SYSTEM_PROMPT }, ...messages],
      response_format: { type: 'json_object' },
    });
    return res.choices[0]?.message?.content ?? '';
  };
}

function describeError(err: unknown): string {
  if (err instanceof Anthropic.APIError || err instanceof OpenAI.APIError) {
    return err.status ? `HTTP ${err.status}: ${err.message}` : `connection failed: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Asks the model whether the candidate cheats. A malformed answer is re-asked once with the
 * problem stated; a second malformed answer, or a provider error left after the SDK's retries,
 * gives `{error}` — which the judge counts as a rejection.
 */
export async function askLlmJudge(config: JudgeLlmConfig, prompt: string, log: (line: string) => void = () => {}): Promise<LlmVerdict> {
  const secrets = [config.apiKey];
  const say = (line: string) => log(redactSecrets(line, secrets));
  const base = { provider: config.provider, model: config.model, promptVersion: PROMPT_VERSION };
  const ask = makeAsker(config, log);
  const messages: Message[] = [{ role: 'user', content: prompt }];
  say(`judge: asking ${config.provider} ${config.model} (${PROMPT_VERSION}, prompt ${prompt.length} chars)`);
  for (let attempt = 1; attempt <= 2; attempt++) {
    let text: string;
    try {
      text = await ask(messages);
    } catch (err) {
      const error = redactSecrets(`the LLM judge (${config.provider} ${config.model}) failed: ${describeError(err)}`, secrets);
      say(`judge: ${error}`);
      return { ...base, error };
    }
    const parsed = parseAnswer(text);
    if (parsed.ok) {
      const answer = {
        ...parsed.answer,
        reasons: parsed.answer.reasons.map((r) => redactSecrets(r, secrets)),
        summary: redactSecrets(parsed.answer.summary, secrets),
      };
      say(`judge: ${answer.cheating ? 'cheating' : 'clean'} (confidence ${answer.confidence}) after ${attempt} answer(s)`);
      return { ...base, attempts: attempt, ...answer };
    }
    say(`judge: answer ${attempt} unusable: ${parsed.problem}`);
    if (attempt === 2) {
      return { ...base, error: redactSecrets(`the LLM judge gave no usable answer after a re-ask: ${parsed.problem}`, secrets) };
    }
    messages.push({ role: 'assistant', content: text || '(empty)' }, { role: 'user', content: reAskPrompt(parsed.problem) });
  }
  return { ...base, error: 'unreachable' };
}
