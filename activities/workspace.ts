import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { SessionSpec } from '../src/domain/spec';
import type { Workspace } from '../src/domain/session';
import { resolveAnchor } from '../src/humanRecords/anchors';
import { layout, localWorkspaceRoot } from '../src/files/layout';
import { ensureSynthData } from '../src/tokenShards/tinyData';

/**
 * Lays out runs/<id>: the workspace seeded with the anchor's files and an empty submissions
 * folder (on this node's own disk when its worker has --workspace-dir), the relay folder and its
 * host-only token, and the data the runs read. Safe to repeat: nothing the agent already wrote is
 * overwritten.
 */
export async function prepareWorkspace({ sessionId, spec }: { sessionId: string; spec: SessionSpec }): Promise<Workspace> {
  const anchor = anchorOf(spec);
  const dir = layout.workspace(sessionId);
  await mkdir(join(dir, 'submissions'), { recursive: true });
  await cp(anchor.recordDir, dir, { recursive: true, force: false, errorOnExist: false });
  return await describeWorkspace(sessionId, spec);
}

/**
 * The session's workspace as this node sees it (its folder, where the agent sees it, the data),
 * with the relay folder and token laid out in the shared home. The folder's content is not touched.
 */
export async function describeWorkspace(sessionId: string, spec: SessionSpec): Promise<Workspace> {
  const anchor = anchorOf(spec);
  const dir = layout.workspace(sessionId);
  await mkdir(layout.relay(sessionId), { recursive: true, mode: 0o755 });
  if (!(await exists(layout.relayToken(sessionId)))) {
    await writeFile(layout.relayToken(sessionId), randomBytes(24).toString('hex'), { mode: 0o600 });
  }
  const dataDir = anchor.data.kind === 'synth' ? await ensureSynthData(layout.data(), anchor.data.name, anchor.data.args) : anchor.data.dir;
  const replayRecords = spec.replayRecords ?? anchor.history;
  return {
    dir,
    sandboxRoot: spec.sandbox === 'docker' ? '/workspace' : dir,
    anchorDir: anchor.recordDir,
    dataDir,
    historyDir: anchor.historyDir,
    replayRecords,
    horizonSpeedupSeconds: anchor.horizonSpeedupSeconds,
    horizonDir: anchor.horizonRecordDir,
    targetValLoss: spec.targetValLoss ?? anchor.targetValLoss,
    host: hostname(),
    sessionDir: layout.session(sessionId),
    ...(localWorkspaceRoot() ? { nodeLocal: true } : {}),
  };
}

function anchorOf(spec: SessionSpec): ReturnType<typeof resolveAnchor> {
  try {
    return resolveAnchor(spec.anchor, spec.horizonRecord);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'AnchorUnavailable');
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
