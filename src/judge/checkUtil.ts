import type { JudgeCheck } from '../domain/verdict';

export const MAIN_SCRIPT = 'train_gpt.py';
/** At most this many items are listed in one detail; the count says how many there were. */
const LIST_LIMIT = 4;

/** A check's result; `fix` says what to change, `where` the first place (file:line) it is about. */
export function check(rule: string, passed: boolean, detail: string, extra: { where?: string; fix?: string } = {}): JudgeCheck {
  if (passed) return { rule, passed, detail };
  // the detail alone reaches the verdict's reasons, so it carries the place and the fix too
  const tail = [extra.where ? `at ${extra.where}` : '', extra.fix ? `to pass: ${extra.fix}` : ''].filter(Boolean).join('; ');
  return { rule, passed, detail: tail ? `${detail} [${tail}]` : detail, ...extra };
}

export function listSome(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join('; ');
  return items.length > LIST_LIMIT ? `${shown}; and ${items.length - LIST_LIMIT} more` : shown;
}

export const at = (file: string, line: number) => `${file}:${line}`;
export const quote = (code: string, n = 140) => `\`${code.length > n ? `${code.slice(0, n)}…` : code}\``;
