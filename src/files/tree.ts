import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface TreeEntry {
  /** Relative path with forward slashes. */
  path: string;
  /** Host path to read the bytes from (a symlink inside the tree is read through). */
  source: string;
  bytes: number;
  sha256: string;
  mode: number;
}

export interface TreeLimits {
  maxFiles: number;
  maxBytes: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxFiles: 2000, maxBytes: 256 * 1024 * 1024 };

/** A submission's folder refused, with the reason a person can act on. */
export class TreeRefused extends Error {}

/**
 * Lists the regular files of a submission folder with their sha256, refusing what must never be
 * judged or timed: a symlink that leaves the folder, a device, a FIFO or a socket, and more files
 * or bytes than the limits. Caches are skipped: they are not part of a candidate.
 */
export async function scanTree(root: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): Promise<TreeEntry[]> {
  const realRoot = await realpath(root).catch(() => {
    throw new TreeRefused(`${root} does not exist or cannot be read`);
  });
  if (!(await stat(realRoot)).isDirectory()) throw new TreeRefused(`${root} is not a folder`);
  const entries: TreeEntry[] = [];
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      if (name === '__pycache__' || name === '.ipynb_checkpoints') continue;
      const full = join(dir, name);
      const rel = relative(realRoot, full).split(sep).join('/');
      let st = await lstat(full);
      let source = full;
      if (st.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (target === null) throw new TreeRefused(`${rel} is a broken symlink`);
        if (target !== realRoot && !target.startsWith(realRoot + sep))
          throw new TreeRefused(`${rel} is a symlink that leaves the submission folder (→ ${target})`);
        st = await stat(target);
        source = target;
      }
      if (st.isDirectory()) {
        if (source !== full) throw new TreeRefused(`${rel} is a symlink to a folder; copy the files instead`);
        await walk(full);
        continue;
      }
      if (!st.isFile()) throw new TreeRefused(`${rel} is not a regular file (device, FIFO or socket)`);
      if (entries.length + 1 > limits.maxFiles) throw new TreeRefused(`more than ${limits.maxFiles} files in the submission folder`);
      total += st.size;
      if (total > limits.maxBytes) throw new TreeRefused(`the submission folder holds more than ${limits.maxBytes} bytes`);
      entries.push({ path: rel, source, bytes: st.size, sha256: await sha256File(source), mode: st.mode });
    }
  };
  await walk(realRoot);
  if (entries.length === 0) throw new TreeRefused(`${root} holds no files`);
  return entries;
}

/** One hash for the whole candidate: the same files with the same bytes give the same hash. */
export function treeHash(entries: { path: string; sha256: string }[]): string {
  const h = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${e.path}\0${e.sha256}\n`);
  return h.digest('hex');
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}
