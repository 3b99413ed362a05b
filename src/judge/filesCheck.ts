import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { JudgeCheck } from '../domain/verdict';
import { check, listSome } from './checkUtil';

/**
 * What a submission may hold: what the judge reads. Python files are parsed and checked, run.sh
 * analysed, text notes shown to the LLM judge. Anything else (weights, caches, bytecode, data, a
 * symlink) could carry state from earlier runs past the judge, so it is refused; no folder is
 * skipped, hidden or not.
 */
const READ = [/\.py$/, /^run\.sh$/, /\.(md|txt|rst)$/i];
const MAX_TEXT_BYTES = 2 * 1024 * 1024;

export function checkSubmissionFiles(candidateDir: string): JudgeCheck {
  const refused: string[] = [];
  let count = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(candidateDir, p);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) refused.push(`${rel} (a symlink)`);
      else if (st.isDirectory()) walk(p);
      else if (!st.isFile()) refused.push(`${rel} (not a regular file)`);
      else if (!READ.some((re) => re.test(rel === 'run.sh' ? rel : name))) refused.push(`${rel} (not a file the judge reads)`);
      else if (/\.(md|txt|rst)$/i.test(name) && (st.size > MAX_TEXT_BYTES || readFileSync(p).includes(0)))
        refused.push(`${rel} (binary or over ${MAX_TEXT_BYTES} bytes)`);
      else count++;
    }
  };
  walk(candidateDir);
  if (refused.length) {
    return check('submission-files', false, `a submission holds only files the judge reads (Python, run.sh, text notes); refused: ${listSome(refused)}`, {
      where: refused[0].split(' ')[0],
      fix: `delete ${refused[0].split(' ')[0]} from the submission: state from earlier runs, caches, bytecode and data may not ride along`,
    });
  }
  return check('submission-files', true, `all ${count} file(s) are read by the judge`);
}
