import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { simulateHeadline, smallHumanGainsMs, type HeadlineSimulationResult } from '../../domain/headlineSimulation';
import { repoRoot } from '../../files/repoRoot';

/** Where the real record logs' statistics are: the shared fixtures beside the checkout. */
function statsPath(flag?: string): string {
  const candidates = flag
    ? [resolve(flag)]
    : [join(repoRoot(), '..', 'shared', 'fixtures', 'record-run-stats.tsv'), join(repoRoot(), 'human_baselines', 'record-run-stats.tsv')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`record-run-stats.tsv not found (looked in ${candidates.join(', ')}); pass --stats <file>`);
  return found;
}

/** Record, mean and std of train time (ms), in the table's order (by date). */
export function readRecordRunStats(path: string): { record: string; meanMs: number; stdMs: number }[] {
  const [header, ...rows] = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  const col = (n: string) => {
    const i = header.indexOf(n);
    if (i < 0) throw new Error(`${path}: no column ${n}`);
    return i;
  };
  return rows.map((r) => ({ record: r[col('record')], meanMs: Number(r[col('train_time_s_mean')]) * 1000, stdMs: Number(r[col('train_time_s_std')]) * 1000 }));
}

export interface SimulateOptions {
  runs: number;
  retimeRuns: number;
  confirmRuns?: number;
  confirmCandidates: number;
  driftMs: number;
  maxGainMs: number;
  sessions: number;
  seed: number;
  stats?: string;
}

export function runHeadlineSimulation(
  o: SimulateOptions,
): HeadlineSimulationResult & { anchor: string; anchor_std_s: number; small_gains_s: number[]; drift_step_s: number } {
  const stats = readRecordRunStats(statsPath(o.stats));
  const anchor = stats[0];
  const smallGainsMs = smallHumanGainsMs(
    stats.map((s) => s.meanMs),
    50,
    o.maxGainMs,
  );
  if (smallGainsMs.length === 0) throw new Error(`no step between records gained 50..${o.maxGainMs} ms`);
  const result = simulateHeadline({
    anchorMeanMs: anchor.meanMs,
    anchorStdMs: anchor.stdMs,
    smallGainsMs,
    noGain: 50,
    smallGain: 50,
    runs: o.runs,
    retimeRuns: o.retimeRuns,
    confirmRuns: o.confirmRuns ?? o.retimeRuns,
    confirmCandidates: o.confirmCandidates,
    driftStepMs: o.driftMs,
    alpha: 0.01,
    sessions: o.sessions,
    seed: o.seed,
  });
  return {
    ...result,
    anchor: anchor.record,
    anchor_std_s: anchor.stdMs / 1000,
    small_gains_s: smallGainsMs.map((g) => g / 1000),
    drift_step_s: o.driftMs / 1000,
  };
}

export function registerSimulateCommands(program: Command): void {
  const simulate = program.command('simulate').description('simulations of the harness from the real record logs');
  simulate
    .command('headline')
    .description(
      'bias of the headline and rate a no-gain candidate ends as best: 50 no-gain and 50 small-gain submissions, before and with confirmation, same-window references and screening',
    )
    .option('--runs <n>', 'runs per submission the agent asks for (below --retime-runs: a screening verdict)', Number, 10)
    .option('--retime-runs <n>', "the harness's full count", Number, 10)
    .option('--confirm-runs <n>', 'interleaved runs per side in the confirmation [retime-runs]', Number)
    .option('--confirm-candidates <n>', 'most candidates confirmed', Number, 3)
    .option('--drift-ms <ms>', 'std of the GPUs drift per submission (a random walk)', Number, 30)
    .option('--max-gain-ms <ms>', "small gains: the human records' steps between 50 ms and this", Number, 1000)
    .option('--sessions <n>', 'simulated sessions', Number, 2000)
    .option('--seed <n>', 'PRNG seed', Number, 14)
    .option('--stats <file>', 'record-run-stats.tsv (default: ../shared/fixtures)')
    .option('--json', 'print JSON')
    .action((o: SimulateOptions & { json?: boolean }) => {
      const r = runHeadlineSimulation(o);
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      const s = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)} s`;
      console.log(
        `${r.sessions} sessions of 50 no-gain and 50 small-gain submissions at --runs ${r.runs} (anchor ${r.anchor}, run std ${r.anchor_std_s} s, drift ${r.drift_step_s} s per submission)`,
      );
      console.log(`  headline bias, max over accepted (before):   ${s(r.bias_max_s)} ± ${r.bias_max_se_s.toFixed(4)}`);
      console.log(`  headline bias, confirmed (items 1–3):        ${s(r.bias_confirmed_s)} ± ${r.bias_confirmed_se_s.toFixed(4)}`);
      console.log(`  no-gain candidate ends as best (before):     ${(100 * r.false_best_rate_max).toFixed(1)}%`);
      console.log(`  no-gain candidate ends as best (items 1–3):  ${(100 * r.false_best_rate_confirmed).toFixed(1)}%`);
      console.log(`  timed with items 1–3: ${r.candidates_timed.toFixed(1)} candidates, ${r.runs_timed.toFixed(0)} runs (anchor runs included) per session`);
    });
}
