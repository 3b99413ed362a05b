import { Command } from 'commander';
import { startEmbedded } from '../../temporal/embedded';
import { startSession, sessionQueries } from '../../temporal/client';
import { formatStatus, formatSubmissions } from '../format';
import { benchHome, layout } from '../../files/layout';
import { writeSessionReport } from '../../report/write';
import { temporalBinary } from '../../temporal/binary';
import { relative, resolve } from 'node:path';

/**
 * A whole session on embedded defaults: no API key, no GPU, no Docker. The replay agent submits
 * the tiny speedrun's record history; the summary shows how much of that human progress the
 * harness measured as recovered (about 100% is the harness working).
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a session end to end on embedded defaults (tiny speedrun, replay agent, local sandbox)')
    .option('--retime-runs <n>', 'timed runs per submission (4: enough for the t-tests on the later records, on a CPU whose timings wander)', Number, 4)
    .option('--confirm-runs <n>', 'runs of the best, interleaved with as many of the anchor, at the end', Number, 3)
    .option(
      '--reference <mode>',
      "each verdict against: calibration (the anchor timed once), paired (one anchor run beside each run: a session's default, twice the runs)",
      'calibration',
    )
    .option('--anchor <family>', 'the speedrun family to replay: "tiny", or the folder of another (test/fixtures/fastrun: seconds)', 'tiny')
    .option('--json', 'print the final summary as JSON')
    .action(async (o: { retimeRuns: number; anchor: string; confirmRuns: number; reference: 'calibration' | 'paired'; json?: boolean }) => {
      const embedded = await startEmbedded({ headless: true, logLevel: 'WARN' });
      try {
        console.log(`demo: Temporal dev server ${embedded.address}, state in ${benchHome()}`);
        // Fewer runs than a real session (10 a submission, paired anchor runs, the best and its CI
        // neighbours confirmed on 10 pairs), so the demo ends in about 7 minutes on 2 CPU cores.
        console.log(
          `demo: fewer runs than a session's defaults, to end in minutes on a CPU: ${o.retimeRuns} runs a submission, each verdict against the anchor's ${o.reference === 'paired' ? 'runs timed beside it' : 'calibration runs'}, and the headline from the best re-timed ${o.confirmRuns} times interleaved with ${o.confirmRuns} anchor runs`,
        );
        const handle = await startSession(embedded.client, {
          agent: 'replay',
          anchor: o.anchor === 'tiny' ? 'tiny' : resolve(o.anchor),
          budgetGpuHours: 2,
          gpus: 1,
          sessionHours: 2,
          retimeRuns: o.retimeRuns,
          confirmRuns: o.confirmRuns,
          confirmCandidates: 1,
          reference: o.reference,
        });
        console.log(
          `demo: session ${handle.workflowId} started; query it with:\n  ${relative(process.cwd(), temporalBinary())} workflow query --address ${embedded.address} --workflow-id ${handle.workflowId} --type budget`,
        );
        let last = '';
        const timer = setInterval(() => {
          sessionQueries.status(handle).then(
            (s) => {
              const line = `demo: [${s.phase}] ${
                Object.entries(s.submissions)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ') || 'no submissions yet'
              }; ${s.budget.usedGpuHours.toFixed(4)} GPU-h used`;
              if (line !== last) console.log((last = line));
            },
            // the workflow may be between tasks; the next tick will tell
            () => undefined,
          );
        }, 2000);
        const summary = await handle.result();
        clearInterval(timer);
        const subs = await sessionQueries.submissions(handle);
        if (o.json) console.log(JSON.stringify({ summary, submissions: subs }, null, 2));
        else console.log(`\n${formatSubmissions(subs)}\n\n${formatStatus(summary)}`);
        // The session's summary activity wrote the report already; written again here from the
        // same files, so the path printed is always one that was just made.
        const report = await writeSessionReport(handle.workflowId, layout.session(handle.workflowId));
        (o.json ? console.error : console.log)(`\ndemo: report written: ${report.html}`);
      } finally {
        await embedded.stop();
      }
    });
}
