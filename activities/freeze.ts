import { chmod, copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { layout } from '../src/files/layout';
import { scanTree, treeHash, TreeRefused } from '../src/files/tree';
import { writeJsonAtomic } from '../src/files/atomicWrite';
import type { SessionRef } from '../src/domain/session';
import type { FrozenSubmission } from './types';

/**
 * Copies a submission's regular files into a content-addressed, read-only folder with a sha256
 * manifest; only that copy is ever judged or timed, so the agent changing its folder afterwards
 * changes nothing. `path` null freezes the anchor itself, `hostDir` a record of the harness's own
 * (both for calibration). Idempotent: a
 * completed freeze is found and returned again.
 */
export async function freezeSubmission({
  session,
  submissionId,
  path,
  hostDir,
}: {
  session: SessionRef;
  submissionId: string;
  path: string | null;
  hostDir?: string;
}): Promise<FrozenSubmission | { refused: string }> {
  const manifestPath = join(layout.submission(session.sessionId, submissionId), 'manifest.json');
  if (existsSync(manifestPath)) return JSON.parse(await readFile(manifestPath, 'utf8')) as FrozenSubmission;
  const source = hostDir ?? (path === null ? session.workspace.anchorDir : join(session.workspace.dir, path));
  let entries;
  try {
    entries = await scanTree(source);
  } catch (err) {
    if (err instanceof TreeRefused) return { refused: err.message };
    throw err;
  }
  const frozenDir = layout.frozen(session.sessionId, submissionId);
  const tmp = `${frozenDir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  for (const e of entries) {
    const dest = join(tmp, e.path);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(e.source, dest);
    await chmod(dest, e.mode & 0o111 ? 0o555 : 0o444);
  }
  await rm(frozenDir, { recursive: true, force: true });
  await rename(tmp, frozenDir);
  await makeDirsReadOnly(
    frozenDir,
    entries.map((e) => e.path),
  );
  const frozen: FrozenSubmission = {
    frozenDir,
    contentHash: treeHash(entries),
    files: entries.map(({ path: p, bytes, sha256 }) => ({ path: p, bytes, sha256 })),
  };
  await writeJsonAtomic(manifestPath, frozen);
  return frozen;
}

async function makeDirsReadOnly(root: string, files: string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) for (let d = dirname(f); d !== '.'; d = dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await chmod(join(root, d), 0o555);
  await chmod(root, 0o555);
}
