import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { SessionRef, Workspace } from '../src/domain/session';
import { layout } from '../src/files/layout';
import { writeJsonAtomic } from '../src/files/atomicWrite';
import { putBack, restoreSnapshot, takeSnapshot, type SnapshotFacts } from '../src/files/workspaceSnapshot';
import { describeWorkspace, prepareWorkspace } from './workspace';

/**
 * Checkpoint `number` of the session's node-local workspace, copied to the shared home
 * (runs/<id>/checkpoints). Safe to retry: a checkpoint already whole is returned as it is.
 */
export async function checkpointWorkspace({ session, number }: { session: SessionRef; number: number }): Promise<SnapshotFacts> {
  const dir = session.workspace.dir;
  if (!existsSync(dir)) throw ApplicationFailure.nonRetryable(`the workspace ${dir} is not on this node`, 'WorkspaceMissing');
  return await takeSnapshot(dir, layout.checkpoints(session.sessionId), number, Date.now(), () => heartbeat());
}

export interface RestoredWorkspace {
  workspace: Workspace;
  /** The checkpoint laid out, or null when the anchor was copied in afresh (none had been taken). */
  checkpoint: { number: number; takenAtMs: number } | null;
  /** Submitted folders put back from the relay's copies. */
  putBack: string[];
}

/**
 * The session arrives on this node: its workspace here becomes checkpoint `checkpoint` (or the
 * anchor, when none was taken), replacing whatever an earlier stay on this node left. Done once per
 * placement `epoch`: a retry after it completed finds the note beside the folder and changes nothing.
 */
export async function restoreWorkspace({
  session,
  checkpoint,
  epoch,
  submittedSince = [],
}: {
  session: SessionRef;
  checkpoint: number | null;
  epoch: number;
  /** Submissions not yet frozen that the checkpoint may not hold as submitted: put back from the relay's copies. */
  submittedSince?: { path: string; contentHash: string }[];
}): Promise<RestoredWorkspace> {
  const { sessionId, spec } = session;
  const dir = layout.workspace(sessionId);
  const note = `${dir}.restored.json`;
  const done = await readNote(note);
  if (done?.epoch === epoch && existsSync(dir))
    return { workspace: await describeWorkspace(sessionId, spec), checkpoint: done.checkpoint, putBack: done.putBack ?? [] };
  await mkdir(dirname(dir), { recursive: true });
  await setAside(dir);
  let restored: RestoredWorkspace['checkpoint'] = null;
  let workspace: Workspace;
  if (checkpoint === null) workspace = await prepareWorkspace({ sessionId, spec });
  else {
    const manifest = await restoreSnapshot(layout.checkpoints(sessionId), checkpoint, dir);
    restored = { number: manifest.number, takenAtMs: manifest.takenAtMs };
    workspace = await describeWorkspace(sessionId, spec);
  }
  const put = await putBack(
    dir,
    submittedSince.map((x) => ({ path: x.path, copy: layout.submittedCopy(sessionId, x.contentHash) })),
  );
  await writeJsonAtomic(note, { epoch, checkpoint: restored, putBack: put });
  return { workspace, checkpoint: restored, putBack: put };
}

type Note = { epoch: number; checkpoint: RestoredWorkspace['checkpoint']; putBack?: string[] };

async function readNote(path: string): Promise<Note | null> {
  const raw = await readFile(path, 'utf8').catch(() => null);
  return raw === null ? null : (JSON.parse(raw) as Note);
}

/** An older copy of the workspace on this node is moved out of the way first, then removed. */
async function setAside(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const old = `${dir}.old`;
  await rm(old, { recursive: true, force: true });
  await rename(dir, old);
  await rm(old, { recursive: true, force: true });
}
