import type { Agent, AgentContext, AgentEvent, AgentLaunch } from './agent';
import type { SessionSpec } from '../domain/spec';
import { MODEL_APIS } from './modelApis';
import { clip, isObject, num, parseEventLine, str } from './eventText';

/**
 * argv for `codex exec --json`: JSON events on stdout, no approvals and no codex sandbox of its
 * own (ours is the boundary), hosted web search off. A later launch continues the same thread
 * with `codex exec resume <thread_id>`, which keeps the model and settings of the first.
 */
export function codexLaunch(ctx: AgentContext, prompt: string, env: NodeJS.ProcessEnv = process.env): AgentLaunch {
  const spec = ctx.spec;
  // No login shells: /etc/profile resets PATH, and the agent would lose `submit` and the harness's
  // tools. No plugins: their sync calls github.com, api.github.com and chatgpt.com at every start.
  const argv = [
    'codex',
    'exec',
    '--json',
    '--skip-git-repo-check',
    '--dangerously-bypass-approvals-and-sandbox',
    '-c',
    'web_search="disabled"',
    '-c',
    'allow_login_shell=false',
    '-c',
    'check_for_update_on_startup=false',
    '-c',
    'analytics.enabled=false',
    '-c',
    'features.plugins=false',
  ];
  if (spec.agentModel) argv.push('-m', spec.agentModel);
  if (spec.agentEffort) argv.push('-c', `model_reasoning_effort="${spec.agentEffort}"`);
  argv.push(...codexProviderArgs(spec.agentProvider, env));
  if (ctx.resumeId) argv.push('resume', ctx.resumeId, prompt);
  else argv.push(prompt);
  return {
    argv,
    env: {},
  };
}

/** The provider codex is given when the session names none of its own: the model API of the worker's environment. */
export const CODEX_PROVIDER = 'nanogpt-bench';

/**
 * Where codex sends its model requests, as config overrides (`-c`, TOML values). Codex ignores
 * OPENAI_BASE_URL and, with the built-in provider, opens a Responses WebSocket to api.openai.com;
 * a provider of its own with `wire_api = "responses"` and `base_url` makes it POST streaming
 * requests to that URL: OPENAI_BASE_URL of the worker (a lab's gateway, a loopback server in tests)
 * or OpenAI's API. A session that names `agentProvider` uses that provider from codex's own config.
 */
export function codexProviderArgs(provider: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (provider) return ['-c', `model_provider=${JSON.stringify(provider)}`];
  const baseUrl = env.OPENAI_BASE_URL || 'https://api.openai.com/v1';
  const table = `{ name = "nanogpt-bench model API", base_url = ${JSON.stringify(baseUrl)}, wire_api = "responses", env_key = "OPENAI_API_KEY" }`;
  return ['-c', `model_provider="${CODEX_PROVIDER}"`, '-c', `model_providers.${CODEX_PROVIDER}=${table}`];
}

export function codexPassEnv(spec: SessionSpec): string[] {
  return [...new Set(['OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL', ...spec.agentPassEnv])];
}

/** One line of `codex exec --json`: thread.started, turn.*, item.*, error. */
export function readCodexEvent(line: string): AgentEvent {
  const parsed = parseEventLine(line);
  if ('shown' in parsed) return parsed.shown;
  const { ev } = parsed;
  switch (ev.type) {
    case 'thread.started':
      return { sessionId: str(ev.thread_id) ?? undefined, text: `[thread] ${str(ev.thread_id) ?? '?'}` };
    case 'turn.completed': {
      const u = isObject(ev.usage) ? ev.usage : {};
      const usage = {
        cumulative: false,
        inputTokens: num(u.input_tokens),
        cachedInputTokens: num(u.cached_input_tokens),
        outputTokens: num(u.output_tokens),
        cacheWriteTokens: 0,
        costUsd: null,
        turns: 1,
      };
      return { usage, text: `[turn completed] ${usage.inputTokens} in (${usage.cachedInputTokens} cached) / ${usage.outputTokens} out tokens` };
    }
    case 'turn.failed':
      return { text: `[turn failed] ${isObject(ev.error) ? (str(ev.error.message) ?? '') : ''}` };
    case 'error':
      return { text: `[error] ${str(ev.message) ?? ''}` };
    case 'item.started':
    case 'item.completed':
      return { text: isObject(ev.item) ? renderItem(ev.type, ev.item) : null };
    default:
      return { text: null };
  }
}

function renderItem(phase: string, item: Record<string, unknown>): string | null {
  const done = phase === 'item.completed';
  switch (item.type) {
    case 'command_execution':
      if (!done) return `$ ${str(item.command) ?? ''}`;
      return `  → exit ${typeof item.exit_code === 'number' ? item.exit_code : '?'}: ${clip(str(item.aggregated_output) ?? '', 2000).replace(/\n/g, '\n    ')}`;
    case 'agent_message':
      return done ? `assistant: ${clip(str(item.text) ?? '', 4000)}` : null;
    case 'reasoning':
      return done ? `thinking: ${clip(str(item.text) ?? '', 1000)}` : null;
    case 'file_change': {
      if (!done) return null;
      const changes = Array.isArray(item.changes) ? item.changes.filter(isObject) : [];
      return `edit: ${changes.map((c) => `${str(c.path) ?? '?'} (${str(c.kind) ?? '?'})`).join(', ')}`;
    }
    case 'todo_list': {
      const items = Array.isArray(item.items) ? item.items.filter(isObject) : [];
      return done ? null : `plan:\n${items.map((t) => `  [${t.completed ? 'x' : ' '}] ${str(t.text) ?? ''}`).join('\n')}`;
    }
    case 'error':
      return `[error] ${str(item.message) ?? ''}`;
    default:
      return done ? `[${str(item.type) ?? 'item'}]` : null;
  }
}

export const codexAgent: Agent = {
  name: 'codex',
  finishesOnExit: false,
  output: 'jsonl',
  launch: (ctx) => codexLaunch(ctx, ctx.prompt),
  passEnv: codexPassEnv,
  // A model_provider of codex's own config may live elsewhere: the session names it in agentEgress.
  modelApis: () => MODEL_APIS.openai,
  readEvent: readCodexEvent,
};
