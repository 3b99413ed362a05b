import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBaselinesManifest } from '../../humanRecords/manifest';
import { repoRoot } from '../../files/repoRoot';
import type { JudgeReport } from '../../domain/verdict';
import { judgeCandidate } from '../judge';
import { judgeConfigFromEnv } from '../llmConfig';
import { judgeAll, pickCombined, pickLlm, pickStatic, score, type EvalScore } from './evaluate';
import { readLabelledSets, recordsAsSet, type LabelledCandidate } from './labels';

export interface EvalOptions {
  /** A labelled set (or a folder of sets); absent: the default set (fixtures made now + the human records). */
  dir?: string;
  /** Where the human records are for the default set. */
  recordsDir: string;
  env: NodeJS.ProcessEnv;
  staticOnly: boolean;
  log: (line: string) => void;
}

export interface EvalResult {
  candidates: LabelledCandidate[];
  scores: EvalScore[];
  /** Seconds spent judging, and per candidate. */
  seconds: number;
  llm: string;
}

/** The default set: the fixtures generated from the anchors now, then the 34 human records. */
function defaultSet(recordsDir: string, scratch: string): LabelledCandidate[] {
  const m = loadBaselinesManifest();
  const anchor = join(recordsDir, m.anchor);
  if (!existsSync(join(anchor, 'train_gpt.py')))
    throw new Error(`the anchor ${m.anchor} is not in ${recordsDir} (give --records, or run \`nanogpt-bench baselines fetch\`)`);
  execFileSync('python3', [join(repoRoot(), 'test', 'fixtures', 'judge', 'make_cheats.py'), scratch, '--real-anchor', anchor]);
  return [
    ...readLabelledSets(scratch),
    ...recordsAsSet(
      recordsDir,
      m.anchor,
      m.records.map((r) => r.name),
    ),
  ];
}

export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'nanogpt-bench-judge-eval-'));
  try {
    const cands = opts.dir ? readLabelledSets(opts.dir) : defaultSet(opts.recordsDir, scratch);
    const cfg = judgeConfigFromEnv(opts.env);
    const withLlm = !opts.staticOnly && 'config' in cfg;
    const started = Date.now();
    const reports: JudgeReport[] = await judgeAll(cands, (c) =>
      judgeCandidate({ candidateDir: c.dir, anchorDir: c.anchorDir, env: opts.env, staticOnly: !withLlm, log: opts.log }),
    );
    const scores = [score('static', cands, reports, pickStatic)!];
    if (withLlm) {
      const llm = score('llm', cands, reports, pickLlm);
      if (llm) scores.push(llm);
      scores.push(score('combined', cands, reports, pickCombined)!);
    }
    const llmNote = opts.staticOnly
      ? 'not run: --static-only'
      : 'config' in cfg
        ? `${cfg.config.provider} ${cfg.config.model}`
        : `not run: ${'none' in cfg ? cfg.none : `misconfigured: ${cfg.invalid}`}`;
    return { candidates: cands, scores, seconds: (Date.now() - started) / 1000, llm: llmNote };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
