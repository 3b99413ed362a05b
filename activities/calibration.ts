import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reference } from '../src/domain/session';
import type { RunResult } from '../src/domain/verdict';
import { layout } from '../src/storage/layout';
import { treeHash, scanTree } from '../src/storage/tree';
import { writeJsonAtomic } from '../src/storage/atomicWrite';
import { mean } from '../src/domain/stats';
import type { SessionRef } from '../src/domain/session';

/**
 * What makes reference times comparable: the same anchor files, GPU count, runs, sandbox kind
 * and the same hardware (CPU model and count, GPU names). A different machine recalibrates.
 */
export async function hardwareFingerprint(session: SessionRef): Promise<string> {
  const gpuNames = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 30_000 });
  const anchorHash = treeHash(await scanTree(session.workspace.anchorDir));
  const facts = {
    anchor: session.spec.anchor,
    anchorHash,
    horizonHash: session.workspace.horizonDir ? treeHash(await scanTree(session.workspace.horizonDir)) : null,
    gpus: session.spec.gpus,
    runs: session.spec.retimeRuns,
    sandbox: session.spec.sandbox,
    image: session.spec.image ?? null,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    gpuNames: gpuNames.status === 0 ? gpuNames.stdout.trim() : 'none',
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 24);
}

export async function lookupCalibration({ session }: { session: SessionRef }): Promise<Reference | null> {
  const fp = await hardwareFingerprint(session);
  try {
    const cached = JSON.parse(await readFile(join(layout.calibration(), `${fp}.json`), 'utf8')) as Reference;
    return { ...cached, fromCache: true };
  } catch {
    return null;
  }
}

export async function storeCalibration({ session, runs, horizonRuns }: { session: SessionRef; runs: RunResult[]; horizonRuns: RunResult[] | null }): Promise<Reference> {
  const fp = await hardwareFingerprint(session);
  const ref: Reference = {
    trainTimesMs: runs.map((r) => r.trainTimeMs!),
    valLosses: runs.map((r) => r.valLoss!),
    meanRunGpuSeconds: mean(runs.map((r) => r.gpuSeconds)),
    horizonTrainTimesMs: horizonRuns ? horizonRuns.map((r) => r.trainTimeMs!) : null,
    horizonSpeedupSeconds: horizonRuns ? (mean(runs.map((r) => r.trainTimeMs!)) - mean(horizonRuns.map((r) => r.trainTimeMs!))) / 1000 : null,
    fingerprint: fp,
    fromCache: false,
  };
  await mkdir(layout.calibration(), { recursive: true });
  const path = join(layout.calibration(), `${fp}.json`);
  await writeJsonAtomic(path, ref);
  return ref;
}
