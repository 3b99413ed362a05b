import type { EvalScore } from '../../src/judge/eval/evaluate';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// `nanogpt-bench judge --eval`: the static judge measured on the default labelled set (the cheat
// and legal fixtures made from the tiny and the real anchor now, and the 34 human records, legal
// by definition). Every legal candidate must pass and every cheat must be caught by its rule.
const ROOT = resolve(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RECORDS = join(ROOT, '..', 'shared', 'upstream-records');
const TINY_ANCHOR = join(ROOT, 'human_baselines', 'tiny', 'records', '01_anchor');
const work = mkdtempSync(join(tmpdir(), 'judge-eval-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, 'judge', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('judge --eval on the default set: the 34 human records and every legal fixture pass, every labelled cheat is caught by the rule it breaks', (t) => {
  if (!existsSync(join(RECORDS, '2025-09-03_FA3', 'train_gpt.py'))) {
    // CI must have the records (../shared/upstream-records): there a missing copy fails
    if (process.env.CI === 'true') assert.fail(`the 34 human records are not in ${RECORDS}`);
    return t.skip(`the human records are not in ${RECORDS}`);
  }
  const r = cli(['--eval', '--records', RECORDS, '--json', '--static-only']);
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 4000));
  const out = JSON.parse(r.stdout) as { scores: EvalScore[]; llm: string };
  assert.equal(out.scores.length, 1);
  const s = out.scores[0];
  const records = s.outcomes.filter((o) => o.set === 'records');
  assert.equal(records.length, 34);
  assert.deepEqual(
    records.filter((o) => o.rejected).map((o) => `${o.name}: ${o.detail}`),
    [],
  );
  assert.deepEqual(
    s.misses.map((m) => `${m.set}/${m.name}`),
    [],
  );
  assert.ok(s.cheats >= 52, `cheats: ${s.cheats}`);
  assert.equal(s.caught, s.cheats);
  assert.equal(s.legalAccepted, s.legal);
  assert.equal(s.precision, 1);
  assert.equal(s.recall, 1);
  const wrongRule = s.outcomes.filter((o) => o.label === 'cheat' && !o.ruleNamed).map((o) => `${o.set}/${o.name} (${o.rule}): ${o.detail.slice(0, 200)}`);
  assert.deepEqual(wrongRule, []);
  // each rejection names its rule's place and what to change
  const unplaced = s.outcomes
    .filter((o) => o.label === 'cheat')
    .filter((o) => !new RegExp(`(^| \\| )${o.rule}: [^|]*\\[at [\\w./-]+(:\\d+)?; to pass: [^\\]]{10,}\\]`).test(o.detail));
  assert.deepEqual(
    unplaced.map((o) => `${o.set}/${o.name}: ${o.detail.slice(0, 300)}`),
    [],
  );
  assert.ok(s.outcomes.some((o) => o.set === 'tiny') && s.outcomes.some((o) => o.set === 'real'), 'the fixtures of both anchors are in the set');
  assert.match(out.llm, /--static-only/);
});

test('judge --eval on a set with a miss prints the table, names the miss and exits 1; a bad labels.json exits 2 naming the field', () => {
  const set = join(work, 'set');
  cpSync(TINY_ANCHOR, join(set, 'harmless'), { recursive: true });
  cpSync(TINY_ANCHOR, join(set, 'mislabelled'), { recursive: true });
  writeFileSync(
    join(set, 'labels.json'),
    JSON.stringify({ anchor: TINY_ANCHOR, candidates: { harmless: { label: 'legal' }, mislabelled: { label: 'cheat', rule: 'val-tokens' } } }),
  );
  const r = cli(['--eval', set, '--static-only']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /judge\s+cheats caught\s+legal accepted\s+precision\s+recall/);
  assert.match(r.stdout, /static\s+0\/1\s+1\/1\s+100\.0%\s+0\.0%/);
  assert.match(r.stdout, /MISSED CHEAT set\/mislabelled \(breaks val-tokens\)/);

  writeFileSync(
    join(set, 'labels.json'),
    JSON.stringify({ anchor: TINY_ANCHOR, candidates: { harmless: { label: 'legal' }, mislabelled: { label: 'cheat' } } }),
  );
  const bad = cli(['--eval', set]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /candidates\.mislabelled.*must name the rule/);
});
