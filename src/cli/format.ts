import type { SessionStatus } from '../domain/session';
import type { SubmissionRecord } from '../domain/submission';
import type { FleetView } from '../fleet/fleet';
import { formatUsage } from '../agents/usage';

const h = (x: number) => x.toFixed(4);

/** The status a person reads: phase, budget by category, best submission and the headline figure. */
export function formatStatus(s: SessionStatus): string {
  const b = s.budget;
  const lines = [
    `session ${s.sessionId}  (${s.agent} on ${s.anchor})  phase: ${s.phase}${s.endReason ? `  ended: ${s.endReason}` : ''}`,
    `budget   ${h(b.usedGpuHours)} of ${h(b.grantedGpuHours)} GPU-h used, ${h(b.remainingGpuHours)} left  (agent ${h(b.byCategory.agent)}, validation ${h(b.byCategory.validation)}, calibration ${h(b.byCategory.calibration)}, confirmation ${h(b.byCategory.confirmation ?? 0)}${b.reservedGpuHours ? `, ${h(b.reservedGpuHours)} reserved for it` : ''})`,
    ...spendLine(b.agentSpend),
    ...(s.agentUsage ? [`agent    ${formatUsage(s.agentUsage)}`] : []),
    ...(s.files ? [`files    ${s.files.host ? `${s.files.host}:` : ''}${s.files.sessionDir} (summary.json, report.html, agent/ transcripts)`] : []),
    `submissions ${
      Object.entries(s.submissions)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || 'none yet'
    }`,
  ];
  const t = s.tickets;
  if (t && t.candidatesTimed > 0) {
    lines.push(
      `timed    ${t.candidatesTimed} candidates on ${t.runsTimed} runs${t.screeningCandidates ? ` (${t.screeningCandidates} screening only, ${t.screeningRuns} runs: none of them can be the best)` : ''}${t.referenceRuns ? `, ${t.referenceRuns} anchor runs beside them` : ''}`,
    );
  }
  if (s.best) {
    const c = s.best.speedupCi95;
    lines.push(
      `best     ${s.best.submissionId} (${s.best.path}): ${s.best.speedupSeconds.toFixed(3)} s faster than the anchor (95% CI ${c[0].toFixed(3)}…${c[1].toFixed(3)}), ` +
        `mean val loss ${s.best.meanValLoss.toFixed(4)}`,
      `${s.confirmation ? 'per-submission figure' : 'human progress recovered'}: ${s.best.humanProgressPercent.toFixed(1)}%`,
    );
  } else {
    lines.push('best     none accepted yet');
  }
  if (s.fleet) {
    const moves = s.fleet.moves.map((m) => `${m.from} lost (last seen ${new Date(m.lastSeenMs).toISOString()}) → ${m.to ?? 'waiting'}`);
    lines.push(
      `node     ${s.fleet.node ?? `none: waiting for a node with room since ${s.fleet.waitingSince ?? '?'}`}${moves.length ? `; moved ${moves.length}×: ${moves.join('; ')}` : ''}`,
    );
    const w = s.fleet.workspace;
    if (w && (w.checkpoints > 0 || w.restores.length > 0)) {
      const last = w.last ? `last checkpoint ${w.last.number} (${w.last.reason}, on ${w.last.node ?? '?'}, taken ${w.last.takenAt})` : 'no checkpoint';
      const restored = w.restores.map(
        (r) => `on ${r.node ?? '?'} from ${r.checkpoint === null ? 'the anchor (none taken)' : `checkpoint ${r.checkpoint} taken ${r.takenAt}`}`,
      );
      lines.push(`workspace ${w.nodeLocal ? 'node-local' : 'shared'}: ${last}${restored.length ? `; restored ${restored.join('; ')}` : ''}`);
    }
  }
  const d = s.referenceDrift;
  if (d && d.flagged.length > 0) {
    lines.push(
      `DRIFT    the anchor's times moved beyond their noise between reference windows: ${d.flagged.map((f) => `${f.from} → ${f.to} ${f.shiftMs >= 0 ? '+' : ''}${(f.shiftMs / 1000).toFixed(3)} s (p=${f.pValue.toExponential(1)})`).join('; ')}`,
    );
  }
  const head = s.confirmation?.headline;
  if (head) {
    const c = head.ci95;
    lines.push(
      `HEADLINE ${head.humanProgressPercent.toFixed(1)}% of human progress recovered: ${head.submissionId} confirmed ${head.speedupSeconds.toFixed(3)} s faster than the anchor (95% CI ${c[0].toFixed(3)}…${c[1].toFixed(3)}), ` +
        `${s.confirmation!.runs ?? '?'} runs interleaved with as many of the anchor at the end of the session; ` +
        hundredLine(s.confirmation!),
    );
  } else if (s.confirmation) {
    lines.push(`HEADLINE none: ${s.confirmation.note ?? 'nothing confirmed'}`);
  }
  return lines.join('\n');
}

/** Where the 100% mark of the confirmed percentage came from. */
function hundredLine(c: NonNullable<SessionStatus['confirmation']>): string {
  if (c.progressBasis === 'same-window' && c.horizon)
    return `100% = the horizon record timed in the same rounds, ${c.horizon.speedupSeconds.toFixed(3)} s faster than the anchor`;
  if (c.horizon) return `the horizon record's runs in the window were not faster than the anchor's: 100% = calibration's figure`;
  return `100% = calibration's figure for the horizon record`;
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

/** The fleet as a table: one line per node, then the sessions waiting for room. */
export function formatNodes(v: FleetView): string {
  const lines = v.nodes.map(
    (n) =>
      `${n.name.padEnd(16)} ${n.state.padEnd(5)} ${String(n.freeGpus).padStart(3)}/${String(n.gpus).padEnd(3)} GPUs free  last seen ${n.lastSeen}  ${n.sessions.join(', ') || '-'}`,
  );
  if (lines.length === 0) lines.push('no nodes yet: start one with `nanogpt-bench worker --node <name> --gpus <n>`');
  for (const w of v.waiting) lines.push(`waiting  ${w.sessionId} for ${w.gpus} GPUs since ${w.since}`);
  lines.push(`a node is declared lost after ${v.lossAfterSeconds} s without a heartbeat`);
  return lines.join('\n');
}
