import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseLog } from '../../domain/logParser';
import type { ParsedLog } from '../../domain/parsedLog';

/** The machine-readable view: the contract fields first, then extras. */
function toJson(log: ParsedLog): Record<string, unknown> {
  return {
    final_step: log.finalStep,
    total_steps: log.totalSteps,
    val_loss: log.valLoss,
    train_time_ms: log.trainTimeMs,
    complete: log.complete,
    invalid_reason: log.invalidReason,
    step_avg_ms: log.stepAvgMs,
    peak_memory_mib: log.peakMemoryAllocatedMib,
    peak_memory_reserved_mib: log.peakMemoryReservedMib,
    torch_version: log.torchVersion,
    cuda_version: log.cudaVersion,
    val_steps: log.steps.filter((s) => s.kind === 'val').length,
  };
}

function toText(file: string, log: ParsedLog): string {
  const show = (v: number | string | null | undefined, unit = ''): string => (v === null || v === undefined ? '—' : `${v}${unit}`);
  return [
    `${file}: ${log.complete ? 'complete' : `INCOMPLETE (${log.invalidReason})`}`,
    `  steps       ${show(log.finalStep)}/${show(log.totalSteps)}`,
    `  val loss    ${show(log.valLoss)}`,
    `  train time  ${log.trainTimeMs === null ? '—' : `${(log.trainTimeMs / 1000).toFixed(3)} s`}  (step avg ${show(log.stepAvgMs, ' ms')})`,
    `  peak memory ${show(log.peakMemoryAllocatedMib, ' MiB')} allocated, ${show(log.peakMemoryReservedMib, ' MiB')} reserved`,
    `  torch       ${show(log.torchVersion)}${log.cudaVersion ? ` (CUDA ${log.cudaVersion})` : ''}`,
  ].join('\n');
}

export function registerLogsCommands(program: Command): void {
  const logs = program.command('logs').description('Read speedrun run logs');
  logs
    .command('parse')
    .description('Extract final step, val loss and official train_time from a run log')
    .argument('<file>', 'the run output (stdout of train_gpt.py)')
    .option('--json', 'print one JSON object')
    .action((file: string, opts: { json?: boolean }) => {
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch (err) {
        throw new Error(`cannot read log file ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const log = parseLog(content);
      // An incomplete run is a valid answer about the log, not a failure of this command: exit 0.
      console.log(opts.json ? JSON.stringify(toJson(log), null, 2) : toText(file, log));
    });
}
