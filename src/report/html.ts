import type { ReportJson, ReportSubmission } from './model';
import { transcriptHtml } from './transcriptHtml';
import { esc, fixed, pageStyle } from './htmlParts';

export interface ReportFigures {
  progress: string;
  runs: string;
  burn: string;
}

/** report.html: one self-contained page (inline SVG and CSS, no script, nothing fetched). */
export function reportHtml(r: ReportJson, fig: ReportFigures): string {
  const s = r.session;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nanogpt-bench report: ${esc(s.id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${pageStyle}</style></head>
<body><main>
<header><h1>${esc(s.agent)}${s.model ? ` (${esc(s.model)})` : ''} on ${esc(s.anchor)}</h1>
<p class="meta">session <code>${esc(s.id)}</code> · started ${esc(s.startedAt)} · ${s.endReason ? `ended: ${esc(s.endReason)}` : esc(s.phase)} · report generated ${esc(r.generatedAt)}</p></header>
${headlineHtml(r)}
<figure id="fig-progress" class="plot">${fig.progress}</figure>
<section class="cards">${budgetHtml(r)}${usageHtml(r)}</section>
<figure id="fig-runs" class="plot">${fig.runs}</figure>
<figure id="fig-burn" class="plot">${fig.burn}</figure>
${confirmationHtml(r)}
<section id="submissions"><h2>Submissions (${r.submissions.length})</h2>${submissionsTable(r.submissions)}</section>
<section id="transcript"><h2>Agent transcript</h2>${transcriptHtml(r.transcript)}</section>
</main></body></html>
`;
}

function headlineHtml(r: ReportJson): string {
  const h = r.headline;
  if (h.source === 'none')
    return `<section id="headline" class="headline none"><div class="big">no accepted submission</div><p>The agent recovered 0% of human progress in this session.</p></section>`;
  const how =
    h.source === 'confirmation'
      ? 'confirmed: re-timed interleaved with the anchor at the end of the session'
      : 'from validation (no end-of-session confirmation in this summary)';
  return `<section id="headline" class="headline"><div class="big">${fixed(h.humanProgressPercent, 1)}% of human progress recovered</div>
<p><b>${fixed(h.speedupSeconds, 3)} s</b> faster than the anchor (95% CI ${fixed(h.ci95?.[0], 3)} … ${fixed(h.ci95?.[1], 3)} s), by <code>${esc(h.submissionId ?? '')}</code>; ${how}.</p></section>`;
}

function budgetHtml(r: ReportJson): string {
  const b = r.budget;
  const rows = Object.entries(b.byCategory).map(
    ([k, v]) =>
      `<tr><td>${esc(k)}</td><td class="num">${fixed(v, 4)}</td><td class="num">${b.usedGpuHours > 0 ? fixed((100 * v) / b.usedGpuHours, 1) : '0.0'}%</td></tr>`,
  );
  return `<div class="card" id="budget"><h2>Budget</h2><p>${fixed(b.usedGpuHours, 4)} of ${fixed(b.grantedGpuHours, 4)} GPU-hours used, ${fixed(b.remainingGpuHours, 4)} left</p>
<table><thead><tr><th>category</th><th>GPU-h</th><th>share</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function usageHtml(r: ReportJson): string {
  const u = r.agentUsage;
  if (!u || u.launches === u.unreportedLaunches)
    return `<div class="card" id="usage"><h2>Agent tokens and cost</h2><p>The agent reported no token usage (a replay or plain command agent, or no launch yet).</p></div>`;
  const n = (x: number) => x.toLocaleString('en-US');
  return `<div class="card" id="usage"><h2>Agent tokens and cost</h2><table><tbody>
<tr><td>input tokens</td><td class="num">${n(u.inputTokens)}</td></tr><tr><td>cached input</td><td class="num">${n(u.cachedInputTokens)}</td></tr>
<tr><td>cache writes</td><td class="num">${n(u.cacheWriteTokens)}</td></tr><tr><td>output tokens</td><td class="num">${n(u.outputTokens)}</td></tr>
<tr><td>model cost</td><td class="num">${u.costUsd === null ? 'not reported' : `$${u.costUsd.toFixed(u.costUsd < 1 ? 4 : 2)}`}</td></tr><tr><td>launches</td><td class="num">${u.launches}${u.unreportedLaunches ? ` (${u.unreportedLaunches} unreported)` : ''}</td></tr>
</tbody></table></div>`;
}

function confirmationHtml(r: ReportJson): string {
  const c = r.confirmation;
  if (!c) return '';
  const rows = c.candidates.map(
    (x) =>
      `<tr><td><code>${esc(x.submissionId)}</code></td><td class="num">${x.candidateRunsS.length}</td><td class="num">${x.anchorRunsS.length}</td><td class="num">${fixed(x.speedupSeconds, 3)}</td><td class="num">${fixed(x.ci95[0], 3)} … ${fixed(x.ci95[1], 3)}</td><td class="num">${fixed(x.humanProgressPercent, 1)}%</td></tr>`,
  );
  const hundred =
    c.progressBasis === 'same-window' && c.horizon
      ? ` 100% of human progress is the horizon record timed in the same rounds: ${fixed(c.horizon.speedupSeconds, 3)} s faster than the anchor (95% CI ${fixed(c.horizon.ci95[0], 3)} … ${fixed(c.horizon.ci95[1], 3)}).`
      : " 100% of human progress is calibration's figure for the horizon record.";
  return `<section id="confirmation"><h2>Confirmation</h2><p>The best candidates re-timed interleaved with the anchor (A B A B …); ${c.headline ? `the headline is <code>${esc(c.headline.submissionId)}</code>` : `nothing could be confirmed${c.note ? `: ${esc(c.note)}` : ''}`}.${hundred}</p>
<table><thead><tr><th>submission</th><th>its runs</th><th>anchor runs</th><th>speedup (s)</th><th>95% CI (s)</th><th>human progress</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function submissionsTable(subs: ReportSubmission[]): string {
  if (subs.length === 0) return '<p>No submissions.</p>';
  const rows = subs.map((s) => {
    const valid = s.runs.filter((r) => r.invalidReason === null).length;
    const reasons = s.reasons.map((x) => `<li>${esc(x)}</li>`).join('');
    const runs = s.runs
      .map(
        (r) =>
          `${r.index}: ${r.trainTimeS === null ? '–' : `${r.trainTimeS.toFixed(3)} s`}, loss ${fixed(r.valLoss, 4)}${r.invalidReason ? ` (${esc(r.invalidReason)})` : ''}`,
      )
      .join('<br>');
    return `<tr class="${s.accepted ? 'acc' : 'rej'}"><td><code>${esc(s.id)}</code><br><small>${esc(s.path)}</small></td><td>${s.accepted ? 'accepted' : esc(s.state)}</td>
<td class="num">${valid}/${s.runs.length}</td><td class="num">${fixed(s.meanTimeS, 3)}${s.timeCi95 ? `<br><small>${fixed(s.timeCi95[0], 3)} … ${fixed(s.timeCi95[1], 3)}</small>` : ''}</td>
<td class="num">${fixed(s.meanValLoss, 4)}</td><td class="num">${fixed(s.speedupSeconds, 3)}${s.speedupCi95 ? `<br><small>${fixed(s.speedupCi95[0], 3)} … ${fixed(s.speedupCi95[1], 3)}</small>` : ''}</td>
<td class="num">${s.humanProgressPercent === null ? '–' : `${s.humanProgressPercent.toFixed(1)}%`}</td>
<td><details><summary>${esc(s.reasons[0] ?? '')}${s.reasons.length > 1 ? ` (+${s.reasons.length - 1})` : ''}</summary><ul>${reasons}</ul>${runs ? `<p class="runs">${runs}</p>` : ''}</details></td></tr>`;
  });
  return `<table class="subs"><thead><tr><th>submission</th><th>verdict</th><th>valid runs</th><th>mean time (s), 95% CI</th><th>mean val loss</th><th>speedup (s), 95% CI</th><th>human progress</th><th>reasons and runs</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}
