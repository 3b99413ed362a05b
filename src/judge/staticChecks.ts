import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JudgeCheck } from '../domain/verdict';

/**
 * The rules a candidate must meet that need no model. Each check reads the frozen candidate
 * (and the anchor, for what must stay as it was).
 */
export function staticChecks(candidateDir: string, _anchorDir: string): JudgeCheck[] {
  const checks: JudgeCheck[] = [];
  const has = (f: string) => existsSync(join(candidateDir, f));
  const missing = ['run.sh', 'train_gpt.py'].filter((f) => !has(f));
  checks.push({ rule: 'required-files', passed: missing.length === 0, detail: missing.length ? `missing ${missing.join(', ')}` : 'run.sh and train_gpt.py present' });
  if (has('run.sh')) {
    const runSh = readFileSync(join(candidateDir, 'run.sh'), 'utf8');
    const launches = /(torchrun|torch\.distributed\.run)\b[^\n]*\btrain_gpt\.py\b/.test(runSh);
    checks.push({ rule: 'run-sh-launches-torchrun', passed: launches, detail: launches ? 'run.sh launches train_gpt.py through torchrun' : 'run.sh must launch train_gpt.py through torchrun' });
  }
  return checks;
}
