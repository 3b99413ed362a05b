import { statSync } from 'node:fs';
import { Command } from 'commander';
import { defaultRecordsDir } from '../../humanRecords/manifest';
import type { JudgeReport } from '../../domain/verdict';
import { scoreTable } from '../../judge/eval/evaluate';
import { runEval } from '../../judge/eval/run';
import { judgeCandidate } from '../../judge/judge';

const USAGE_EXIT = 2;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function toText(r: JudgeReport): string {
  const lines = [`${r.passed ? 'PASSED' : 'REJECTED'}${r.staticOnly ? ` (static checks only: ${r.note ?? 'no model judged'})` : ''}`];
  for (const c of r.checks) {
    lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.rule}: ${c.detail}`);
  }
  for (const d of r.disagreements ?? []) lines.push(`  DISAGREE ${d}`);
  return lines.join('\n');
}

type Opts = { anchor?: string; staticOnly?: boolean; json?: boolean; eval?: string | boolean; records?: string };

async function evalCommand(opts: Opts): Promise<void> {
  const dir = typeof opts.eval === 'string' ? opts.eval : undefined;
  if (dir && !isDir(dir)) {
    console.error(`nanogpt-bench judge --eval: ${dir} does not exist or is not a folder`);
    process.exitCode = USAGE_EXIT;
    return;
  }
  try {
    const r = await runEval({
      dir,
      recordsDir: opts.records ?? defaultRecordsDir(),
      env: process.env,
      staticOnly: opts.staticOnly === true,
      log: (l) => console.error(l),
    });
    if (opts.json) {
      console.log(
        JSON.stringify(
          { llm: r.llm, seconds: r.seconds, candidates: r.candidates.length, scores: r.scores.map(({ outcomes, ...s }) => ({ ...s, outcomes })) },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `${scoreTable(r.scores, r.candidates)}\n\nLLM judge: ${r.llm}; ${r.seconds.toFixed(1)} s in all, ${(r.seconds / Math.max(1, r.candidates.length)).toFixed(2)} s per candidate`,
      );
    }
    process.exitCode = r.scores.every((s) => s.misses.length === 0) ? 0 : 1;
  } catch (err) {
    console.error(`nanogpt-bench judge --eval: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = USAGE_EXIT;
  }
}

export function registerJudgeCommands(program: Command): void {
  program
    .command('judge')
    .description(
      'Judge a submission folder against the anchor: static rule checks, then the LLM judge when the environment holds a key (exit 0 passed, 1 rejected, 2 bad usage). With --eval, measure the judge on a labelled set instead (exit 0 no misses, 1 misses)',
    )
    .argument('[submission-dir]', 'the candidate: a folder with run.sh and train_gpt.py')
    .option('--anchor <anchor-dir>', 'the anchor record the candidate started from')
    .option('--static-only', 'skip the LLM judge even when a key is set')
    .option('--json', 'print {passed, checks, llm?, staticOnly} as JSON (with --eval: the scores and every outcome)')
    .option(
      '--eval [labelled-dir]',
      'measure the judge: a folder of candidates with labels.json (or of such sets); without a folder, the default set (the fixtures made from the anchors now, and the human records)',
    )
    .option('--records <dir>', 'where the human records are, for the default --eval set', undefined)
    // commander's own usage errors (an unknown option) exit 2 like ours
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT))
    .action(async (submissionDir: string | undefined, opts: Opts) => {
      if (opts.eval !== undefined) return evalCommand(opts);
      if (!submissionDir || !opts.anchor) {
        console.error('nanogpt-bench judge: give a submission folder and --anchor <anchor-dir> (or --eval to measure the judge)');
        process.exitCode = USAGE_EXIT;
        return;
      }
      for (const [label, dir] of [
        ['submission', submissionDir],
        ['anchor', opts.anchor],
      ] as const) {
        if (!isDir(dir)) {
          console.error(`nanogpt-bench judge: the ${label} folder ${dir} does not exist or is not a folder`);
          process.exitCode = USAGE_EXIT;
          return;
        }
      }
      let report: JudgeReport;
      try {
        report = await judgeCandidate({
          candidateDir: submissionDir,
          anchorDir: opts.anchor,
          env: process.env,
          staticOnly: opts.staticOnly === true,
          log: (line) => console.error(line),
        });
      } catch (err) {
        console.error(`nanogpt-bench judge: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = USAGE_EXIT;
        return;
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : toText(report));
      process.exitCode = report.passed ? 0 : 1;
    });
}
