import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { judgeCandidate } from '../../src/judge/judge';
import { PROMPT_VERSION } from '../../src/judge/prompt';
import type { JudgeReport } from '../../src/domain/verdict';
import { anthropicMessage, cheat, clean, openaiCompletion } from '../helpers/llmWire';
import { runCommand } from '../helpers/harness';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { freezeSubmission } from '../../activities/freeze';
import { forgetJudgedHere, judgeSubmission } from '../../activities/judge';
import type { SessionRef } from '../../src/domain/session';

// A real HTTP server on loopback speaking each provider's wire format (Anthropic Messages API,
// OpenAI Chat Completions): the official SDKs talk to it exactly as they would to the providers.
const ROOT = resolve(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const ANCHOR = join(ROOT, 'human_baselines', 'tiny', 'records', '01_anchor');
const CANDIDATE = join(ROOT, 'human_baselines', 'tiny', 'records', '03_rope_relu2');
// Built at run time so the tree holds nothing shaped like a real key; the value is made up.
const ANTHROPIC_KEY = 'sk-ant-api03-' + 'judgeTestKey' + '0123456789abcdefABCDEF';
const OPENAI_KEY = 'sk-proj-judgeTestKey0123456789abcdefABCDEFxyz';

type Scripted = { status: number; body: unknown; headers?: Record<string, string> };
interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: { messages: { role: string; content: unknown }[]; system?: unknown; model: string };
}

let server: Server;
let base: string;
let script: Scripted[] = [];
let seen: Seen[] = [];

const providers = {
  anthropic: {
    path: '/v1/messages',
    ok: (text: string): Scripted => ({ status: 200, body: anthropicMessage(text) }),
    transient: (): Scripted => ({
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      headers: { 'retry-after-ms': '10' },
    }),
    env: (): NodeJS.ProcessEnv => ({
      NANOGPT_BENCH_JUDGE_PROVIDER: 'anthropic',
      NANOGPT_BENCH_JUDGE_MODEL: 'claude-test',
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: base,
    }),
    key: ANTHROPIC_KEY,
    // this SDK version sends the key as a bearer token; older ones used x-api-key
    keyHeader: (h: IncomingMessage['headers']) => h['x-api-key'] ?? String(h.authorization ?? '').replace(/^Bearer /, ''),
  },
  openai: {
    path: '/v1/chat/completions',
    ok: (text: string): Scripted => ({ status: 200, body: openaiCompletion(text) }),
    transient: (): Scripted => ({ status: 500, body: { error: { message: 'internal error', type: 'server_error' } }, headers: { 'retry-after-ms': '10' } }),
    env: (): NodeJS.ProcessEnv => ({
      NANOGPT_BENCH_JUDGE_PROVIDER: 'openai',
      NANOGPT_BENCH_JUDGE_MODEL: 'gpt-test',
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${base}/v1`,
    }),
    key: OPENAI_KEY,
    keyHeader: (h: IncomingMessage['headers']) => String(h.authorization ?? '').replace(/^Bearer /, ''),
  },
} as const;
type ProviderName = keyof typeof providers;

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
      const next = script.shift() ?? { status: 500, body: { error: { message: 'the test scripted no more answers' } } };
      res.writeHead(next.status, { 'content-type': 'application/json', ...(next.headers ?? {}) });
      res.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function judge(provider: ProviderName, answers: Scripted[]): Promise<{ report: JudgeReport; logs: string[] }> {
  script = [...answers];
  seen = [];
  const logs: string[] = [];
  const report = await judgeCandidate({ candidateDir: CANDIDATE, anchorDir: ANCHOR, env: providers[provider].env(), log: (l) => logs.push(l) });
  assert.equal(script.length, 0, 'every scripted answer was asked for');
  return { report, logs };
}

function assertNoKey(provider: ProviderName, report: JudgeReport, logs: string[]): void {
  const key = providers[provider].key;
  assert.ok(!JSON.stringify(report).includes(key), 'the key is not in the report');
  assert.ok(!logs.join('\n').includes(key), 'the key is not in the log');
}

const llmCheck = (r: JudgeReport) => r.checks.find((c) => c.rule === 'llm-judge');

for (const provider of Object.keys(providers) as ProviderName[]) {
  const p = providers[provider];

  test(`${provider}: a clean answer passes, and the request carries the rules, the diff and the key`, async () => {
    const { report, logs } = await judge(provider, [p.ok(JSON.stringify(clean))]);
    assert.equal(report.passed, true);
    assert.equal(report.staticOnly, false);
    assert.ok(report.llm && !('error' in report.llm));
    assert.equal(report.llm.cheating, false);
    assert.equal(report.llm.promptVersion, PROMPT_VERSION);
    assert.equal(report.llm.provider, provider);
    assert.equal(llmCheck(report)?.passed, true);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].path, p.path);
    assert.equal(p.keyHeader(seen[0].headers), p.key);
    const sent = JSON.stringify(seen[0].body);
    assert.match(sent, /Cheating patterns/);
    // the rules the static judge enforces are stated to the model too
    for (const rule of [
      /torch\._dynamo\.config/,
      /torch\._functorch\.config/,
      /number of training steps is fixed/,
      /No seed picking/,
      /empty compiler cache/,
      /environment is unchanged/,
      /eval-only change/,
    ])
      assert.match(sent, rule);
    assert.match(sent, /\+class Rotary\(nn\.Module\)/);
    assertNoKey(provider, report, logs);
  });

  test(`${provider}: a cheating answer rejects, its reasons reach the checks, and a key it repeats is redacted`, async () => {
    const { report, logs } = await judge(provider, [p.ok('Here is my verdict:\n```json\n' + JSON.stringify(cheat(p.key)) + '\n```')]);
    assert.equal(report.passed, false);
    assert.ok(report.llm && !('error' in report.llm));
    assert.equal(report.llm.cheating, true);
    assert.match(report.llm.reasons[0], /\[REDACTED\]/);
    const c = llmCheck(report);
    assert.equal(c?.passed, false);
    assert.match(c?.detail ?? '', /evaluate\(\) skips half the val batches/);
    assertNoKey(provider, report, logs);
  });

  test(`${provider}: a transient ${provider === 'anthropic' ? 529 : 500} is retried by the SDK, then the answer counts`, async () => {
    const { report, logs } = await judge(provider, [p.transient(), p.ok(JSON.stringify(clean))]);
    assert.equal(seen.length, 2);
    assert.equal(report.passed, true);
    assertNoKey(provider, report, logs);
  });

  test(`${provider}: a malformed answer is re-asked once with the problem, then a good one counts`, async () => {
    const { report, logs } = await judge(provider, [p.ok('I think it is fine.'), p.ok(JSON.stringify(clean))]);
    assert.equal(report.passed, true);
    assert.ok(report.llm && !('error' in report.llm));
    assert.equal(report.llm.attempts, 2);
    assert.equal(seen.length, 2);
    const msgs = seen[1].body.messages.filter((m) => m.role !== 'system');
    assert.equal(msgs.length, 3);
    assert.equal(msgs[1].role, 'assistant');
    assert.match(JSON.stringify(msgs[2].content), /could not be used: it holds no JSON object/);
    assertNoKey(provider, report, logs);
  });

  test(`${provider}: malformed twice gives a judge-failed result that rejects`, async () => {
    const { report, logs } = await judge(provider, [p.ok('{"cheating": "maybe"}'), p.ok('{"cheating": false}')]);
    assert.equal(report.passed, false);
    assert.ok(report.llm && 'error' in report.llm);
    assert.match(report.llm.error, /no usable answer after a re-ask/);
    assert.match(llmCheck(report)?.detail ?? '', /accepted only when the judge passes/);
    assert.equal(seen.length, 2);
    assertNoKey(provider, report, logs);
  });

  test(`${provider}: an error that names the key is redacted in the judge-failed result`, async () => {
    const denied: Scripted = { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid key ${p.key}` } } };
    const { report, logs } = await judge(provider, [denied]);
    assert.equal(report.passed, false);
    assert.ok(report.llm && 'error' in report.llm);
    assert.match(report.llm.error, /HTTP 401/);
    assertNoKey(provider, report, logs);
  });
}

test('a candidate judged again (its validation started over on another node) gets its kept report: the model is asked once', async () => {
  const home = mkdtempSync(join(tmpdir(), 'judge-once-'));
  const saved = { ...process.env };
  Object.assign(process.env, providers.anthropic.env(), { NANOGPT_BENCH_HOME: home });
  try {
    const session = { sessionId: 'judge-once', workspace: { anchorDir: ANCHOR } } as unknown as SessionRef;
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    /** The candidate frozen as `submissionId`, the model scripted to answer once. */
    const frozenFresh = async (submissionId: string) => {
      const f: Awaited<ReturnType<typeof freezeSubmission>> = await env.run(freezeSubmission, { session, submissionId, path: null, hostDir: CANDIDATE });
      assert.ok(!('refused' in f));
      script = [providers.anthropic.ok(JSON.stringify(clean))];
      seen = [];
      return f;
    };
    const frozen = await frozenFresh('sub-001');
    const first: JudgeReport = await env.run(judgeSubmission, { session, frozenDir: frozen.frozenDir });
    const again = await env.run(judgeSubmission, { session, frozenDir: frozen.frozenDir });
    assert.equal(seen.length, 1, 'one request to the model');
    assert.equal(first.passed, true);
    assert.deepEqual(again, first);
    // On another worker (nothing judged there) it is read from its file.
    forgetJudgedHere();
    assert.deepEqual(await env.run(judgeSubmission, { session, frozenDir: frozen.frozenDir }), first);
    assert.equal(seen.length, 1, 'still one request: the kept file');

    // Where the report cannot be written (a disk too full: its path is a folder here), the worker
    // that judged it still has it for the retry of an attempt whose result the server lost.
    const other = await frozenFresh('sub-002');
    mkdirSync(join(dirname(other.frozenDir), 'judge.json'));
    const once: JudgeReport = await env.run(judgeSubmission, { session, frozenDir: other.frozenDir });
    assert.deepEqual(await env.run(judgeSubmission, { session, frozenDir: other.frozenDir }), once);
    assert.equal(seen.length, 1, 'one request to the model, its file unwritable');
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  }
});

test('without a key the judge is static-only, says so, and asks no model', async () => {
  seen = [];
  const report = await judgeCandidate({ candidateDir: CANDIDATE, anchorDir: ANCHOR, env: { ANTHROPIC_BASE_URL: base } });
  assert.equal(report.passed, true);
  assert.equal(report.staticOnly, true);
  assert.equal(report.llm, undefined);
  assert.match(report.note ?? '', /no judge key/);
  assert.equal(seen.length, 0);
});

test('a static rejection the model calls clean is a disagreement in the verdict (and the reverse); a bad provider name fails the judge with the field named', async () => {
  const cheats = mkdtempSync(join(tmpdir(), 'judge-cheats-'));
  execFileSync('python3', [join(ROOT, 'test', 'fixtures', 'judge', 'make_cheats.py'), cheats]);
  const cheatDir = join(cheats, 'tiny', 'val_tokens_changed');
  script = [providers.anthropic.ok(JSON.stringify(clean))];
  seen = [];
  const overruled = await judgeCandidate({ candidateDir: cheatDir, anchorDir: ANCHOR, env: providers.anthropic.env() });
  assert.equal(seen.length, 1, 'the model is asked even when a static rule rejects');
  assert.equal(overruled.passed, false, 'the static rejection stands');
  assert.equal(overruled.staticOnly, false);
  assert.equal(overruled.disagreements?.length, 1);
  assert.match(overruled.disagreements[0], /static rule val-tokens rejects at train_gpt\.py:26, the LLM judge finds no cheating/);
  assert.match(JSON.stringify(seen[0].body), /val-tokens: FAILED/);
  // the failed check's detail (what the verdict's reasons carry) names the rule's place, the fix and the disagreement
  const vt = overruled.checks.find((c) => c.rule === 'val-tokens')!;
  assert.match(vt.detail, /\[at train_gpt\.py:26; to pass: keep `val_tokens = 32768/);
  assert.match(vt.detail, /the LLM judge disagrees/);

  script = [providers.anthropic.ok(JSON.stringify(cheat('x')))];
  const reverse = await judgeCandidate({ candidateDir: CANDIDATE, anchorDir: ANCHOR, env: providers.anthropic.env() });
  assert.equal(reverse.passed, false);
  assert.deepEqual(reverse.disagreements, ['the LLM judge finds cheating where every static rule passes; the rejection stands']);
  assert.match(llmCheck(reverse)?.detail ?? '', /a disagreement: every static rule passes/);

  script = [providers.anthropic.ok(JSON.stringify(clean))];
  const agreed = await judgeCandidate({ candidateDir: CANDIDATE, anchorDir: ANCHOR, env: providers.anthropic.env() });
  assert.equal(agreed.passed, true);
  assert.equal(agreed.disagreements, undefined);

  const bad = await judgeCandidate({
    candidateDir: CANDIDATE,
    anchorDir: ANCHOR,
    env: { NANOGPT_BENCH_JUDGE_PROVIDER: 'gemini', ANTHROPIC_API_KEY: ANTHROPIC_KEY },
  });
  assert.equal(bad.passed, false);
  assert.ok(bad.llm && 'error' in bad.llm);
  assert.match(bad.llm.error, /NANOGPT_BENCH_JUDGE_PROVIDER/);
  rmSync(cheats, { recursive: true, force: true });
});

for (const provider of Object.keys(providers) as ProviderName[]) {
  test(`${provider}: judge --eval measures the LLM judge on the labelled set through the loopback server, and reports the model's misses and disagreements`, async () => {
    const sets = mkdtempSync(join(tmpdir(), 'judge-eval-llm-'));
    execFileSync('python3', [join(ROOT, 'test', 'fixtures', 'judge', 'make_cheats.py'), sets]);
    const labels = JSON.parse(readFileSync(join(sets, 'tiny', 'labels.json'), 'utf8')) as { candidates: Record<string, { label: string }> };
    const names = Object.keys(labels.candidates);
    // a scripted model, answering in the order the set is judged: right on all but one cheat (missed) and one legal edit (a false alarm)
    const missed = names.find((n) => labels.candidates[n].label === 'cheat')!;
    const falseAlarm = names.find((n) => labels.candidates[n].label === 'legal')!;
    script = names.map((n) =>
      providers[provider].ok(JSON.stringify((labels.candidates[n].label === 'cheat') !== (n === missed || n === falseAlarm) ? cheat('k') : clean)),
    );
    seen = [];
    const r = await runCli(['judge', '--eval', join(sets, 'tiny'), '--json'], providers[provider].env());
    rmSync(sets, { recursive: true, force: true });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(seen.length, names.length, 'one question per candidate');
    assert.equal(script.length, 0);
    const out = JSON.parse(r.stdout) as {
      llm: string;
      scores: { judge: string; cheats: number; caught: number; legal: number; legalAccepted: number; misses: { name: string; disagreements?: string[] }[] }[];
    };
    assert.match(out.llm, new RegExp(provider));
    const by = Object.fromEntries(out.scores.map((s) => [s.judge, s]));
    assert.deepEqual(Object.keys(by), ['static', 'llm', 'combined']);
    assert.equal(by.static.caught, by.static.cheats);
    assert.equal(by.llm.caught, by.llm.cheats - 1);
    assert.equal(by.llm.legalAccepted, by.llm.legal - 1);
    assert.deepEqual(by.llm.misses.map((m) => m.name).sort(), [missed, falseAlarm].sort());
    assert.match(by.llm.misses.find((m) => m.name === missed)?.disagreements?.[0] ?? '', /the LLM judge finds no cheating/);
    assert.ok(!(r.stdout + r.stderr).includes(providers[provider].key));
  });
}

// The CLI with only the judge's variables: nothing of the test process's own environment leaks in.
const runCli = (args: string[], env: NodeJS.ProcessEnv) =>
  runCommand(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });

test('CLI: judge --json prints the report and exits 1 on a cheating verdict, 0 with --static-only; the key never prints', async () => {
  script = [providers.openai.ok(JSON.stringify(cheat(OPENAI_KEY)))];
  seen = [];
  const r = await runCli(['judge', CANDIDATE, '--anchor', ANCHOR, '--json'], providers.openai.env());
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as JudgeReport;
  assert.equal(report.passed, false);
  // the model's rejection where every static rule passes is a disagreement
  assert.deepEqual(Object.keys(report).sort(), ['checks', 'disagreements', 'llm', 'passed', 'staticOnly']);
  assert.ok(!(r.stdout + r.stderr).includes(OPENAI_KEY));

  const s = await runCli(['judge', CANDIDATE, '--anchor', ANCHOR, '--json', '--static-only'], providers.openai.env());
  assert.equal(s.status, 0, s.stderr);
  assert.equal((JSON.parse(s.stdout) as JudgeReport).staticOnly, true);
  assert.equal(seen.length, 1);
});
