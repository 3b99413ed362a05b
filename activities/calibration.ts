import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reference } from '../src/domain/session';
import { calibrationUnusable, canonicalFacts, parseSoftwareProbe, type CalibrationFacts } from '../src/domain/calibrationCache';
import type { RunResult } from '../src/domain/verdict';
import { layout } from '../src/files/layout';
import { treeHash, scanTree } from '../src/files/tree';
import { writeJsonAtomic } from '../src/files/atomicWrite';
import { mean } from '../src/domain/stats';
import type { SessionRef } from '../src/domain/session';
import { trainingPython } from '../src/sandbox/python';

/**
 * What makes reference times comparable: the same anchor (and horizon) files, GPU count, runs,
 * sandbox kind and image, the same hardware (CPU model and count, GPU names) and the same
 * software (driver, CUDA, PyTorch, Python). A different machine or stack recalibrates.
 */
export async function calibrationFacts(session: SessionRef): Promise<CalibrationFacts> {
  return {
    anchor: session.spec.anchor,
    anchorHash: treeHash(await scanTree(session.workspace.anchorDir)),
    horizonHash: session.workspace.horizonDir ? treeHash(await scanTree(session.workspace.horizonDir)) : null,
    gpus: session.spec.gpus,
    runs: session.spec.retimeRuns,
    sandbox: session.spec.sandbox,
    image: session.spec.image ?? null,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    ...(await gpuProbe()),
    ...(await softwareProbe()),
  };
}

/**
 * Asked once per worker, and never with spawnSync: a synchronous nvidia-smi (or Python importing
 * torch) stops every relay, heartbeat and query of every session on the worker while it runs, and
 * each session's start asked again (bench/load.ts found seconds of it at a few hundred sessions).
 */
let gpuProbed: Promise<Pick<CalibrationFacts, 'gpuNames' | 'driver'>> | undefined;
function gpuProbe(): Promise<Pick<CalibrationFacts, 'gpuNames' | 'driver'>> {
  const smi = (query: string) => run('nvidia-smi', [`--query-gpu=${query}`, '--format=csv,noheader'], 30_000);
  gpuProbed ??= Promise.all([smi('name'), smi('driver_version')]).then(([names, driver]) => ({
    gpuNames: names?.trim() ?? 'none',
    driver: driver?.trim().split('\n')[0] ?? 'none',
  }));
  return gpuProbed;
}

let probed: Promise<Pick<CalibrationFacts, 'torch' | 'cuda' | 'python'>> | undefined;
/** The local sandbox's Python and PyTorch (an image's are named by the image); asked once per worker. */
function softwareProbe(): Promise<Pick<CalibrationFacts, 'torch' | 'cuda' | 'python'>> {
  const code =
    "import sys\ntry:\n import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)\nexcept Exception: pass\nprint('python', sys.version.split()[0])";
  probed ??= trainingPython()
    .then((python) => run(python, ['-c', code], 120_000))
    .then((out) => parseSoftwareProbe(out ?? ''))
    .catch((err: unknown) => {
      probed = undefined; // no Python with torch yet: the activity's retry asks again
      throw err;
    });
  return probed;
}

/** A command's stdout, or null when it failed (absent, non-zero exit, timed out). */
function run(command: string, args: string[], timeout: number): Promise<string | null> {
  return new Promise((resolve) => execFile(command, args, { encoding: 'utf8', timeout }, (err, stdout) => resolve(err ? null : stdout)));
}

export function fingerprintOf(facts: CalibrationFacts): string {
  return createHash('sha256').update(canonicalFacts(facts)).digest('hex').slice(0, 24);
}

export async function hardwareFingerprint(session: SessionRef): Promise<string> {
  return fingerprintOf(await calibrationFacts(session));
}

export async function lookupCalibration({ session }: { session: SessionRef }): Promise<Reference | null> {
  const fp = await hardwareFingerprint(session);
  let cached: Reference;
  try {
    cached = JSON.parse(await readFile(join(layout.calibration(), `${fp}.json`), 'utf8')) as Reference;
  } catch {
    return null;
  }
  const unusable = calibrationUnusable(cached.storedAtMs, Date.now(), session.spec.calibrationMaxAgeHours, session.spec.recalibrate);
  return unusable ? null : { ...cached, fromCache: true };
}

export async function storeCalibration({
  session,
  runs,
  horizonRuns,
}: {
  session: SessionRef;
  runs: RunResult[];
  horizonRuns: RunResult[] | null;
}): Promise<Reference> {
  const fp = await hardwareFingerprint(session);
  const ref: Reference = {
    trainTimesMs: runs.map((r) => r.trainTimeMs!),
    valLosses: runs.map((r) => r.valLoss!),
    meanRunGpuSeconds: mean(runs.map((r) => r.gpuSeconds)),
    horizonTrainTimesMs: horizonRuns ? horizonRuns.map((r) => r.trainTimeMs!) : null,
    horizonSpeedupSeconds: horizonRuns ? (mean(runs.map((r) => r.trainTimeMs!)) - mean(horizonRuns.map((r) => r.trainTimeMs!))) / 1000 : null,
    fingerprint: fp,
    fromCache: false,
    storedAtMs: Date.now(),
  };
  await mkdir(layout.calibration(), { recursive: true });
  const path = join(layout.calibration(), `${fp}.json`);
  await writeJsonAtomic(path, ref);
  return ref;
}
