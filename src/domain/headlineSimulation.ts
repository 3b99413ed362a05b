import { Prng } from './prng';
import { gaussian } from './retimeSimulation';
import { welchDifferenceInterval, welchTTestLess } from './stats';
import { candidatesToConfirm, pairedSpeedup, type Contender } from './confirmation';

/**
 * How biased is the headline, and how often does a candidate with no real gain end as the best?
 * Simulates whole sessions from the real record logs' spread (record-run-stats.tsv): an agent
 * submits `noGain` copies of the anchor (new hashes, no gain) and `smallGain` candidates whose true
 * gains are the small steps humans made between consecutive records, in random order, while the
 * GPUs drift (a random walk per submission). Two harnesses decide each session:
 *
 * - before issue 14: each verdict against the anchor timed once at calibration, any `--runs` may
 *   become best, the headline is the best accepted verdict's own speedup (max over submissions);
 * - with items 1–3: each verdict against anchor runs timed beside it, a verdict on fewer runs than
 *   `retimeRuns` is screening only (the agent then resubmits it at full count), and the headline is
 *   the confirmation: the best, and those whose CI overlaps it, re-timed paired with the anchor.
 *
 * Bias is headline − the chosen candidate's true speedup, in seconds. Seeded: same inputs, same figures.
 */
export interface HeadlineSimulationInput {
  anchorMeanMs: number;
  anchorStdMs: number;
  /** True gains of the small-gain candidates (ms), cycled. */
  smallGainsMs: number[];
  noGain: number;
  smallGain: number;
  /** Runs per submission the agent asks for (`--runs`); retimeRuns is the harness's full count. */
  runs: number;
  retimeRuns: number;
  confirmRuns: number;
  confirmCandidates: number;
  /** Std (ms) of the GPUs' drift per submission. */
  driftStepMs: number;
  alpha: number;
  sessions: number;
  seed: number;
}

export interface HeadlineSimulationResult {
  runs: number;
  sessions: number;
  bias_max_s: number;
  bias_max_se_s: number;
  bias_confirmed_s: number;
  bias_confirmed_se_s: number;
  false_best_rate_max: number;
  false_best_rate_confirmed: number;
  /** Had the headline been the fastest of the confirmed candidates instead of the best's confirmation. */
  bias_confirmed_fastest_s: number;
  sessions_without_headline_max: number;
  sessions_without_headline_confirmed: number;
  /** Mean per session, with items 1–3: candidates timed (screening included) and their runs. */
  candidates_timed: number;
  runs_timed: number;
}

interface Candidate {
  trueGainMs: number;
}

export function simulateHeadline(o: HeadlineSimulationInput): HeadlineSimulationResult {
  const rng = new Prng(o.seed, 14);
  const normal = gaussian(rng);
  const anchorRun = (offset: number) => o.anchorMeanMs + offset + o.anchorStdMs * normal();
  const runsOf = (c: Candidate, n: number, offset: number) => Array.from({ length: n }, () => anchorRun(offset) - c.trueGainMs);
  const accepts = (times: number[], ref: number[]) => (welchTTestLess(times, ref).pValue ?? 1) < o.alpha;
  const contender = (id: number, times: number[], ref: number[]): Contender => {
    const ci = welchDifferenceInterval(times, ref)!;
    return { id: String(id), speedupSeconds: ci.estimate / 1000, ci95: [ci.lower / 1000, ci.upper / 1000] };
  };

  const biasMax: number[] = [];
  const biasConfirmed: number[] = [];
  const biasFastest: number[] = [];
  let falseMax = 0;
  let falseConfirmed = 0;
  let candidatesTimed = 0;
  let runsTimed = 0;

  for (let s = 0; s < o.sessions; s++) {
    const pool: Candidate[] = [
      ...Array.from({ length: o.noGain }, () => ({ trueGainMs: 0 })),
      ...Array.from({ length: o.smallGain }, (_, i) => ({ trueGainMs: o.smallGainsMs[i % o.smallGainsMs.length] })),
    ];
    shuffle(pool, rng);
    const calibration = Array.from({ length: o.retimeRuns }, () => anchorRun(0));

    let offset = 0;
    let bestOld: { c: Candidate; speedupMs: number } | null = null;
    const accepted: { c: Candidate; k: Contender }[] = [];
    for (const c of pool) {
      offset += o.driftStepMs * normal();
      // Before: against the calibration's anchor runs, whatever the count.
      const old = runsOf(c, o.runs, offset);
      if (accepts(old, calibration)) {
        const speedupMs = mean(calibration) - mean(old);
        if (!bestOld || speedupMs > bestOld.speedupMs) bestOld = { c, speedupMs };
      }
      // With items 1–3: against anchor runs of the same window; screening first when runs are few.
      const ref = Array.from({ length: o.runs }, () => anchorRun(offset));
      const times = runsOf(c, o.runs, offset);
      candidatesTimed += 1;
      runsTimed += 2 * o.runs;
      if (!accepts(times, ref)) continue;
      if (o.runs >= o.retimeRuns) {
        accepted.push({ c, k: contender(accepted.length, times, ref) });
        continue;
      }
      const fullRef = Array.from({ length: o.retimeRuns }, () => anchorRun(offset));
      const full = runsOf(c, o.retimeRuns, offset);
      candidatesTimed += 1;
      runsTimed += 2 * o.retimeRuns;
      if (accepts(full, fullRef)) accepted.push({ c, k: contender(accepted.length, full, fullRef) });
    }

    if (bestOld) {
      biasMax.push((bestOld.speedupMs - bestOld.c.trueGainMs) / 1000);
      if (bestOld.c.trueGainMs === 0) falseMax += 1;
    }
    const chosen = candidatesToConfirm(
      accepted.map((a) => a.k),
      o.confirmCandidates,
    );
    if (chosen.length > 0) {
      offset += o.driftStepMs * normal();
      const confirmed = chosen.map((k) => {
        const c = accepted[Number(k.id)].c;
        const anchor: number[] = [];
        const cand: number[] = [];
        for (let i = 0; i < o.confirmRuns; i++) {
          anchor.push(anchorRun(offset));
          cand.push(anchorRun(offset) - c.trueGainMs);
        }
        return { c, speedupS: pairedSpeedup(cand, anchor)!.speedupSeconds };
      });
      biasConfirmed.push(confirmed[0].speedupS - confirmed[0].c.trueGainMs / 1000);
      const fastest = confirmed.reduce((a, b) => (b.speedupS > a.speedupS ? b : a));
      biasFastest.push(fastest.speedupS - fastest.c.trueGainMs / 1000);
      if (confirmed[0].c.trueGainMs === 0) falseConfirmed += 1;
    }
  }

  return {
    runs: o.runs,
    sessions: o.sessions,
    bias_max_s: mean(biasMax),
    bias_max_se_s: stdErr(biasMax),
    bias_confirmed_s: mean(biasConfirmed),
    bias_confirmed_se_s: stdErr(biasConfirmed),
    false_best_rate_max: falseMax / o.sessions,
    false_best_rate_confirmed: falseConfirmed / o.sessions,
    bias_confirmed_fastest_s: mean(biasFastest),
    sessions_without_headline_max: o.sessions - biasMax.length,
    sessions_without_headline_confirmed: o.sessions - biasConfirmed.length,
    candidates_timed: candidatesTimed / o.sessions,
    runs_timed: runsTimed / o.sessions,
  };
}

/** The small real gains humans made: consecutive records' mean-time steps between lo and hi ms. */
export function smallHumanGainsMs(meanTimesMs: readonly number[], loMs = 50, hiMs = 1000): number[] {
  const gains: number[] = [];
  for (let i = 1; i < meanTimesMs.length; i++) {
    const g = meanTimesMs[i - 1] - meanTimesMs[i];
    if (g >= loMs && g <= hiMs) gains.push(g);
  }
  return gains;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function stdErr(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}

function shuffle<T>(xs: T[], rng: Prng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}
