import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * Where everything a session leaves on disk lives. NANOGPT_BENCH_HOME (default
 * ./.nanogpt-bench) holds the Temporal database, runs/<session>/… and the caches; keeping all of
 * it under one folder is what lets a restarted server and worker pick a session up again.
 */
export function benchHome(): string {
  return resolve(process.env.NANOGPT_BENCH_HOME ?? '.nanogpt-bench');
}

/** A workflow id as a folder name: safe characters only, with a hash suffix when any were replaced. */
export function safeName(id: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return clean === id && id !== '.' && id !== '..' ? id : `${clean}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

/**
 * The node's own folder for agent workspaces, when the worker was given one (`worker
 * --workspace-dir`, or NANOGPT_BENCH_WORKSPACES): workspaces then live on the node's local disk
 * and are checkpointed to NANOGPT_BENCH_HOME (src/files/workspaceSnapshot.ts). Null: they live in
 * NANOGPT_BENCH_HOME, which every node shares.
 */
export function localWorkspaceRoot(): string | null {
  const dir = process.env.NANOGPT_BENCH_WORKSPACES;
  return dir ? resolve(dir) : null;
}

export const layout = {
  temporalDb: () => join(benchHome(), 'temporal.db'),
  session: (sessionId: string) => join(benchHome(), 'runs', safeName(sessionId)),
  /** The agent's folder on this node: on its local disk when it has a workspace root, else in the shared home. */
  workspace: (sessionId: string) => {
    const local = localWorkspaceRoot();
    return local ? join(local, safeName(sessionId), 'workspace') : join(layout.session(sessionId), 'workspace');
  },
  /** Checkpoints of a node-local workspace: numbered manifests and the file contents they name, by sha256. */
  checkpoints: (sessionId: string) => join(layout.session(sessionId), 'checkpoints'),
  /** A submitted folder of a node-local workspace, copied by the relay before the submit is made: its content hash names it. */
  submittedCopy: (sessionId: string, contentHash: string) => join(layout.session(sessionId), 'checkpoints', 'submitted', contentHash),
  relay: (sessionId: string) => join(layout.session(sessionId), 'relay'),
  /** Host-only: the sandbox gets the token through its environment, never from a mounted file. */
  relayToken: (sessionId: string) => join(layout.session(sessionId), 'relay-token'),
  agentState: (sessionId: string) => join(layout.session(sessionId), 'agent'),
  submission: (sessionId: string, subject: string) => join(layout.session(sessionId), 'submissions', safeName(subject)),
  frozen: (sessionId: string, subject: string) => join(layout.submission(sessionId, subject), 'frozen'),
  run: (sessionId: string, subject: string, runIndex: number) => join(layout.submission(sessionId, subject), 'runs', String(runIndex)),
  verdict: (sessionId: string, subject: string) => join(layout.submission(sessionId, subject), 'verdict.json'),
  summary: (sessionId: string) => join(layout.session(sessionId), 'summary.json'),
  calibration: () => join(benchHome(), 'calibration'),
  data: () => join(benchHome(), 'data'),
};
