import { isObject, num, str, toolResultText } from '../agents/eventText';

/** One step of the agent's conversation as the report shows it. */
export interface TranscriptEntry {
  kind: 'prompt' | 'assistant' | 'thinking' | 'command' | 'tool' | 'result' | 'system' | 'output' | 'error';
  text: string;
  /** A command's or tool's output, shown under it. */
  output?: string;
  exitCode?: number | null;
  isError?: boolean;
}

export interface LaunchTranscript {
  launch: number;
  startedAt: string | null;
  promptKind: string | null;
  entries: TranscriptEntry[];
}

/**
 * Reads one launch's trace (runs/<id>/agent/launch-N.jsonl: Claude Code's stream-json, Codex's
 * `exec --json` events, or `harness.output` lines of a plain-text agent) into conversation
 * entries. A tool's result is attached to the call it answers, so a command reads with its output.
 */
export function readTranscript(lines: string[]): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  const byId = new Map<string, TranscriptEntry>();
  const push = (e: TranscriptEntry, id?: unknown) => {
    out.push(e);
    if (typeof id === 'string') byId.set(id, e);
  };
  for (const line of lines) {
    if (!line.trim()) continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      appendOutput(out, line);
      continue;
    }
    if (!isObject(ev)) continue;
    switch (ev.type) {
      case 'harness.output':
        appendOutput(out, str(ev.text) ?? '');
        break;
      case 'system':
        push({
          kind: 'system',
          text: ev.subtype === 'init' ? `session ${str(ev.session_id) ?? '?'}, model ${str(ev.model) ?? '?'}` : `system ${str(ev.subtype) ?? ''}`,
        });
        break;
      case 'assistant':
      case 'user':
        claudeMessage(ev, push, byId);
        break;
      case 'result':
        push({ kind: 'result', isError: ev.is_error === true, text: resultLine(ev) + (str(ev.result) ? `\n${str(ev.result)}` : '') });
        break;
      case 'thread.started':
        push({ kind: 'system', text: `thread ${str(ev.thread_id) ?? '?'}` });
        break;
      case 'turn.completed': {
        const u = isObject(ev.usage) ? ev.usage : {};
        push({ kind: 'result', text: `turn completed: ${num(u.input_tokens)} in (${num(u.cached_input_tokens)} cached) / ${num(u.output_tokens)} out tokens` });
        break;
      }
      case 'turn.failed':
        push({ kind: 'error', text: `turn failed: ${isObject(ev.error) ? (str(ev.error.message) ?? '') : ''}` });
        break;
      case 'error':
        push({ kind: 'error', text: str(ev.message) ?? 'error' });
        break;
      case 'item.started':
      case 'item.completed':
        if (isObject(ev.item)) codexItem(ev.type === 'item.completed', ev.item, push, byId);
        break;
      default:
        break;
    }
  }
  return out;
}

function resultLine(ev: Record<string, unknown>): string {
  const u = isObject(ev.usage) ? ev.usage : {};
  const cost = typeof ev.total_cost_usd === 'number' ? `, $${ev.total_cost_usd.toFixed(4)}` : '';
  return `result ${str(ev.subtype) ?? ''}: ${typeof ev.num_turns === 'number' ? ev.num_turns : '?'} turns${cost}, ${num(u.input_tokens)} in / ${num(u.output_tokens)} out tokens`;
}

type Push = (e: TranscriptEntry, id?: unknown) => void;

function claudeMessage(ev: Record<string, unknown>, push: Push, byId: Map<string, TranscriptEntry>): void {
  const message = isObject(ev.message) ? ev.message : {};
  const blocks = Array.isArray(message.content)
    ? message.content.filter(isObject)
    : typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : [];
  for (const b of blocks) {
    if (b.type === 'text') push({ kind: ev.type === 'user' ? 'prompt' : 'assistant', text: str(b.text) ?? '' });
    else if (b.type === 'thinking') push({ kind: 'thinking', text: str(b.thinking) ?? '' });
    else if (b.type === 'tool_use') {
      const input = isObject(b.input) ? b.input : {};
      const bash = b.name === 'Bash' && typeof input.command === 'string';
      push({ kind: bash ? 'command' : 'tool', text: bash ? (input.command as string) : `${str(b.name) ?? '?'} ${JSON.stringify(input, null, 1)}` }, b.id);
    } else if (b.type === 'tool_result') {
      const text = toolResultText(b.content);
      const call = typeof b.tool_use_id === 'string' ? byId.get(b.tool_use_id) : undefined;
      if (call && call.output === undefined) Object.assign(call, { output: text, isError: b.is_error === true });
      else push({ kind: 'output', text, isError: b.is_error === true });
    }
  }
}

function codexItem(done: boolean, item: Record<string, unknown>, push: Push, byId: Map<string, TranscriptEntry>): void {
  const known = typeof item.id === 'string' ? byId.get(item.id) : undefined;
  switch (item.type) {
    case 'command_execution': {
      const exitCode = typeof item.exit_code === 'number' ? item.exit_code : null;
      if (!done) return known ? undefined : push({ kind: 'command', text: str(item.command) ?? '' }, item.id);
      const result = { output: str(item.aggregated_output) ?? '', exitCode, isError: exitCode !== null && exitCode !== 0 };
      if (known) Object.assign(known, result);
      else push({ kind: 'command', text: str(item.command) ?? '', ...result }, item.id);
      return;
    }
    case 'agent_message':
      if (done) push({ kind: 'assistant', text: str(item.text) ?? '' });
      return;
    case 'reasoning':
      if (done) push({ kind: 'thinking', text: str(item.text) ?? '' });
      return;
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? item.changes.filter(isObject) : [];
      if (done) push({ kind: 'tool', text: `edit ${changes.map((c) => `${str(c.path) ?? '?'} (${str(c.kind) ?? '?'})`).join(', ')}` });
      return;
    }
    case 'todo_list': {
      const items = Array.isArray(item.items) ? item.items.filter(isObject) : [];
      if (!done) push({ kind: 'tool', text: `plan\n${items.map((t) => `[${t.completed ? 'x' : ' '}] ${str(t.text) ?? ''}`).join('\n')}` });
      return;
    }
    case 'error':
      push({ kind: 'error', text: str(item.message) ?? 'error' });
      return;
    default:
      if (done) push({ kind: 'tool', text: `${str(item.type) ?? 'item'}` });
  }
}

/** Plain output lines (a text agent, or a CLI's stderr) gather into one block until the next event. */
function appendOutput(out: TranscriptEntry[], line: string): void {
  const last = out[out.length - 1];
  if (last && last.kind === 'output' && last.output === undefined) last.text += `\n${line}`;
  else out.push({ kind: 'output', text: line });
}
