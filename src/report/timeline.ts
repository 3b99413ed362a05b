import type { SubmissionRecord } from '../domain/submission';

/**
 * When the budget was spent. The ledger keeps totals only, so the spending over time is
 * reconstructed from what the session left with times on it: calibration runs before the first
 * agent launch; each submission is validated in turn from max(submitted, previous verdict) for the
 * wall time of its runs and charged at its verdict; the agent burns while a launch runs, except
 * while validation holds the GPUs, scaled so its total matches the ledger's exactly.
 */
export interface TimelineInput {
  startMs: number;
  endMs: number;
  calibrationGpuHours: number;
  agentGpuHours: number;
  /** Categories the ledger charges that have no times of their own (confirmation): charged at the end. */
  otherGpuHours: Record<string, number>;
  agentIntervals: { startMs: number; endMs: number | null }[];
  submissions: SubmissionRecord[];
}

export interface Timeline {
  burn: { atMs: number; category: string; gpuHours: number }[];
  /** Submission id → total GPU-hours spent when its verdict came. */
  atVerdict: Map<string, number>;
  verdictMs: Map<string, number>;
}

type Span = [number, number];

export function reconstructTimeline(t: TimelineInput): Timeline {
  const firstAgent = t.agentIntervals.length ? Math.min(...t.agentIntervals.map((i) => i.startMs)) : t.startMs;
  const calibEnd = Math.max(t.startMs, Math.min(firstAgent, t.endMs));

  const windows: Span[] = [];
  const validation: { atMs: number; gpuHours: number; id: string }[] = [];
  let cursor = calibEnd;
  for (const s of [...t.submissions].sort((a, b) => a.submittedAtMs - b.submittedAtMs)) {
    const runs = s.verdict?.runs ?? [];
    const start = Math.max(s.submittedAtMs, cursor);
    const end = Math.min(t.endMs, start + runs.reduce((a, r) => a + r.wallMs, 0));
    windows.push([start, end]);
    validation.push({ atMs: end, gpuHours: runs.reduce((a, r) => a + r.gpuSeconds, 0) / 3600, id: s.id });
    cursor = end;
  }

  const held = agentHeld(
    t.agentIntervals.map((i) => [i.startMs, i.endMs ?? t.endMs] as Span),
    windows,
  );
  const heldTotal = held.reduce((a, [s, e]) => a + (e - s), 0);
  const agentAt = (ms: number) =>
    heldTotal > 0 ? (t.agentGpuHours * held.reduce((a, [s, e]) => a + Math.max(0, Math.min(e, ms) - s), 0)) / heldTotal : ms >= t.endMs ? t.agentGpuHours : 0;
  const calibAt = (ms: number) =>
    ms >= calibEnd ? t.calibrationGpuHours : calibEnd > t.startMs ? (t.calibrationGpuHours * (ms - t.startMs)) / (calibEnd - t.startMs) : 0;
  const sortedValidation = [...validation].sort((a, b) => a.atMs - b.atMs);
  const validationAt = (ms: number) => sortedValidation.reduce((a, v) => a + (v.atMs <= ms ? v.gpuHours : 0), 0);

  const times = new Set<number>([t.startMs, calibEnd, t.endMs]);
  for (const [s, e] of held) times.add(s).add(e);
  // A verdict charges its runs at once: a point just before it keeps the plotted step sharp.
  for (const v of validation) times.add(v.atMs).add(v.atMs - 1);
  const sorted = [...times].filter((x) => x >= t.startMs && x <= t.endMs).sort((a, b) => a - b);

  const burn: Timeline['burn'] = [];
  let v = 0;
  let vi = 0;
  for (const ms of sorted) {
    while (vi < sortedValidation.length && sortedValidation[vi].atMs <= ms) v += sortedValidation[vi++].gpuHours;
    burn.push(
      { atMs: ms, category: 'calibration', gpuHours: calibAt(ms) },
      { atMs: ms, category: 'agent', gpuHours: agentAt(ms) },
      { atMs: ms, category: 'validation', gpuHours: v },
    );
    for (const [category, h] of Object.entries(t.otherGpuHours)) burn.push({ atMs: ms, category, gpuHours: ms >= t.endMs ? h : 0 });
  }
  const atVerdict = new Map<string, number>();
  const verdictMs = new Map<string, number>();
  for (const x of validation) {
    atVerdict.set(x.id, calibAt(x.atMs) + agentAt(x.atMs) + validationAt(x.atMs));
    verdictMs.set(x.id, x.atMs);
  }
  return { burn, atVerdict, verdictMs };
}

/** The agent's intervals with the validation windows cut out (its sandbox is paused meanwhile). */
function agentHeld(intervals: Span[], windows: Span[]): Span[] {
  let spans = intervals.filter(([s, e]) => e > s);
  for (const [ws, we] of windows) {
    spans = spans.flatMap(([s, e]): Span[] =>
      we <= s || ws >= e
        ? [[s, e]]
        : (
            [
              [s, ws],
              [we, e],
            ] as Span[]
          ).filter(([a, b]) => b > a),
    );
  }
  return spans;
}
