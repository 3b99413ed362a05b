import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness, FASTRUN, eventually, runCommand, CLI } from '../helpers/harness';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { traceFiles, type LaunchMeta } from '../../src/agents/traceFiles';
import { summarizeUsage } from '../../src/agents/usage';
import { ModelServer, type Brain, type ModelCall, type ModelStep } from '../fixtures/agents/modelServer';
import { AGENT_CLIS_BIN, realClisOrSkip } from '../fixtures/agents/realClis';

const KEY = 'sk-ant-session-' + 'q7'.repeat(16);
const OPENAI_KEY = 'sk-proj-session' + 'W4'.repeat(15);

const lastTurn = (c: ModelCall) => c.turns[c.turns.length - 1];
const toolText = (c: ModelCall) =>
  c.turns
    .filter((t) => t.role === 'tool')
    .map((t) => t.text)
    .join('\n');

/**
 * The task as a model would do it: look at the workspace, copy the anchor into submissions/, change
 * a hyper-parameter, submit, read the verdict (polling, as a blocking call would outlast codex's
 * shell yield), then hold its next turn until the test kills the CLI. Resumed, it says so and stops.
 */
function taskScript(ws: () => string): Brain {
  const steps: ModelStep[] = [
    { say: 'Looking around.', bash: 'ls && echo "my key: $ANTHROPIC_API_KEY$OPENAI_API_KEY"' },
    { bash: 'mkdir -p submissions/tweak && cp train_gpt.py run.sh submissions/tweak/' },
    { read: '' },
    { edit: { path: '', old: 'STEPS = 40', new: 'STEPS = 30' } },
    { bash: 'submit submissions/tweak --no-wait' },
  ];
  let i = 0;
  return (c) => {
    if (/# You are resumed/.test(lastTurn(c).text)) return { say: 'Resumed: my submission has its verdict; nothing more to do.' };
    if (i < steps.length) {
      const s = steps[i++];
      const file = join(ws(), 'submissions', 'tweak', 'train_gpt.py');
      return 'read' in s ? { read: file } : 'edit' in s ? { edit: { ...s.edit, path: file } } : s;
    }
    if (!/"state": "(accepted|rejected)"/.test(c.turns.filter((t) => t.role === 'tool').at(-1)?.text ?? ''))
      return { bash: 'sleep 2; submit --status sub-001' };
    return { hang: true };
  };
}

/**
 * Whole sessions on a real Temporal server with the real `claude` and `codex` (pinned in
 * image/agent-clis) against a scripted model API on loopback: the submission is validated, the CLI
 * is SIGKILLed mid-turn and relaunched with its own resume mechanism, and a model API that only
 * fails leaves a session that still ends at its budget.
 */
describe('sessions with the real claude and codex CLIs (local sandbox, scripted model API)', () => {
  const skip = realClisOrSkip();
  const saved = { ...process.env };
  let brain: Brain = () => ({ say: 'nothing' });
  const server = new ModelServer((c) => brain(c), KEY);
  const codexServer = new ModelServer((c) => brain(c), OPENAI_KEY);
  const h = new Harness();

  before(async () => {
    if (skip) return;
    await server.start();
    await codexServer.start();
    process.env.PATH = `${AGENT_CLIS_BIN}:${process.env.PATH}`;
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    process.env.OPENAI_API_KEY = OPENAI_KEY;
    process.env.OPENAI_BASE_URL = `${codexServer.url}/v1`;
    await h.start();
    await h.inProcessWorker();
  });
  after(async () => {
    if (!skip) await h.stop();
    await server.stop();
    await codexServer.stop();
    process.env = saved;
  });

  /** Only the keys of one CLI in the worker's environment, and the judge pointed at the other provider. */
  function useOnly(which: 'claude-code' | 'codex') {
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.OPENAI_API_KEY = OPENAI_KEY;
    if (which === 'codex') delete process.env.ANTHROPIC_API_KEY;
    else delete process.env.OPENAI_API_KEY;
    process.env.NANOGPT_BENCH_JUDGE_PROVIDER = which === 'codex' ? 'anthropic' : 'openai';
  }

  for (const which of ['claude-code', 'codex'] as const) {
    it(`${which}: submits a changed record, gets its verdict, is SIGKILLed, resumes its conversation, is stopped`, { timeout: 300_000 }, async (t) => {
      if (skip) return t.skip(skip);
      const id = `real-${which}`;
      // The LLM judge reads the same variables and would put its questions to this scripted model:
      // pointed at the other provider, whose key is unset now, it runs its static checks only.
      useOnly(which);
      const srv = which === 'codex' ? codexServer : server;
      const key = which === 'codex' ? OPENAI_KEY : KEY;
      let ws = '';
      brain = taskScript(() => ws);
      const handle = await startSession(
        h.client,
        {
          agent: which,
          anchor: FASTRUN,
          budgetGpuHours: 0.2,
          gpus: 1,
          retimeRuns: 3,
          agentModel: `${which}-test`,
          agentStopGraceSeconds: 3,
          reference: 'calibration',
          confirmRuns: 2,
          confirmCandidates: 1,
        },
        id,
      );
      ws = await eventually<string>('the workspace', async () => (await sessionQueries.status(handle)).phase !== 'preparing' && layout.workspace(id), 120_000);
      const dir = layout.agentState(id);
      // The model holds back the turn after the verdict: the CLI is waiting on it when it is killed.
      await eventually('the CLI waiting after the verdict', async () => srv.requests.some((r) => r.status === 0), 240_000);
      // The CLI keeps its conversation in its own files under $HOME (the workspace) and writes them
      // behind its requests: a kill before the verdict is on disk would lose it from the resumed one.
      await eventually(
        "the verdict in the CLI's own session files",
        async () =>
          filesUnder(join(ws, which === 'codex' ? '.codex' : '.claude')).some(
            (f) => f.endsWith('.jsonl') && readFileSync(f, 'utf8').includes('faster than the anchor'),
          ),
        60_000,
      );
      // While the CLI runs, the worker watching it reports its usage to the session (codex reports
      // usage only when a turn ends, and this turn is held open: its usage arrives with its exit).
      if (which === 'claude-code') {
        await eventually('the usage reported mid-launch', async () => ((await sessionQueries.status(handle)).agentUsage?.inputTokens ?? 0) > 0, 60_000);
      }
      const pid = Number(readFileSync(join(dir, 'procs', 'agent-1.pid'), 'utf8').trim());
      process.kill(-pid, 'SIGKILL');
      const resumed = await eventually(
        'the relaunched CLI asking the model',
        async () => srv.calls.find((c) => c.main && /# You are resumed/.test(lastTurn(c).text)),
        60_000,
      );
      const history = resumed.turns.map((x) => x.text).join('\n');
      assert.match(history, /# Task/, 'the resumed request holds the task prompt');
      assert.match(history, /submit submissions\/tweak --no-wait/, 'and the first launch conversation');
      assert.match(history, /"state": "accepted"/, 'and the verdict the model read');
      const subs = await sessionQueries.submissions(handle);
      assert.equal(subs.length, 1);
      assert.equal(subs[0].state, 'accepted', `verdict: ${JSON.stringify(subs[0].verdict?.reasons ?? subs[0].reason)}`);
      assert.match(subs[0].path, /submissions\/tweak$/);
      await eventually(
        'launch 2 ended',
        async () => existsSync(traceFiles.meta(dir, 2)) && JSON.parse(readFileSync(traceFiles.meta(dir, 2), 'utf8')).finished,
        60_000,
      );
      await stopSession(handle, 'test over');
      const summary = await handle.result();
      assert.equal(summary.endReason, 'stopped: test over');
      assert.ok(summary.agentLaunches >= 2);

      const meta = (n: number) => JSON.parse(readFileSync(traceFiles.meta(dir, n), 'utf8')) as LaunchMeta;
      const firstEvents = readFileSync(traceFiles.jsonl(dir, 1), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const cliSession =
        which === 'codex'
          ? firstEvents.find((e) => e.type === 'thread.started').thread_id
          : firstEvents.find((e) => e.type === 'system' && e.subtype === 'init').session_id;
      assert.equal(meta(1).promptKind, 'task');
      assert.equal(meta(1).finished?.signal, 'SIGKILL');
      assert.equal(meta(2).resumeId, cliSession, 'launch 2 resumed the session launch 1 started');
      assert.equal(meta(2).promptKind, 'resume');
      assert.ok(
        which === 'codex' ? meta(2).argv.join(' ').includes(`resume ${cliSession}`) : meta(2).argv.includes('--resume') && meta(2).argv.includes(cliSession),
      );

      const usage = summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(dir), 'utf8')))!;
      assert.equal(usage.agent, which);
      assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0, JSON.stringify(usage));
      // From a machine that holds none of the session's files (an empty home): usage and where the
      // files are come through the workflow's query.
      const elsewhere = mkdtempSync(join(tmpdir(), 'laptop-'));
      const status = await runCommand(process.execPath, [CLI, 'status', handle.workflowId, '--json'], {
        env: { ...process.env, TEMPORAL_ADDRESS: h.address, NANOGPT_BENCH_HOME: elsewhere },
      });
      assert.equal(status.status, 0, status.stderr);
      const shown = JSON.parse(status.stdout);
      assert.deepEqual(shown.agentUsage, usage);
      assert.deepEqual(shown.files, { host: hostname(), sessionDir: layout.session(id) });

      const transcript = readFileSync(traceFiles.transcript(dir), 'utf8');
      assert.match(
        transcript,
        new RegExp(
          `=== launch 1: ${which}, fresh start[\\s\\S]*submit submissions/tweak --no-wait[\\s\\S]*"state": "accepted"[\\s\\S]*=== launch 2: ${which}, resuming `,
        ),
      );
      assert.match(transcript, /my key: \[REDACTED:(ANTHROPIC|OPENAI)_API_KEY\]/);
      const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'procs')).map((f) => join(dir, 'procs', f))].filter(
        (f) => !f.endsWith('procs') && !f.endsWith('egress'),
      );
      for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(key), `${f} holds no key`);
      assert.ok(toolText(resumed).length > 0);
    });
  }

  it(
    'claude-code: the agent is stopped mid-prompt once its model spend reaches agentCostLimitUsd; budget and status show it',
    { timeout: 180_000 },
    async (t) => {
      if (skip) return t.skip(skip);
      useOnly('claude-code');
      const c0 = server.calls.length;
      // One model call, then a long command: the spend of that call is over the limit while the CLI waits on it.
      let calls = 0;
      brain = () => (calls++ === 0 ? { say: 'A long experiment.', bash: 'python3 -c "import time; time.sleep(120)"' } : { say: 'never asked' });
      const id = 'real-claude-cost';
      const handle = await startSession(
        h.client,
        {
          agent: 'claude-code',
          anchor: FASTRUN,
          budgetGpuHours: 0.2,
          gpus: 1,
          retimeRuns: 3,
          reference: 'calibration',
          confirmRuns: 2,
          confirmCandidates: 1,
          agentModel: 'claude-test',
          agentCostLimitUsd: 0.001,
          agentStopGraceSeconds: 2,
        },
        id,
      );
      const summary = await handle.result();
      assert.match(summary.endReason ?? '', /^agent cost limit reached: \$\d+\.\d{4} of \$0\.001$/);
      assert.equal(server.calls.slice(c0).filter((c) => c.main).length, 1, 'stopped in the middle of its prompt, before a second model call');
      assert.equal(summary.agentLaunches, 1, 'not relaunched past its limit');
      const spend = summary.budget.agentSpend!;
      // The first model call's usage, from the assistant event, priced with the table: claude-test is not in it.
      assert.match(spend.pricedBy ?? '', /^price-table@\d{4}-\d{2}-\d{2}\+fallback$/);
      assert.ok(spend.costUsd >= 0.001 && spend.tokens > 0, JSON.stringify(spend));
      assert.equal(spend.costLimitUsd, 0.001);
      const budget = await handle.query<typeof summary.budget>('budget');
      assert.deepEqual(budget.agentSpend, spend);
      const pid = JSON.parse(readFileSync(join(layout.agentState(id), 'procs', 'agent-1.json'), 'utf8')).pid;
      assert.equal(existsSync(`/proc/${pid}`), false, 'the agent was stopped');
      const text = await runCommand(process.execPath, [CLI, 'status', handle.workflowId], {
        env: { ...process.env, TEMPORAL_ADDRESS: h.address, NANOGPT_BENCH_HOME: h.home },
      });
      assert.match(text.stdout, /model spend +\$\d+\.\d{4} of \$0\.001, \d+ tokens \(priced by price-table@/);
    },
  );

  it('claude-code: a model API that only fails (500s) is retried with backoff, and the session still ends at its budget', { timeout: 240_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const c0 = server.calls.length;
    useOnly('claude-code');
    brain = () => ({ fail: { status: 500 } });
    // The anchor's timing is cached from the sessions above: the budget goes to the agent, less the
    // end-of-session confirmation's reserve (kept small here: one candidate, 2 pairs).
    const handle = await startSession(
      h.client,
      { agent: 'claude-code', anchor: FASTRUN, budgetGpuHours: 0.02, gpus: 1, retimeRuns: 3, confirmRuns: 2, confirmCandidates: 1, agentStopGraceSeconds: 2 },
      'real-claude-failing',
    );
    const summary = await handle.result();
    assert.equal(summary.endReason, 'budget exhausted');
    assert.equal(Object.keys(summary.submissions).length, 0);
    assert.ok(server.calls.slice(c0).filter((c) => c.main).length >= 2, 'the CLI retried its failing request');
    assert.ok(server.requests.some((r) => r.status === 500));
  });
});

/** Every file under `dir` (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
