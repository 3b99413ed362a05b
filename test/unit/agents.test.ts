import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact, secretsFromEnv } from '../../src/agents/redact';
import { addUsage, emptyLaunchUsage, formatUsage, summarizeUsage } from '../../src/agents/usage';
import { claudeCodeAgent, claudeCodeLaunch, readClaudeEvent } from '../../src/agents/claudeCode';
import { codexAgent, codexLaunch, readCodexEvent } from '../../src/agents/codex';
import { RESULTS_HEADER, SETUP_SCRIPT } from '../../src/agents/autoresearch';
import { agentFor } from '../../src/agents/registry';
import { renderKind, renderPrompt, promptRecord, type PromptKind } from '../../src/agents/prompts';
import { resumeIdFromLines } from '../../src/agents/traceFiles';
import type { AgentContext } from '../../src/agents/agent';
import { parseSessionSpec, type SessionSpecInput } from '../../src/domain/spec';
import { egressAllowList } from '../../src/agents/modelApis';

function ctx(spec: SessionSpecInput, over: Partial<AgentContext> = {}): AgentContext {
  return {
    sessionId: 's1',
    spec: parseSessionSpec(spec),
    launch: 1,
    paths: { workspace: '/ws', data: null, relay: null, tools: '/tools' },
    historyDir: '',
    replayRecords: [],
    prompt: 'PROMPT',
    taskPrompt: 'TASK',
    targetValLoss: 3.28,
    resumeId: null,
    ...over,
  };
}

describe('redact', () => {
  const key = 'sk-ant-api03-' + 'x'.repeat(40);
  it('replaces the exact values of passed variables with their names, and common key shapes', () => {
    const secrets = [
      { name: 'ANTHROPIC_API_KEY', value: key },
      { name: 'TOKEN', value: 'abcdef0123456789' },
    ];
    assert.equal(redact(`a ${key} b abcdef0123456789 c`, secrets), 'a [REDACTED:ANTHROPIC_API_KEY] b [REDACTED:TOKEN] c');
    assert.equal(redact('openai sk-proj-' + 'A1'.repeat(20), []), 'openai [REDACTED]');
    assert.equal(redact('Authorization: Bearer ' + 'tok.'.repeat(8), []), 'Authorization: Bearer [REDACTED]');
    assert.equal(redact('aws AKIAABCDEFGHIJKLMNOP here', []), 'aws [REDACTED] here');
    assert.equal(redact('{"x-api-key": "' + 'k'.repeat(30) + '"}', []), '{"x-api-key": "[REDACTED]"}');
  });
  it('replaces a secret that contains another one whole, and leaves short values and plain text alone', () => {
    const secrets = [
      { name: 'SHORT', value: 'abc' },
      { name: 'INNER', value: 'secret-value-1' },
      { name: 'OUTER', value: 'xx-secret-value-1-yy' },
    ];
    assert.equal(redact('xx-secret-value-1-yy abc', secrets), '[REDACTED:OUTER] abc');
    assert.equal(redact('step:40/40 val_loss:3.2500 train_time:800ms', secrets), 'step:40/40 val_loss:3.2500 train_time:800ms');
  });
  it('is idempotent, so traces rebuilt from already-redacted output stay the same', () => {
    const once = redact(`k=${key}`, [{ name: 'K', value: key }]);
    assert.equal(redact(once, [{ name: 'K', value: key }]), once);
  });
  it('takes secrets from the environment by name, but not base URLs or regions', () => {
    const env = { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999', AWS_REGION: 'us-east-1', EMPTY: '' };
    assert.deepEqual(secretsFromEnv(['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'AWS_REGION', 'EMPTY', 'ABSENT'], env), [
      { name: 'ANTHROPIC_API_KEY', value: key },
    ]);
  });
});

describe('usage', () => {
  it('a cumulative report replaces, a per-turn report adds', () => {
    const turn = { cumulative: false, inputTokens: 100, outputTokens: 10, cachedInputTokens: 50, cacheWriteTokens: 0, costUsd: null, turns: 1 };
    const two = addUsage(addUsage(emptyLaunchUsage(), turn), turn);
    assert.deepEqual([two.inputTokens, two.outputTokens, two.cachedInputTokens, two.turns, two.costUsd, two.reported], [200, 20, 100, 2, null, true]);
    const total = addUsage(two, { cumulative: true, inputTokens: 7, outputTokens: 3, cachedInputTokens: 1, cacheWriteTokens: 2, costUsd: 0.5, turns: 4 });
    assert.deepEqual([total.inputTokens, total.costUsd, total.turns], [7, 0.5, 4]);
  });
  it('summarizes a usage file over its launches for status', () => {
    const l = (inputTokens: number, costUsd: number | null, reported = true) => ({
      inputTokens,
      outputTokens: 10,
      cachedInputTokens: 1,
      cacheWriteTokens: 0,
      costUsd,
      turns: 1,
      reported,
    });
    const s = summarizeUsage({ agent: 'claude-code', launches: { '1': l(1000, 0.25), '2': l(500, 0.125), '3': l(0, null, false) } })!;
    assert.deepEqual(s, {
      agent: 'claude-code',
      launches: 3,
      inputTokens: 1500,
      outputTokens: 30,
      cachedInputTokens: 3,
      cacheWriteTokens: 0,
      costUsd: 0.375,
      unreportedLaunches: 1,
    });
    assert.equal(formatUsage(s), '1.5k in (3 cached) / 30 out tokens, $0.38 over 3 launches (1 unreported)');
    assert.equal(summarizeUsage({ agent: 'codex', launches: { '1': l(10, null) } })!.costUsd, null);
    assert.equal(summarizeUsage(null), null);
    assert.equal(summarizeUsage({ launches: 'nope' }), null);
  });
});

describe('claude-code adapter', () => {
  it('print mode with stream-json, no web tools, model, effort and resume id', () => {
    const plan = claudeCodeLaunch(ctx({ agent: 'claude-code', budgetGpuHours: 1, agentModel: 'opus', agentEffort: 'max' }, { resumeId: 'abc-123' }), 'GO');
    assert.deepEqual(plan.argv.slice(0, 3), ['claude', '-p', 'GO']);
    const s = plan.argv.join(' ');
    for (const f of ['--output-format stream-json', '--verbose', '--model opus', '--effort max', '--resume abc-123']) assert.ok(s.includes(f), f);
    assert.deepEqual(plan.argv.slice(-3), ['--disallowedTools', 'WebFetch', 'WebSearch'], 'the variadic flag comes last');
    assert.ok(claudeCodeAgent.passEnv(parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1 })).includes('ANTHROPIC_API_KEY'));
    assert.equal(
      Object.values(plan.env).some((v) => v.startsWith('sk-')),
      false,
      'no key values in the plan',
    );
  });
  it('bedrock switches the provider by environment and passes AWS credentials by name', () => {
    const plan = claudeCodeLaunch(ctx({ agent: 'claude-code', budgetGpuHours: 1, agentProvider: 'bedrock', agentPassEnv: ['EXTRA_TOKEN'] }), 'GO');
    assert.equal(plan.env.CLAUDE_CODE_USE_BEDROCK, '1');
    const passEnv = claudeCodeAgent.passEnv(
      parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1, agentProvider: 'bedrock', agentPassEnv: ['EXTRA_TOKEN'] }),
    );
    assert.ok(passEnv.includes('AWS_SECRET_ACCESS_KEY') && passEnv.includes('EXTRA_TOKEN'));
  });
  it('reads init, assistant, tool result and result events', () => {
    const init = readClaudeEvent(JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sid-1', model: 'm', cwd: '/ws', tools: [] }));
    assert.equal(init.sessionId, 'sid-1');
    const asst = readClaudeEvent(
      JSON.stringify({
        type: 'assistant',
        session_id: 'sid-1',
        message: {
          content: [
            { type: 'text', text: 'hi' },
            { type: 'tool_use', name: 'Bash', input: { command: 'ls' } },
          ],
        },
      }),
    );
    assert.equal(asst.text, 'assistant: hi\n$ ls');
    const res = readClaudeEvent(
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content: [{ type: 'text', text: 'a\nb' }], is_error: true }] } }),
    );
    assert.equal(res.text, '  ✗ a\n    b');
    const result = readClaudeEvent(
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 3,
        result: 'ok',
        session_id: 'sid-1',
        total_cost_usd: 0.01,
        usage: { input_tokens: 5, output_tokens: 6, cache_read_input_tokens: 7, cache_creation_input_tokens: 8 },
      }),
    );
    assert.deepEqual(result.usage, { cumulative: true, inputTokens: 5, outputTokens: 6, cachedInputTokens: 7, cacheWriteTokens: 8, costUsd: 0.01, turns: 3 });
    assert.equal(readClaudeEvent('Warning: not json').text, '[stderr] Warning: not json');
  });
});

describe('codex adapter', () => {
  it('exec --json with web search off, model, effort, provider, and `resume <thread> <prompt>` last', () => {
    const fresh = codexLaunch(ctx({ agent: 'codex', budgetGpuHours: 1, agentModel: 'gpt-5-codex', agentEffort: 'xhigh', agentProvider: 'azure' }), 'GO');
    assert.deepEqual(fresh.argv.slice(0, 3), ['codex', 'exec', '--json']);
    const s = fresh.argv.join(' ');
    for (const f of [
      '-c web_search="disabled"',
      '-c allow_login_shell=false',
      '-c features.plugins=false',
      '-m gpt-5-codex',
      '-c model_reasoning_effort="xhigh"',
      '-c model_provider="azure"',
    ])
      assert.ok(s.includes(f), f);
    assert.equal(fresh.argv.at(-1), 'GO');
    const resumed = codexLaunch(ctx({ agent: 'codex', budgetGpuHours: 1 }, { resumeId: 'th-9' }), 'AGAIN');
    assert.deepEqual(resumed.argv.slice(-3), ['resume', 'th-9', 'AGAIN']);
    assert.ok(codexAgent.passEnv(parseSessionSpec({ agent: 'codex', budgetGpuHours: 1 })).includes('OPENAI_API_KEY'));
  });
  it('reads thread.started, items and turn.completed usage', () => {
    assert.equal(readCodexEvent('{"type":"thread.started","thread_id":"th-1"}').sessionId, 'th-1');
    assert.equal(readCodexEvent('{"type":"item.started","item":{"id":"i","type":"command_execution","command":"ls","status":"in_progress"}}').text, '$ ls');
    assert.equal(readCodexEvent('{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"done"}}').text, 'assistant: done');
    const u = readCodexEvent('{"type":"turn.completed","usage":{"input_tokens":10,"cached_input_tokens":4,"output_tokens":2}}').usage!;
    assert.deepEqual([u.cumulative, u.inputTokens, u.cachedInputTokens, u.outputTokens, u.costUsd], [false, 10, 4, 2, null]);
  });
  it('the last id named in a trace is the one to resume', () => {
    const lines = [
      '{"type":"thread.started","thread_id":"a"}',
      'garbage',
      '',
      '{"type":"thread.started","thread_id":"b"}',
      '{"type":"turn.completed","usage":{}}',
    ];
    assert.equal(resumeIdFromLines(agentFor({ agent: 'codex', autoresearchDriver: 'claude-code' }), lines), 'b');
    assert.equal(resumeIdFromLines(agentFor({ agent: 'codex', autoresearchDriver: 'claude-code' }), ['nothing']), null);
  });
});

describe('spec fields for agents', () => {
  it('refuses an effort the chosen CLI does not take, naming the field', () => {
    assert.throws(
      () => parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1, agentEffort: 'xhigh' }),
      /agentEffort.*claude-code takes one of low, medium, high, max/,
    );
    assert.throws(
      () => parseSessionSpec({ agent: 'autoresearch', autoresearchDriver: 'codex', budgetGpuHours: 1, agentEffort: 'max' }),
      /agentEffort.*codex takes/,
    );
    assert.throws(() => parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1, agentProvider: 'azure' }), /agentProvider/);
    assert.throws(() => parseSessionSpec({ agent: 'codex', budgetGpuHours: 1, agentPassEnv: ['sk-live-value'] }), /agentPassEnv/);
    const d = parseSessionSpec({ agent: 'codex', budgetGpuHours: 1 });
    assert.deepEqual([d.autoresearchDriver, d.agentPassEnv, d.agentStopGraceSeconds], ['claude-code', [], 10]);
  });

  it('agentEgress takes host:port and names the field otherwise; each CLI names its own model API', () => {
    assert.throws(() => parseSessionSpec({ agent: 'codex', budgetGpuHours: 1, agentEgress: ['https://gw.example'] }), /agentEgress\[0\]: host:port/);
    const spec = parseSessionSpec({ agent: 'autoresearch', autoresearchDriver: 'codex', budgetGpuHours: 1, agentEgress: ['gw.example:8443'] });
    assert.deepEqual(spec.agentEgress, ['gw.example:8443']);
    assert.deepEqual(egressAllowList(agentFor(spec).modelApis(spec), {}, spec.agentEgress), ['api.openai.com:443', 'gw.example:8443']);
    const claude = parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 1, agentProvider: 'bedrock' });
    assert.deepEqual(egressAllowList(agentFor(claude).modelApis(claude), { AWS_REGION: 'eu-west-1' }), ['bedrock-runtime.eu-west-1.amazonaws.com:443']);
    const replay = parseSessionSpec({ agent: 'replay', budgetGpuHours: 1 });
    assert.deepEqual(agentFor(replay).modelApis(replay), [], 'the replay agent reaches nothing');
  });
});

describe('prompts', () => {
  const spec = parseSessionSpec({ agent: 'claude-code', budgetGpuHours: 2.5, gpus: 8, retimeRuns: 10 });
  it('every template of this version renders with no placeholder left', () => {
    for (const kind of ['task', 'resume', 'autoresearch-program'] as PromptKind[]) {
      const text = renderKind(kind, { workspace: '/workspace', spec, targetValLoss: 3.28, branch: 'autoresearch/x' });
      assert.doesNotMatch(text, /\{\{|\}\}/, kind);
      assert.match(text, /3\.28/, kind);
    }
    const task = renderKind('task', { workspace: '/workspace', spec, targetValLoss: 3.28 });
    for (const fact of [
      '2.5 GPU-hours',
      'p < 0.01',
      'submissions/<name>/',
      'submit --status',
      'run.sh',
      '8 GPUs',
      'compile flags',
      'seed picking',
      'fixed number of steps',
      'torch._dynamo.config',
      'PYTHONUNBUFFERED',
      'restored before the clock starts',
    ])
      assert.ok(task.includes(fact), fact);
  });
  it('a placeholder without a value is an error', () => {
    assert.throws(() => renderPrompt('{{nope}}', { workspace: '/w', spec, targetValLoss: 1 }), /\{\{nope\}\} has no value/);
  });
  it('records the version and the hashes of the templates', () => {
    const r = promptRecord(['task', 'resume'], 'rendered');
    assert.equal(r.version, 'v2');
    assert.match(r.templates.task.sha256, /^[0-9a-f]{64}$/);
    assert.equal(r.templates.resume.file, 'src/agents/prompts/resume.v2.md');
  });
});

describe('autoresearch setup', () => {
  it('creates the branch with the record as its first commit and the results table, and changes nothing when run again', () => {
    const ws = mkdtempSync(join(tmpdir(), 'autoresearch-'));
    try {
      writeFileSync(join(ws, 'train_gpt.py'), 'print(1)\n');
      const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
      const run = () => spawnSync('bash', ['-c', SETUP_SCRIPT, 'setup', 'autoresearch/s1', 'true'], { cwd: ws, env, encoding: 'utf8' });
      assert.equal(run().status, 0);
      writeFileSync(join(ws, 'results.tsv'), `${RESULTS_HEADER}\nabc\t1\t3.2\tkeep\tbaseline\n`);
      const again = run();
      assert.equal(again.status, 0, again.stderr);
      const git = (...a: string[]) => spawnSync('git', a, { cwd: ws, encoding: 'utf8' }).stdout.trim();
      assert.equal(git('branch', '--show-current'), 'autoresearch/s1');
      assert.equal(git('log', '--format=%s'), 'baseline: the starting record');
      assert.equal(readFileSync(join(ws, 'results.tsv'), 'utf8').split('\n').length, 3, 'the table the agent wrote is kept');
      assert.equal(git('status', '--porcelain'), '', 'results.tsv is ignored');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
