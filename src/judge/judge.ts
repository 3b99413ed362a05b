import { preloadScriptFacts } from './scriptFacts';
import type { JudgeCheck, JudgeReport } from '../domain/verdict';
import { submissionDiff } from './diff';
import { judgeConfigFromEnv } from './llmConfig';
import { askLlmJudge } from './llmJudge';
import { userPrompt } from './prompt';
import { redactSecrets } from './redact';
import { staticChecks } from './staticChecks';

/** A larger diff is not sent: the model could not read it whole, and a cheat could hide in the cut. */
export const MAX_DIFF_CHARS = 400_000;

export interface JudgeOptions {
  candidateDir: string;
  anchorDir: string;
  /** The worker's environment: the judge's provider, model and key come only from here. */
  env?: NodeJS.ProcessEnv;
  staticOnly?: boolean;
  log?: (line: string) => void;
}

/**
 * The rules judge: static checks, then (with a key in the worker's environment) the LLM judge.
 * A candidate passes only when every check passes; a judge that fails to answer rejects, since
 * an unjudged candidate must not count. Its reasons reach the agent as the `llm-judge` check, and
 * where it and the static rules disagree the report says so.
 */
export async function judgeCandidate(opts: JudgeOptions): Promise<JudgeReport> {
  const log = opts.log ?? (() => {});
  await Promise.all([opts.anchorDir, opts.candidateDir].map((d) => preloadScriptFacts(d).catch(() => undefined)));
  const checks = staticChecks(opts.candidateDir, opts.anchorDir);
  const staticPassed = checks.every((c) => c.passed);
  const staticOnly = (note: string): JudgeReport => ({ passed: staticPassed, checks, staticOnly: true, note });
  if (opts.staticOnly) return staticOnly('static checks only, as asked');
  const cfg = judgeConfigFromEnv(opts.env ?? process.env);
  if ('none' in cfg) return staticOnly(cfg.none);
  if ('invalid' in cfg) {
    const error = `the LLM judge is misconfigured in the worker environment: ${cfg.invalid}`;
    return { passed: false, checks: [...checks, { rule: 'llm-judge', passed: false, detail: error }], llm: { error }, staticOnly: false };
  }
  const { config } = cfg;

  const diff = submissionDiff(opts.anchorDir, opts.candidateDir);
  let llm: NonNullable<JudgeReport['llm']>;
  if (diff.text.length > MAX_DIFF_CHARS) {
    llm = {
      provider: config.provider,
      model: config.model,
      error: `the diff against the anchor is ${diff.text.length} characters, more than the judge reads (${MAX_DIFF_CHARS})`,
    };
  } else {
    llm = await askLlmJudge(config, userPrompt(diff.text, diff.changedFiles, checks), log);
  }
  const llmCheck: JudgeCheck =
    'error' in llm
      ? { rule: 'llm-judge', passed: false, detail: `${llm.error} (a candidate is accepted only when the judge passes it)` }
      : {
          rule: 'llm-judge',
          passed: !llm.cheating,
          detail: redactSecrets(
            `${llm.cheating ? 'cheating' : 'no cheating found'} (confidence ${llm.confidence}): ${llm.summary} Reasons: ${llm.reasons.join(' | ')}`,
            [config.apiKey],
          ),
        };
  const disagreements = 'error' in llm ? [] : disagreementsOf(checks, llm.cheating);
  // said in the failed checks too: their details are what the verdict's reasons carry
  const noted = checks.map((c) => (!c.passed && disagreements.length ? { ...c, detail: `${c.detail} (the LLM judge disagrees: it finds no cheating)` } : c));
  if (disagreements.length && staticPassed) llmCheck.detail += ' (a disagreement: every static rule passes)';
  return { passed: staticPassed && llmCheck.passed, checks: [...noted, llmCheck], llm, staticOnly: false, ...(disagreements.length ? { disagreements } : {}) };
}

/** The model is asked even when a static rule rejects, so each can be checked against the other. */
function disagreementsOf(checks: JudgeCheck[], cheating: boolean): string[] {
  const failed = checks.filter((c) => !c.passed);
  if (failed.length && !cheating) {
    return failed.map((c) => `static rule ${c.rule} rejects${c.where ? ` at ${c.where}` : ''}, the LLM judge finds no cheating; the rejection stands`);
  }
  if (!failed.length && cheating) return ['the LLM judge finds cheating where every static rule passes; the rejection stands'];
  return [];
}
