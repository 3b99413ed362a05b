import type { ReportJson } from './model';

/**
 * The report's figures as vega-lite specs (plain data, rendered to SVG by svg.ts). Marks stay
 * small and translucent and the submission axis is numeric, so hundreds of submissions still read.
 */
export type VlSpec = Record<string, unknown>;

const WIDTH = 760;
const VERDICT_COLORS = { domain: ['accepted', 'rejected'], range: ['#1b7f5c', '#c8553d'] };
const CATEGORY_COLORS = { domain: ['calibration', 'agent', 'validation', 'confirmation'], range: ['#9e9ac8', '#4c78a8', '#f58518', '#54a24b'] };
const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'bottom' } },
};

/** Best speedup so far against GPU-hours spent, over the human record history as a staircase. */
export function progressSpec(r: ReportJson): VlSpec {
  const spent = Math.max(r.budget.usedGpuHours, ...r.submissions.map((s) => s.gpuHoursAtVerdict), 1e-6);
  const steps = [
    { gpuHours: 0, percent: 0 },
    ...r.progress.map((p) => ({ gpuHours: p.gpuHours, percent: p.percent })),
    { gpuHours: spent, percent: r.progress.at(-1)?.percent ?? 0 },
  ];
  const points = r.submissions
    .filter((s) => s.humanProgressPercent !== null)
    .map((s) => ({ id: s.id, gpuHours: s.gpuHoursAtVerdict, percent: s.humanProgressPercent, verdict: s.accepted ? 'accepted' : 'rejected' }));
  const shown = labelledNames(r.human);
  const human = r.human.map((h) => ({ ...h, label: shown.has(h.name) ? h.name : '' }));
  const layers: VlSpec[] = [
    {
      data: { values: human },
      mark: { type: 'rule', color: '#999', strokeDash: [4, 3], strokeWidth: 1 },
      encoding: { y: { field: 'percent', type: 'quantitative' }, tooltip: [{ field: 'name' }, { field: 'date' }] },
    },
    {
      data: { values: human.filter((h) => h.label) },
      mark: { type: 'text', align: 'right', dx: -2, dy: -4, fontSize: 9, color: '#777' },
      encoding: { y: { field: 'percent', type: 'quantitative' }, x: { datum: spent }, text: { field: 'label' } },
    },
    {
      data: { values: points },
      mark: { type: 'point', filled: true, size: points.length > 100 ? 12 : 40, opacity: 0.55 },
      encoding: {
        x: { field: 'gpuHours', type: 'quantitative' },
        y: { field: 'percent', type: 'quantitative' },
        color: { field: 'verdict', type: 'nominal', scale: VERDICT_COLORS, title: 'submission' },
        tooltip: [{ field: 'id' }, { field: 'percent', format: '.1f' }],
      },
    },
    {
      data: { values: steps },
      mark: { type: 'line', interpolate: 'step-after', color: '#1b7f5c', strokeWidth: 2.5 },
      encoding: {
        x: { field: 'gpuHours', type: 'quantitative', title: 'GPU-hours spent (all categories)', scale: { domain: [0, spent] } },
        y: { field: 'percent', type: 'quantitative', title: '% of human progress recovered (best so far)' },
      },
    },
  ];
  const h = r.headline;
  if (h.source === 'confirmation' && h.ci95 && h.speedupSeconds && h.humanProgressPercent !== null) {
    const k = h.humanProgressPercent / h.speedupSeconds;
    const confirmed = [{ gpuHours: spent, percent: h.humanProgressPercent, lo: h.ci95[0] * k, hi: h.ci95[1] * k, label: 'confirmed' }];
    layers.push(
      {
        data: { values: confirmed },
        mark: { type: 'rule', color: '#000', strokeWidth: 2 },
        encoding: { x: { field: 'gpuHours', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: confirmed },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 90, color: '#000' },
        encoding: { x: { field: 'gpuHours', type: 'quantitative' }, y: { field: 'percent', type: 'quantitative' } },
      },
    );
  }
  return { ...base, title: 'Best speedup against GPU-hours, over the human record history (dashed)', width: WIDTH, height: 320, layer: layers };
}

/** The staircase's labels kept apart: the anchor and the horizon, then any level far enough from every label already placed. */
function labelledNames(levels: ReportJson['human']): Set<string> {
  if (levels.length === 0) return new Set();
  const span = Math.max(1, ...levels.map((l) => Math.abs(l.percent)));
  const placed = [levels[0], levels[levels.length - 1]];
  for (const l of [...levels].sort((a, b) => a.percent - b.percent)) {
    if (placed.every((p) => Math.abs(p.percent - l.percent) > span * 0.06)) placed.push(l);
  }
  return new Set(placed.map((p) => p.name));
}

/** Every submission's runs (time, val loss) with its mean and CI, against the anchor's reference and the target. */
export function runsSpec(r: ReportJson): VlSpec {
  const n = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);
  // The anchor's own reference runs stand at submission 0, beside the line of their mean.
  const anchorRuns = (r.reference?.trainTimesS ?? []).map((t, i) => ({
    n: 0,
    id: 'anchor',
    time: t,
    loss: r.reference?.valLosses[i] ?? null,
    verdict: 'anchor',
  }));
  const runs = [
    ...anchorRuns,
    ...r.submissions.flatMap((s) =>
      s.runs
        .filter((x) => x.invalidReason === null)
        .map((x) => ({ n: n(s.id), id: s.id, time: x.trainTimeS, loss: x.valLoss, verdict: s.accepted ? 'accepted' : 'rejected' })),
    ),
  ];
  const means = r.submissions
    .filter((s) => s.meanTimeS !== null)
    .map((s) => ({
      n: n(s.id),
      id: s.id,
      verdict: s.accepted ? 'accepted' : 'rejected',
      time: s.meanTimeS,
      tlo: s.timeCi95?.[0] ?? s.meanTimeS,
      thi: s.timeCi95?.[1] ?? s.meanTimeS,
      loss: s.meanValLoss,
      llo: s.valLossCi95?.[0] ?? s.meanValLoss,
      lhi: s.valLossCi95?.[1] ?? s.meanValLoss,
    }));
  const many = r.submissions.length > 60;
  const x = {
    field: 'n',
    type: 'quantitative',
    title: 'submission number (0: the anchor)',
    scale: { domain: [-0.5, Math.max(1, ...r.submissions.map((s) => n(s.id))) + 0.5] },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const color = {
    field: 'verdict',
    type: 'nominal',
    scale: { domain: [...VERDICT_COLORS.domain, 'anchor'], range: [...VERDICT_COLORS.range, '#777'] },
    title: 'verdict',
  };
  const panel = (field: 'time' | 'loss', lo: string, hi: string, title: string, refs: VlSpec[]): VlSpec => ({
    width: WIDTH,
    height: 220,
    layer: [
      ...refs,
      {
        data: { values: runs },
        mark: { type: 'point', size: many ? 6 : 30, opacity: many ? 0.35 : 0.6, filled: true },
        encoding: { x, y: { field, type: 'quantitative', title, scale: { zero: false } }, color },
      },
      {
        data: { values: means },
        mark: { type: 'rule', strokeWidth: many ? 1 : 2 },
        encoding: { x, y: { field: lo, type: 'quantitative' }, y2: { field: hi }, color },
      },
      {
        data: { values: means },
        mark: { type: 'tick', thickness: many ? 1 : 2, size: many ? 4 : 12 },
        encoding: { x, y: { field, type: 'quantitative' }, color, tooltip: [{ field: 'id' }, { field, format: '.4f' }] },
      },
    ],
  });
  const timeRefs: VlSpec[] = [];
  if (r.reference) {
    const [lo, hi] = r.reference.ci95 ?? [r.reference.meanS, r.reference.meanS];
    timeRefs.push(
      {
        data: { values: [{ lo, hi }] },
        mark: { type: 'rect', color: '#888', opacity: 0.18 },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: [{ y: r.reference.meanS, label: 'anchor reference (mean, 95% CI)' }] },
        mark: { type: 'rule', color: '#555', strokeDash: [6, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    );
  }
  const lossRefs: VlSpec[] = [];
  if (r.targetValLoss !== null) {
    lossRefs.push({
      data: { values: [{ y: r.targetValLoss }] },
      mark: { type: 'rule', color: '#b00', strokeDash: [6, 3], strokeWidth: 1.5 },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
  }
  if (r.reference?.valLosses.length) {
    const m = r.reference.valLosses.reduce((a, b) => a + b, 0) / r.reference.valLosses.length;
    lossRefs.push({
      data: { values: [{ y: m }] },
      mark: { type: 'rule', color: '#555', strokeDash: [6, 3] },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
  }
  return {
    ...base,
    title: 'Timed runs per submission: dots are runs, bars the mean with its 95% CI; grey: the anchor reference, red: the val-loss target',
    vconcat: [panel('time', 'tlo', 'thi', 'train time (s)', timeRefs), panel('loss', 'llo', 'lhi', 'val loss', lossRefs)],
  };
}

/** Cumulative GPU-hours by category over wall time, under the granted budget. */
export function burnSpec(r: ReportJson): VlSpec {
  return {
    ...base,
    title: 'Budget burn over time by category (reconstructed from run and launch times)',
    width: WIDTH,
    height: 220,
    layer: [
      {
        data: { values: r.burn },
        mark: { type: 'area', opacity: 0.85 },
        encoding: {
          x: { field: 'at', type: 'temporal', title: 'time (UTC)', scale: { type: 'utc' } },
          y: { field: 'gpuHours', type: 'quantitative', stack: 'zero', title: 'GPU-hours used' },
          color: { field: 'category', type: 'nominal', scale: CATEGORY_COLORS, title: 'category' },
          order: { field: 'category' },
        },
      },
      {
        data: { values: [{ y: r.budget.grantedGpuHours }] },
        mark: { type: 'rule', color: '#b00', strokeDash: [4, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}
