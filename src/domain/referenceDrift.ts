import { welchTTestLess } from './stats';
import type { RunResult } from './verdict';

/**
 * Same-window references (issue 14, item 2). A verdict compares a candidate with anchor runs timed
 * near it; each such group of anchor runs is a reference window. Windows that differ beyond their
 * own noise say the GPUs drifted (clocks, thermals, neighbours) during the session, or since the
 * cached calibration: `status` and the summary flag it.
 */
export interface ReferenceWindow {
  /** `calibration`, `sub-003` (its paired anchor runs), `reference-2` (periodic), `confirmation`. */
  label: string;
  timesMs: number[];
}

export interface DriftFlag {
  from: string;
  to: string;
  /** mean(to) − mean(from): positive means the anchor got slower. */
  shiftMs: number;
  pValue: number;
}

export interface ReferenceDrift {
  windows: number;
  /** Consecutive windows whose means differ at two-sided p < alpha. */
  flagged: DriftFlag[];
  /** Largest |shift| between consecutive windows, ms. */
  maxShiftMs: number;
}

/** The anchor times a verdict may use from its paired runs: the valid ones, when 2 or more are. */
export function validTimes(runs: readonly RunResult[]): number[] {
  return runs.flatMap((r) => (r.invalidReason === null && r.trainTimeMs !== null ? [r.trainTimeMs] : []));
}

export function referenceDrift(windows: readonly ReferenceWindow[], alpha: number): ReferenceDrift {
  const usable = windows.filter((w) => w.timesMs.length >= 2);
  const flagged: DriftFlag[] = [];
  let maxShiftMs = 0;
  for (let i = 1; i < usable.length; i++) {
    const a = usable[i - 1];
    const b = usable[i];
    const shiftMs = mean(b.timesMs) - mean(a.timesMs);
    maxShiftMs = Math.max(maxShiftMs, Math.abs(shiftMs));
    const pLess = welchTTestLess(b.timesMs, a.timesMs).pValue ?? 1;
    const pMore = welchTTestLess(a.timesMs, b.timesMs).pValue ?? 1;
    const pValue = Math.min(1, 2 * Math.min(pLess, pMore));
    if (pValue < alpha) flagged.push({ from: a.label, to: b.label, shiftMs, pValue });
  }
  return { windows: usable.length, flagged, maxShiftMs };
}

/**
 * The session's windows in time order: calibration, then each verdict's paired anchor runs or the
 * periodic re-timings (interleaved as they happened), then the confirmation's anchor runs.
 */
export function sessionWindows(o: {
  calibrationMs: number[] | null;
  verdicts: { id: string; referenceRuns?: RunResult[] }[];
  periodic: { label: string; timesMs: number[]; beforeSubmission: string }[];
  confirmationAnchorS?: number[];
}): ReferenceWindow[] {
  const out: ReferenceWindow[] = o.calibrationMs ? [{ label: 'calibration', timesMs: o.calibrationMs }] : [];
  for (const v of o.verdicts) {
    for (const p of o.periodic.filter((w) => w.beforeSubmission === v.id)) out.push({ label: p.label, timesMs: p.timesMs });
    if (v.referenceRuns) out.push({ label: v.id, timesMs: validTimes(v.referenceRuns) });
  }
  if (o.confirmationAnchorS?.length) out.push({ label: 'confirmation', timesMs: o.confirmationAnchorS.map((s) => s * 1000) });
  return out;
}

/** Whether the anchor is due to be re-timed (reference `periodic`). */
export function referenceDue(validatedSinceLast: number, msSinceLast: number, everySubmissions?: number, everyHours?: number): boolean {
  return (everySubmissions !== undefined && validatedSinceLast >= everySubmissions) || (everyHours !== undefined && msSinceLast >= everyHours * 3600_000);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
