/**
 * A whole session on one GPU node (issues 7 and 14): the embedded Temporal server and worker, the
 * local sandbox, a family's speedrun (FAMILY: `tiny`, or `gpu`, sized for one H200) on all the
 * node's GPUs, the replay agent over its record history, N timed runs per submission and the
 * end-of-session confirmation. Beside it, in the same process and on the same GPUs, a bare loop
 * of `torchrun` on the anchor: the baseline the harness's overhead is measured against.
 *
 *   GPUS=8 RUNS=10 BASELINE_RUNS=5 FAMILY=tiny SPEC='{"confirmRuns":4}' OUT=dir node dist/bench/gpuNode.js
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
import { ensureSynthData } from '../src/tokenShards/tinyData';
import { resolveAnchor } from '../src/humanRecords/anchors';
import { layout } from '../src/files/layout';
import { harnessToolsDir } from '../src/sandbox/tools';
import { trainingPython } from '../src/sandbox/python';
import { mean, summarize } from '../src/domain/stats';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bareLoop(family: string, gpus: number, runs: number): Promise<{ wallMs: number; trainTimeMs: number | null; valLoss: number | null }[]> {
  const anchor = resolveAnchor(family);
  if (anchor.data.kind !== 'synth') throw new Error(`${family} is not a family with synthetic data`);
  const data = await ensureSynthData(layout.data(), anchor.data.name, anchor.data.args);
  const dir = join(layout.data(), 'bare-loop');
  rmSync(dir, { recursive: true, force: true });
  cpSync(anchor.recordDir, dir, { recursive: true });
  const out = [];
  const python = await trainingPython();
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const r = spawnSync('bash', ['run.sh'], {
      cwd: dir,
      env: { ...process.env, PATH: `${harnessToolsDir()}:${process.env.PATH}`, DATA_DIR: data, NPROC_PER_NODE: String(gpus), PYTHON: python },
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
  const family = process.env.FAMILY ?? 'tiny';
  const extraSpec = JSON.parse(process.env.SPEC ?? '{}') as Record<string, unknown>;
  const outDir = process.env.OUT ?? 'bench-out';
  mkdirSync(outDir, { recursive: true });
  const gpuNames = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).stdout?.trim() ?? 'none';

  const bare = await bareLoop(family, gpus, baselineRuns);

  const embedded = await startEmbedded({ headless: true, logLevel: 'WARN' });
  const t0 = Date.now();
  // A command limit may cut the session; run again with the same SESSION_ID on the same state
  // folder and it picks up where it was.
  const id = process.env.SESSION_ID ?? `gpu-node-${Date.now()}`;
  const handle = await startSession(
    embedded.client,
    { agent: 'replay', anchor: family, budgetGpuHours: 100, gpus, retimeRuns: runs, sessionHours: 2, ...extraSpec },
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
    family,
    spec: extraSpec,
    runsPerSubmission: runs,
    bare: {
      runs: bare,
      wallMedianMs: bare.length ? median(bare.map((b) => b.wallMs)) : null,
      trainTimeMedianMs: bare.length ? median(bare.flatMap((b) => (b.trainTimeMs === null ? [] : [b.trainTimeMs]))) : null,
    },
    session: { wallMs: sessionWallMs, summary, reference: calibration, perSubmission },
    accounting: {
      validationGpuHours: summary.budget.byCategory.validation,
      confirmationGpuHours: summary.budget.byCategory.confirmation,
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
