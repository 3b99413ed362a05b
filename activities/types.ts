import type { SessionRef } from '../src/domain/session';

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
  /** A candidate's own run limit (spec.candidateRunTimeoutSeconds); absent: runTimeoutSeconds. */
  limitSeconds?: number;
}
