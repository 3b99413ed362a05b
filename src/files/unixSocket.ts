import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ListenOptions, Server } from 'node:net';

/** sun_path holds 108 bytes with its NUL; Node cuts a longer path short, silently, and binds elsewhere. */
export const UNIX_PATH_MAX = 107;

/**
 * Runs `fn` with a path to the same socket file that fits a socket address: the path itself when
 * short enough, else the file reached through its folder's /proc/self/fd entry, open for as long
 * as `fn` runs. Session folders nest deep (home, session id), so any of them may need it.
 */
export async function withShortPath<T>(path: string, fn: (short: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(path) <= UNIX_PATH_MAX) return fn(path);
  const fd = openSync(dirname(path), 'r');
  try {
    const short = `/proc/self/fd/${fd}/${basename(path)}`;
    if (Buffer.byteLength(short) > UNIX_PATH_MAX) throw new Error(`unix socket name too long: ${basename(path)}`);
    return await fn(short);
  } finally {
    closeSync(fd);
  }
}

/** Listens on a unix socket at `path`, however deep it lies. */
export function listenUnix(server: Server, path: string, opts: Omit<ListenOptions, 'path'> = {}): Promise<void> {
  return withShortPath(
    path,
    (short) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ ...opts, path: short }, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  );
}
