import { z } from 'zod';
import type { Verdict } from './verdict';

export const SUBMISSIONS_DIR = 'submissions';

export type SubmissionState = 'queued' | 'validating' | 'accepted' | 'rejected' | 'cancelled';

export interface SubmissionRecord {
  id: string;
  /** Workspace-relative folder, always `submissions/<name>`. */
  path: string;
  contentHash: string;
  requestedRuns: number;
  submittedAtMs: number;
  state: SubmissionState;
  /** Set once the validation reached a decision (accepted or rejected). */
  verdict: Verdict | null;
  /** Why it was cancelled or failed before a verdict. */
  reason: string | null;
}

export const SubmitRequestSchema = z
  .object({
    path: z.string().min(1),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest'),
    runs: z.number().int().min(2).max(100).optional(),
  })
  .strict();
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

/**
 * Normalises what the agent typed (absolute inside the sandbox, or relative to the workspace)
 * to `submissions/<name>`, or explains why it is refused. Only one level below the submissions
 * folder is accepted: a candidate is a folder of its own, never the folder itself or a path out.
 */
export function normaliseSubmissionPath(raw: string, sandboxWorkspaceRoot: string): { ok: true; path: string } | { ok: false; reason: string } {
  let p = raw.trim().replace(/\/+$/, '');
  const root = sandboxWorkspaceRoot.replace(/\/+$/, '');
  if (p.startsWith(root + '/')) p = p.slice(root.length + 1);
  else if (p.startsWith('/')) return { ok: false, reason: `path ${raw} is outside the workspace (${root}); submit a folder under ${root}/${SUBMISSIONS_DIR}/` };
  if (p.startsWith('./')) p = p.slice(2);
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) return { ok: false, reason: `path ${raw} contains "..": submit a folder under ${SUBMISSIONS_DIR}/ directly` };
  if (parts.length !== 2 || parts[0] !== SUBMISSIONS_DIR) {
    return { ok: false, reason: `path ${raw} is not a folder directly under ${SUBMISSIONS_DIR}/ (expected ${SUBMISSIONS_DIR}/<name>)` };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(parts[1])) {
    return { ok: false, reason: `submission name ${JSON.stringify(parts[1])} must be letters, digits, ".", "_" or "-" (at most 100)` };
  }
  return { ok: true, path: `${SUBMISSIONS_DIR}/${parts[1]}` };
}
