import type { JudgeReport, RunResult, Verdict } from './verdict';
import { computeVerdictStats } from './verdictStats';

export interface VerdictInput {
  runs: RunResult[];
  judge: JudgeReport | null;
  referenceTimesMs: number[];
  best: { id: string; trainTimesMs: number[] } | null;
  targetValLoss: number;
  alpha: number;
  requireBeatBest: boolean;
  horizonSpeedupSeconds: number;
}

/**
 * The speedrun's acceptance rule: the judge passed, every run completed, the mean val loss is
 * shown below target (one-sided t-test, p < alpha), and the candidate is shown faster than the
 * reference (one-sided Welch, p < alpha), and than the best so far when the spec asks.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const reasons: string[] = [];
  if (input.judge && !input.judge.passed) reasons.push('the rules judge rejected the candidate');
  const bad = input.runs.filter((r) => r.invalidReason !== null || r.valLoss === null || r.trainTimeMs === null);
  for (const r of bad) reasons.push(`run ${r.index} does not count: ${r.invalidReason ?? 'no final val loss and time'}`);
  const good = input.runs.filter((r) => !bad.includes(r)).map((r) => ({ val_loss: r.valLoss!, train_time_ms: r.trainTimeMs! }));
  const base: Verdict = { accepted: false, reasons, judge: input.judge, runs: input.runs, valLoss: null, time: null, speedup: null, vsBest: null };
  if (good.length < 2 || bad.length > 0) {
    if (good.length < 2) reasons.push(`${good.length} valid run(s): at least 2 are needed for the statistics`);
    return base;
  }

  const stats = computeVerdictStats(good, {
    targetValLoss: input.targetValLoss,
    alpha: input.alpha,
    reference: input.referenceTimesMs.map((t) => ({ val_loss: 0, train_time_ms: t })),
  });
  base.valLoss = {
    mean: stats.valLoss.mean!,
    std: stats.valLoss.std ?? 0,
    pValue: stats.valLoss.pValue ?? 1,
    target: input.targetValLoss,
    alpha: input.alpha,
    met: stats.valLoss.met,
  };
  base.time = { meanMs: stats.time.meanMs!, stdMs: stats.time.stdMs ?? 0 };
  const sp = stats.speedup!;
  const seconds = sp.seconds ?? 0;
  base.speedup = {
    seconds,
    ci95: sp.ci95 ?? [seconds, seconds],
    fasterPValue: sp.fasterPValue ?? 1,
    humanProgressPercent: input.horizonSpeedupSeconds > 0 ? (seconds / input.horizonSpeedupSeconds) * 100 : 0,
  };

  if (!stats.valLoss.met) {
    reasons.push(`mean val loss ${fmt(base.valLoss.mean)} is not shown below ${input.targetValLoss} (p=${fmtP(base.valLoss.pValue)}, needs < ${input.alpha})`);
  }
  if (!sp.fasterPValueMet) {
    reasons.push(`not shown faster than the anchor: ${fmt(seconds)} s faster (p=${fmtP(base.speedup.fasterPValue)}, needs < ${input.alpha})`);
  }
  if (input.best && input.best.trainTimesMs.length >= 2) {
    const vs = computeVerdictStats(good, {
      targetValLoss: input.targetValLoss,
      alpha: input.alpha,
      reference: input.best.trainTimesMs.map((t) => ({ val_loss: 0, train_time_ms: t })),
    }).speedup!;
    base.vsBest = { bestId: input.best.id, seconds: vs.seconds ?? 0, fasterPValue: vs.fasterPValue ?? 1 };
    if (input.requireBeatBest && !vs.fasterPValueMet) {
      reasons.push(`not shown faster than the best so far (${input.best.id}): ${fmt(base.vsBest.seconds)} s (p=${fmtP(base.vsBest.fasterPValue)})`);
    }
  }
  base.accepted = reasons.length === 0;
  if (base.accepted) {
    reasons.push(
      `accepted: ${fmt(seconds)} s faster than the anchor (95% CI ${fmt(base.speedup.ci95[0])}…${fmt(base.speedup.ci95[1])}), mean val loss ${fmt(base.valLoss.mean)} (p=${fmtP(base.valLoss.pValue)})`,
    );
  }
  return base;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toFixed(4));
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
