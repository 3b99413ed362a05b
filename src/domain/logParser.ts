import type { LossStep, ParsedLog } from './parsedLog';

// Not anchored to line starts or ends: when several ranks write to one stream, block-buffered
// output splices lines mid-way, and the intact tail of a spliced line must still be read.
// Digit counts are bounded so a hostile line cannot produce integers beyond 2^53.
const NUM = String.raw`[-+]?(?:\d{1,20}(?:\.\d{0,20})?(?:[eE][-+]?\d{1,3})?|nan|NaN|inf|Inf|Infinity)`;
const STEP_LINE = new RegExp(String.raw`step:(\d{1,9})/(\d{1,9}) (?:(val_loss|train_loss):(${NUM}) )?train_time:(\d{1,13})ms(?: step_avg:(${NUM})ms)?`, 'g');
const PEAK_MEMORY = /peak memory allocated: (\d{1,12}) MiB reserved: (\d{1,12}) MiB/g;
const TORCH_VERSION = /Running PyTorch (\S{1,100})(?: compiled for CUDA (\S{1,40}))?/;

interface FinalLine {
  step: number;
  totalSteps: number;
  rawLoss: number;
  trainTimeMs: number;
  stepAvgMs: number | null;
  /** Highest train_time any line before this one reported. */
  maxEarlierTrainTimeMs: number;
  /** Highest train_time a line after this one reported, and its step. */
  laterMax: { trainTimeMs: number; step: number } | null;
}

function toNumber(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  // parseFloat understands "Infinity" but not Python's "inf"; both must come out non-finite.
  const lower = raw.toLowerCase();
  if (lower.endsWith('nan')) return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(raw);
}

function decode(content: string | Uint8Array): string {
  // Invalid UTF-8 (binary garbage in the stream) becomes U+FFFD instead of throwing.
  return typeof content === 'string' ? content : new TextDecoder('utf-8', { fatal: false }).decode(content);
}

/**
 * Reads a speedrun run's output. Never throws on content: truncated, garbled, interleaved or
 * non-finite output comes back as `complete: false` with an `invalidReason`.
 */
export function parseLog(content: string | Uint8Array): ParsedLog {
  const text = decode(content);
  const totals = new Map<number, number>();
  const lossSteps = new Map<string, LossStep>();
  let maxStep: number | null = null;
  let maxTrainTimeMs = -1;
  let lastFinal: FinalLine | null = null;
  let firstNonFinite: { kind: string; step: number; raw: string } | null = null;

  STEP_LINE.lastIndex = 0;
  for (let m = STEP_LINE.exec(text); m !== null; m = STEP_LINE.exec(text)) {
    const step = Number(m[1]);
    const total = Number(m[2]);
    const trainTimeMs = Number(m[5]);
    if (total === 0) continue;
    totals.set(total, (totals.get(total) ?? 0) + 1);
    if (maxStep === null || step > maxStep) maxStep = step;

    if (lastFinal !== null && (lastFinal.laterMax === null || trainTimeMs > lastFinal.laterMax.trainTimeMs)) {
      lastFinal.laterMax = { trainTimeMs, step };
    }

    const lossKind = m[3];
    if (lossKind !== undefined) {
      const kind = lossKind === 'val_loss' ? 'val' : 'train';
      const rawLoss = toNumber(m[4]) as number;
      const finite = Number.isFinite(rawLoss);
      if (!finite && firstNonFinite === null) firstNonFinite = { kind: lossKind, step, raw: m[4] };
      const stepAvg = toNumber(m[6]);
      const stepAvgMs = stepAvg !== null && Number.isFinite(stepAvg) && stepAvg >= 0 ? stepAvg : null;
      lossSteps.set(`${kind}:${step}`, { kind, step, totalSteps: total, loss: finite ? rawLoss : null, trainTimeMs, stepAvgMs });
      if (kind === 'val' && step === total) {
        lastFinal = { step, totalSteps: total, rawLoss, trainTimeMs, stepAvgMs, maxEarlierTrainTimeMs: maxTrainTimeMs, laterMax: null };
      }
    }
    if (trainTimeMs > maxTrainTimeMs) maxTrainTimeMs = trainTimeMs;
  }

  let totalSteps: number | null = null;
  let bestCount = 0;
  for (const [total, count] of totals) {
    if (count > bestCount) {
      totalSteps = total;
      bestCount = count;
    }
  }

  let peakMemoryAllocatedMib: number | null = null;
  let peakMemoryReservedMib: number | null = null;
  // Every rank may print its own peak; the run's peak is the largest.
  for (const m of text.matchAll(PEAK_MEMORY)) {
    peakMemoryAllocatedMib = Math.max(peakMemoryAllocatedMib ?? 0, Number(m[1]));
    peakMemoryReservedMib = Math.max(peakMemoryReservedMib ?? 0, Number(m[2]));
  }
  const torch = TORCH_VERSION.exec(text);

  const steps = [...lossSteps.values()].sort((a, b) => a.step - b.step || (a.kind === b.kind ? 0 : a.kind === 'train' ? -1 : 1));
  const finalLoss = lastFinal !== null && Number.isFinite(lastFinal.rawLoss) ? lastFinal.rawLoss : null;
  const invalidReason = whyIncomplete(lastFinal, totalSteps, maxStep, firstNonFinite);

  return {
    steps,
    finalStep: lastFinal?.step ?? maxStep,
    totalSteps,
    valLoss: finalLoss,
    trainTimeMs: lastFinal?.trainTimeMs ?? null,
    stepAvgMs: lastFinal?.stepAvgMs ?? null,
    peakMemoryAllocatedMib,
    peakMemoryReservedMib,
    torchVersion: torch?.[1] ?? null,
    cudaVersion: torch?.[2] ?? null,
    complete: invalidReason === null,
    invalidReason,
  };
}

function whyIncomplete(
  final: FinalLine | null,
  totalSteps: number | null,
  maxStep: number | null,
  nonFinite: { kind: string; step: number; raw: string } | null,
): string | null {
  if (nonFinite !== null) return `non-finite ${nonFinite.kind} (${nonFinite.raw}) at step ${nonFinite.step}: the run diverged`;
  if (final === null) {
    if (maxStep === null) return 'no step lines found: not a speedrun log, or the run died before training';
    return `no final line step:${totalSteps}/${totalSteps} val_loss:…: the log stops at step ${maxStep} (truncated or unfinished)`;
  }
  if (final.totalSteps !== totalSteps) {
    return `final line step:${final.step}/${final.totalSteps} disagrees with the ${totalSteps} total steps the other lines report`;
  }
  // Ranks synchronise every step (gradient all-reduce), so their clocks cannot drift apart by
  // more than about one step: anything beyond that is a time that did not come from this run.
  const slackMs = 1 + (final.stepAvgMs ?? final.trainTimeMs / Math.max(1, final.step));
  if (final.trainTimeMs + slackMs < final.maxEarlierTrainTimeMs) {
    return `final train_time ${final.trainTimeMs}ms is below the ${final.maxEarlierTrainTimeMs}ms an earlier line reported`;
  }
  if (final.laterMax !== null && final.laterMax.trainTimeMs > final.trainTimeMs + slackMs) {
    return `training went on after the last final line (step ${final.laterMax.step} at ${final.laterMax.trainTimeMs}ms): it was printed before training ended`;
  }
  return null;
}

export interface TimingCheck {
  valid: boolean;
  invalidReason: string | null;
}

/**
 * The reported train_time excludes compile and validation, so it can never honestly exceed the
 * wall time the caller measured around the whole process. A run that claims more forged or
 * mis-measured its clock.
 */
export function checkReportedTime(log: Pick<ParsedLog, 'trainTimeMs'>, wallTimeMs: number): TimingCheck {
  if (!Number.isFinite(wallTimeMs) || wallTimeMs < 0) {
    throw new RangeError(`wallTimeMs: expected a finite non-negative number, got ${wallTimeMs}`);
  }
  if (log.trainTimeMs === null) return { valid: false, invalidReason: 'no train_time reported' };
  if (log.trainTimeMs > wallTimeMs) {
    return {
      valid: false,
      invalidReason: `reported train_time ${log.trainTimeMs}ms exceeds the measured wall time ${Math.round(wallTimeMs)}ms`,
    };
  }
  return { valid: true, invalidReason: null };
}
