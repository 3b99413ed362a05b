import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JudgeCheck } from '../domain/verdict';
import { check as makeCheck, listSome, MAIN_SCRIPT } from './checkUtil';
import { checkSubmissionFiles } from './filesCheck';
import { checkDataLoading } from './dataLoadingCheck';
import { compareHyper } from './hyperCompare';
import { checkEvalLoss, checkStepCount, checkTimedRegion } from './flowChecks';
import { analyzeRunSh } from './runSh';
import { readScriptFacts, type FileFacts, type ScriptFacts } from './scriptFacts';
import { checkCompileSettings, checkEnvironment, checkSeeds } from './settingChecks';

/**
 * The rules a candidate must meet that need no model. Each rule compares the candidate with the
 * anchor on what the speedrun fixes (the val tokens, the val data and loss, the data loading,
 * the compiler settings, the launch) and leaves the rest free: every human record changed batch
 * sizes, schedules, kernels and the model, and each must pass against the anchor.
 */
export const RULES = [
  'required-files',
  'submission-files',
  'run-sh-launch',
  'environment',
  'python-parses',
  'val-tokens',
  'val-data',
  'val-pipeline',
  'eval-loss',
  'data-loading',
  'timed-region',
  'step-count',
  'seed',
  'compile-settings',
] as const;
export type Rule = (typeof RULES)[number];

const REQUIRED_FILES = ['run.sh', 'train_gpt.py'];
const VAL_FIELDS = ['val_tokens', 'val_files', 'val_batch_size', 'val_seq_len'];
const DATA_LOCATION_FIELDS = ['data_dir', 'data_path', 'DATA_DIR', 'DATA_PATH'];
function check(rule: Rule, passed: boolean, detail: string, extra: { where?: string; fix?: string } = {}): JudgeCheck {
  return makeCheck(rule, passed, detail, extra);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function mainFacts(facts: ScriptFacts): FileFacts | null {
  const f = facts.files[MAIN_SCRIPT];
  return f && f.parsed ? f : null;
}

export function checkRequiredFiles(candidateDir: string): JudgeCheck {
  const missing = REQUIRED_FILES.filter((f) => !isFile(join(candidateDir, f)));
  return missing.length
    ? check(
        'required-files',
        false,
        `missing ${missing.join(' and ')}: a submission is a folder with run.sh (the launch) and train_gpt.py (the training script)`,
        { where: missing[0], fix: `add ${missing.join(' and ')} to the submission folder` },
      )
    : check('required-files', true, 'run.sh and train_gpt.py are present');
}

export function checkRunSh(candidateDir: string): JudgeCheck | null {
  const p = join(candidateDir, 'run.sh');
  if (!isFile(p)) return null;
  const a = analyzeRunSh(readFileSync(p, 'utf8'));
  if (a.launches.length === 0) {
    return check(
      'run-sh-launch',
      false,
      `run.sh does not launch train_gpt.py through torchrun (\`torchrun --standalone --nproc_per_node=N train_gpt.py\` or \`python -m torch.distributed.run … train_gpt.py\`)${a.problems.length ? `; also: ${listSome(a.problems)}` : ''}`,
      { where: 'run.sh', fix: 'make run.sh the one line `torchrun --standalone --nproc_per_node=8 train_gpt.py`' },
    );
  }
  if (a.problems.length) {
    const line = /^line (\d+)/.exec(a.problems[0])?.[1];
    return check('run-sh-launch', false, `run.sh must only launch train_gpt.py through torchrun: ${listSome(a.problems)}`, {
      where: line ? `run.sh:${line}` : 'run.sh',
      fix: 'remove everything from run.sh but the torchrun launch (work done there is outside the timed region)',
    });
  }
  return check('run-sh-launch', true, `run.sh launches train_gpt.py through torchrun (line ${a.launches[0].line})`);
}

export function checkParses(cand: ScriptFacts): JudgeCheck {
  const bad = Object.entries(cand.files).flatMap(([name, f]) => (f.parsed ? [] : [`${name}: ${f.error}`]));
  return bad.length
    ? check('python-parses', false, `Python files that do not parse: ${listSome(bad)}`, { where: bad[0].split(':')[0], fix: 'fix the syntax error' })
    : check('python-parses', true, `${Object.keys(cand.files).length} Python file(s) parse`);
}

export function checkValTokens(anchor: FileFacts, cand: FileFacts): JudgeCheck {
  const a = anchor.hyper.filter((h) => h.name === 'val_tokens');
  if (a.length === 0) return check('val-tokens', true, 'the anchor sets no val_tokens: nothing to keep');
  const c = cand.hyper.filter((h) => h.name === 'val_tokens');
  const expected = a.map((h) => h.source).join(', ');
  const fix = { fix: `keep \`val_tokens = ${expected}\` as the anchor sets it, and set it nowhere else` };
  if (c.length === 0)
    return check('val-tokens', false, `val_tokens is no longer set: the val loss must be measured on the anchor's val_tokens = ${expected}`, {
      where: MAIN_SCRIPT,
      ...fix,
    });
  const { changed, dropped } = compareHyper(anchor, cand, ['val_tokens']);
  if (changed.length || dropped.length) {
    const first = changed.length ? /\((train_gpt\.py:\d+)\)$/.exec(changed[0])?.[1] : undefined;
    return check('val-tokens', false, `val_tokens must stay ${expected} as in the anchor; found ${listSome(changed.length ? changed : dropped)}`, {
      where: first ?? MAIN_SCRIPT,
      ...fix,
    });
  }
  return check('val-tokens', true, `val_tokens = ${expected}, as in the anchor`);
}

/** Candidate statements that touch the val data or loss in a way the anchor never does. */
function newValUses(anchor: FileFacts, cand: FileFacts): FileFacts['valRefs'] {
  const known = new Set([...anchor.valRefs, ...anchor.valRegions.flatMap((r) => r.statements)].map((s) => s.code));
  const hyper = new Set([...VAL_FIELDS, ...DATA_LOCATION_FIELDS, 'train_files']);
  // settings of the val fields themselves are val-tokens' and val-data's to judge
  return cand.valRefs.filter((s) => !known.has(s.code) && !s.assigns.some((n) => hyper.has(n)));
}
const VAL_FILES_USE = /\bval_files\b/;

export function checkValData(anchor: FileFacts, cand: FileFacts): JudgeCheck {
  const names = [...VAL_FIELDS.filter((n) => n !== 'val_tokens'), ...DATA_LOCATION_FIELDS];
  const { changed, dropped } = compareHyper(anchor, cand, names);
  const newReads = newValUses(anchor, cand).filter((s) => VAL_FILES_USE.test(s.code));
  if (changed.length || dropped.length || newReads.length) {
    const parts = [];
    if (changed.length) parts.push(`changed or added: ${listSome(changed)}`);
    if (dropped.length) parts.push(`the anchor's setting is gone: ${listSome(dropped)}`);
    if (newReads.length)
      parts.push(
        `the val files are read where the anchor does not read them (only validation may): ${listSome(newReads.map((s) => `\`${s.code.slice(0, 160)}\` (${MAIN_SCRIPT}:${s.line})`))}`,
      );
    const where = /\((train_gpt\.py:\d+)\)/.exec([...changed, ...newReads.map((s) => `(${MAIN_SCRIPT}:${s.line})`)].join(' '))?.[1] ?? MAIN_SCRIPT;
    return check(
      'val-data',
      false,
      `the val data (its files, where they are read from, its batch and row shape) must stay as in the anchor; ${parts.join('; ')}`,
      { where, fix: "restore the anchor's val data settings and read the val files only in validation" },
    );
  }
  const shown = anchor.hyper.filter((h) => names.includes(h.name)).map((h) => h.name);
  return check(
    'val-data',
    true,
    shown.length ? `${[...new Set(shown)].join(', ')} as in the anchor` : 'the anchor names no val data settings: nothing to keep',
  );
}

/**
 * The blocks that compute and print the val loss (those using val_tokens, and the one printing
 * the `val_loss:` line): every statement of the anchor's must still be there (the model's call
 * arguments, the names a batch unpacks to, and reduce versus all-reduce aside), and no new
 * statement may write what those blocks write (the loss, its step count, the clock) or any
 * val_* name anywhere.
 */
export function checkValPipeline(anchor: FileFacts, cand: FileFacts): JudgeCheck {
  const aStmts = anchor.valRegions.flatMap((r) => r.statements);
  if (aStmts.length === 0) return check('val-pipeline', true, 'the anchor has no val loss computation to keep');
  const cStmts = cand.valRegions.flatMap((r) => r.statements);
  const cCodes = new Set(cStmts.map((s) => s.code));
  const missing = aStmts.filter((s) => !cCodes.has(s.code));
  const aAll = new Set([...aStmts, ...anchor.assignments].map((s) => s.code));
  const guarded = new Set(aStmts.flatMap((s) => s.assigns));
  const isVal = (n: string) => n.startsWith('val_') && n !== 'val_loss_every' && !VAL_FIELDS.includes(n);
  const added = [
    ...cStmts.filter((s) => s.assigns.some((n) => guarded.has(n))),
    ...cand.assignments.filter((s) => s.assigns.some(isVal)),
    ...newValUses(anchor, cand).filter((s) => !VAL_FILES_USE.test(s.code)),
  ].filter((s, i, all) => !aAll.has(s.code) && all.findIndex((t) => t.line === s.line && t.code === s.code) === i);
  if (missing.length || added.length) {
    const parts = [];
    if (missing.length)
      parts.push(`the anchor's step is missing or changed: ${listSome(missing.map((s) => `\`${s.code.slice(0, 160)}\` (anchor ${MAIN_SCRIPT}:${s.line})`))}`);
    if (added.length)
      parts.push(
        `a new statement touches the val loss, its inputs or the clock: ${listSome(added.map((s) => `\`${s.code.slice(0, 160)}\` (${MAIN_SCRIPT}:${s.line})`))}`,
      );
    const where = added.length ? `${MAIN_SCRIPT}:${added[0].line}` : MAIN_SCRIPT;
    return check(
      'val-pipeline',
      false,
      `the val loss must be computed and timed as in the anchor (the model may change, how its loss on the val tokens is summed, averaged, reported and kept out of train_time may not); ${parts.join('; ')}`,
      {
        where,
        fix: missing.length
          ? `restore the anchor's \`${missing[0].code.slice(0, 100)}\` (anchor ${MAIN_SCRIPT}:${missing[0].line})`
          : `remove \`${added[0].code.slice(0, 100)}\``,
      },
    );
  }
  return check('val-pipeline', true, `the ${aStmts.length} statements that compute, time and print the val loss are as in the anchor`);
}

/** Runs every static rule; rules that need train_gpt.py to parse say so when it does not. */
export function staticChecks(candidateDir: string, anchorDir: string): JudgeCheck[] {
  if (!existsSync(anchorDir)) throw new Error(`the anchor folder ${anchorDir} does not exist`);
  const checks: JudgeCheck[] = [checkRequiredFiles(candidateDir), checkSubmissionFiles(candidateDir)];
  const runSh = checkRunSh(candidateDir);
  if (runSh) checks.push(runSh);
  const anchorFacts = readScriptFacts(anchorDir);
  const anchorMain = mainFacts(anchorFacts);
  if (!anchorMain) throw new Error(`the anchor's ${MAIN_SCRIPT} in ${anchorDir} is missing or does not parse`);
  const candFacts = readScriptFacts(candidateDir);
  checks.push(checkEnvironment(anchorFacts, candFacts, candidateDir), checkParses(candFacts));
  const candMain = mainFacts(candFacts);
  if (!candMain) {
    const why = candFacts.files[MAIN_SCRIPT] ? `${MAIN_SCRIPT} does not parse` : `${MAIN_SCRIPT} is missing`;
    for (const rule of ['val-tokens', 'val-data', 'val-pipeline', 'eval-loss', 'data-loading', 'timed-region', 'step-count'] as const)
      checks.push(check(rule, false, `cannot check: ${why}`, { fix: `submit a ${MAIN_SCRIPT} that parses` }));
  } else {
    checks.push(
      checkValTokens(anchorMain, candMain),
      checkValData(anchorMain, candMain),
      checkValPipeline(anchorMain, candMain),
      checkEvalLoss(anchorFacts, candFacts),
      checkDataLoading(anchorFacts, candFacts, anchorMain, candMain),
      checkTimedRegion(anchorMain, candMain),
      checkStepCount(anchorMain, candMain),
    );
  }
  checks.push(checkSeeds(anchorFacts, candFacts), checkCompileSettings(anchorFacts, candFacts, anchorDir, candidateDir));
  return checks;
}
