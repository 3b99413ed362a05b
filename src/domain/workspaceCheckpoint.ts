/**
 * Checkpoints of a node-local workspace (a node whose worker has --workspace-dir): taken at each
 * accepted submit and every spec.workspaceCheckpointMinutes, restored when the session is placed
 * on another node. Kept in the session's state; shown by `status` under `fleet.workspace`.
 */
export interface CheckpointRecord {
  number: number;
  /** When the copy began: what the workspace held then (or later) is in it. */
  takenAtMs: number;
  /** `submit sub-003`, or `every 10 min`. */
  reason: string;
  node: string | null;
  files: number;
  bytes: number;
}

export interface WorkspaceRestore {
  /** The checkpoint laid out on the new node; null: none had been taken, the anchor was copied in afresh. */
  checkpoint: number | null;
  takenAtMs: number | null;
  node: string | null;
  restoredAtMs: number;
  /** Submitted folders put back from the relay's copies (submitted after the checkpoint began). */
  putBack?: string[];
}

export interface WorkspaceCheckpoints {
  /** The placement epoch whose node holds the workspace now. */
  epoch: number | null;
  last: CheckpointRecord | null;
  taken: number;
  /** Checkpoints that failed (the session goes on; the next one tries again). */
  failed: number;
  restores: WorkspaceRestore[];
}

export interface WorkspaceCheckpointView {
  nodeLocal: boolean;
  checkpoints: number;
  last: (Omit<CheckpointRecord, 'takenAtMs'> & { takenAt: string }) | null;
  restores: (Omit<WorkspaceRestore, 'takenAtMs' | 'restoredAtMs'> & { takenAt: string | null; restoredAt: string })[];
}

/**
 * The submissions a checkpoint taken at `takenAtMs` may not hold as they were submitted: those
 * submitted since it began and not yet validated. Their folders are put back from the copies the
 * relay kept at submit. (One submitted before it began is in it, as the agent left it then.)
 */
export function submittedSince(
  submissions: { path: string; contentHash: string; submittedAtMs: number; state: string }[],
  takenAtMs: number | null,
): { path: string; contentHash: string }[] {
  return submissions
    .filter((s) => (s.state === 'queued' || s.state === 'validating') && (takenAtMs === null || s.submittedAtMs >= takenAtMs))
    .map(({ path, contentHash }) => ({ path, contentHash }));
}

export function newWorkspaceCheckpoints(epoch: number | null): WorkspaceCheckpoints {
  return { epoch, last: null, taken: 0, failed: 0, restores: [] };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function workspaceCheckpointView(nodeLocal: boolean, c: WorkspaceCheckpoints | undefined): WorkspaceCheckpointView {
  const last = c?.last ?? null;
  return {
    nodeLocal,
    checkpoints: c?.taken ?? 0,
    last: last ? { ...withoutTaken(last), takenAt: iso(last.takenAtMs) } : null,
    restores: (c?.restores ?? []).map((r) => ({
      checkpoint: r.checkpoint,
      node: r.node,
      putBack: r.putBack ?? [],
      takenAt: r.takenAtMs === null ? null : iso(r.takenAtMs),
      restoredAt: iso(r.restoredAtMs),
    })),
  };
}

function withoutTaken(r: CheckpointRecord): Omit<CheckpointRecord, 'takenAtMs'> {
  const { takenAtMs: _, ...rest } = r;
  return rest;
}
