/**
 * Fixed versus sequential retiming, simulated from the real record logs
 * (../shared/fixtures/record-run-stats.tsv: each record's mean and spread of val loss and time):
 * the false-accept rate under two nulls (mean loss exactly at the target; no speedup at all) must
 * stay at most alpha, and for each real record the table shows how often it is accepted and how
 * many runs each policy spent.
 *
 *   node dist/bench/sequentialPolicy.js [trials]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulatePolicy, type RunDistribution } from '../src/domain/retimeSimulation';
import { repoRoot } from '../src/files/repoRoot';

const STATS = join(repoRoot(), '..', 'shared', 'fixtures', 'record-run-stats.tsv');

export function recordDistributions(): { record: string; d: RunDistribution }[] {
  const [header, ...rows] = readFileSync(STATS, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  const col = (n: string) => header.indexOf(n);
  return rows.map((r) => ({
    record: r[col('record')],
    d: {
      lossMean: Number(r[col('val_loss_mean')]),
      lossStd: Number(r[col('val_loss_std')]),
      timeMeanMs: Number(r[col('train_time_s_mean')]) * 1000,
      timeStdMs: Number(r[col('train_time_s_std')]) * 1000,
    },
  }));
}

export function run(trials = Number(process.argv[2] ?? 4000)): void {
  const records = recordDistributions();
  const anchor = records[0].d;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const lossStd = median(records.map((r) => r.d.lossStd).filter((x) => x > 0));
  const timeStd = median(records.map((r) => r.d.timeStdMs).filter((x) => x > 0));
  const common = { reference: anchor, planned: 10, alpha: 0.01, target: 3.28, trials };
  const scenarios: { name: string; d: RunDistribution }[] = [
    { name: 'NULL: mean loss exactly 3.28, 5 s faster', d: { lossMean: 3.28, lossStd, timeMeanMs: anchor.timeMeanMs - 5000, timeStdMs: timeStd } },
    { name: 'NULL: no speedup, loss as the anchor', d: { ...anchor } },
    ...records.slice(1).map((r) => ({ name: r.record, d: r.d })),
  ];
  const rows = scenarios.map((s, i) => {
    const fixed = simulatePolicy({ ...common, candidate: s.d, policy: 'fixed', seed: 1000 + i });
    const seq = simulatePolicy({ ...common, candidate: s.d, policy: 'sequential', seed: 1000 + i });
    return [
      s.name,
      fixed.acceptRate.toFixed(4),
      seq.acceptRate.toFixed(4),
      fixed.meanRuns.toFixed(2),
      seq.meanRuns.toFixed(2),
      `${(100 * (1 - seq.meanRuns / fixed.meanRuns)).toFixed(0)}%`,
    ];
  });
  const header = ['candidate', 'accept fixed', 'accept seq', 'runs fixed', 'runs seq', 'runs saved'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`retime policies, ${trials} simulated candidates each, N=10, alpha=0.01, loss std ${lossStd}, time std ${timeStd} ms (medians over records)`);
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}

if (require.main === module) run();
