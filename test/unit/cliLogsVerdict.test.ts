import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectedLogs, group, LOGS, SCIPY } from './fixtureLogs';

const MAIN = resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');
let dir: string;

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliJson(...args: string[]): Record<string, unknown> {
  const r = cli(...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nanogpt-bench-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('logs parse --json on a fixture log prints the contract fields and extras', () => {
  const e = expectedLogs()[0];
  const out = cliJson('logs', 'parse', join(LOGS, e.file), '--json');
  assert.deepEqual(
    { final_step: out.final_step, total_steps: out.total_steps, val_loss: out.val_loss, train_time_ms: out.train_time_ms, complete: out.complete },
    { final_step: e.final_step, total_steps: e.total_steps, val_loss: e.val_loss, train_time_ms: e.train_time_ms, complete: e.complete },
  );
  assert.equal(out.step_avg_ms, 97.98);
  assert.equal(out.peak_memory_mib, 34217);
  assert.equal(out.torch_version, '2.9.0.dev20250718+cu126');
  assert.equal(out.invalid_reason, null);
});

test('logs parse: a log without a final line is complete:false and exits 0', () => {
  const e = expectedLogs()[0];
  const text = readFileSync(join(LOGS, e.file), 'utf8');
  const file = join(dir, 'truncated.txt');
  writeFileSync(file, text.slice(0, text.length - 500));
  const out = cliJson('logs', 'parse', file, '--json');
  assert.equal(out.complete, false);
  assert.equal(out.train_time_ms, null);
  assert.match(String(out.invalid_reason), /truncated/);
});

test('logs parse without --json prints a summary; an unreadable file fails clearly', () => {
  const e = expectedLogs()[0];
  const r = cli('logs', 'parse', join(LOGS, e.file));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /complete/);
  assert.match(r.stdout, /163\.621 s/);

  const missing = cli('logs', 'parse', join(dir, 'nope.txt'), '--json');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read log file .*nope\.txt.*ENOENT/);
  assert.equal(missing.stdout, '');
  const directory = cli('logs', 'parse', dir);
  assert.notEqual(directory.code, 0);
  assert.match(directory.stderr, /cannot read log file/);
});

test('verdict --json matches scipy on fixture runs, with a reference', () => {
  const c = SCIPY.time[0];
  const loss = SCIPY.loss.find((l) => l.prefix === c.candidate);
  assert.ok(loss);
  const times = group(c.candidate, 'train_time_ms');
  const runs = group(c.candidate, 'val_loss').map((val_loss, i) => ({ val_loss, train_time_ms: times[i] }));
  const refTimes = group(c.reference, 'train_time_ms');
  const reference = group(c.reference, 'val_loss').map((val_loss, i) => ({ val_loss, train_time_ms: refTimes[i] }));
  writeFileSync(join(dir, 'runs.json'), JSON.stringify(runs));
  writeFileSync(join(dir, 'ref.json'), JSON.stringify(reference));

  const out = cliJson(
    'verdict',
    '--runs',
    join(dir, 'runs.json'),
    '--reference',
    join(dir, 'ref.json'),
    '--target',
    String(loss.target),
    '--alpha',
    '0.01',
    '--json',
  );
  assert.equal(out.n, runs.length);
  assert.ok(Math.abs((out.p_value as number) - loss.p) <= 1e-6 * loss.p);
  assert.equal(out.p_value_met, false);
  assert.ok(Math.abs((out.faster_p_value as number) - c.p) <= 1e-6 * c.p);
  const [lo, hi] = out.speedup_ci95 as [number, number];
  assert.ok(Math.abs(lo - c.ciLow / 1000) <= 1e-6 * Math.abs(c.ciLow / 1000));
  assert.ok(Math.abs(hi - c.ciHigh / 1000) <= 1e-6 * Math.abs(c.ciHigh / 1000));
  assert.ok((out.speedup_s as number) > lo && (out.speedup_s as number) < hi);
  for (const key of ['val_loss_mean', 'val_loss_std', 'train_time_ms_mean', 'train_time_ms_std']) assert.equal(typeof out[key], 'number', key);
});

test('verdict: defaults, p_value_met at target 3.28 without a reference', () => {
  const runs = group('2025-09', 'val_loss').map((val_loss) => ({ val_loss, train_time_ms: 150_000 }));
  writeFileSync(join(dir, 'sep.json'), JSON.stringify(runs));
  const out = cliJson('verdict', '--runs', join(dir, 'sep.json'), '--json');
  const c = SCIPY.loss.find((l) => l.prefix === '2025-09');
  assert.ok(c);
  assert.ok(Math.abs((out.p_value as number) - c.p) <= 1e-6 * c.p);
  assert.equal(out.p_value_met, true, 'p = 0.0063 < 0.01');
  assert.equal(out.target, 3.28);
  assert.equal(out.train_time_ms_std, 0);
  assert.equal('speedup_s' in out, false);

  const text = cli('verdict', '--runs', join(dir, 'sep.json'));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /met \(p < 0\.01\)/);
});

test('verdict: a bad runs file names the field and what was expected', () => {
  const runs = [0, 1, 2, 3].map(() => ({ val_loss: 3.27, train_time_ms: 100_000 })) as Array<Record<string, unknown>>;
  runs[3] = { val_loss: '3.27', train_time_ms: 100_000 };
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(runs));
  const r = cli('verdict', '--runs', join(dir, 'bad.json'), '--json');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /runs\[3\]\.val_loss: .*expected number/);

  writeFileSync(join(dir, 'notjson.json'), '{oops');
  assert.match(cli('verdict', '--runs', join(dir, 'notjson.json')).stderr, /not JSON/);
  writeFileSync(join(dir, 'obj.json'), '{"val_loss":3}');
  assert.match(cli('verdict', '--runs', join(dir, 'obj.json')).stderr, /runs: .*expected array/);
  const badAlpha = cli('verdict', '--runs', join(dir, 'bad.json'), '--alpha', '2');
  assert.notEqual(badAlpha.code, 0);
  assert.match(badAlpha.stderr, /--alpha: expected a number between 0 and 1/);
});
