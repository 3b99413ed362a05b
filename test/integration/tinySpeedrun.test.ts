import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynthDataset } from '../../src/tokenShards/synth';
import { TINY_DATA } from '../../src/tokenShards/tinyData';
import { parseLog } from '../../src/domain/logParser';
import { repoRoot } from '../../src/files/repoRoot';

const TINY = join(repoRoot(), 'human_baselines', 'tiny');
const PYTHON = process.env.NANOGPT_BENCH_PYTHON ?? '/usr/bin/python3';

function runPython(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the tiny anchor trains on synthesized shards to its target and logs like the speedrun', { timeout: 120_000 }, async () => {
  const data = await mkdtemp(join(tmpdir(), 'tiny-data-'));
  try {
    await writeSynthDataset({ outDir: data, ...TINY_DATA });
    const target = JSON.parse(await readFile(join(TINY, 'target.json'), 'utf8')) as { targetValLoss: number };
    const anchor = join(TINY, 'records', '01_anchor');
    // Straight python, not torchrun: the single-rank path is the same code, and no rendezvous port
    // can clash with another run on this machine.
    const { code, stdout, stderr } = await runPython('train_gpt.py', anchor, { DATA_DIR: data });
    assert.equal(code, 0, `train_gpt.py exited with ${code}:\n${stderr.slice(-3000)}`);

    const lines = stdout.split('\n');
    assert.equal(lines[0], '='.repeat(100));
    assert.match(stdout, /^Running Python \d+\.\d+/m);
    const log = parseLog(stdout);
    assert.equal(log.complete, true, `log incomplete: ${log.invalidReason}`);
    assert.equal(log.finalStep, log.totalSteps);
    assert.ok(log.torchVersion !== null, 'no "Running PyTorch" line');
    assert.ok(log.trainTimeMs !== null && log.trainTimeMs > 0);
    assert.ok(log.peakMemoryAllocatedMib !== null && log.peakMemoryAllocatedMib > 0, 'no peak memory line');
    assert.ok(log.valLoss !== null && log.valLoss <= target.targetValLoss, `final val loss ${log.valLoss} is above the target ${target.targetValLoss}`);
    // the val schedule: every val line, first at step 0, and training lines in between
    const valSteps = log.steps.filter((s) => s.kind === 'val').map((s) => s.step);
    assert.equal(valSteps[0], 0);
    assert.equal(valSteps.at(-1), log.totalSteps);
    assert.match(stdout, new RegExp(`^step:${log.totalSteps}/${log.totalSteps} val_loss:\\d+\\.\\d{4} train_time:\\d+ms step_avg:\\d+\\.\\d{2}ms$`, 'm'));
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});
