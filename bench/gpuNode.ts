/**
 * A whole session on one GPU node (issue 7): the embedded Temporal server and worker, the local
 * sandbox, the tiny speedrun on all the node's GPUs, the replay agent over its record history,
 * N timed runs per submission. Beside it, in the same process and on the same GPUs, a bare loop
 * of `torchrun` on the anchor: the baseline the harness's overhead is measured against.
 *
 *   GPUS=8 RUNS=10 BASELINE_RUNS=5 OUT=dir node dist/bench/gpuNode.js
 *
 * Writes OUT/gpu-node.json (every figure) and prints a table.
 */
import { mkdirSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startEmbedded } from '../src/temporal/embedded';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startSession, sessionQueries, sessionHandle } from '../src/temporal/client';
import { parseLog } from '../src/domain/logParser';
import { ensureTinyData } from '../src/tokenShards/tinyData';
import { layout } from '../src/files/layout';
import { harnessToolsDir } from '../src/sandbox/tools';
import { repoRoot } from '../src/files/repoRoot';
import { trainingPython } from '../src/sandbox/python';
import { mean, summarize } from '../src/domain/stats';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bareLoop(gpus: number, runs: number): Promise<{ wallMs: number; trainTimeMs: number | null; valLoss: number | null }[]> {
  const data = await ensureTinyData(layout.data());
  const dir = join(layout.data(), 'bare-loop');
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(repoRoot(), 'human_baselines', 'tiny', 'records', '01_anchor'), dir, { recursive: true });
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const r = spawnSync('bash', ['run.sh'], {
      cwd: dir,
      env: { ...process.env, PATH: `${harnessToolsDir()}:${process.env.PATH}`, DATA_DIR: data, NPROC_PER_NODE: String(gpus), PYTHON: trainingPython() },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const log = parseLog(r.stdout + r.stderr);
    out.push({ wallMs: Date.now() - t0, trainTimeMs: log.trainTimeMs, valLoss: log.valLoss });
    console.log(
      `bare run ${i}: wall ${Date.now() - t0} ms, train_time ${log.trainTimeMs} ms, val_loss ${log.valLoss}${r.status !== 0 ? ` (exit ${r.status}: ${r.stderr.slice(-500)})` : ''}`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const gpus = Number(process.env.GPUS ?? 8);
  const runs = Number(process.env.RUNS ?? 10);
  const baselineRuns = Number(process.env.BASELINE_RUNS ?? 5);
  const outDir = process.env.OUT ?? 'bench-out';
  mkdirSync(outDir, { recursive: true });
  const gpuNames = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).stdout?.trim() ?? 'none';

  const bare = await bareLoop(gpus, baselineRuns);

  const embedded = await startEmbedded({ headless: true, logLevel: 'WARN' });
  const t0 = Date.now();
  // A command limit may cut the session; run again with the same SESSION_ID on the same state
  // folder and it picks up where it was.
  const id = process.env.SESSION_ID ?? `gpu-node-${Date.now()}`;
  const handle = await startSession(
    embedded.client,
    { agent: 'replay', anchor: 'tiny', budgetGpuHours: 100, gpus, retimeRuns: runs, sessionHours: 2 },
    id,
  ).catch((err) => {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    console.log(`session ${id} already exists: following it`);
    return sessionHandle(embedded.client, id);
  });
  const timer = setInterval(() => {
    void sessionQueries
      .status(handle)
      .catch(() => null)
      .then(
        (s) =>
          s &&
          console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s.phase} ${JSON.stringify(s.submissions)} ${s.budget.usedGpuHours.toFixed(4)} GPU-h`),
      );
  }, 15_000);
  const summary = await handle.result();
  clearInterval(timer);
  const sessionWallMs = Date.now() - t0;
  const subs = await sessionQueries.submissions(handle);
  await embedded.stop();

  const calibration = summary.reference;
  const runsAll = subs.flatMap((s) => (s.verdict?.runs ?? []).map((r) => ({ sub: s.id, path: s.path, ...r })));
  const sumWallS = runsAll.reduce((a, r) => a + r.wallMs, 0) / 1000;
  const sumTrainS = runsAll.reduce((a, r) => a + (r.trainTimeMs ?? 0), 0) / 1000;
  const perSubmission = subs.map((s) => {
    const t = (s.verdict?.runs ?? []).flatMap((r) => (r.trainTimeMs === null ? [] : [r.trainTimeMs]));
    const w = (s.verdict?.runs ?? []).map((r) => r.wallMs);
    const st = summarize(t);
    return {
      id: s.id,
      path: s.path,
      state: s.state,
      runs: t.length,
      trainTimeMeanMs: st.mean,
      trainTimeStdMs: st.std,
      wallMedianMs: w.length ? median(w) : null,
      speedupS: s.verdict?.speedup?.seconds ?? null,
      humanProgressPercent: s.verdict?.speedup?.humanProgressPercent ?? null,
      reasons: s.verdict?.reasons ?? [],
    };
  });
  const result = {
    date: new Date().toISOString(),
    gpus,
    gpuNames,
    runsPerSubmission: runs,
    bare: {
      runs: bare,
      wallMedianMs: median(bare.map((b) => b.wallMs)),
      trainTimeMedianMs: median(bare.flatMap((b) => (b.trainTimeMs === null ? [] : [b.trainTimeMs]))),
    },
    session: { wallMs: sessionWallMs, summary, reference: calibration, perSubmission },
    accounting: {
      validationGpuHours: summary.budget.byCategory.validation,
      calibrationGpuHours: summary.budget.byCategory.calibration,
      agentGpuHours: summary.budget.byCategory.agent,
      sumRunWallTimesXGpusHours: (sumWallS * gpus) / 3600,
      sumTrainTimesXGpusHours: (sumTrainS * gpus) / 3600,
    },
    runWallMedianMs: runsAll.length ? median(runsAll.map((r) => r.wallMs)) : null,
    meanSessionRunWallMs: runsAll.length ? mean(runsAll.map((r) => r.wallMs)) : null,
  };
  writeFileSync(join(outDir, 'gpu-node.json'), JSON.stringify({ ...result, submissions: subs }, null, 2));
  console.log(JSON.stringify({ ...result, session: { ...result.session, summary: undefined } }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
