import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connectClient } from '../../temporal/connection';
import { sessionHandle, sessionQueries, startSession, stopSession, extendBudget } from '../../temporal/client';
import { SANDBOX_KINDS, type SessionSpecInput } from '../../domain/spec';
import { formatStatus, formatSubmissions } from '../format';

/** `start` flags mirror SessionSpec one to one; --spec takes the whole object as JSON instead. */
export function registerSessionCommands(program: Command): void {
  program
    .command('start')
    .description('start a benchmark session (the server comes from TEMPORAL_ADDRESS, default 127.0.0.1:7233)')
    .option('--spec <json|@file>', 'the whole SessionSpec as JSON, or @path to a JSON file')
    .addOption(new Option('--agent <name>', 'agent').choices(['replay', 'claude-code', 'codex', 'autoresearch', 'command']))
    .option('--anchor <record>', 'record the agent starts from [2025-09-03_FA3]; "tiny" for the tiny speedrun, "gpu" for its GPU-sized family')
    .option('--budget-gpu-hours <n>', 'GPU-hour budget', Number)
    .option('--gpus <n>', 'GPUs the agent sandbox holds [8]', Number)
    .option('--session-hours <n>', 'wall-clock limit [24]', Number)
    .option('--retime-runs <n>', 'timed runs per submission [10]', Number)
    .option('--confirm-runs <n>', 'interleaved runs per side of the end-of-session confirmation [retime-runs]', Number)
    .option('--confirm-candidates <n>', 'most candidates confirmed at the end [3]', Number)
    .option('--reference <mode>', 'speed test reference: paired (anchor run beside each run), periodic, calibration [paired]')
    .option('--reference-every-submissions <n>', 'periodic: re-time the anchor every n submissions', Number)
    .option('--reference-every-hours <h>', 'periodic: re-time the anchor every h hours', Number)
    .option('--calibration-max-age-hours <h>', 'reuse a cached calibration up to this age [168]', Number)
    .option('--recalibrate', 'time the anchor afresh even when a calibration is cached')
    .option('--horizon-record <record>', 'the record that marks 100% of human progress [the manifest horizon]')
    .addOption(new Option('--retime-policy <p>', 'retiming policy [fixed]').choices(['fixed', 'sequential']))
    .option('--target-val-loss <x>', 'val loss target [3.28]', Number)
    .option('--alpha <p>', 'significance level [0.01]', Number)
    .addOption(new Option('--sandbox <kind>', 'sandbox [local]').choices([...SANDBOX_KINDS]))
    .option('--image <ref>', 'sandbox image (docker)')
    .option('--agent-command <json>', 'argv of the command agent, as a JSON array')
    .option('--replay-records <names>', 'comma-separated records for the replay agent')
    .option('--require-beat-best', 'accept only candidates faster than the best so far')
    .option('--run-timeout-seconds <n>', 'per-run timeout [1800]', Number)
    .option('--node-task-queue <q>', 'task queue of the GPU node')
    .option('--fleet', 'place the session on a node of the fleet with room for its GPUs (moved when that node is lost)')
    .option('--validation-task-queue <q>', 'task queue of a validation pool (timed runs go there; the agent keeps working)')
    .option('--id <workflowId>', 'session id (default: generated)')
    .option('--wait', 'wait for the session to end and print its summary')
    .action(async (o: Record<string, unknown>) => {
      const spec = specFromFlags(o);
      const client = await connectClient();
      const handle = await startSession(client, spec, typeof o.id === 'string' ? o.id : undefined);
      console.log(`started session ${handle.workflowId}`);
      if (o.wait) console.log(formatStatus(await handle.result()));
    });

  program
    .command('status <sessionId>')
    .description("a session's phase, budget and best submission")
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      // Everything comes through the workflow's query: right from any machine the server answers.
      const status = await sessionQueries.status(sessionHandle(await connectClient(), id));
      if (o.json) console.log(JSON.stringify(status, null, 2));
      else console.log(formatStatus(status));
    });

  program
    .command('submissions <sessionId>')
    .description("a session's submissions with their state and verdict")
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const subs = await sessionQueries.submissions(sessionHandle(await connectClient(), id));
      console.log(o.json ? JSON.stringify(subs, null, 2) : formatSubmissions(subs));
    });

  program
    .command('stop <sessionId>')
    .description('end a session gracefully: no more submissions, the agent is stopped, the summary written')
    .option('--reason <text>', 'why')
    .action(async (id: string, o: { reason?: string }) => {
      await stopSession(sessionHandle(await connectClient(), id), o.reason);
      console.log(`stop sent to ${id}`);
    });

  program
    .command('extend-budget <sessionId> <gpuHours>')
    .description('grant a running session more GPU-hours')
    .action(async (id: string, gpuHours: string) => {
      const n = Number(gpuHours);
      if (!(n > 0)) throw new Error(`gpuHours: expected a positive number, got ${gpuHours}`);
      await extendBudget(sessionHandle(await connectClient(), id), n);
      console.log(`granted ${n} GPU-hours to ${id}`);
    });
}

function specFromFlags(o: Record<string, unknown>): SessionSpecInput {
  let spec: Record<string, unknown> = {};
  if (typeof o.spec === 'string') {
    const text = o.spec.startsWith('@') ? readFileSync(o.spec.slice(1), 'utf8') : o.spec;
    try {
      spec = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--spec: expected a JSON object (${(err as Error).message})`);
    }
  }
  const map: Record<string, string> = {
    agent: 'agent',
    anchor: 'anchor',
    budgetGpuHours: 'budgetGpuHours',
    gpus: 'gpus',
    sessionHours: 'sessionHours',
    retimeRuns: 'retimeRuns',
    retimePolicy: 'retimePolicy',
    targetValLoss: 'targetValLoss',
    alpha: 'alpha',
    sandbox: 'sandbox',
    image: 'image',
    requireBeatBest: 'requireBeatBest',
    runTimeoutSeconds: 'runTimeoutSeconds',
    nodeTaskQueue: 'nodeTaskQueue',
    fleet: 'fleet',
    validationTaskQueue: 'validationTaskQueue',
    confirmRuns: 'confirmRuns',
    confirmCandidates: 'confirmCandidates',
    reference: 'reference',
    referenceEverySubmissions: 'referenceEverySubmissions',
    referenceEveryHours: 'referenceEveryHours',
    calibrationMaxAgeHours: 'calibrationMaxAgeHours',
    recalibrate: 'recalibrate',
    horizonRecord: 'horizonRecord',
  };
  for (const [flag, field] of Object.entries(map)) if (o[flag] !== undefined) spec[field] = o[flag];
  if (typeof o.agentCommand === 'string') {
    try {
      spec.agentCommand = JSON.parse(o.agentCommand);
    } catch {
      throw new Error('--agent-command: expected a JSON array of strings, e.g. \'["python3","loop.py"]\'');
    }
  }
  if (typeof o.replayRecords === 'string')
    spec.replayRecords = o.replayRecords
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return spec as SessionSpecInput;
}
