import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { SessionSummary } from '../../src/domain/session';
import type { SubmissionRecord } from '../../src/domain/submission';
import { benchHome, layout } from '../../src/files/layout';
import { markerOf } from './judgeServer';
import { LABEL } from '../../src/sandbox/docker';
import { temporalBinary } from '../../src/temporal/binary';
import { sandboxGpuSeconds } from '../helpers/groundTruth';
import { runCommand } from '../helpers/harness';

/** One heartbeat of a process watcher (POLL_MS in activities/agent.ts): how far a charge may be from the truth, per GPU. */
export const HEARTBEAT_S = 1;

/** A submission the suite made: the id the session acknowledged, its marker, and the reason its verdict must give. */
export interface Acked {
  id: string;
  marker: string;
  reason: RegExp | null;
}

export interface SessionFindings {
  completed: boolean;
  lost: string[];
  judgedTwice: string[];
  /** Asked again only because a worker died with the model's answer in hand (judgedAgain). */
  askedAfterDeath: string[];
  /** Verdicts whose runs differ from the runs on disk, or whose reason is not the one expected. */
  wrong: string[];
  /** Largest gap between the ledger and the sandboxes' own records, GPU-seconds (agent and runs apart). */
  budgetErrorS: number;
  /** Charged and held, agent and runs apart, in words. */
  budgetDetail: string;
  orphans: string[];
}

/** A worker process's end, and the markers of the candidates whose judge report was kept on disk then. */
export interface WorkerEnd {
  atMs: number;
  kept: Set<string>;
}

/** The markers of every candidate whose judge report is kept beside its frozen copy (activities/judge.ts). */
export function keptJudgeReports(): Set<string> {
  const kept = new Set<string>();
  const runs = join(benchHome(), 'runs');
  for (const session of existsSync(runs) ? readdirSync(runs) : []) {
    const subs = join(runs, session, 'submissions');
    for (const sub of existsSync(subs) ? readdirSync(subs) : []) {
      if (!existsSync(join(subs, sub, 'judge.json'))) continue;
      const marker = markerOf(readFileSync(join(subs, sub, 'frozen', 'train_gpt.py'), 'utf8'));
      if (marker) kept.add(marker);
    }
  }
  return kept;
}

/**
 * Candidates the model was asked about again although an answer had been given. A worker that
 * dies with an answer in hand, before it could keep it anywhere, leaves nothing to find: asking
 * again is then the only way on (any caller of a model API that dies between its answer and its
 * next write does). That alone is excused: a worker ended between the two answers, and the first
 * was not kept on disk at that end. Anything else is a candidate judged twice.
 */
export function judgedAgain(marker: string, answeredAt: number[], workerEnds: WorkerEnd[]): { twice: boolean; afterDeath: number } {
  let afterDeath = 0;
  let twice = false;
  for (let i = 1; i < answeredAt.length; i++) {
    const diedWithIt = workerEnds.some((e) => e.atMs >= answeredAt[i - 1] && e.atMs <= answeredAt[i] && !e.kept.has(marker));
    if (diedWithIt) afterDeath++;
    else twice = true;
  }
  return { twice, afterDeath };
}

/** What one ended session must satisfy: nothing lost or judged twice, verdicts true to the disk, the ledger true to the sandboxes. */
export function checkSession(
  sessionId: string,
  gpus: number,
  summary: SessionSummary | null,
  subs: SubmissionRecord[],
  acked: Acked[],
  answeredAt: Map<string, number[]>,
  workerEnds: WorkerEnd[],
): Omit<SessionFindings, 'orphans'> {
  const byId = new Map(subs.map((s) => [s.id, s]));
  const lost = acked.filter((a) => !['accepted', 'rejected'].includes(byId.get(a.id)?.state ?? 'missing')).map((a) => `${sessionId}/${a.id}`);
  const again = acked.map((a) => ({ a, n: answeredAt.get(a.marker)?.length ?? 0, ...judgedAgain(a.marker, answeredAt.get(a.marker) ?? [], workerEnds) }));
  const judgedTwice = again.filter((x) => x.twice).map((x) => `${sessionId}/${x.a.id} (${x.n} answers)`);
  const askedAfterDeath = again.filter((x) => x.afterDeath > 0).map((x) => `${sessionId}/${x.a.id}`);
  const wrong: string[] = [];
  for (const a of acked) {
    const s = byId.get(a.id);
    // Rejected with no verdict: the validation itself failed (its retries spent on a fault), not the candidate.
    if (s?.state === 'rejected' && !s.verdict) wrong.push(`${sessionId}/${s.id}: rejected without a verdict: ${s.reason ?? '?'}`);
    if (!s?.verdict) continue;
    const runsDir = join(layout.submission(sessionId, s.id), 'runs');
    // Runs lost with their sandbox are set aside as <i>.lost-<n> and started again: not the verdict's.
    const onDisk = existsSync(runsDir)
      ? readdirSync(runsDir)
          .filter((r) => !/\.lost-\d+$/.test(r))
          .sort()
      : [];
    const reported = s.verdict.runs.map((r) => String(r.index)).sort();
    if (JSON.stringify(onDisk) !== JSON.stringify(reported))
      wrong.push(`${sessionId}/${s.id}: verdict reports runs [${reported.join(',')}], disk has [${onDisk.join(',')}]`);
    const said = s.verdict.reasons.join(' | ');
    if (a.reason && (s.verdict.accepted || !a.reason.test(said))) wrong.push(`${sessionId}/${s.id}: expected ${a.reason}, verdict says ${said}`);
  }
  let budgetErrorS = Number.POSITIVE_INFINITY;
  const detail: string[] = [];
  if (summary) {
    const truth = sandboxGpuSeconds(sessionId, gpus);
    const c = summary.budget.byCategory;
    const agentErr = Math.abs(c.agent * 3600 - truth.agent);
    const runsErr = Math.abs((c.calibration + c.validation + c.confirmation) * 3600 - truth.runs);
    budgetErrorS = Math.max(agentErr, runsErr);
    detail.push(
      `${sessionId}: agent charged ${(c.agent * 3600).toFixed(2)} held ${truth.agent.toFixed(2)}; runs charged ${((c.calibration + c.validation + c.confirmation) * 3600).toFixed(2)} held ${truth.runs.toFixed(2)} GPU-s`,
    );
    for (const u of truth.unended) wrong.push(`${sessionId}: ${u} never wrote how it ended`);
  }
  return {
    completed: summary !== null && (summary.endReason ?? '') !== '',
    lost,
    judgedTwice,
    askedAfterDeath,
    wrong,
    budgetErrorS,
    budgetDetail: detail.join(''),
  };
}

/** Processes left with their working folder or command line in the session's folder, and containers with its label. */
export async function orphansOf(sessionId: string, docker: Docker | null): Promise<string[]> {
  const dir = layout.session(sessionId);
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cwd.startsWith(dir) || cmd.includes(dir)) out.push(`pid ${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  if (docker) {
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.session}=${sessionId}`] } });
    for (const c of list) out.push(`container ${c.Names[0]} (${c.State})`);
  }
  return out;
}

/** Every place a planted key could leak to: each session's history as the Temporal CLI prints it, and every file under the home. */
export async function keyLeaks(address: string, home: string, sessionIds: string[], keys: string[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const id of sessionIds) {
    const r = await runCommand(temporalBinary(), ['workflow', 'show', '--output', 'json', '--address', address, '-w', id], { timeoutMs: 60_000 });
    if (r.status !== 0 || r.stdout.length < 100) leaks.push(`history of ${id} could not be read: ${r.stderr.slice(0, 200)}`);
    for (const k of keys) if (r.stdout.includes(k)) leaks.push(`history of ${id}`);
  }
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'relay-token') continue;
      else if (e.isFile() && statSync(p).size < 256 * 1024 * 1024) {
        const text = readFileSync(p).toString('latin1');
        for (const k of keys) if (text.includes(k)) leaks.push(p);
      }
    }
  };
  walk(home);
  return leaks;
}
