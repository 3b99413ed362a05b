import { Prng } from '../../src/domain/prng';
import type { SubmissionRecord } from '../../src/domain/submission';
import type { Verdict } from '../../src/domain/verdict';
import { humanLevels } from '../../src/report/load';
import type { ReportInput } from '../../src/report/model';
import { readTranscript } from '../../src/report/transcript';

/**
 * A long speedrun session made up with a seeded generator (what a lab's multi-day session would
 * leave): `n` submissions of `runs` timed runs each, about half accepted and slowly improving,
 * and a Claude Code stream-json transcript with a command per submission.
 */
export function syntheticReportInput(n: number, opts: { runs?: number; seed?: number; confirmed?: boolean } = {}): ReportInput {
  const rng = new Prng(opts.seed ?? 7);
  const u = () => rng.nextUint32() / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const runsPer = opts.runs ?? 5;
  const start = Date.parse('2026-01-01T00:00:00Z');
  const anchorS = 163.8;
  const horizon = 63.2192;
  const reference = {
    trainTimesMs: Array.from({ length: 10 }, () => (anchorS + 0.2 * gauss()) * 1000),
    valLosses: Array.from({ length: 10 }, () => 3.278 + 0.002 * gauss()),
  };
  const subs: SubmissionRecord[] = [];
  let bestId: string | null = null;
  let best = -Infinity;
  for (let i = 0; i < n; i++) {
    const gain = (40 * i) / n + 8 * gauss();
    const lossShift = u() < 0.35 ? 0.01 : -0.004;
    const runs = Array.from({ length: runsPer }, (_, k) => ({
      index: k,
      exitCode: 0,
      wallMs: 200_000,
      complete: true,
      invalidReason: null,
      gpuSeconds: 8 * 200,
      trainTimeMs: (anchorS - gain + 0.3 * gauss()) * 1000,
      valLoss: 3.278 + lossShift + 0.002 * gauss(),
    }));
    const meanT = runs.reduce((a, r) => a + r.trainTimeMs, 0) / runsPer / 1000;
    const meanL = runs.reduce((a, r) => a + r.valLoss, 0) / runsPer;
    const seconds = anchorS - meanT;
    const accepted = meanL < 3.278 && seconds > 0;
    const verdict: Verdict = {
      accepted,
      reasons: accepted
        ? ['faster than the anchor and the val loss target is met']
        : [meanL >= 3.278 ? `mean val loss ${meanL.toFixed(4)} does not meet 3.28 at p<0.01` : 'not faster than the anchor'],
      judge: null,
      runs,
      valLoss: { mean: meanL, std: 0.002, pValue: accepted ? 0.001 : 0.4, target: 3.28, alpha: 0.01, met: meanL < 3.278 },
      time: { meanMs: meanT * 1000, stdMs: 300 },
      speedup: { seconds, ci95: [seconds - 0.4, seconds + 0.4], fasterPValue: 0.001, humanProgressPercent: (100 * seconds) / horizon },
      vsBest: null,
    };
    const id = `sub-${String(i + 1).padStart(3, '0')}`;
    subs.push({
      id,
      path: `submissions/try${i + 1}`,
      contentHash: 'ab'.repeat(32),
      requestedRuns: runsPer,
      submittedAtMs: start + 3600_000 + i * 1_500_000,
      state: accepted ? 'accepted' : 'rejected',
      verdict,
      reason: null,
    });
    if (accepted && seconds > best) [best, bestId] = [seconds, id];
  }
  const end = start + 3600_000 + n * 1_500_000 + 1_200_000;
  const validationH = (n * runsPer * 1600) / 3600;
  const agentH = ((end - start - 3600_000) / 3600_000) * 8 - validationH;
  const calibrationH = (20 * 1600) / 3600;
  const granted = Math.ceil((validationH + agentH + calibrationH) * 1.1);
  const b = subs.find((s) => s.id === bestId)?.verdict;
  const lines = subs.slice(0, Math.min(n, 300)).flatMap((s, i) => [
    JSON.stringify({
      type: 'assistant',
      message: {
        content: [
          { type: 'text', text: `Trying idea ${i + 1}: tweak the schedule.` },
          { type: 'tool_use', id: `t${i}`, name: 'Bash', input: { command: `submit ${s.path}` } },
        ],
      },
    }),
    JSON.stringify({
      type: 'user',
      message: { content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: `${s.id} ${s.state}\n`.repeat(i % 7 === 0 ? 40 : 2) }] },
    }),
  ]);
  return {
    summary: {
      sessionId: `synthetic-${n}`,
      phase: 'ended',
      agent: 'claude-code',
      anchor: '2025-09-03_FA3',
      startedAt: new Date(start).toISOString(),
      deadline: new Date(start + 72 * 3600_000).toISOString(),
      budget: {
        grantedGpuHours: granted,
        usedGpuHours: validationH + agentH + calibrationH,
        remainingGpuHours: granted - (validationH + agentH + calibrationH),
        byCategory: { agent: agentH, validation: validationH, calibration: calibrationH, confirmation: 0 },
        reservedGpuHours: 0,
        agentHoldingGpus: false,
        agentGpus: 8,
        asOf: new Date(end).toISOString(),
      },
      submissions: { accepted: subs.filter((s) => s.state === 'accepted').length, rejected: subs.filter((s) => s.state === 'rejected').length },
      best:
        b?.speedup && b.time && b.valLoss
          ? {
              submissionId: bestId!,
              path: 'submissions/best',
              speedupSeconds: b.speedup.seconds,
              speedupCi95: b.speedup.ci95,
              humanProgressPercent: b.speedup.humanProgressPercent,
              meanTrainTimeMs: b.time.meanMs,
              meanValLoss: b.valLoss.mean,
              valLossPValue: 0.001,
            }
          : null,
      reference: { runs: 10, meanTrainTimeMs: anchorS * 1000, fromCache: false, horizonSpeedupSeconds: horizon },
      agentLaunches: 1,
      closedReason: 'budget exhausted',
      endReason: 'budget exhausted',
      continuedAsNew: 0,
      ...(opts.confirmed && bestId
        ? {
            confirmation: {
              headline: { submissionId: bestId, speedupSeconds: best - 1, ci95: [best - 1.5, best - 0.5], humanProgressPercent: (100 * (best - 1)) / horizon },
              candidates: [
                {
                  submissionId: bestId,
                  candidateRunsS: [1, 2],
                  anchorRunsS: [3, 4],
                  speedupSeconds: best - 1,
                  ci95: [best - 1.5, best - 0.5],
                  humanProgressPercent: (100 * (best - 1)) / horizon,
                },
              ],
            },
          }
        : {}),
    },
    agentModel: 'claude-opus-4-5',
    submissions: subs,
    reference,
    targetValLoss: 3.28,
    usage: {
      agent: 'claude-code',
      launches: 1,
      inputTokens: 1_200_000,
      outputTokens: 90_000,
      cachedInputTokens: 800_000,
      cacheWriteTokens: 20_000,
      costUsd: 41.5,
      unreportedLaunches: 0,
    },
    launches: [
      {
        launch: 1,
        startedAt: new Date(start + 3000_000).toISOString(),
        promptKind: 'task',
        entries: [{ kind: 'prompt', text: 'Make the speedrun faster.' }, ...readTranscript(lines)],
      },
    ],
    agentIntervals: [{ startMs: start + 3000_000, endMs: end }],
    human: humanLevels('2025-09-03_FA3'),
    generatedAt: new Date(end + 1000).toISOString(),
  };
}
