import type { LaunchTranscript, TranscriptEntry } from './transcript';
import { esc } from './htmlParts';

const LABEL: Record<TranscriptEntry['kind'], string> = {
  prompt: 'prompt',
  assistant: 'agent',
  thinking: 'thinking',
  command: '$',
  tool: 'tool',
  result: 'result',
  system: 'system',
  output: 'output',
  error: 'error',
};
const LONG_LINES = 12;
const LONG_CHARS = 1200;

/** The agent's conversation, launch by launch; long texts and outputs fold under a <details>. */
export function transcriptHtml(launches: LaunchTranscript[]): string {
  if (launches.length === 0) return '<p>No agent trace was found for this session.</p>';
  return launches
    .map(
      (
        l,
      ) => `<div class="launch" id="launch-${l.launch}"><h3>launch ${l.launch}${l.promptKind ? ` · ${esc(l.promptKind)} prompt` : ''}${l.startedAt ? ` · ${esc(l.startedAt)}` : ''} · ${l.entries.length} entries</h3>
${l.entries.map(entryHtml).join('\n')}</div>`,
    )
    .join('\n');
}

function entryHtml(e: TranscriptEntry): string {
  const out =
    e.output === undefined
      ? ''
      : `\n${folded(e.output, e.exitCode !== undefined && e.exitCode !== null ? `exit ${e.exitCode}` : e.isError ? 'error' : 'output', e.isError === true)}`;
  return `<div class="t ${e.kind}"><span class="who">${esc(LABEL[e.kind])}</span>${e.kind === 'output' ? folded(e.text, 'output', e.isError === true) : foldedText(e.text)}${out}</div>`;
}

function isLong(s: string): boolean {
  return s.length > LONG_CHARS || s.split('\n').length > LONG_LINES;
}

function foldedText(s: string): string {
  if (!isLong(s)) return esc(s);
  const head = s.split('\n').slice(0, 3).join('\n').slice(0, 300);
  return `<details><summary>${esc(head)} … (${s.split('\n').length} lines)</summary>${esc(s)}</details>`;
}

function folded(s: string, label: string, err: boolean): string {
  const cls = err ? ' class="err"' : '';
  if (!isLong(s)) return `<pre${cls}>${esc(s)}</pre>`;
  return `<details><summary${cls}>${esc(label)}: ${s.split('\n').length} lines, ${s.length} characters</summary><pre${cls}>${esc(s)}</pre></details>`;
}
