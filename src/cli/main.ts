import { Command } from 'commander';
import { registerSessionCommands } from './commands/session';
import { registerServerCommands } from './commands/server';
import { registerDemoCommand } from './commands/demo';
import { registerLogsCommands } from './commands/logs';
import { registerVerdictCommands } from './commands/verdict';
import { registerBaselinesCommands } from './commands/baselines';
import { registerDataCommands } from './commands/data';
import { registerJudgeCommands } from './commands/judge';
import { registerReportCommand } from './commands/report';
import { registerWatchCommand } from './commands/watch';
import { registerCompareCommand } from './commands/compare';
import { registerSimulateCommands } from './commands/simulate';

// Each command family lives in its own module under ./commands and registers itself here.
const program = new Command('nanogpt-bench').description('Benchmark how far an AI coding agent can speed up the NanoGPT speedrun').showHelpAfterError();

registerServerCommands(program);
registerSessionCommands(program);
registerDemoCommand(program);
registerLogsCommands(program);
registerVerdictCommands(program);
registerBaselinesCommands(program);
registerDataCommands(program);
registerJudgeCommands(program);
registerReportCommand(program);
registerWatchCommand(program);
registerCompareCommand(program);
registerSimulateCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Temporal wraps the reason a workflow failed in causes; the innermost one says what to fix.
  let msg = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err; e instanceof Error && e.cause; e = e.cause) msg += `: ${(e.cause as Error).message}`;
  console.error(`nanogpt-bench: ${msg}`);
  process.exitCode = 1;
});
