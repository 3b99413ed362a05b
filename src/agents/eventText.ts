/** Small readers for untyped JSON events from agent CLIs. */
import type { AgentEvent } from './agent';
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One line of a CLI's JSON event stream, as an object; or, for a line that is not one (the CLI's
 * stderr shares the output file), the event that shows it as it is.
 */
export function parseEventLine(line: string): { ev: Record<string, unknown> } | { shown: AgentEvent } {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch {
    return { shown: { text: line.trim() ? `[stderr] ${line}` : null } };
  }
  return isObject(ev) ? { ev } : { shown: { text: null } };
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Keeps the transcript readable: long outputs are cut, with how much was left out. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)} … [${s.length - max} more characters in the jsonl trace]`;
}

/** A Messages API tool_result's content as text: a string, or the text of its content blocks. */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isObject)
    .map((x) => str(x.text) ?? '')
    .join('\n');
}
