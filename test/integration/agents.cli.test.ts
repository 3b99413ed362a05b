import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../../src/agents/agent';
import { agentFor } from '../../src/agents/registry';
import { renderKind } from '../../src/agents/prompts';
import { secretsFromEnv } from '../../src/agents/redact';
import { LaunchTrace, resumeIdFromTraces, traceFiles } from '../../src/agents/traceFiles';
import { summarizeUsage } from '../../src/agents/usage';
import { autoresearchBranch, RESULTS_HEADER } from '../../src/agents/autoresearch';
import { parseSessionSpec, type SessionSpecInput } from '../../src/domain/spec';
import { LocalSandbox } from '../../src/sandbox/local';
import type { SandboxSpec } from '../../src/sandbox/sandbox';
import { FASTRUN } from '../helpers/harness';
import { FAKE_AGENT_BIN, ModelServer, type Brain, type ModelCall } from '../fixtures/agents/modelServer';

const KEY = 'sk-ant-test-' + 'k3y'.repeat(10);
const OPENAI_KEY = 'sk-proj-test' + 'Z9'.repeat(15);

/**
 * Every CLI adapter against its fake CLI and a model API on loopback, through the real local
 * sandbox and the trace writer the activity uses: the argv parses, events become the trace, usage
 * is counted, keys are redacted, and a second launch resumes the first one's session.
 */
describe('agent adapters drive their CLIs (fake CLIs, loopback model API)', () => {
  let brain: Brain = () => ({ say: 'nothing to do' });
  const server = new ModelServer((c) => brain(c), KEY);
  const codexServer = new ModelServer((c) => brain(c), OPENAI_KEY);
  const saved = { ...process.env };
  const root = mkdtempSync(join(tmpdir(), 'nanogpt-agents-'));

  before(async () => {
    await server.start();
    await codexServer.start();
    process.env.PATH = `${FAKE_AGENT_BIN}:${process.env.PATH}`;
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

  /** One launch start to exit, as runAgent does it, minus Temporal. */
  async function launch(agent: Agent, specInput: SessionSpecInput, dirs: { ws: string; state: string }, n: number) {
    const spec = parseSessionSpec(specInput);
    const sb = new LocalSandbox();
    const traceDir = join(dirs.state, 'trace');
    const resumeId = n > 1 ? await resumeIdFromTraces(traceDir, agent, n) : null;
    const facts = { workspace: dirs.ws, spec, targetValLoss: 3.28 };
    const taskPrompt = renderKind('task', facts);
    const prompt = n === 1 ? taskPrompt : renderKind('resume', facts);
    const plan = agent.launch({ sessionId: 'cli-test', spec, launch: n, paths: { workspace: dirs.ws, data: null, relay: null, tools: '' }, historyDir: '', replayRecords: [], prompt, taskPrompt, targetValLoss: facts.targetValLoss, resumeId });
    for (const [rel, text] of Object.entries(plan.files ?? {})) if (!existsSync(join(dirs.ws, rel))) writeFileSync(join(dirs.ws, rel), text);
    const sspec: SandboxSpec = { labels: { sessionId: 'cli-test', role: 'agent' }, workspaceDir: dirs.ws, dataDir: null, relayDir: null, stateDir: dirs.state, gpus: 1, egress: [], passEnv: agent.passEnv(spec) };
    const h = await sb.ensure(sspec);
    const name = `agent-${n}`;
    const trace = new LaunchTrace(traceDir, agent, n, sb.outputPath(h, name), secretsFromEnv(agent.passEnv(spec)));
    await trace.open({ launch: n, agent: agent.name, startedAtMs: Date.now(), promptKind: n === 1 ? 'task' : 'resume', promptVersion: 'v1', resumeId, argv: plan.argv });
    await sb.start(h, { name, argv: plan.argv, env: plan.env });
    for (;;) {
      const st = await sb.status(h, name);
      if (st.state === 'exited') {
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

  /** Launch 1 writes a note and prints the key; launch 2, resumed, reads the note back. */
  const noteBrain: Brain = (c) => {
    const last = lastTurn(c);
    if (last.role === 'user' && last.text.includes('# Task')) return { bash: 'echo remembered > note.txt && echo "key is $ANTHROPIC_API_KEY$OPENAI_API_KEY"', say: 'Writing a note.' };
    if (last.role === 'user' && last.text.includes('# You are resumed')) return { bash: 'cat note.txt' };
    return { say: 'done for now' };
  };

  for (const which of ['claude-code', 'codex'] as const) {
    it(`${which}: runs, traces, counts usage, redacts keys, and resumes its own session`, { timeout: 60_000 }, async () => {
      brain = noteBrain;
      const srv = which === 'codex' ? codexServer : server;
      const key = which === 'codex' ? OPENAI_KEY : KEY;
      const before1 = srv.calls.length;
      const dirs = dirsFor(which);
      const spec: SessionSpecInput = { agent: which, budgetGpuHours: 1, gpus: 1, agentModel: `${which}-test-model`, agentEffort: 'high' };
      const agent = agentFor(parseSessionSpec(spec));

      const first = await launch(agent, spec, dirs, 1);
      assert.equal(first.exit.state === 'exited' && first.exit.exitCode, 0, readFileSync(first.raw, 'utf8'));
      const calls1 = srv.calls.slice(before1);
      assert.equal(calls1.length, 2, 'one call that runs the command, one that ends the turn');
      assert.equal(calls1[0].body.model, `${which}-test-model`);
      if (which === 'claude-code') {
        const tools = calls1[0].body.tools.map((t: { name: string }) => t.name);
        assert.ok(tools.includes('Bash') && !tools.includes('WebFetch') && !tools.includes('WebSearch'), `tools offered: ${tools}`);
        assert.equal(calls1[0].body.metadata.effort, 'high');
      } else {
        assert.ok(!calls1[0].body.tools.some((t: { type: string }) => t.type === 'web_search'), 'web search is off');
        assert.equal(calls1[0].body.reasoning.effort, 'high');
      }
      assert.equal(readFileSync(join(dirs.ws, 'note.txt'), 'utf8').trim(), 'remembered');

      const jsonl = readFileSync(traceFiles.jsonl(first.traceDir, 1), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const types = new Set(jsonl.map((e) => e.type));
      for (const t of which === 'codex' ? ['thread.started', 'item.started', 'item.completed', 'turn.completed'] : ['system', 'assistant', 'user', 'result']) assert.ok(types.has(t), `trace has ${t} events`);
      const transcript = readFileSync(traceFiles.transcript(first.traceDir), 'utf8');
      assert.match(transcript, /=== launch 1: .* fresh start/);
      assert.match(transcript, /\$ echo remembered > note.txt/);
      assert.match(transcript, /key is \[REDACTED:(ANTHROPIC|OPENAI)_API_KEY\]/);
      for (const f of [...readdirSync(first.traceDir).map((x) => join(first.traceDir, x)), first.raw]) {
        assert.ok(!readFileSync(f, 'utf8').includes(key), `${f} holds no key`);
      }

      const usage1 = summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(first.traceDir), 'utf8')))!;
      const served = calls1.reduce((a, c) => a + Math.ceil(JSON.stringify(c.api === 'messages' ? c.body.messages : c.body.input).length / 4), 0);
      assert.equal(usage1.inputTokens, served, 'input tokens: what the server reported, summed');
      assert.equal(usage1.outputTokens, 40);
      if (which === 'claude-code') assert.ok(usage1.costUsd !== null && usage1.costUsd > 0);
      else assert.equal(usage1.costUsd, null, 'codex reports no cost');

      const before2 = srv.calls.length;
      const second = await launch(agent, spec, dirs, 2);
      assert.ok(second.resumeId, 'an id to resume was found in the first trace');
      assert.ok(second.plan.argv.includes(second.resumeId!), `argv carries the id: ${second.plan.argv.slice(0, 12).join(' ')}`);
      assert.equal(second.exit.state === 'exited' && second.exit.exitCode, 0, readFileSync(second.raw, 'utf8'));
      const resumed = srv.calls[before2];
      assert.ok(resumed.turns.some((t) => t.text.includes('echo remembered')), 'the resumed request carries the first launch conversation');
      assert.match(lastTurn(resumed).text, /# You are resumed/);
      assert.match(readFileSync(traceFiles.transcript(second.traceDir), 'utf8'), /=== launch 2: .* resuming [\w-]+[\s\S]*remembered/);
      assert.equal(summarizeUsage(JSON.parse(readFileSync(traceFiles.usage(second.traceDir), 'utf8')))!.launches, 2);
    });
  }

  it(`${'claude-code'}: an unknown resume id fails the way the CLI does`, { timeout: 30_000 }, () => {
    const r = spawnSync(join(FAKE_AGENT_BIN, 'claude'), ['-p', 'hi', '--output-format', 'stream-json', '--verbose', '--resume', 'nope'], { encoding: 'utf8', env: { ...process.env, HOME: root } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /No conversation found with session ID: nope/);
  });

  it('autoresearch: sets up the branch and results table, and the driver runs the loop: baseline, a crash reverted, a kept change', { timeout: 120_000 }, async () => {
    const measure = (status: string, what: string) =>
      `l=$(grep -E '^step:([0-9]+)/\\1 val_loss' run.log | tail -1); t=$(echo "$l" | sed -E 's/.*train_time:([0-9]+)ms.*/\\1/'); v=$(echo "$l" | sed -E 's/.*val_loss:([0-9.]+).*/\\1/'); printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$(git rev-parse --short HEAD)" "\${t:-0}" "\${v:-0}" ${status} '${what}' >> results.tsv`;
    const plan = [
      `bash run.sh > run.log 2>&1; ${measure('keep', 'baseline')}`,
      `sed -i 's/^STEPS = 40$/STEPS = 40\\nraise SystemExit("broken idea")/' train_gpt.py && git commit -qam 'a broken idea' && { bash run.sh > run.log 2>&1 || true; } && ${measure('crash', 'a broken idea')} && git reset -q --hard HEAD~1`,
      `sed -i 's/^STEPS = 40$/STEPS = 20/' train_gpt.py && git commit -qam 'half the steps' && bash run.sh > run.log 2>&1 && ${measure('keep', 'half the steps')}`,
    ];
    let step = 0;
    brain = (c) => {
      if (step === 0) assert.match(lastTurn(c).text, /Read program.md and TASK.md/);
      return step < plan.length ? { bash: plan[step++] } : { say: 'three experiments done' };
    };
    const dirs = dirsFor('autoresearch');
    const spec: SessionSpecInput = { agent: 'autoresearch', budgetGpuHours: 1, gpus: 1, anchor: FASTRUN };
    const agent = agentFor(parseSessionSpec(spec));
    const r = await launch(agent, spec, dirs, 1);
    assert.equal(r.exit.state === 'exited' && r.exit.exitCode, 0, readFileSync(r.raw, 'utf8'));
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dirs.ws, encoding: 'utf8' }).stdout.trim();
    assert.equal(git('branch', '--show-current'), autoresearchBranch('cli-test'));
    assert.deepEqual(git('log', '--format=%s').split('\n'), ['half the steps', 'baseline: the starting record']);
    assert.match(readFileSync(join(dirs.ws, 'train_gpt.py'), 'utf8'), /^STEPS = 20$/m);
    const rows = readFileSync(join(dirs.ws, 'results.tsv'), 'utf8').trim().split('\n');
    assert.equal(rows[0], RESULTS_HEADER);
    assert.deepEqual(rows.slice(1).map((l) => l.split('\t')[3]), ['keep', 'crash', 'keep']);
    const [base, crash, kept] = rows.slice(1).map((l) => l.split('\t'));
    assert.ok(Number(base[2]) > 3 && Number(kept[2]) > 3, 'val losses read from the log');
    assert.equal(crash[1], '0');
    assert.match(readFileSync(join(dirs.ws, 'program.md'), 'utf8'), /Never stop/);
    assert.ok(statSync(join(dirs.ws, 'TASK.md')).size > 1000);
    assert.equal(git('status', '--porcelain', '--', 'results.tsv', 'run.log'), '', 'results.tsv and run.log stay untracked and ignored');
  });

  it('the real claude CLI, where it is installed and a key is set', { timeout: 120_000 }, async (t) => {
    const real = spawnSync('bash', ['-c', `PATH="${saved.PATH}" command -v claude`], { encoding: 'utf8' }).stdout.trim();
    if (!real || !saved.ANTHROPIC_API_KEY) {
      t.skip(`skipped: ${real ? 'ANTHROPIC_API_KEY is not set' : 'claude is not installed'}`);
      return;
    }
    const r = spawnSync(real, ['-p', 'Reply with the single word OK.', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions', '--disallowedTools', 'WebFetch', 'WebSearch'], { encoding: 'utf8', env: saved, timeout: 110_000 });
    const agent = agentFor({ agent: 'claude-code', autoresearchDriver: 'claude-code' });
    const events = r.stdout.trim().split('\n').map((l) => agent.readEvent(l));
    assert.ok(events.some((e) => e.sessionId), 'the real stream names its session');
    assert.ok(events.some((e) => e.usage && e.usage.outputTokens > 0), 'the real result event reports usage');
  });

  it('the real codex CLI, where it is installed and a key is set', { timeout: 120_000 }, async (t) => {
    const real = spawnSync('bash', ['-c', `PATH="${saved.PATH}" command -v codex`], { encoding: 'utf8' }).stdout.trim();
    if (!real || !(saved.OPENAI_API_KEY || saved.CODEX_API_KEY)) {
      t.skip(`skipped: ${real ? 'OPENAI_API_KEY is not set' : 'codex is not installed'}`);
      return;
    }
    const r = spawnSync(real, ['exec', '--json', '--skip-git-repo-check', '-c', 'web_search="disabled"', 'Reply with the single word OK.'], { encoding: 'utf8', env: saved, timeout: 110_000, cwd: root });
    const agent = agentFor({ agent: 'codex', autoresearchDriver: 'claude-code' });
    const events = r.stdout.trim().split('\n').map((l) => agent.readEvent(l));
    assert.ok(events.some((e) => e.sessionId), 'the real stream names its thread');
    assert.ok(events.some((e) => e.usage && e.usage.outputTokens > 0), 'turn.completed reports usage');
  });
});
