import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean, variance } from '../domain/stats';
import type { SubmissionRecord } from '../domain/submission';
import type { Headline, ReportInput, ReportJson, ReportSubmission } from './model';
import { reconstructTimeline } from './timeline';

/** The report's data from a session's files: pure, so the same input always gives the same page. */
export function buildReport(input: ReportInput): ReportJson {
  const { summary } = input;
  const startMs = Date.parse(summary.startedAt);
  const endMs = Math.max(startMs, ...lastTimes(input));
  const byCategory = summary.budget.byCategory as unknown as Record<string, number>;
  // validation is counted inside the submissions' runs; the rest are the other categories.
  const { agent = 0, validation: _validation = 0, calibration = 0, ...other } = byCategory;
  const timeline = reconstructTimeline({
    startMs,
    endMs,
    calibrationGpuHours: calibration,
    agentGpuHours: agent,
    otherGpuHours: other,
    agentIntervals: input.agentIntervals,
    submissions: input.submissions,
  });

  const submissions = input.submissions.map((s) => reportSubmission(s, timeline.atVerdict.get(s.id) ?? 0));
  const progress: ReportJson['progress'] = [];
  let best = -Infinity;
  for (const s of [...submissions].filter((x) => x.accepted && x.humanProgressPercent !== null).sort((a, b) => a.gpuHoursAtVerdict - b.gpuHoursAtVerdict)) {
    if (s.humanProgressPercent! > best) {
      best = s.humanProgressPercent!;
      progress.push({ gpuHours: s.gpuHoursAtVerdict, percent: best, submissionId: s.id });
    }
  }
  const ref = input.reference;
  const refS = ref ? ref.trainTimesMs.map((x) => x / 1000) : [];
  return {
    version: 1,
    generatedAt: input.generatedAt,
    session: {
      id: summary.sessionId,
      agent: summary.agent,
      model: input.agentModel,
      anchor: summary.anchor,
      phase: summary.phase,
      startedAt: summary.startedAt,
      deadline: summary.deadline,
      endReason: summary.endReason,
    },
    headline: headline(input),
    budget: {
      grantedGpuHours: summary.budget.grantedGpuHours,
      usedGpuHours: summary.budget.usedGpuHours,
      remainingGpuHours: summary.budget.remainingGpuHours,
      byCategory,
    },
    agentUsage: input.usage,
    reference: ref && refS.length ? { trainTimesS: refS, valLosses: ref.valLosses, meanS: mean(refS), ci95: meanCi95(refS) } : null,
    targetValLoss: input.targetValLoss,
    submissions,
    confirmation: summary.confirmation ?? null,
    progress,
    burn: timeline.burn.map((b) => ({ at: new Date(b.atMs).toISOString(), category: b.category, gpuHours: b.gpuHours })),
    human: input.human,
    transcript: input.launches,
  };
}

/** Confirmed where a confirmation exists, else the best validated submission. */
function headline(input: ReportInput): Headline {
  const c = input.summary.confirmation?.headline;
  const b = input.summary.best;
  const from = c ? { source: 'confirmation' as const, ...c } : b ? { source: 'validation' as const, ci95: b.speedupCi95, ...b } : null;
  if (!from) return { source: 'none', submissionId: null, speedupSeconds: null, ci95: null, humanProgressPercent: null };
  const { source, submissionId, speedupSeconds, ci95, humanProgressPercent } = from;
  return { source, submissionId, speedupSeconds, ci95, humanProgressPercent };
}

function reportSubmission(s: SubmissionRecord, gpuHoursAtVerdict: number): ReportSubmission {
  const v = s.verdict;
  const runs = (v?.runs ?? []).map((r) => ({
    index: r.index,
    trainTimeS: r.trainTimeMs === null ? null : r.trainTimeMs / 1000,
    valLoss: r.valLoss,
    invalidReason: r.invalidReason,
  }));
  const good = runs.filter((r) => r.invalidReason === null);
  const times = good.flatMap((r) => (r.trainTimeS === null ? [] : [r.trainTimeS]));
  const losses = good.flatMap((r) => (r.valLoss === null ? [] : [r.valLoss]));
  return {
    id: s.id,
    path: s.path,
    state: s.state,
    submittedAt: new Date(s.submittedAtMs).toISOString(),
    accepted: v?.accepted ?? false,
    reasons: [...(v?.reasons ?? []), ...(s.reason ? [s.reason] : [])],
    runs,
    meanTimeS: v?.time ? v.time.meanMs / 1000 : times.length ? mean(times) : null,
    timeCi95: meanCi95(times),
    meanValLoss: v?.valLoss?.mean ?? (losses.length ? mean(losses) : null),
    valLossCi95: meanCi95(losses),
    speedupSeconds: v?.speedup?.seconds ?? null,
    speedupCi95: v?.speedup?.ci95 ?? null,
    humanProgressPercent: v?.speedup?.humanProgressPercent ?? null,
    gpuHoursAtVerdict,
  };
}

/** Two-sided 95% t interval of a sample's mean; null below two values. */
export function meanCi95(xs: number[]): [number, number] | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  const half = tQuantile(0.975, xs.length - 1) * Math.sqrt(Math.max(0, variance(xs)) / xs.length);
  return [m - half, m + half];
}

function lastTimes(input: ReportInput): number[] {
  const ended = input.summary.phase === 'ended' || input.summary.endReason !== null;
  const times = [
    ...input.agentIntervals.map((i) => i.endMs ?? i.startMs),
    ...input.submissions.map((s) => s.submittedAtMs + (s.verdict?.runs ?? []).reduce((a, r) => a + r.wallMs, 0)),
    Date.parse(input.summary.budget.asOf),
  ];
  if (!ended) times.push(Date.parse(input.generatedAt));
  return times.filter(Number.isFinite);
}
