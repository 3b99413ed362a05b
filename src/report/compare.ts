import { mean, variance } from '../domain/stats';
import type { VlSpec } from './charts';
import type { LeaderboardEntry } from './leaderboard';

/** One agent (and model) over its repeated sessions: labs run several seeds per agent. */
export interface CompareGroup {
  label: string;
  agent: string;
  model: string | null;
  sessions: string[];
  n: number;
  meanPercent: number;
  /** Standard error of the mean % of human progress; null for a single session. */
  sePercent: number | null;
  meanGpuHours: number;
  /** Mean model cost over the sessions that priced it; null when none did. */
  meanCostUsd: number | null;
  accepted: number;
  rejected: number;
}

export function groupSessions(entries: LeaderboardEntry[]): CompareGroup[] {
  const groups = new Map<string, LeaderboardEntry[]>();
  // Percentages of different record histories do not compare: the anchor joins the label then.
  const anchors = new Set(entries.map((e) => e.anchor)).size;
  for (const e of entries) {
    const label = `${e.model ? `${e.agent} / ${e.model}` : e.agent}${anchors > 1 ? ` on ${e.anchor.split('/').pop()}` : ''}`;
    groups.set(label, [...(groups.get(label) ?? []), e]);
  }
  return [...groups.entries()]
    .map(([label, es]) => {
      const pct = es.map((e) => e.humanProgressPercent);
      const costs = es.flatMap((e) => (e.costUsd === null ? [] : [e.costUsd]));
      return {
        label,
        agent: es[0].agent,
        model: es[0].model,
        sessions: es.map((e) => e.sessionId),
        n: es.length,
        meanPercent: mean(pct),
        sePercent: es.length > 1 ? Math.sqrt(variance(pct) / es.length) : null,
        meanGpuHours: mean(es.map((e) => e.usedGpuHours)),
        meanCostUsd: costs.length ? mean(costs) : null,
        accepted: es.reduce((a, e) => a + e.accepted, 0),
        rejected: es.reduce((a, e) => a + e.rejected, 0),
      };
    })
    .sort((a, b) => b.meanPercent - a.meanPercent);
}

const HEAD = ['agent', 'sessions', '% human progress', 'GPU-h', 'model cost', 'accepted', 'rejected'];

function cells(g: CompareGroup): string[] {
  return [
    g.label,
    String(g.n),
    `${g.meanPercent.toFixed(1)}${g.sePercent === null ? '' : ` ± ${g.sePercent.toFixed(1)}`}`,
    g.meanGpuHours.toFixed(3),
    g.meanCostUsd === null ? '–' : `$${g.meanCostUsd.toFixed(2)}`,
    String(g.accepted),
    String(g.rejected),
  ];
}

/** The terminal table: columns padded, numbers right-aligned. */
export function compareTable(groups: CompareGroup[]): string {
  const rows = [HEAD, ...groups.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function compareMarkdown(groups: CompareGroup[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...groups.map((g) => `| ${cells(g).map(esc).join(' | ')} |`),
    '',
    '% human progress: mean ± standard error over the sessions; GPU-h and model cost: mean per session; accepted and rejected: totals.',
  ].join('\n');
}

/** The bar chart with error bars: mean % of human progress per agent, ± one standard error. */
export function compareSpec(groups: CompareGroup[]): VlSpec {
  const values = groups.map((g) => ({
    label: g.label,
    mean: g.meanPercent,
    lo: g.meanPercent - (g.sePercent ?? 0),
    hi: g.meanPercent + (g.sePercent ?? 0),
    n: `n=${g.n}`,
  }));
  const x = { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelAngle: groups.length > 4 ? -30 : 0, labelLimit: 220 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: '% of human progress recovered, by agent (mean ± standard error over sessions)',
    width: Math.max(240, 110 * groups.length),
    height: 300,
    config: { font: 'sans-serif' },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8', width: { band: 0.6 } },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: '% of human progress recovered' } },
      },
      { mark: { type: 'rule', color: '#222', strokeWidth: 1.5 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'tick', color: '#222', thickness: 1.5, size: 14 }, encoding: { x, y: { field: 'hi', type: 'quantitative' } } },
      { mark: { type: 'tick', color: '#222', thickness: 1.5, size: 14 }, encoding: { x, y: { field: 'lo', type: 'quantitative' } } },
      {
        mark: { type: 'text', dy: -6, baseline: 'bottom', color: '#333', fontSize: 10 },
        encoding: { x, y: { field: 'hi', type: 'quantitative' }, text: { field: 'n' } },
      },
    ],
  };
}
