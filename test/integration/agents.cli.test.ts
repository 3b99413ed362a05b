import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../../src/agents/agent';
import { agentFor } from '../../src/agents/registry';
import { PROMPT_VERSION, renderKind } from '../../src/agents/prompts';
import { secretsFromEnv } from '../../src/agents/redact';
import { LaunchTrace, resumeIdFromTraces, traceFiles } from '../../src/agents/traceFiles';
import { summarizeUsage } from '../../src/agents/usage';
import { autoresearchBranch, RESULTS_HEADER } from '../../src/agents/autoresearch';
import { parseSessionSpec, type SessionSpecInput } from '../../src/domain/spec';
import { LocalSandbox } from '../../src/sandbox/local';
import type { SandboxHandle, SandboxSpec } from '../../src/sandbox/sandbox';
import { FASTRUN, eventually } from '../helpers/harness';
import { ModelServer, type Brain, type ModelCall, type ModelStep } from '../fixtures/agents/modelServer';
import { AGENT_CLIS_BIN, realClisOrSkip } from '../fixtures/agents/realClis';

const KEY = 'sk-ant-test-' + 'k3y'.repeat(10);
const OPENAI_KEY = 'sk-proj-test' + 'Z9'.repeat(15);

/**
 * The real `claude` and `codex` (the versions image/agent-clis pins) through their adapters, the
 * real local sandbox and the trace writer the activity uses, against a scripted model API on
 * loopback: what they send, what they print, how they resume after a SIGKILL, how they ride out
 * a failing API. No Temporal here: agents.session.test.ts runs whole sessions.
 */
describe('the real agent CLIs through their adapters (local sandbox, scripted model API)', () => {
  const skip = realClisOrSkip();
  let brain: Brain = () => ({ say: 'nothing to do' });
  const server = new ModelServer((c) => brain(c), KEY);
  const codexServer = new ModelServer((c) => brain(c), OPENAI_KEY);
  const saved = { ...process.env };
  const root = mkdtempSync(join(tmpdir(), 'nanogpt-agents-'));

  before(async () => {
    await server.start();
    await codexServer.start();
    process.env.PATH = `${AGENT_CLIS_BIN}:${process.env.PATH}`;
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    process.env.OPENAI_API_KEY = OPENAI_KEY;
    process.env.OPENAI_BASE_URL = `${codexServer.url}/v1`;
  });
  after(async () => {
    process.env = saved;
    await server.stop();
    await codexServer.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** One launch as runAgent makes it, minus Temporal; `whileRunning` may act on the live process. */
  async function launch(
    agent: Agent,
    specInput: SessionSpecInput,
    dirs: { ws: string; state: string },
    n: number,
    whileRunning?: (sb: LocalSandbox, h: SandboxHandle, name: string) => Promise<void>,
  ) {
    const spec = parseSessionSpec(specInput);
    const sb = new LocalSandbox();
    const traceDir = join(dirs.state, 'trace');
    const resumeId = n > 1 ? await resumeIdFromTraces(traceDir, agent, n) : null;
    const facts = { workspace: dirs.ws, spec, targetValLoss: 3.28 };
    const taskPrompt = renderKind('task', facts);
    const prompt = n === 1 ? taskPrompt : renderKind('resume', facts);
    const plan = agent.launch({
      sessionId: 'cli-test',
      spec,
      launch: n,
      paths: { workspace: dirs.ws, data: null, relay: null, tools: '' },
      historyDir: '',
      replayRecords: [],
      prompt,
      taskPrompt,
      targetValLoss: facts.targetValLoss,
      resumeId,
    });
    for (const [rel, text] of Object.entries(plan.files ?? {})) if (!existsSync(join(dirs.ws, rel))) writeFileSync(join(dirs.ws, rel), text);
    const sspec: SandboxSpec = {
      labels: { sessionId: 'cli-test', role: 'agent' },
      workspaceDir: dirs.ws,
      dataDir: null,
      relayDir: null,
      stateDir: dirs.state,
      gpus: 1,
      egress: [],
      passEnv: agent.passEnv(spec),
    };
    const h = await sb.ensure(sspec);
    const name = `agent-${n}`;
    const trace = new LaunchTrace(traceDir, agent, n, sb.outputPath(h, name), secretsFromEnv(agent.passEnv(spec)));
    await trace.open({
      launch: n,
      agent: agent.name,
      startedAtMs: Date.now(),
      promptKind: n === 1 ? 'task' : 'resume',
      promptVersion: PROMPT_VERSION,
      resumeId,
      argv: plan.argv,
    });
    await sb.start(h, { name, argv: plan.argv, env: plan.env });
    const acting = whileRunning?.(sb, h, name);
    for (;;) {
      const st = await sb.status(h, name);
      if (st.state === 'exited') {
        await acting;
        await trace.finish({ exitCode: st.exitCode, signal: st.signal, endedAtMs: st.endedAtMs });
        return { exit: st, plan, traceDir, resumeId, raw: sb.outputPath(h, name) };
      }
      await trace.pump();
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  function dirsFor(name: string) {
    const ws = join(root, name, 'workspace');
    cpSync(join(FASTRUN, 'records', '00_anchor'), ws, { recursive: true });
    return { ws, state: join(root, name, 'state') };
  }

  const lastTurn = (c: ModelCall) => c.turns[c.turns.length - 1];
  /** A script of steps for the agent's own turns, one per request, then `done`. */
  const scripted = (steps: ModelStep[], done = 'done for now'): Brain => {
    let i = 0;
    return () => steps[i++] ?? { say: done };
  };

  for (const which of ['claude-code', 'codex'] as const) {
    it(`${which}: does a scripted task, is SIGKILLed mid-turn, and resumes its own conversation`, { timeout: 120_000 }, async (t) => {
      if (skip) return t.skip(skip);
      const srv = which === 'codex' ? codexServer : server;
      const key = which === 'codex' ? OPENAI_KEY : KEY;
      const dirs = dirsFor(which);
      const sub = join(dirs.ws, 'submissions', 'tweak');
      brain = scripted([
        { say: 'Looking at the workspace.', bash: 'ls && echo "key is $ANTHROPIC_API_KEY$OPENAI_API_KEY"' },
        { bash: 'mkdir -p submissions/tweak && cp train_gpt.py run.sh submissions/tweak/' },
        { read: join(sub, 'train_gpt.py') },
        { edit: { path: join(sub, 'train_gpt.py'), old: 'STEPS = 40', new: 'STEPS = 30' } },
        { hang: true },
      ]);
      const first0 = srv.calls.length;
      const spec: SessionSpecInput = { agent: which, budgetGpuHours: 1, gpus: 1, agentModel: `${which}-test-model`, agentEffort: 'high' };
      const agent = agentFor(parseSessionSpec(spec));

      // The model is asked for its fifth turn and holds it back: the CLI is mid-turn when killed.
      const first = await launch(agent, spec, dirs, 1, async (sb, h, name) => {
        await eventually(
          'the CLI waiting on its fifth model turn',
          async () => srv.requests.some((r) => r.status === 0) && srv.calls.slice(first0).filter((c) => c.main).length >= 5,
          60_000,
        );
        await sb.signal(h, name, 'SIGKILL');
      });
      assert.equal(first.exit.state === 'exited' && first.exit.signal, 'SIGKILL', readFileSync(first.raw, 'utf8'));
      srv.requests.splice(0, srv.requests.length);
      const calls1 = srv.calls.slice(first0).filter((c) => c.main);
      assert.equal(calls1[0].body.model, `${which}-test-model`);
      assert.equal(calls1[0].body.stream, true, 'the CLI streams');
      assert.match(calls1[0].turns.map((x) => x.text).join('\n'), /# Task/, 'the model was shown the task prompt');
      const shown = calls1[1].turns
        .filter((x) => x.role === 'tool')
        .map((x) => x.text)
        .join('\n');
      assert.match(shown, /train_gpt\.py/, 'the model was shown the result of ls');
      assert.match(shown, new RegExp(`key is ${key}`), 'the model saw the command output as it was (the key is redacted only in traces)');
      if (which === 'claude-code') {
        const tools = calls1[0].body.tools.map((x: { name: string }) => x.name);
        assert.ok(tools.includes('Bash') && tools.includes('Edit') && !tools.includes('WebFetch') && !tools.includes('WebSearch'), `tools offered: ${tools}`);
      } else {
        assert.ok(!calls1[0].body.tools.some((x: { type: string }) => x.type === 'web_search'), 'web search is off');
        assert.equal(calls1[0].body.reasoning.effort, 'high');
      }
      assert.match(readFileSync(join(sub, 'train_gpt.py'), 'utf8'), /^STEPS = 30$/m, 'the edit landed');
      const jsonl = readFileSync(traceFiles.jsonl(first.traceDir, 1), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const types = new Set(jsonl.map((e) => e.type));
      for (const ty of which === 'codex' ? ['thread.started', 'item.started', 'item.completed'] : ['system', 'assistant', 'user'])
        assert.ok(types.has(ty), `trace has ${ty} events`);
      const transcript = readFileSync(traceFiles.transcript(first.traceDir), 'utf8');
      assert.match(transcript, /=== launch 1: .* fresh start/);
      assert.match(transcript, /\$ .*mkdir -p submissions\/tweak/);
      assert.match(transcript, /key is \[REDACTED:(ANTHROPIC|OPENAI)_API_KEY\]/);
      for (const f of [...readdirSync(first.traceDir).map((x) => join(first.traceDir, x)), first.raw])
        assert.ok(!readFileSync(f, 'utf8').includes(key), `${f} holds no key`);

      // Launch 2 resumes the killed session by its id; the model sees the earlier turns again.
      const second0 = srv.calls.length;
      brain = scripted([{ bash: 'grep -n "^STEPS" submissions/tweak/train_gpt.py' }], 'STEPS is 30 now; done.');
      const second = await launch(agent, spec, dirs, 2);
      assert.ok(second.resumeId, 'an id to resume was found in the first trace');
      assert.ok(second.plan.argv.includes(second.resumeId), `argv carries the id: ${second.plan.argv.join(' ').slice(0, 400)}`);
      assert.equal(second.exit.state === 'exited' && second.exit.exitCode, 0, readFileSync(second.raw, 'utf8'));
      // The CLI may first send a request of its own (seen once: claude with only an attribution
      // <system-reminder>); the conversation's next turn is the first to carry the earlier ones.
      const calls = srv.calls.slice(second0).filter((c) => c.main);
      const carries = calls.findIndex((c) => /mkdir -p submissions\/tweak/.test(c.turns.map((x) => x.text).join('\n')));
      assert.ok(
        carries >= 0,
        `the resumed request carries the first launch conversation: ${JSON.stringify(calls.map((c) => c.turns.map((x) => x.text.slice(0, 120))))}`,
      );
      const resumed = calls.slice(carries);
      const history = resumed[0].turns.map((x) => x.text).join('\n');
      assert.match(history, /# Task/, 'and its task prompt');
      assert.match(lastTurn(resumed[0]).text, /# You are resumed/, 'the resume prompt comes last');
      assert.match(
        resumed[1].turns
          .filter((x) => x.role === 'tool')
          .map((x) => x.text)
          .join('\n'),
        /STEPS = 30/,
      );
      assert.match(readFileSync(traceFiles.transcript(second.traceDir), 'utf8'), /=== launch 2: .* resuming [\w-]+/);
      const usage = summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(second.traceDir), 'utf8')))!;
      assert.equal(usage.launches, 2);
      // claude's assistant events carry each model call's usage, so even the killed launch counts.
      assert.equal(usage.unreportedLaunches, which === 'codex' ? 1 : 0, 'the killed launch reported usage only as its events went');
      assert.ok(usage.inputTokens > 0 && usage.outputTokens >= 40, `usage of the resumed launch as the server reported it: ${JSON.stringify(usage)}`);
      if (which === 'claude-code') assert.ok(usage.costUsd !== null && usage.costUsd > 0, 'claude prices its own usage');
      else assert.equal(usage.costUsd, null, 'codex reports no cost');
    });

    it(`${which}: rides out a failing model API (500, 429 with retry-after, a malformed stream) and finishes`, { timeout: 180_000 }, async (t) => {
      if (skip) return t.skip(skip);
      const srv = which === 'codex' ? codexServer : server;
      const dirs = dirsFor(`${which}-flaky`);
      brain = scripted(
        [{ fail: { status: 500 } }, { fail: { status: 429, retryAfterSeconds: 1 } }, { malformed: true }, { bash: 'echo survived > survived.txt' }],
        'finished after the outage',
      );
      const c0 = srv.calls.length;
      const spec: SessionSpecInput = { agent: which, budgetGpuHours: 1, gpus: 1, agentModel: `${which}-test-model` };
      const r = await launch(agentFor(parseSessionSpec(spec)), spec, dirs, 1);
      assert.equal(r.exit.state === 'exited' && r.exit.exitCode, 0, readFileSync(r.raw, 'utf8').slice(-3000));
      assert.equal(readFileSync(join(dirs.ws, 'survived.txt'), 'utf8').trim(), 'survived');
      assert.ok(srv.calls.slice(c0).filter((c) => c.main).length >= 5, 'every failure was retried');
      assert.match(readFileSync(traceFiles.transcript(r.traceDir), 'utf8'), /finished after the outage/);
    });
  }

  it('autoresearch through the real claude: one experiment, its results.tsv row and its commit on the branch', { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const measure = (status: string, what: string) =>
      `l=$(grep -E '^step:[0-9]+/[0-9]+ val_loss' run.log | tail -1); t=$(echo "$l" | sed -E 's/.*train_time:([0-9]+)ms.*/\\1/'); v=$(echo "$l" | sed -E 's/.*val_loss:([0-9.]+).*/\\1/'); printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$(git rev-parse --short HEAD)" "\${t:-0}" "\${v:-0}" ${status} '${what}' >> results.tsv`;
    const dirs = dirsFor('autoresearch');
    let first: ModelCall | null = null;
    const steps = scripted(
      [
        { read: join(dirs.ws, 'train_gpt.py') },
        { edit: { path: join(dirs.ws, 'train_gpt.py'), old: 'STEPS = 40', new: 'STEPS = 20' } },
        { bash: `git commit -qam 'half the steps' && bash run.sh > run.log 2>&1 && ${measure('keep', 'half the steps')}` },
      ],
      'one experiment done',
    );
    brain = (c) => ((first ??= c), steps(c));
    const spec: SessionSpecInput = { agent: 'autoresearch', budgetGpuHours: 1, gpus: 1, anchor: FASTRUN };
    const r = await launch(agentFor(parseSessionSpec(spec)), spec, dirs, 1);
    assert.equal(r.exit.state === 'exited' && r.exit.exitCode, 0, readFileSync(r.raw, 'utf8').slice(-3000));
    assert.ok(
      first!.turns.some((x) => x.role === 'user' && /Read program.md and TASK.md/.test(x.text)),
      'the driver was given the kickoff prompt',
    );
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dirs.ws, encoding: 'utf8' }).stdout.trim();
    assert.equal(git('branch', '--show-current'), autoresearchBranch('cli-test'));
    assert.deepEqual(git('log', '--format=%s').split('\n'), ['half the steps', 'baseline: the starting record']);
    const rows = readFileSync(join(dirs.ws, 'results.tsv'), 'utf8').trim().split('\n');
    assert.equal(rows[0], RESULTS_HEADER);
    assert.equal(rows.length, 2);
    const [commit, trainMs, valLoss, status] = rows[1].split('\t');
    assert.equal(commit, git('rev-parse', '--short', 'HEAD'));
    assert.ok(Number(trainMs) > 0 && Number(valLoss) > 3, `a measured row: ${rows[1]}\n${readFileSync(join(dirs.ws, 'run.log'), 'utf8').slice(-1500)}`);
    assert.equal(status, 'keep');
    assert.equal(
      git('status', '--porcelain', '--', 'results.tsv', 'run.log', '.claude'),
      '',
      'results.tsv, run.log and the CLI state stay untracked and ignored',
    );
  });
});
