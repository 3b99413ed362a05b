import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { parseRunMeasurements, type RunMeasurement } from '../../domain/runMeasurement';
import { computeVerdictStats, type VerdictStats } from '../../domain/verdictStats';

function readRuns(file: string, label: string): RunMeasurement[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${label} file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${label} file ${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseRunMeasurements(json, label);
}

function numberOption(name: string, min: number, max: number) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v <= min || v >= max) {
      throw new InvalidArgumentError(`${name}: expected a number between ${min} and ${max} (exclusive), got "${raw}"`);
    }
    return v;
  };
}

function toJson(s: VerdictStats): Record<string, unknown> {
  const out: Record<string, unknown> = {
    n: s.n,
    target: s.valLoss.target,
    alpha: s.valLoss.alpha,
    p_value: s.valLoss.pValue,
    p_value_met: s.valLoss.met,
    val_loss_mean: s.valLoss.mean,
    val_loss_std: s.valLoss.std,
    train_time_ms_mean: s.time.meanMs,
    train_time_ms_std: s.time.stdMs,
  };
  if (s.valLoss.note) out.p_value_note = s.valLoss.note;
  if (s.speedup) {
    out.reference_n = s.speedup.referenceN;
    out.reference_train_time_ms_mean = s.speedup.referenceMeanMs;
    out.reference_train_time_ms_std = s.speedup.referenceStdMs;
    out.speedup_s = s.speedup.seconds;
    out.speedup_ci95 = s.speedup.ci95;
    out.faster_p_value = s.speedup.fasterPValue;
    out.faster_p_value_met = s.speedup.fasterPValueMet;
    if (s.speedup.note) out.faster_p_value_note = s.speedup.note;
  }
  return out;
}

function toText(s: VerdictStats): string {
  const f = (v: number | null, digits: number): string => (v === null ? '—' : v.toFixed(digits));
  const p = (v: number | null): string => (v === null ? '—' : v.toExponential(3));
  const lines = [
    `runs          ${s.n}`,
    `val loss      mean ${f(s.valLoss.mean, 5)}  std ${f(s.valLoss.std, 5)}`,
    `  < ${s.valLoss.target}?   p = ${p(s.valLoss.pValue)}  ${s.valLoss.met ? `met (p < ${s.valLoss.alpha})` : `NOT met (needs p < ${s.valLoss.alpha})`}${s.valLoss.note ? `  [${s.valLoss.note}]` : ''}`,
    `train time    mean ${f(s.time.meanMs === null ? null : s.time.meanMs / 1000, 3)} s  std ${f(s.time.stdMs === null ? null : s.time.stdMs / 1000, 3)} s`,
  ];
  if (s.speedup) {
    const ci = s.speedup.ci95 ? `[${f(s.speedup.ci95[0], 3)}, ${f(s.speedup.ci95[1], 3)}]` : '—';
    lines.push(
      `speedup       ${f(s.speedup.seconds, 3)} s  95% CI ${ci} vs ${s.speedup.referenceN} reference runs`,
      `  faster?     p = ${p(s.speedup.fasterPValue)}  ${s.speedup.fasterPValueMet ? 'yes' : 'not shown'}${s.speedup.note ? `  [${s.speedup.note}]` : ''}`,
    );
  }
  return lines.join('\n');
}

export function registerVerdictCommands(program: Command): void {
  program
    .command('verdict')
    .description('Statistics of timed runs: val-loss t-test against the target and, with a reference, the speedup')
    .requiredOption('--runs <file>', 'JSON array of {"val_loss","train_time_ms"}')
    .option('--reference <file>', 'reference runs in the same format, to compare times against')
    .option('--target <loss>', 'val loss the mean must be below', numberOption('--target', 0, Infinity), 3.28)
    .option('--alpha <p>', 'significance level of the one-sided tests', numberOption('--alpha', 0, 1), 0.01)
    .option('--json', 'print one JSON object')
    .action((opts: { runs: string; reference?: string; target: number; alpha: number; json?: boolean }) => {
      const runs = readRuns(opts.runs, 'runs');
      const reference = opts.reference === undefined ? undefined : readRuns(opts.reference, 'reference');
      const stats = computeVerdictStats(runs, { targetValLoss: opts.target, alpha: opts.alpha, reference });
      console.log(opts.json ? JSON.stringify(toJson(stats), null, 2) : toText(stats));
    });
}
