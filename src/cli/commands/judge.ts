import { statSync } from 'node:fs';
import { Command } from 'commander';
import type { JudgeReport } from '../../domain/verdict';
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
  for (const c of r.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.rule}: ${c.detail}`);
  return lines.join('\n');
}

export function registerJudgeCommands(program: Command): void {
  program
    .command('judge')
    .description('Judge a submission folder against the anchor: static rule checks, then the LLM judge when the environment holds a key (exit 0 passed, 1 rejected, 2 bad usage)')
    .argument('<submission-dir>', 'the candidate: a folder with run.sh and train_gpt.py')
    .requiredOption('--anchor <anchor-dir>', 'the anchor record the candidate started from')
    .option('--static-only', 'skip the LLM judge even when a key is set')
    .option('--json', 'print {passed, checks, llm?, staticOnly} as JSON')
    // commander's own usage errors (a missing --anchor, an unknown option) exit 2 like ours
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT))
    .action(async (submissionDir: string, opts: { anchor: string; staticOnly?: boolean; json?: boolean }) => {
      for (const [label, dir] of [['submission', submissionDir], ['anchor', opts.anchor]] as const) {
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
