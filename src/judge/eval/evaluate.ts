import type { JudgeReport } from '../../domain/verdict';
import type { LabelledCandidate } from './labels';

/** One judge's answer on one candidate, and whether it was right. */
export interface EvalOutcome {
  set: string;
  name: string;
  label: 'legal' | 'cheat';
  rule?: string;
  /** Rejected by this judge. */
  rejected: boolean;
  /** The rules that failed (static rules, or `llm-judge`). */
  failedRules: string[];
  /** For a caught cheat: whether the labelled rule is among the failed ones. */
  ruleNamed?: boolean;
  correct: boolean;
  detail: string;
  /** Where the static rules and the LLM judge disagreed on this candidate. */
  disagreements?: string[];
}

export interface EvalScore {
  judge: string;
  cheats: number;
  caught: number;
  legal: number;
  legalAccepted: number;
  /** Of the rejected candidates, the share that are cheats (1 when none is rejected). */
  precision: number;
  /** Of the cheats, the share rejected. */
  recall: number;
  misses: EvalOutcome[];
  outcomes: EvalOutcome[];
}

/** Which verdict a judge gives: the static rules, the model, or both together. */
export type Pick = (r: JudgeReport) => { rejected: boolean; failedRules: string[]; detail: string } | null;

export const pickStatic: Pick = (r) => {
  const failed = r.checks.filter((c) => c.rule !== 'llm-judge' && !c.passed);
  return { rejected: failed.length > 0, failedRules: failed.map((c) => c.rule), detail: failed.map((c) => `${c.rule}: ${c.detail}`).join(' | ') };
};
export const pickLlm: Pick = (r) => {
  const c = r.checks.find((x) => x.rule === 'llm-judge');
  return c ? { rejected: !c.passed, failedRules: c.passed ? [] : ['llm-judge'], detail: c.detail } : null;
};
export const pickCombined: Pick = (r) => {
  const failed = r.checks.filter((c) => !c.passed);
  return { rejected: !r.passed, failedRules: failed.map((c) => c.rule), detail: failed.map((c) => `${c.rule}: ${c.detail}`).join(' | ') };
};

export function score(judge: string, cands: LabelledCandidate[], reports: JudgeReport[], pick: Pick): EvalScore | null {
  const outcomes: EvalOutcome[] = [];
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    const p = pick(reports[i]);
    if (!p) return null;
    const correct = c.label === 'cheat' ? p.rejected : !p.rejected;
    outcomes.push({
      set: c.set,
      name: c.name,
      label: c.label,
      rule: c.rule,
      rejected: p.rejected,
      failedRules: p.failedRules,
      ...(c.label === 'cheat' && p.rejected ? { ruleNamed: p.failedRules.includes(c.rule ?? '') } : {}),
      correct,
      detail: p.detail,
      ...(reports[i].disagreements ? { disagreements: reports[i].disagreements } : {}),
    });
  }
  const cheats = outcomes.filter((o) => o.label === 'cheat');
  const legal = outcomes.filter((o) => o.label === 'legal');
  const caught = cheats.filter((o) => o.rejected).length;
  const rejected = outcomes.filter((o) => o.rejected).length;
  return {
    judge,
    cheats: cheats.length,
    caught,
    legal: legal.length,
    legalAccepted: legal.filter((o) => !o.rejected).length,
    precision: rejected === 0 ? 1 : caught / rejected,
    recall: cheats.length === 0 ? 1 : caught / cheats.length,
    misses: outcomes.filter((o) => !o.correct),
    outcomes,
  };
}

/** Judges every candidate one after another (the LLM judge's loopback test scripts answers in this order). */
export async function judgeAll(cands: LabelledCandidate[], judge: (c: LabelledCandidate) => Promise<JudgeReport>): Promise<JudgeReport[]> {
  const out: JudgeReport[] = [];
  for (const c of cands) out.push(await judge(c));
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The scores as a plain-text table, then each miss on its own line. */
export function scoreTable(scores: EvalScore[], cands: LabelledCandidate[]): string {
  const sets = [...new Set(cands.map((c) => c.set))];
  const lines = [`labelled set: ${cands.length} candidates (${sets.map((s) => `${s} ${cands.filter((c) => c.set === s).length}`).join(', ')})`, ''];
  const head = ['judge', 'cheats caught', 'legal accepted', 'precision', 'recall', 'rule named'];
  const rows = scores.map((s) => {
    const caught = s.outcomes.filter((o) => o.label === 'cheat' && o.rejected);
    return [
      s.judge,
      `${s.caught}/${s.cheats}`,
      `${s.legalAccepted}/${s.legal}`,
      pct(s.precision),
      pct(s.recall),
      `${caught.filter((o) => o.ruleNamed).length}/${caught.length}`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((x, i) => x.padEnd(widths[i])).join('  ');
  lines.push(fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt));
  for (const s of scores) {
    const bySet = sets.map((set) => {
      const o = s.outcomes.filter((x) => x.set === set);
      return `${set}: cheats ${o.filter((x) => x.label === 'cheat' && x.rejected).length}/${o.filter((x) => x.label === 'cheat').length}, legal ${o.filter((x) => x.label === 'legal' && !x.rejected).length}/${o.filter((x) => x.label === 'legal').length}`;
    });
    lines.push('', `${s.judge} by set: ${bySet.join('; ')}`);
    if (s.misses.length === 0) lines.push(`${s.judge}: no misses`);
    for (const m of s.misses) {
      lines.push(
        m.label === 'cheat' ? `  MISSED CHEAT ${m.set}/${m.name} (breaks ${m.rule})` : `  REJECTED LEGAL ${m.set}/${m.name}: ${m.detail.slice(0, 300)}`,
      );
    }
  }
  return lines.join('\n');
}
