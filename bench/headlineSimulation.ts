/**
 * The headline's bias and the rate a no-gain candidate ends as best, before issue 14 and with its
 * items 1–3 (confirmation, same-window references, screening), simulated from the real record
 * logs' spread (../shared/fixtures/record-run-stats.tsv). Same figures as
 * `nanogpt-bench simulate headline [--runs 2] [--max-gain-ms 200] --json`.
 *
 *   node dist/bench/headlineSimulation.js [sessions]
 */
import { runHeadlineSimulation } from '../src/cli/commands/simulate';

export function run(sessions = Number(process.argv[2] ?? 2000)): void {
  const rows: string[][] = [];
  for (const maxGainMs of [1000, 200]) {
    for (const runs of [10, 2]) {
      const r = runHeadlineSimulation({ runs, retimeRuns: 10, confirmCandidates: 3, driftMs: 30, maxGainMs, sessions, seed: 14 });
      const s = (x: number, se: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)} ± ${se.toFixed(4)}`;
      rows.push([
        `${runs}`,
        `${r.small_gains_s.map((g) => g.toFixed(2)).join(',')}`,
        s(r.bias_max_s, r.bias_max_se_s),
        s(r.bias_confirmed_s, r.bias_confirmed_se_s),
        `${(100 * r.false_best_rate_max).toFixed(1)}%`,
        `${(100 * r.false_best_rate_confirmed).toFixed(1)}%`,
        r.runs_timed.toFixed(0),
      ]);
    }
  }
  const header = ['--runs', 'small gains (s)', 'bias max (s)', 'bias confirmed (s)', 'false best max', 'false best confirmed', 'runs timed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(
    `headline simulation: ${sessions} sessions of 50 no-gain + 50 small-gain submissions each, anchor std from its logs, drift 30 ms per submission, 3 candidates confirmed with 10 paired runs`,
  );
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}

if (require.main === module) run();
