import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { layout } from '../../src/files/layout';
import { parseWrapperExit } from '../../src/sandbox/procs/wrapper';
import { pausesFile } from '../../src/sandbox/procs/records';

/** The spans a sandbox's processes were paused, from the sandbox's own pauses.log (an open pause runs to `untilMs`). */
function pausedSpans(procsDir: string, untilMs: number): [number, number][] {
  const file = pausesFile(dirname(procsDir));
  if (!existsSync(file)) return [];
  const spans: [number, number][] = [];
  let since: number | null = null;
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [what, ms] = line.split(' ');
    if (what === 'pause' && since === null) since = Number(ms);
    if (what === 'resume' && since !== null) {
      spans.push([since, Number(ms)]);
      since = null;
    }
  }
  if (since !== null) spans.push([since, untilMs]);
  return spans;
}

/**
 * GPU-seconds a session's sandboxes actually held, from their own process records on disk (each
 * process's start in its record, its end in the wrapper's exit line, less the spans its sandbox
 * says it was paused), times the GPUs each held: the ground truth a budget ledger must agree
 * with. The agent's sandbox is counted apart. `lost`: a fleet node that died at `atMs` with
 * everything it ran; its processes held their GPUs until then, and its timed runs that never ended
 * are GPU time lost (`lostRuns`), not charged.
 */
export function sandboxGpuSeconds(
  sessionId: string,
  gpus: number,
  lost?: { node: string; atMs: number },
): { agent: number; runs: number; lostRuns: number; unended: string[] } {
  const out = { agent: 0, runs: 0, lostRuns: 0, unended: [] as string[] };
  const agentProcs = join(layout.agentState(sessionId), 'procs');
  const walk = (dir: string, depth: number): void => {
    if (depth > 8 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (e.name !== 'procs') {
        if (e.name !== 'workspace' && e.name !== 'work' && e.name !== 'frozen') walk(sub, depth + 1);
        continue;
      }
      for (const f of readdirSync(sub).filter((n) => n.endsWith('.json'))) {
        const rec = JSON.parse(readFileSync(join(sub, f), 'utf8')) as { startedAtMs: number; owner?: string };
        const exitFile = join(sub, f.replace(/\.json$/, '.exit'));
        const lostFile = join(sub, f.replace(/\.json$/, '.lost'));
        // A process that died with its sandbox: the sandbox noted when its container ended.
        let ended = existsSync(exitFile)
          ? parseWrapperExit(readFileSync(exitFile, 'utf8')).endedAtMs
          : existsSync(lostFile)
            ? Number(readFileSync(lostFile, 'utf8').trim()) || null
            : null;
        if (lost && rec.owner === lost.node) {
          if (ended === null && sub !== agentProcs) {
            out.lostRuns += ((lost.atMs - rec.startedAtMs) / 1000) * gpus;
            continue;
          }
          ended = Math.min(ended ?? lost.atMs, lost.atMs);
        }
        if (ended === null) {
          out.unended.push(join(sub, f));
          continue;
        }
        const paused = pausedSpans(sub, ended).reduce((a, [p, r]) => a + Math.max(0, Math.min(r, ended) - Math.max(p, rec.startedAtMs)), 0);
        const gpuS = ((ended - rec.startedAtMs - paused) / 1000) * gpus;
        if (sub === agentProcs) out.agent += gpuS;
        // A run lost with its sandbox was set aside (runs/<i>.lost-<n>) and started again: GPU time lost, not charged.
        else if (/\.lost-\d+$/.test(dir)) out.lostRuns += gpuS;
        else out.runs += gpuS;
      }
    }
  };
  walk(layout.session(sessionId), 0);
  return out;
}
