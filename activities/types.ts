import type { SessionSpec } from '../src/domain/spec';
import type { Workspace } from '../src/domain/session';

/** What every sandbox-bound activity needs to find a session's files and sandboxes. */
export interface SessionRef {
  sessionId: string;
  spec: SessionSpec;
  workspace: Workspace;
}

export interface FrozenSubmission {
  /** Host path of the read-only copy that alone is judged and timed. */
  frozenDir: string;
  contentHash: string;
  files: { path: string; bytes: number; sha256: string }[];
}

export interface TimeRunInput {
  session: SessionRef;
  /** `calibration` for the anchor's own retiming, else the submission id. */
  subject: string;
  frozenDir: string;
  runIndex: number;
}
