import type { SessionStatus } from '../domain/session';
import type { SubmissionRecord } from '../domain/submission';

const h = (x: number) => x.toFixed(4);

/** The status a person reads: phase, budget by category, best submission and the headline figure. */
export function formatStatus(s: SessionStatus): string {
  const b = s.budget;
  const lines = [
    `session ${s.sessionId}  (${s.agent} on ${s.anchor})  phase: ${s.phase}${s.endReason ? `  ended: ${s.endReason}` : ''}`,
    `budget   ${h(b.usedGpuHours)} of ${h(b.grantedGpuHours)} GPU-h used, ${h(b.remainingGpuHours)} left  (agent ${h(b.byCategory.agent)}, validation ${h(b.byCategory.validation)}, calibration ${h(b.byCategory.calibration)})`,
    ...spendLine(b.agentSpend),
    `submissions ${Object.entries(s.submissions).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none yet'}`,
  ];
  if (s.best) {
    const c = s.best.speedupCi95;
    lines.push(
      `best     ${s.best.submissionId} (${s.best.path}): ${s.best.speedupSeconds.toFixed(3)} s faster than the anchor (95% CI ${c[0].toFixed(3)}…${c[1].toFixed(3)}), ` +
        `mean val loss ${s.best.meanValLoss.toFixed(4)}`,
      `human progress recovered: ${s.best.humanProgressPercent.toFixed(1)}%`,
    );
  } else {
    lines.push('best     none accepted yet');
  }
  return lines.join('\n');
}

/** The model spend beside the GPU budget, when the session limits it or the agent reported any. */
function spendLine(sp: SessionStatus['budget']['agentSpend']): string[] {
  if (!sp || (sp.costLimitUsd === null && sp.tokenLimit === null && sp.pricedBy === null)) return [];
  const cost = `$${sp.costUsd.toFixed(4)}${sp.costLimitUsd === null ? '' : ` of $${sp.costLimitUsd}`}`;
  const tokens = `${sp.tokens}${sp.tokenLimit === null ? '' : ` of ${sp.tokenLimit}`} tokens`;
  return [`model spend ${cost}, ${tokens}${sp.pricedBy ? ` (priced by ${sp.pricedBy})` : ''}`];
}

export function formatSubmissions(subs: SubmissionRecord[]): string {
  if (subs.length === 0) return 'no submissions yet';
  return subs
    .map((s) => {
      const v = s.verdict;
      const head = `${s.id}  ${s.path}  ${s.state}`;
      if (!v) return s.reason ? `${head}  (${s.reason})` : head;
      const sp = v.speedup ? `  speedup ${v.speedup.seconds.toFixed(3)} s (${v.speedup.humanProgressPercent.toFixed(1)}% of human progress)` : '';
      return `${head}${sp}\n    ${v.reasons.join('\n    ')}`;
    })
    .join('\n');
}
