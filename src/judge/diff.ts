import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The candidate's changes against the anchor as unified diffs, file by file: what the LLM judge
 * reads. Binary or oversized files are named with their size, not shown.
 */

const CONTEXT = 3;
const MAX_TEXT_FILE_BYTES = 2 * 1024 * 1024;
const SKIP_DIRS = new Set(['.git', '__pycache__', 'logs', 'data', 'node_modules']);

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(p);
      } else if (st.isFile()) {
        out.push(relative(root, p));
      }
    }
  };
  walk(root);
  return out;
}

type FileText = { kind: 'text'; lines: string[] } | { kind: 'binary'; bytes: number } | { kind: 'absent' };

function readText(root: string, rel: string): FileText {
  const p = join(root, rel);
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st || !st.isFile()) return { kind: 'absent' };
  if (st.size > MAX_TEXT_FILE_BYTES) return { kind: 'binary', bytes: st.size };
  const buf = readFileSync(p);
  if (buf.includes(0)) return { kind: 'binary', bytes: st.size };
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return { kind: 'text', lines };
}

type Op = { op: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Myers' O((N+M)D) shortest edit script between two line arrays. */
export function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = max === 0;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[max + k - 1] < v[max + k + 1]) ? v[max + k + 1] : v[max + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  trace.push(v.slice());
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[max + k - 1] < vd[max + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[max + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: ' ', line: a[x - 1], a: x - 1, b: y - 1 });
      x--;
      y--;
    }
    if (d === 0) break;
    if (x === prevX) ops.push({ op: '+', line: b[y - 1], a: x, b: y - 1 });
    else ops.push({ op: '-', line: a[x - 1], a: x - 1, b: y });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push({ op: ' ', line: a[x - 1], a: x - 1, b: y - 1 });
    x--;
    y--;
  }
  return ops.reverse();
}

/** Unified diff hunks (3 lines of context) for one file. */
export function unifiedDiff(name: string, a: string[], b: string[]): string {
  const ops = diffLines(a, b);
  const changed = ops.map((o, i) => (o.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  const out = [`--- anchor/${name}`, `+++ candidate/${name}`];
  let i = 0;
  while (i < changed.length) {
    const start = Math.max(0, changed[i] - CONTEXT);
    let end = Math.min(ops.length, changed[i] + CONTEXT + 1);
    while (i + 1 < changed.length && changed[i + 1] - CONTEXT <= end) {
      i++;
      end = Math.min(ops.length, changed[i] + CONTEXT + 1);
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk.find((o) => o.op !== '+')?.a ?? hunk[0].a;
    const bStart = hunk.find((o) => o.op !== '-')?.b ?? hunk[0].b;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aStart + 1},${aLen} +${bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    i++;
  }
  return out.join('\n');
}

export interface SubmissionDiff {
  text: string;
  changedFiles: string[];
}

export function submissionDiff(anchorDir: string, candidateDir: string): SubmissionDiff {
  const names = [...new Set([...listFiles(anchorDir), ...listFiles(candidateDir)])].sort();
  const parts: string[] = [];
  const changedFiles: string[] = [];
  for (const name of names) {
    const a = readText(anchorDir, name);
    const b = readText(candidateDir, name);
    if (a.kind === 'text' && b.kind === 'text') {
      const d = unifiedDiff(name, a.lines, b.lines);
      if (d) {
        parts.push(d);
        changedFiles.push(name);
      }
    } else if (a.kind === 'absent' && b.kind === 'text') {
      parts.push(unifiedDiff(name, [], b.lines).replace(`--- anchor/${name}`, '--- /dev/null (new file)'));
      changedFiles.push(name);
    } else if (a.kind === 'text' && b.kind === 'absent') {
      parts.push(`--- anchor/${name}\n+++ /dev/null (the candidate deleted this file, ${a.lines.length} lines)`);
      changedFiles.push(name);
    } else if (b.kind === 'binary') {
      if (a.kind === 'binary' && readFileSync(join(anchorDir, name)).equals(readFileSync(join(candidateDir, name)))) continue;
      parts.push(`Binary or oversized file in the candidate: ${name} (${b.bytes} bytes)${a.kind === 'absent' ? ', new' : ''}`);
      changedFiles.push(name);
    } else if (a.kind === 'binary' && b.kind === 'absent') {
      parts.push(`The candidate deleted ${name}`);
      changedFiles.push(name);
    }
  }
  return { text: parts.join('\n\n'), changedFiles };
}
