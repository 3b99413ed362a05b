import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkReportedTime, parseLog } from '../../src/domain/logParser';
import { ParsedLogSchema } from '../../src/domain/parsedLog';
import { expectedLogs, LOGS } from './fixtureLogs';

const ANCHOR_FILE = join(LOGS, '2025-09-03_FA3', '44fc1276-0510-4961-92c0-730c65e5feba.txt');
const anchorText = readFileSync(ANCHOR_FILE, 'utf8');
const anchorLines = anchorText.split('\n');
const FINAL_LINE = 'step:1670/1670 val_loss:3.2755 train_time:163621ms step_avg:97.98ms';

/** A small deterministic generator so the hostile inputs are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function assertAnchorResult(text: string | Uint8Array): void {
  const r = parseLog(text);
  assert.equal(r.complete, true, String(r.invalidReason));
  assert.equal(r.invalidReason, null);
  assert.equal(r.finalStep, 1670);
  assert.equal(r.totalSteps, 1670);
  assert.equal(r.valLoss, 3.2755);
  assert.equal(r.trainTimeMs, 163621);
}

test('every fixture log agrees with expected.json', () => {
  const expected = expectedLogs();
  assert.ok(expected.length >= 40, `only ${expected.length} fixture logs`);
  for (const e of expected) {
    const r = parseLog(readFileSync(join(LOGS, e.file)));
    const got = { final_step: r.finalStep, total_steps: r.totalSteps, val_loss: r.valLoss, train_time_ms: r.trainTimeMs, complete: r.complete };
    const want = { final_step: e.final_step, total_steps: e.total_steps, val_loss: e.val_loss, train_time_ms: e.train_time_ms, complete: e.complete };
    assert.deepEqual(got, want, e.file);
    assert.ok(ParsedLogSchema.safeParse(r).success, `${e.file}: result does not fit ParsedLogSchema`);
    assert.match(r.torchVersion ?? '', /^\d+\.\d+/, `${e.file}: torch version`);
    assert.ok((r.peakMemoryAllocatedMib ?? 0) > 1000, `${e.file}: peak memory`);
    assert.ok((r.stepAvgMs ?? 0) > 10, `${e.file}: step_avg`);
  }
});

test('anchor log: extras, and loss steps in order', () => {
  const r = parseLog(anchorText);
  assert.equal(r.torchVersion, '2.9.0.dev20250718+cu126');
  assert.equal(r.cudaVersion, '12.6');
  assert.equal(r.peakMemoryAllocatedMib, 34217);
  assert.equal(r.peakMemoryReservedMib, 49936);
  assert.equal(r.stepAvgMs, 97.98);
  assert.deepEqual(r.steps[0], { kind: 'val', step: 0, totalSteps: 1670, loss: 10.8258, trainTimeMs: 0, stepAvgMs: 0.02 });
  assert.deepEqual(r.steps.at(-1), { kind: 'val', step: 1670, totalSteps: 1670, loss: 3.2755, trainTimeMs: 163621, stepAvgMs: 97.98 });
  for (let i = 1; i < r.steps.length; i++) assert.ok(r.steps[i].step > r.steps[i - 1].step);
});

test('train-loss lines of older records are read as steps', () => {
  const text = [
    'step:0/20 val_loss:10.8 train_time:0ms step_avg:nanms',
    'step:10/20 train_loss:4.5 train_time:1000ms step_avg:100.00ms',
    'step:20/20 train_loss:3.9 train_time:2000ms step_avg:100.00ms',
    'step:20/20 val_loss:3.9500 train_time:2000ms step_avg:100.00ms',
  ].join('\n');
  const r = parseLog(text);
  assert.equal(r.complete, true, String(r.invalidReason));
  assert.deepEqual(
    r.steps.map((s) => [s.kind, s.step, s.loss, s.stepAvgMs]),
    [
      ['val', 0, 10.8, null],
      ['train', 10, 4.5, 100],
      ['train', 20, 3.9, 100],
      ['val', 20, 3.95, 100],
    ],
  );
});

test('truncated logs are incomplete, never a crash', () => {
  const half = parseLog(anchorText.slice(0, Math.floor(anchorText.length / 2)));
  assert.equal(half.complete, false);
  assert.equal(half.valLoss, null);
  assert.equal(half.trainTimeMs, null);
  assert.equal(half.totalSteps, 1670);
  assert.ok(half.finalStep !== null && half.finalStep > 500 && half.finalStep < 1670, String(half.finalStep));
  assert.match(half.invalidReason ?? '', /truncated/);

  // Cut inside the final line itself: "train_time:1636" without its unit is not a time.
  const cut = anchorText.indexOf(FINAL_LINE) + FINAL_LINE.indexOf('21ms');
  const midFinal = parseLog(anchorText.slice(0, cut));
  assert.equal(midFinal.complete, false);
  assert.equal(midFinal.finalStep, 1670); // the last training step line reached 1670
  assert.equal(midFinal.trainTimeMs, null);

  const empty = parseLog('');
  assert.equal(empty.complete, false);
  assert.equal(empty.finalStep, null);
  assert.match(empty.invalidReason ?? '', /no step lines/);
});

test('NaN or inf loss makes the run incomplete', () => {
  const nanFinal = parseLog(anchorText.replace(FINAL_LINE, FINAL_LINE.replace('3.2755', 'nan')));
  assert.equal(nanFinal.complete, false);
  assert.equal(nanFinal.valLoss, null);
  assert.match(nanFinal.invalidReason ?? '', /non-finite val_loss \(nan\) at step 1670/);
  assert.ok(ParsedLogSchema.safeParse(nanFinal).success, 'NaN must not leak into the JSON shape');

  const infMidway = parseLog(anchorText.replace(/step:1000\/1670 val_loss:[\d.]+/, 'step:1000/1670 val_loss:inf'));
  assert.equal(infMidway.complete, false);
  assert.equal(infMidway.valLoss, 3.2755, 'the final line itself is still read');
  assert.match(infMidway.invalidReason ?? '', /inf\) at step 1000/);

  const trainNan = parseLog(`step:5/10 train_loss:NaN train_time:500ms step_avg:100.00ms\nstep:10/10 val_loss:3.1 train_time:1000ms step_avg:100.00ms\n`);
  assert.equal(trainNan.complete, false);
  assert.match(trainNan.invalidReason ?? '', /train_loss \(NaN\) at step 5/);
});

test('a last val line whose step is not the total is not a final line', () => {
  const withoutFinal = anchorText.replace(FINAL_LINE, 'step:1670/1680 val_loss:3.2755 train_time:163621ms step_avg:97.98ms');
  const r = parseLog(withoutFinal);
  assert.equal(r.complete, false);
  assert.equal(r.valLoss, null);
  assert.equal(r.totalSteps, 1670);

  // A final line that counts a different total than the whole run did.
  const foreign = parseLog(`${anchorText.replace(FINAL_LINE, '')}\nstep:1000/1000 val_loss:3.2000 train_time:170000ms step_avg:170.00ms\n`);
  assert.equal(foreign.complete, false);
  assert.match(foreign.invalidReason ?? '', /disagrees with the 1670 total steps/);
});

test('interleaved ranks: duplicated and spliced lines give the same answer', () => {
  // Two ranks printing the same lines, every line twice.
  assertAnchorResult(anchorLines.flatMap((l) => [l, l]).join('\n'));

  // Block-buffered writes of two ranks spliced at arbitrary byte offsets.
  const rand = lcg(7);
  const out: string[] = [];
  for (const line of anchorLines) {
    if (line.startsWith('step:') && rand() < 0.3) {
      const at = Math.floor(rand() * line.length);
      out.push(line.slice(0, at) + line + '\n' + line.slice(at));
    } else out.push(line);
  }
  assertAnchorResult(out.join('\n'));

  // A second rank whose clock reads 1 ms later and whose final line comes out last: that one counts.
  const lagged = anchorLines.flatMap((l) => {
    const m = /^(step:\d+\/\d+ .*train_time:)(\d+)(ms.*)$/.exec(l);
    return m ? [l, `${m[1]}${Number(m[2]) + 1}${m[3]}`] : [l];
  });
  const r = parseLog(lagged.join('\n'));
  assert.equal(r.complete, true, String(r.invalidReason));
  assert.equal(r.trainTimeMs, 163622);
});

test('a 1 MB line and binary garbage do not disturb the parse', () => {
  const hugeLine = 'x'.repeat(1 << 20);
  const stepNoise = 'step:1/'.repeat((1 << 20) / 7);
  const lines = [...anchorLines];
  lines.splice(100, 0, hugeLine, stepNoise);
  const started = performance.now();
  assertAnchorResult(lines.join('\n'));
  assert.ok(performance.now() - started < 2000, 'a 1 MB line must not make the parse crawl');

  const rand = lcg(11);
  const garbage = Buffer.alloc(64 * 1024);
  for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rand() * 256);
  const cutAt = anchorText.indexOf('step:500/1670');
  const mixed = Buffer.concat([Buffer.from(anchorText.slice(0, cutAt)), garbage, Buffer.from('\n'), Buffer.from(anchorText.slice(cutAt))]);
  assertAnchorResult(mixed);

  const onlyGarbage = parseLog(garbage);
  assert.equal(onlyGarbage.complete, false);
  assert.ok(ParsedLogSchema.safeParse(onlyGarbage).success);
});

test('only the last final line counts', () => {
  // A final line printed early (e.g. by a rogue print); the real one comes at the end.
  const early = [...anchorLines];
  early.splice(200, 0, 'step:1670/1670 val_loss:3.0000 train_time:20000ms step_avg:11.98ms');
  assertAnchorResult(early.join('\n'));

  // The same early line in a log cut off before training ended: training visibly went on after it.
  const truncated = early.slice(0, 1000).join('\n');
  const r = parseLog(truncated);
  assert.equal(r.complete, false);
  assert.match(r.invalidReason ?? '', /printed before training ended/);

  // A final line appended after the real one that claims less time than training took.
  const forged = parseLog(`${anchorText}\nstep:1670/1670 val_loss:3.2000 train_time:90000ms step_avg:53.89ms\n`);
  assert.equal(forged.trainTimeMs, 90000);
  assert.equal(forged.complete, false);
  assert.match(forged.invalidReason ?? '', /below the 163621ms an earlier line reported/);
});

test('peak memory is the largest any rank printed', () => {
  const r = parseLog(`${anchorText}\npeak memory allocated: 40000 MiB reserved: 41000 MiB\n`);
  assert.equal(r.peakMemoryAllocatedMib, 40000);
  assert.equal(r.peakMemoryReservedMib, 49936);
});

test('checkReportedTime: a train_time above the measured wall time is invalid', () => {
  const r = parseLog(anchorText);
  assert.deepEqual(checkReportedTime(r, 200_000), { valid: true, invalidReason: null });
  assert.deepEqual(checkReportedTime(r, 163_621), { valid: true, invalidReason: null });
  const tooFast = checkReportedTime(r, 150_000);
  assert.equal(tooFast.valid, false);
  assert.match(tooFast.invalidReason ?? '', /163621ms exceeds the measured wall time 150000ms/);
  assert.equal(checkReportedTime({ trainTimeMs: null }, 1000).valid, false);
  assert.throws(() => checkReportedTime(r, Number.NaN), /wallTimeMs/);
});
