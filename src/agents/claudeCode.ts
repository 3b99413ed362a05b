import type { Agent, AgentContext, AgentEvent, AgentLaunch } from './agent';
import type { SessionSpec } from '../domain/spec';
import { MODEL_APIS, type ModelApi } from './modelApis';
import { clip, isObject, parseEventLine, str, num, toolResultText } from './eventText';
import type { UsageReport } from './usage';

/** Host variables passed by name per provider: keys, and the settings that point the CLI at its API. */
const PROVIDER_ENV: Record<string, { env: Record<string, string>; passEnv: string[] }> = {
  anthropic: { env: {}, passEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN'] },
  bedrock: {
    env: { CLAUDE_CODE_USE_BEDROCK: '1' },
    passEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_BEARER_TOKEN_BEDROCK', 'ANTHROPIC_BEDROCK_BASE_URL'],
  },
  vertex: {
    env: { CLAUDE_CODE_USE_VERTEX: '1' },
    passEnv: ['CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_PROJECT_ID', 'GOOGLE_APPLICATION_CREDENTIALS', 'ANTHROPIC_VERTEX_BASE_URL'],
  },
};

/**
 * argv for Claude Code in print mode: one prompt, a stream of JSON events on stdout, no questions
 * asked (the sandbox is the boundary), and no web tools (the task is offline by its rules).
 */
export function claudeCodeLaunch(ctx: AgentContext, prompt: string): AgentLaunch {
  const spec = ctx.spec;
  const provider = PROVIDER_ENV[spec.agentProvider ?? 'anthropic'];
  const argv = ['claude', '-p', prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions'];
  if (spec.agentModel) argv.push('--model', spec.agentModel);
  if (spec.agentEffort) argv.push('--effort', spec.agentEffort);
  if (ctx.resumeId) argv.push('--resume', ctx.resumeId);
  // Variadic: last, so it swallows nothing that follows.
  argv.push('--disallowedTools', 'WebFetch', 'WebSearch');
  return {
    argv,
    env: {
      ...provider.env,
      // The sandbox is the isolation; this lets bypassPermissions run as root in a container.
      IS_SANDBOX: '1',
      // Offline and headless: no update checks, telemetry, error reports or other calls beside the model API.
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // A training run or a blocking `submit` outlasts the Bash tool's default two minutes.
      BASH_DEFAULT_TIMEOUT_MS: String(60 * 60_000),
      BASH_MAX_TIMEOUT_MS: String(4 * 60 * 60_000),
    },
  };
}

export function claudeCodePassEnv(spec: SessionSpec): string[] {
  return [...new Set([...PROVIDER_ENV[spec.agentProvider ?? 'anthropic'].passEnv, ...spec.agentPassEnv])];
}

export function claudeCodeApis(spec: SessionSpec): ModelApi[] {
  return MODEL_APIS[(spec.agentProvider ?? 'anthropic') as 'anthropic' | 'bedrock' | 'vertex'];
}

/** One line of `--output-format stream-json --verbose`: system/init, assistant, user, result. */
export function readClaudeEvent(line: string): AgentEvent {
  const parsed = parseEventLine(line);
  if ('shown' in parsed) return parsed.shown;
  const { ev } = parsed;
  const sessionId = str(ev.session_id) ?? undefined;
  const type = str(ev.type);
  if (type === 'system') {
    if (ev.subtype === 'init') return { sessionId, text: `[init] session ${sessionId ?? '?'}, model ${str(ev.model) ?? '?'}, cwd ${str(ev.cwd) ?? '?'}` };
    return { sessionId, text: `[system ${str(ev.subtype) ?? ''}]` };
  }
  if (type === 'assistant' || type === 'user') {
    const message = isObject(ev.message) ? ev.message : {};
    const blocks = Array.isArray(message.content) ? message.content : typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : [];
    const lines = blocks
      .filter(isObject)
      .map((b) => renderBlock(type, b))
      .filter((t): t is string => t !== null);
    return { sessionId, text: lines.length ? lines.join('\n') : null, usage: type === 'assistant' ? interimUsage(message) : undefined };
  }
  if (type === 'result') {
    const u = isObject(ev.usage) ? ev.usage : {};
    const usage = {
      cumulative: true,
      inputTokens: num(u.input_tokens),
      outputTokens: num(u.output_tokens),
      cachedInputTokens: num(u.cache_read_input_tokens),
      cacheWriteTokens: num(u.cache_creation_input_tokens),
      costUsd: typeof ev.total_cost_usd === 'number' ? ev.total_cost_usd : null,
      turns: num(ev.num_turns),
    };
    const cost = usage.costUsd === null ? '' : `, $${usage.costUsd.toFixed(4)}`;
    const head = `[result ${str(ev.subtype) ?? '?'}${ev.is_error ? ', error' : ''}] ${usage.turns} turns${cost}, ${usage.inputTokens} in + ${usage.cachedInputTokens} cached / ${usage.outputTokens} out tokens`;
    const body = str(ev.result);
    return { sessionId, usage, text: body ? `${head}\n${clip(body, 2000)}` : head };
  }
  return { sessionId, text: null };
}

/**
 * One model call's usage as an assistant event carries it: input and cache figures are final,
 * output is what streaming had counted when the block closed. The result event's totals replace it.
 */
function interimUsage(message: Record<string, unknown>): UsageReport | undefined {
  const id = str(message.id);
  if (!id || !isObject(message.usage)) return undefined;
  const u = message.usage;
  return {
    cumulative: false,
    messageId: id,
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cachedInputTokens: num(u.cache_read_input_tokens),
    cacheWriteTokens: num(u.cache_creation_input_tokens),
    costUsd: null,
    turns: 0,
  };
}

function renderBlock(role: string, b: Record<string, unknown>): string | null {
  switch (b.type) {
    case 'text':
      return role === 'assistant' ? `assistant: ${clip(str(b.text) ?? '', 4000)}` : `user: ${clip(str(b.text) ?? '', 2000)}`;
    case 'thinking':
      return `thinking: ${clip(str(b.thinking) ?? '', 1000)}`;
    case 'tool_use': {
      const input = isObject(b.input) ? b.input : {};
      if (b.name === 'Bash' && typeof input.command === 'string') return `$ ${input.command}`;
      return `tool ${str(b.name) ?? '?'} ${clip(JSON.stringify(input), 400)}`;
    }
    case 'tool_result': {
      const text = toolResultText(b.content);
      return `${b.is_error ? '  ✗ ' : '  → '}${clip(text, 2000).replace(/\n/g, '\n    ')}`;
    }
    default:
      return null;
  }
}

export const claudeCodeAgent: Agent = {
  name: 'claude-code',
  finishesOnExit: false,
  output: 'jsonl',
  launch: (ctx) => claudeCodeLaunch(ctx, ctx.prompt),
  passEnv: claudeCodePassEnv,
  modelApis: claudeCodeApis,
  readEvent: readClaudeEvent,
};
