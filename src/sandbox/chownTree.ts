import { lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Hands a folder tree to uid:gid (a root worker giving the workspace to the sandbox's non-root
 * user). Entries already owned are left alone, so a second call over a large workspace only stats.
 */
export async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (st.uid !== uid || st.gid !== gid) await lchown(path, uid, gid);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}
