import type { JudgeCheck } from '../domain/verdict';
import { at, check, listSome, MAIN_SCRIPT, quote } from './checkUtil';
import { parsedFiles, type FileFacts, type ScriptFacts } from './scriptFacts';

type Problem = FileFacts['evalLoss'][number];
const show = (file: string) => (p: Problem) => `${quote(p.code)} (${at(file, p.line)}): ${p.why}`;
/** Problems the anchor has too are its own way of doing things, not the candidate's change. */
const news = (anchor: Problem[], cand: Problem[]) => cand.filter((p) => !anchor.some((a) => a.code === p.code && a.why === p.why));

/**
 * All training happens on the clock: warm-up training is undone before the clock starts, no
 * batch is drawn or shard read ahead of it, nothing trains while validation has it stopped, and
 * the clock is stopped and started only where the anchor does.
 */
export function checkTimedRegion(anchor: FileFacts, cand: FileFacts): JudgeCheck {
  if (anchor.timed.clockLine === 0) return check('timed-region', true, 'the anchor starts no clock at module level: nothing to compare');
  if (cand.timed.clockLine === 0) {
    return check('timed-region', false, `${MAIN_SCRIPT} no longer starts the clock at module level (\`t0 = time.perf_counter()\` before the training loop)`, {
      fix: 'start the clock as the anchor does, right before the training loop',
    });
  }
  const problems = news(anchor.timed.problems, cand.timed.problems).map(show(MAIN_SCRIPT));
  const aWrites = anchor.timed.clockWrites.map((w) => w.code).sort();
  const cWrites = cand.timed.clockWrites;
  const extra = cWrites.filter((w) => aWrites.filter((c) => c === w.code).length < cWrites.filter((x) => x.code === w.code).length);
  if (extra.length)
    problems.push(
      `the clock is stopped or restarted where the anchor does not: ${listSome(extra.map((w) => `${quote(w.code)} (${at(MAIN_SCRIPT, w.line)})`))}`,
    );
  const spawns = cand.spawns.filter((s) => !anchor.spawns.some((a) => a.code === s.code));
  if (spawns.length)
    problems.push(`runs another program, whose work no clock or judge sees: ${listSome(spawns.map((s) => `${quote(s.code)} (${at(MAIN_SCRIPT, s.line)})`))}`);
  if (problems.length) {
    const first = [...news(anchor.timed.problems, cand.timed.problems), ...extra, ...spawns][0];
    return check(
      'timed-region',
      false,
      `all training must happen while the clock runs (only compilation and a warm-up that is undone may precede it, only validation may pause it): ${listSome(problems)}`,
      {
        where: first ? at(MAIN_SCRIPT, first.line) : undefined,
        fix: 'move the work into the timed loop, or restore the initial model state after the warm-up as the anchor does',
      },
    );
  }
  return check('timed-region', true, `training runs only on the clock (started at ${at(MAIN_SCRIPT, cand.timed.clockLine)}); the warm-up is undone`);
}

/** The step count is fixed in advance: not read from the environment, not cut short by the val loss or the clock. */
export function checkStepCount(anchor: FileFacts, cand: FileFacts): JudgeCheck {
  const problems = news(anchor.stepCount, cand.stepCount);
  if (problems.length) {
    return check('step-count', false, `the number of training steps must be fixed in the code before the run: ${listSome(problems.map(show(MAIN_SCRIPT)))}`, {
      where: at(MAIN_SCRIPT, problems[0].line),
      fix: 'set the step count as a constant and end the loop only at it (no stop on the val loss, the clock or the environment)',
    });
  }
  return check('step-count', true, 'the step count is a constant and the loop ends only at it');
}

/** In eval mode the model's loss is the mean cross-entropy over all val targets, nothing else. */
export function checkEvalLoss(anchorFacts: ScriptFacts, candFacts: ScriptFacts): JudgeCheck {
  const aAll = parsedFiles(anchorFacts).flatMap(([, f]) => f.evalLoss);
  const found = parsedFiles(candFacts).flatMap(([file, f]) => news(aAll, f.evalLoss).map((p) => ({ file, p })));
  if (found.length) {
    return check(
      'eval-loss',
      false,
      `the model may change, but what it computes only in eval mode must leave the loss the mean cross-entropy of all val targets: ${listSome(found.map(({ file, p }) => show(file)(p)))}`,
      {
        where: at(found[0].file, found[0].p.line),
        fix: 'compute the loss in eval mode as in training (precision and kernels may differ), with no eval-only scaling, subset or other numbers',
      },
    );
  }
  return check('eval-loss', true, 'the eval-mode loss is the mean cross-entropy, as in the anchor');
}

/** The training stream's shard order: the file list is made and walked as the anchor does. */
export function dataOrderProblems(anchor: FileFacts, cand: FileFacts): string[] {
  const known = new Set(anchor.dataOrder.map((s) => s.code));
  return cand.dataOrder
    .filter((s) => !known.has(s.code))
    .map((s) => `the list of shards is reordered, cut or rebuilt: ${quote(s.code)} (${at(MAIN_SCRIPT, s.line)})`);
}
