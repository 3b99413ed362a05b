import type { SessionStatus } from '../domain/session';
import type { SubmissionRecord } from '../domain/submission';
import { formatUsage, type AgentUsageSummary } from '../agents/usage';

/** Where the submission in validation stands, read from its validation workflow's history. */
export interface ValidationProgress {
  submissionId: string;
  /** The step in progress: freezing, judging, or timed run k of N. */
  step: 'freezing' | 'judging' | 'timing' | 'deciding';
  run: number;
  runs: number;
  sinceMs: number;
}

export interface WatchState {
  status: SessionStatus;
  submissions: SubmissionRecord[];
  validation: ValidationProgress | null;
  /** The agent's tokens and cost, when this machine holds the session's files (as `status` reads them). */
  usage?: AgentUsageSummary | null;
}

const BAR = 30;

/** The live screen of `watch` on a terminal: a few lines, redrawn in place. */
export function watchFrame(w: WatchState, nowMs: number): string[] {
  const s = w.status;
  const b = s.budget;
  const share = b.grantedGpuHours > 0 ? Math.min(1, b.usedGpuHours / b.grantedGpuHours) : 0;
  const filled = Math.round(share * BAR);
  const cats = Object.entries(b.byCategory)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
  return [
    `session ${s.sessionId}  ${s.agent} on ${s.anchor}  phase ${s.phase}  up ${duration(nowMs - Date.parse(s.startedAt))}${s.endReason ? `  ended: ${s.endReason}` : ''}`,
    `budget  [${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${b.usedGpuHours.toFixed(4)} of ${b.grantedGpuHours.toFixed(4)} GPU-h  (${cats})`,
    `now     ${validationText(w, nowMs)}`,
    `last    ${lastVerdictText(w.submissions)}`,
    `best    ${bestText(s)}`,
    `counts  ${
      Object.entries(s.submissions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'no submissions yet'
    }`,
    ...(w.usage ? [`agent   ${formatUsage(w.usage)}`] : []),
  ];
}

/** One line for a log or a pipe: printed when something other than the clock changed. */
export function watchLine(w: WatchState): string {
  const b = w.status.budget;
  const pct = b.grantedGpuHours > 0 ? (100 * b.usedGpuHours) / b.grantedGpuHours : 0;
  return `phase ${w.status.phase} | budget ${pct.toFixed(0)}% (${b.usedGpuHours.toFixed(4)}/${b.grantedGpuHours.toFixed(4)} GPU-h) | ${validationText(w, null)} | last ${lastVerdictText(w.submissions)} | best ${bestText(w.status)}`;
}

function validationText(w: WatchState, nowMs: number | null): string {
  const v = w.validation;
  const queued = w.submissions.filter((s) => s.state === 'queued').length;
  const more = queued ? `; ${queued} queued` : '';
  if (!v) {
    const current = w.submissions.find((s) => s.state === 'validating');
    return current ? `validating ${current.id}${more}` : `no validation in flight${more}`;
  }
  const elapsed = nowMs === null ? '' : `, ${duration(nowMs - v.sinceMs)} elapsed`;
  const what = v.step === 'timing' ? `run ${v.run} of ${v.runs}` : v.step;
  return `validating ${v.submissionId}: ${what}${elapsed}${more}`;
}

function lastVerdictText(subs: SubmissionRecord[]): string {
  const done = subs.filter((s) => s.state === 'accepted' || s.state === 'rejected');
  const last = done[done.length - 1];
  if (!last) return 'no verdict yet';
  const sp = last.verdict?.speedup;
  const detail =
    last.state === 'accepted' && sp
      ? `${sp.seconds.toFixed(3)} s faster (${sp.humanProgressPercent.toFixed(1)}% of human progress)`
      : (last.verdict?.reasons[0] ?? last.reason ?? '');
  return `${last.id} ${last.state}: ${detail}`;
}

function bestText(s: SessionStatus): string {
  const b = s.best;
  return b
    ? `${b.submissionId}: ${b.humanProgressPercent.toFixed(1)}% of human progress, ${b.speedupSeconds.toFixed(3)} s (95% CI ${b.speedupCi95[0].toFixed(3)} … ${b.speedupCi95[1].toFixed(3)})`
    : 'none accepted yet';
}

function duration(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
}
