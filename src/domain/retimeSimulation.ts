import { Prng } from './prng';
import { sequentialLevels, sequentialStop } from './sequential';
import { decideVerdict } from './verdictRules';
import type { RunResult } from './verdict';

/** What one record's timed runs look like: normal val loss and train time (from real logs). */
export interface RunDistribution {
  lossMean: number;
  lossStd: number;
  timeMeanMs: number;
  timeStdMs: number;
}

export interface PolicyOutcome {
  acceptRate: number;
  meanRuns: number;
  trials: number;
}

/**
 * Draws `trials` candidates from `candidate` and references from `reference`, decides each the way
 * validateSubmission does under `policy`, and reports how often it accepted and how many runs it
 * took. Seeded, so a figure can be reproduced.
 */
export function simulatePolicy(o: {
  candidate: RunDistribution;
  reference: RunDistribution;
  policy: 'fixed' | 'sequential';
  planned: number;
  alpha: number;
  target: number;
  trials: number;
  seed: number;
}): PolicyOutcome {
  const rng = new Prng(o.seed, o.policy === 'fixed' ? 1 : 2);
  const normal = gaussian(rng);
  const levels = sequentialLevels(o.planned, o.alpha);
  let accepted = 0;
  let runsUsed = 0;
  for (let t = 0; t < o.trials; t++) {
    const reference = Array.from({ length: o.planned }, () => o.reference.timeMeanMs + o.reference.timeStdMs * normal());
    const decide = (runs: RunResult[], alpha: number) =>
      decideVerdict({
        runs,
        judge: null,
        referenceTimesMs: reference,
        best: null,
        targetValLoss: o.target,
        alpha,
        requireBeatBest: false,
        horizonSpeedupSeconds: 1,
      });
    const runs: RunResult[] = [];
    let verdict = null;
    for (let i = 0; i < o.planned; i++) {
      runs.push(draw(i, o.candidate, normal));
      if (o.policy === 'sequential' && i + 1 < o.planned && sequentialStop(decide(runs, levels.interim), runs.length, o.planned)) {
        verdict = decide(runs, levels.interim);
        break;
      }
    }
    verdict ??= decide(runs, o.policy === 'fixed' ? o.alpha : levels.final);
    if (verdict.accepted) accepted += 1;
    runsUsed += runs.length;
  }
  return { acceptRate: accepted / o.trials, meanRuns: runsUsed / o.trials, trials: o.trials };
}

function draw(index: number, d: RunDistribution, normal: () => number): RunResult {
  return {
    index,
    exitCode: 0,
    wallMs: 0,
    valLoss: d.lossMean + d.lossStd * normal(),
    trainTimeMs: Math.max(1, d.timeMeanMs + d.timeStdMs * normal()),
    complete: true,
    invalidReason: null,
    gpuSeconds: 0,
  };
}

/** Standard normal draws by Box–Muller from the seeded generator. */
export function gaussian(rng: Prng): () => number {
  return () => {
    const u = (rng.nextUint32() + 0.5) / 2 ** 32;
    const v = (rng.nextUint32() + 0.5) / 2 ** 32;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
