import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseLog } from '../src/domain/logParser';
import { computeVerdictStats } from '../src/domain/verdictStats';
import type { RunMeasurement } from '../src/domain/runMeasurement';
import { median } from './median';

const LOGS = resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'speedrun-logs');
const ANCHOR_LOG = join(LOGS, '2025-09-03_FA3', '44fc1276-0510-4961-92c0-730c65e5feba.txt');
const TARGET_BYTES = 2 * 1024 * 1024;
const PARSE_GOAL_MS = 50;
const VERDICT_GOAL_MS = 5;

/**
 * A 2 MB log made of real lines: the anchor log's header, its step lines repeated with step
 * numbers and times shifted so the run stays monotonic, and its final lines at the end.
 */
function buildLog(): string {
  const lines = readFileSync(ANCHOR_LOG, 'utf8').split('\n');
  const firstStep = lines.findIndex((l) => l.startsWith('step:'));
  const finalIdx = lines.findIndex((l) => l.startsWith('step:1670/1670 val_loss'));
  const header = lines.slice(0, firstStep);
  const body = lines.slice(firstStep, finalIdx);
  const out = [...header];
  let bytes = out.join('\n').length;
  const tail = lines.slice(finalIdx);
  const tailBytes = tail.join('\n').length + 1;
  for (let round = 0; bytes + tailBytes < TARGET_BYTES; round++) {
    for (const line of body) {
      const shifted = line.replace(/train_time:(\d+)ms/, (_, t: string) => `train_time:${Number(t) + round * 170_000}ms`);
      out.push(shifted);
      bytes += shifted.length + 1;
      if (bytes + tailBytes >= TARGET_BYTES) break;
    }
  }
  const rounds = Math.ceil(out.length / body.length);
  out.push(...tail.map((l) => l.replace(/train_time:(\d+)ms/, (_, t: string) => `train_time:${Number(t) + rounds * 170_000}ms`)));
  return out.join('\n');
}

/** Median wall time of `fn` over `repeats` calls after `warmup` unmeasured ones. */
function time(fn: () => unknown, repeats: number, warmup = 3): number {
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += fn() ? 1 : 0;
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    sink += fn() ? 1 : 0;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (sink < 0) console.log(sink); // keeps the calls observable so they are not optimised away
  return median(samples);
}

export interface BenchRow {
  case: string;
  medianMs: number;
  baseline: string;
  baselineMs: number;
  goalMs: number;
}

export function run(): Promise<BenchRow[]> {
  const text = buildLog();
  const parsed = parseLog(text);
  if (!parsed.complete) throw new Error(`bench log does not parse as a complete run: ${parsed.invalidReason}`);

  const expected = JSON.parse(readFileSync(join(LOGS, 'expected.json'), 'utf8')) as Array<{ val_loss: number; train_time_ms: number }>;
  const runs: RunMeasurement[] = expected.slice(-10).map((e) => ({ val_loss: e.val_loss, train_time_ms: e.train_time_ms }));
  const reference: RunMeasurement[] = expected.slice(0, 10).map((e) => ({ val_loss: e.val_loss, train_time_ms: e.train_time_ms }));

  const rows: BenchRow[] = [
    {
      case: `parse ${(text.length / 1024 / 1024).toFixed(2)} MB log (${parsed.steps.length} loss lines)`,
      medianMs: time(() => parseLog(text).complete, 30),
      baseline: "text.split('\\n') + length sum",
      baselineMs: time(() => text.split('\n').reduce((n, l) => n + l.length, 0), 30),
      goalMs: PARSE_GOAL_MS,
    },
    {
      case: 'verdict stats, 10 runs + 10 reference',
      medianMs: time(() => computeVerdictStats(runs, { reference }).speedup, 2000, 50),
      baseline: 'mean + variance of the 20 values',
      baselineMs: time(
        () => {
          const xs = [...runs, ...reference].map((r) => r.train_time_ms);
          const m = xs.reduce((a, b) => a + b, 0) / xs.length;
          return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
        },
        2000,
        50,
      ),
      goalMs: VERDICT_GOAL_MS,
    },
  ];

  const header = ['case', 'median ms', 'baseline', 'baseline ms', 'ratio', 'goal ms', 'ok'];
  const body = rows.map((r) => [
    r.case,
    r.medianMs.toFixed(3),
    r.baseline,
    r.baselineMs.toFixed(3),
    `${(r.medianMs / r.baselineMs).toFixed(1)}×`,
    `< ${r.goalMs}`,
    r.medianMs < r.goalMs ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(fmt(row));
  return Promise.resolve(rows);
}

if (require.main === module) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
