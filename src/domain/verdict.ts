/** What one timed run of a candidate produced. */
export interface RunResult {
  index: number;
  exitCode: number | null;
  wallMs: number;
  valLoss: number | null;
  trainTimeMs: number | null;
  complete: boolean;
  /** Why the run does not count (crash, timeout, NaN, forged time…); null for a good run. */
  invalidReason: string | null;
  gpuSeconds: number;
}

export interface JudgeCheck {
  rule: string;
  passed: boolean;
  detail: string;
  /** For a failed check: the first place it is about (file:line). */
  where?: string;
  /** For a failed check: what to change so it passes. */
  fix?: string;
}

export interface JudgeReport {
  passed: boolean;
  checks: JudgeCheck[];
  /**
   * Present when a model judged too; absent when the judge ran static-only. `{error}` means the
   * judge failed (no usable answer, or the provider kept failing): the candidate is rejected.
   */
  llm?:
    | { provider: string; model: string; cheating: boolean; confidence: number; reasons: string[]; summary: string; promptVersion?: string; attempts?: number }
    | { error: string; provider?: string; model?: string; promptVersion?: string };
  staticOnly: boolean;
  /** Why no model judged, when none did (no key in the worker, static-only asked). */
  note?: string;
  /**
   * Where the static rules and the LLM judge disagree: a static rejection the model calls clean,
   * or a model's rejection the static rules passed. The candidate is still rejected by either.
   */
  disagreements?: string[];
}

export interface SpeedupStats {
  seconds: number;
  ci95: [number, number];
  fasterPValue: number;
  humanProgressPercent: number;
}

export interface Verdict {
  accepted: boolean;
  /** Plain sentences: every reason the candidate was rejected, or why it was accepted. */
  reasons: string[];
  judge: JudgeReport | null;
  runs: RunResult[];
  valLoss: { mean: number; std: number; pValue: number; target: number; alpha: number; met: boolean } | null;
  time: { meanMs: number; stdMs: number } | null;
  speedup: SpeedupStats | null;
  vsBest: { bestId: string; seconds: number; fasterPValue: number } | null;
  /** Timed on fewer runs than retimeRuns: accepted or not, it cannot be the best (src/domain/tickets.ts). */
  screening?: boolean;
  /** The anchor's runs timed beside this candidate's, when the session pairs them: its reference. */
  referenceRuns?: RunResult[];
}
