import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, cp, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeJsonAtomic } from './atomicWrite';

/**
 * Checkpoints of a workspace in a store on shared storage: file contents kept once each under
 * blobs/<sha256>, and one manifest per checkpoint, <number>.json, naming every file, folder and
 * symlink. Each blob and each manifest is written under a temporary name and renamed, the manifest
 * last, so a checkpoint is either whole or absent; a repeated one finds its manifest and returns it.
 * A file whose size and mtime are those of the previous checkpoint is not read again.
 */
export interface SnapshotManifest {
  number: number;
  takenAtMs: number;
  files: { path: string; sha256: string; bytes: number; mode: number; mtimeMs: number }[];
  dirs: string[];
  symlinks: { path: string; target: string }[];
}

export interface SnapshotFacts {
  number: number;
  takenAtMs: number;
  files: number;
  bytes: number;
  /** Bytes that were not in the store yet: what this checkpoint wrote. */
  newBytes: number;
}

const manifestPath = (store: string, n: number) => join(store, `${String(n).padStart(6, '0')}.json`);
const blobPath = (store: string, sha: string) => join(store, 'blobs', sha.slice(0, 2), sha);
const tmpName = (path: string) => `${path}.tmp-${randomBytes(4).toString('hex')}`;

export async function readManifest(store: string, n: number): Promise<SnapshotManifest | null> {
  const raw = await readFile(manifestPath(store, n), 'utf8').catch(() => null);
  return raw === null ? null : (JSON.parse(raw) as SnapshotManifest);
}

/** Takes checkpoint `number` of `dir` (idempotent), then drops all but it and the one before. */
export async function takeSnapshot(dir: string, store: string, number: number, nowMs: number, beat: () => void = () => undefined): Promise<SnapshotFacts> {
  const done = await readManifest(store, number);
  if (done) return factsOf(done, 0);
  await mkdir(store, { recursive: true });
  const previous = new Map((await latestBefore(store, number))?.files.map((f) => [f.path, f]) ?? []);
  const manifest: SnapshotManifest = { number, takenAtMs: nowMs, files: [], dirs: [], symlinks: [] };
  let newBytes = 0;
  const walk = async (at: string): Promise<void> => {
    for (const name of (await readdir(at)).sort()) {
      const full = join(at, name);
      const rel = relative(dir, full).split(sep).join('/');
      const st = await lstat(full).catch(() => null);
      if (!st) continue; // removed while we walked
      if (st.isSymbolicLink()) manifest.symlinks.push({ path: rel, target: await readlink(full) });
      else if (st.isDirectory()) {
        manifest.dirs.push(rel);
        await walk(full);
      } else if (st.isFile()) {
        const prior = previous.get(rel);
        const unchanged = prior && prior.bytes === st.size && prior.mtimeMs === st.mtimeMs && existsSync(blobPath(store, prior.sha256));
        const sha = unchanged ? prior.sha256 : await storeBlob(store, full);
        if (sha === null) continue;
        if (!unchanged) newBytes += st.size;
        manifest.files.push({ path: rel, sha256: sha, bytes: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
        beat();
      }
      // Sockets and FIFOs are not content.
    }
  };
  await walk(dir);
  await writeJsonAtomic(manifestPath(store, number), manifest);
  await pruneBefore(store, number - 1);
  return factsOf(manifest, newBytes);
}

/** Lays checkpoint `number` out as `dest`, which must not exist: built beside it and renamed into place. */
export async function restoreSnapshot(store: string, number: number, dest: string): Promise<SnapshotManifest> {
  const manifest = await readManifest(store, number);
  if (!manifest) throw new Error(`checkpoint ${number} is not in ${store}`);
  const tmp = tmpName(dest);
  try {
    await mkdir(tmp, { recursive: true });
    for (const d of manifest.dirs) await mkdir(join(tmp, d), { recursive: true });
    for (const f of manifest.files) {
      const to = join(tmp, f.path);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(blobPath(store, f.sha256), to);
      await chmod(to, f.mode);
      await utimes(to, f.mtimeMs / 1000, f.mtimeMs / 1000);
    }
    for (const l of manifest.symlinks) {
      await mkdir(dirname(join(tmp, l.path)), { recursive: true });
      await symlink(l.target, join(tmp, l.path));
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await rename(tmp, dest);
  return manifest;
}

/** A copy of `files` (a submitted folder as scanTree lists it) at `dest`, made once: built beside it and renamed into place. */
export async function keepCopy(files: { path: string; source: string; mode: number }[], dest: string): Promise<void> {
  if (existsSync(dest)) return;
  const tmp = tmpName(dest);
  await mkdir(tmp, { recursive: true });
  for (const f of files) {
    await mkdir(dirname(join(tmp, f.path)), { recursive: true });
    await copyFile(f.source, join(tmp, f.path));
    await chmod(join(tmp, f.path), f.mode & 0o777);
  }
  await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
    await rm(tmp, { recursive: true, force: true });
    // Another attempt put the same content there first.
    if (!existsSync(dest)) throw err;
  });
}

/** Puts each kept copy back at its path in `dir`, replacing what is there. */
export async function putBack(dir: string, copies: { path: string; copy: string }[]): Promise<string[]> {
  const put: string[] = [];
  for (const { path, copy } of copies) {
    if (!existsSync(copy)) continue;
    const to = join(dir, path);
    if (relative(dir, to).startsWith('..')) continue;
    await rm(to, { recursive: true, force: true });
    await mkdir(dirname(to), { recursive: true });
    await cp(copy, to, { recursive: true });
    put.push(path);
  }
  return put;
}

/** Copies a file into the store by its sha256 (hashed as it is copied); null when it vanished. */
async function storeBlob(store: string, file: string): Promise<string | null> {
  await mkdir(join(store, 'blobs'), { recursive: true });
  const tmp = tmpName(join(store, 'blobs', 'incoming'));
  const hash = createHash('sha256');
  try {
    const src = createReadStream(file).on('data', (c) => hash.update(c));
    await pipeline(src, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const sha = hash.digest('hex');
  const to = blobPath(store, sha);
  if (existsSync(to)) await unlink(tmp);
  else {
    await mkdir(dirname(to), { recursive: true });
    await rename(tmp, to);
  }
  return sha;
}

async function latestBefore(store: string, number: number): Promise<SnapshotManifest | null> {
  for (const n of (await manifestNumbers(store)).filter((n) => n < number).reverse()) {
    const m = await readManifest(store, n);
    if (m) return m;
  }
  return null;
}

async function manifestNumbers(store: string): Promise<number[]> {
  const names = await readdir(store).catch(() => [] as string[]);
  return names
    .filter((n) => /^\d{6}\.json$/.test(n))
    .map((n) => Number(n.slice(0, 6)))
    .sort((a, b) => a - b);
}

/** Manifests older than `keepFrom` go, then the blobs no kept manifest names. */
async function pruneBefore(store: string, keepFrom: number): Promise<void> {
  const numbers = await manifestNumbers(store);
  for (const n of numbers.filter((n) => n < keepFrom)) await rm(manifestPath(store, n), { force: true });
  const kept = new Set<string>();
  for (const n of numbers.filter((n) => n >= keepFrom)) for (const f of (await readManifest(store, n))?.files ?? []) kept.add(f.sha256);
  const blobs = join(store, 'blobs');
  for (const prefix of await readdir(blobs).catch(() => [] as string[])) {
    if (prefix.includes('.tmp-')) continue; // a blob on its way in
    for (const name of await readdir(join(blobs, prefix)).catch(() => [] as string[])) {
      if (!name.includes('.tmp-') && !kept.has(name)) await rm(join(blobs, prefix, name), { force: true });
    }
  }
}

function factsOf(m: SnapshotManifest, newBytes: number): SnapshotFacts {
  return { number: m.number, takenAtMs: m.takenAtMs, files: m.files.length, bytes: m.files.reduce((a, f) => a + f.bytes, 0), newBytes };
}
