import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Harness, FASTRUN, eventually, runCommand, CLI } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/storage/layout';
import { traceFiles, type LaunchMeta } from '../../src/agents/traceFiles';
import { summarizeUsage } from '../../src/agents/usage';
import { FAKE_AGENT_BIN, ModelServer, type ModelCall } from '../fixtures/agents/modelServer';

const KEY = 'sk-ant-session-' + 'q7'.repeat(16);

/**
 * A whole session with agent claude-code, the fake `claude` on PATH and a model API on loopback:
 * the agent copies a record into submissions/ and submits it, exits, is relaunched with
 * `--resume <its session id>` and the resume prompt, and is stopped when the session ends.
 */
describe('a claude-code session on a real Temporal server (fake CLI, loopback model API)', () => {
  const saved = { ...process.env };
  const lastTurn = (c: ModelCall) => c.turns[c.turns.length - 1];
  const server = new ModelServer((c) => {
    const last = lastTurn(c);
    if (last.role === 'user' && last.text.includes('# Task')) {
      return { say: 'Trying the faster record.', bash: `echo "my key: $ANTHROPIC_API_KEY" && cp -r ${join(FASTRUN, 'records', '01_faster')} submissions/faster && submit submissions/faster` };
    }
    if (last.role === 'user' && last.text.includes('# You are resumed')) return { bash: 'submit --status; sleep 300' };
    return { say: 'Submitted; that is all for now.' };
  }, KEY);
  const h = new Harness();

  before(async () => {
    await server.start();
    process.env.PATH = `${FAKE_AGENT_BIN}:${process.env.PATH}`;
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    // The LLM judge reads the same ANTHROPIC_* variables and would put its questions to this fake
    // model; the test is about the agent, so the judge is pointed at a provider without a key
    // and runs its static checks only.
    process.env.NANOGPT_BENCH_JUDGE_PROVIDER = 'openai';
    delete process.env.OPENAI_API_KEY;
    await h.start();
    await h.inProcessWorker();
  });
  after(async () => {
    await h.stop();
    await server.stop();
    process.env = saved;
  });

  it('submits, exits, is resumed with its own session id, and is stopped at the end', { timeout: 240_000 }, async () => {
    const id = 'claude-1';
    const handle = await startSession(h.client, { agent: 'claude-code', anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 3, agentModel: 'claude-test', agentStopGraceSeconds: 3 }, id);
    const resumedCall = await eventually('the resumed launch asking the model', async () => server.calls.find((c) => lastTurn(c).text.includes('# You are resumed')), 180_000);
    assert.ok(resumedCall.turns.some((t) => t.text.includes('submit submissions/faster')), 'the resumed conversation holds the first launch');
    const subs = await sessionQueries.submissions(handle);
    assert.equal(subs.length, 1);
    assert.equal(subs[0].state, 'accepted', `verdict: ${JSON.stringify(subs[0].verdict?.reasons ?? subs[0].reason)}`);
    assert.match(subs[0].path, /submissions\/faster$/);

    await stopSession(handle, 'test over');
    const summary = await handle.result();
    assert.equal(summary.endReason, 'stopped: test over');
    assert.equal(summary.agentLaunches, 2);

    const dir = layout.agentState(id);
    const meta = (n: number) => JSON.parse(readFileSync(traceFiles.meta(dir, n), 'utf8')) as LaunchMeta;
    const init = readFileSync(traceFiles.jsonl(dir, 1), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'system' && e.subtype === 'init');
    assert.equal(meta(1).resumeId, null);
    assert.equal(meta(1).promptKind, 'task');
    assert.equal(meta(1).finished?.exitCode, 0);
    assert.equal(meta(2).resumeId, init.session_id, 'launch 2 resumed the session launch 1 started');
    assert.equal(meta(2).promptKind, 'resume');
    assert.ok(meta(2).argv.includes('--resume') && meta(2).argv.includes(init.session_id));
    assert.ok(meta(2).finished, 'the stopped launch trace was made final');
    const pid = JSON.parse(readFileSync(join(dir, 'procs', 'agent-2.json'), 'utf8')).pid;
    assert.equal(existsSync(`/proc/${pid}`), false, 'the agent process was stopped');

    const prompt = JSON.parse(readFileSync(traceFiles.prompt(dir), 'utf8'));
    assert.equal(prompt.version, 'v1');
    assert.match(prompt.task, /val_loss/);
    const usage = summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(dir), 'utf8')))!;
    assert.equal(usage.agent, 'claude-code');
    assert.ok(usage.inputTokens > 0 && usage.costUsd! > 0, JSON.stringify(usage));
    // `status` shows the same usage beside the budget.
    const status = await runCommand(process.execPath, [CLI, 'status', handle.workflowId, '--json'], { env: { ...process.env, TEMPORAL_ADDRESS: h.address, NANOGPT_BENCH_HOME: h.home } });
    assert.equal(status.status, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout).agentUsage, usage);
    const text = await runCommand(process.execPath, [CLI, 'status', handle.workflowId], { env: { ...process.env, TEMPORAL_ADDRESS: h.address, NANOGPT_BENCH_HOME: h.home } });
    assert.match(text.stdout, /agent +.*tokens/);

    const transcript = readFileSync(traceFiles.transcript(dir), 'utf8');
    assert.match(transcript, /=== launch 1: claude-code, fresh start[\s\S]*cp -r \S+ submissions\/faster && submit submissions\/faster[\s\S]*"state": "accepted"[\s\S]*=== launch 2: claude-code, resuming /);
    assert.match(transcript, /my key: \[REDACTED:ANTHROPIC_API_KEY\]/);
    const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'procs')).map((f) => join(dir, 'procs', f))].filter((f) => !f.endsWith('procs'));
    for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(KEY), `${f} holds no key`);
  });
});
