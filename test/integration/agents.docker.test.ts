import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countingServer } from '../helpers/countingServer';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerSandbox } from '../../src/sandbox/docker';
import type { EgressRecord } from '../../src/sandbox/egressProxy';
import { grantableUlimits, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { ModelServer, type ModelCall, type ModelStep } from '../fixtures/agents/modelServer';
import { AGENT_CLIS_DIR, CLAUDE_EXE, realClisOrSkip } from '../fixtures/agents/realClis';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/files/layout';
import { traceFiles } from '../../src/agents/traceFiles';
import { harnessToolsDir } from '../../src/sandbox/tools';

const KEY = 'sk-ant-docker-' + 'z3'.repeat(16);
const OPENAI_KEY = 'sk-proj-docker' + 'Q8'.repeat(15);
/** The codex executable itself (static, musl): what runs in a sandbox without node. */
const CODEX_EXE = join(AGENT_CLIS_DIR, 'node_modules', '@openai', 'codex-linux-x64', 'vendor', 'x86_64-unknown-linux-musl', 'bin', 'codex');

/**
 * What each pinned CLI tries beside its model API, as seen in the egress log (all refused, none
 * needed): a new version that calls somewhere else fails here, and the README's list is updated.
 * Both call nothing else now; codex 0.171.0 synced its plugins from github.com, api.github.com and
 * chatgpt.com at every start until the adapter turned them off (features.plugins=false).
 */
const OTHER_ENDPOINTS: Record<'claude-code' | 'codex', string[]> = { 'claude-code': [], codex: [] };

/** The refused endpoints are the agent's own try and, at most, those the CLI is known to call. */
function assertOnlyKnown(refused: string[], leakPort: number, known: string[]): void {
  const unknown = refused.filter((e) => e !== `GET 127.0.0.1:${leakPort}` && !known.includes(e));
  assert.deepEqual(unknown, [], `endpoints the CLI tried that the README does not list: ${JSON.stringify(unknown)}`);
}

/**
 * A whole claude-code session on Docker with the real `claude` (mounted read-only from
 * .tools/agent-clis) in the agent container: it asks the model API on the host's loopback through
 * the worker's egress proxy, whose allow list holds that API only; a try at another endpoint is
 * refused, and the submission is timed in validation sandboxes.
 */
describe('claude-code and codex sessions on Docker (the real CLIs, model API on loopback, egress filtered)', { timeout: 20 * 60_000 }, () => {
  const saved = { ...process.env };
  const h = new Harness();
  const tools = mkdtempSync(join(tmpdir(), 'docker-agents-tools-'));
  let skip: string | false = false;
  let engine: TestEngine;
  let other: Awaited<ReturnType<typeof countingServer>>;
  const lastTurn = (c: ModelCall) => c.turns[c.turns.length - 1];
  let step = 0;
  const server = new ModelServer((c) => {
    if (/# You are resumed/.test(lastTurn(c).text)) return { hang: true };
    const leak = `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${other.port}/exfiltrate')" 2>&1 | tail -1`;
    const steps: ModelStep[] = [
      { say: 'Checking the network.', bash: leak },
      { bash: `cp -r ${join(FASTRUN, 'records', '01_faster')} submissions/faster && submit submissions/faster` },
    ];
    return steps[step++] ?? { say: 'Submitted.' };
  }, KEY);
  // Codex polls for the verdict (a blocking command would outlast its shell tool's yield), then holds its next turn.
  let codexStep = 0;
  const codexServer = new ModelServer((c) => {
    const steps: ModelStep[] = [
      { bash: `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${other.port}/exfiltrate')" 2>&1 | tail -1` },
      { bash: `cp -r ${join(FASTRUN, 'records', '01_faster')} submissions/faster && submit submissions/faster --no-wait` },
    ];
    if (codexStep < steps.length) return steps[codexStep++];
    const last = c.turns.filter((x) => x.role === 'tool').at(-1)?.text ?? '';
    return /"state": "(accepted|rejected)"/.test(last) ? { hang: true } : { bash: 'sleep 2; submit --status sub-001' };
  }, OPENAI_KEY);

  before(
    async () => {
      skip = realClisOrSkip();
      if (skip) return;
      const r = await engineAndImage();
      if ('unavailable' in r) return void (skip = r.unavailable);
      let image: string;
      ({ engine, image } = r);
      other = await countingServer('other');
      await server.start();
      await codexServer.start();
      // The sandbox's tools folder: the harness's own, and `claude` starting the mounted real binary.
      cpSync(harnessToolsDir(), tools, { recursive: true });
      chmodSync(tools, 0o755);
      writeFileSync(join(tools, 'claude'), `#!/bin/sh\nexec ${CLAUDE_EXE} "$@"\n`);
      chmodSync(join(tools, 'claude'), 0o755);
      writeFileSync(join(tools, 'codex'), `#!/bin/sh\nexec ${CODEX_EXE} "$@"\n`);
      chmodSync(join(tools, 'codex'), 0o755);
      process.env.ANTHROPIC_API_KEY = KEY;
      process.env.ANTHROPIC_BASE_URL = server.url;
      process.env.OPENAI_BASE_URL = `${codexServer.url}/v1`;
      // The judge would put its questions to this scripted model too: pointed at a provider without a key, it runs its static checks only.
      process.env.NANOGPT_BENCH_JUDGE_PROVIDER = 'openai';
      delete process.env.OPENAI_API_KEY;
      await h.start();
      const docker = new DockerSandbox({
        docker: engine.docker,
        image,
        gpus: 'none',
        ulimits: grantableUlimits(),
        toolsDir: tools,
        readOnlyMounts: [FASTRUN, AGENT_CLIS_DIR],
      });
      await h.inProcessWorker({ sandboxes: { docker } });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    if (!skip) await h.stop();
    await server.stop();
    await codexServer.stop();
    other?.server.close();
    rmSync(tools, { recursive: true, force: true });
    process.env = saved;
  });

  it(
    'claude-code: works through its model API, every other endpoint it tries is refused and logged, and its submission is timed',
    { timeout: 600_000 },
    async (t) => {
      if (skip) return t.skip(skip);
      const id = 'docker-claude-1';
      const handle = await startSession(
        h.client,
        {
          agent: 'claude-code',
          anchor: FASTRUN,
          budgetGpuHours: 0.05,
          gpus: 1,
          retimeRuns: 3,
          reference: 'calibration',
          confirmRuns: 2,
          confirmCandidates: 1,
          sandbox: 'docker',
          agentModel: 'claude-test',
          agentStopGraceSeconds: 3,
        },
        id,
      );
      // A session that fails (its anchor did not run, say) ends the wait with its own error.
      const ended = handle.result().then((r) => Promise.reject(new Error(`the session ended early: ${r.endReason}`)));
      await Promise.race([
        ended,
        eventually('the resumed launch asking the model', async () => server.calls.find((c) => c.main && /# You are resumed/.test(lastTurn(c).text)), 400_000),
      ]);
      ended.catch(() => undefined);
      const subs = await sessionQueries.submissions(handle);
      assert.equal(subs.length, 1);
      assert.equal(subs[0].state, 'accepted', `verdict: ${JSON.stringify(subs[0].verdict?.reasons ?? subs[0].reason)}`);
      await stopSession(handle, 'test over');
      const summary = await handle.result();
      assert.equal(summary.endReason, 'stopped: test over');

      assert.equal(other.hits(), 0, 'the other endpoint never heard from the agent');
      const toolResult = server.calls.flatMap((c) => c.turns).find((turn) => turn.role === 'tool' && /HTTP Error|urlopen/.test(turn.text));
      assert.match(toolResult?.text ?? '', /HTTP Error 403/, 'the agent saw its attempt refused');
      const log = readFileSync(join(layout.agentState(id), 'egress.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EgressRecord);
      const modelApi = new URL(server.url).host;
      assert.ok(
        log.filter((r) => r.endpoint === modelApi && r.allowed && r.method === 'POST').length >= 3,
        'the model API calls of the real CLI went through the proxy',
      );
      const refused = [...new Set(log.filter((r) => !r.allowed).map((r) => `${r.method} ${r.endpoint}`))];
      // What else the real CLI tried (with its non-essential traffic off) is listed here, refused.
      t.diagnostic(`refused endpoints: ${JSON.stringify(refused)}`);
      t.diagnostic(`model API requests: ${JSON.stringify([...new Set(server.requests.map((r) => `${r.method} ${r.path}`))])}`);
      assert.ok(refused.includes(`GET 127.0.0.1:${other.port}`), `the agent's own try is logged: ${JSON.stringify(refused)}`);
      assertOnlyKnown(refused, other.port, OTHER_ENDPOINTS['claude-code']);
      assert.ok(
        log.every((r) => r.allowed === (r.endpoint === modelApi)),
        'the allow list admits the model API only',
      );
      const transcript = readFileSync(traceFiles.transcript(layout.agentState(id)), 'utf8');
      assert.match(transcript, /\[init\] session [\w-]+, model claude-test/, 'the real init event');
      assert.match(transcript, /"state": "accepted"/);
      const left = await engine.docker.listContainers({ all: true, filters: { label: [`nanogpt-bench.session=${id}`] } });
      assert.equal(left.length, 0, 'every container of the session is removed');
    },
  );

  it(
    'codex: works through the base_url of its provider via the proxy, is refused anything else, and its submission is timed',
    { timeout: 600_000 },
    async (t) => {
      if (skip) return t.skip(skip);
      const id = 'docker-codex-1';
      // Only codex's key now, and the judge pointed at the provider without one: static checks only.
      delete process.env.ANTHROPIC_API_KEY;
      process.env.OPENAI_API_KEY = OPENAI_KEY;
      process.env.NANOGPT_BENCH_JUDGE_PROVIDER = 'anthropic';
      const handle = await startSession(
        h.client,
        {
          agent: 'codex',
          anchor: FASTRUN,
          budgetGpuHours: 0.05,
          gpus: 1,
          retimeRuns: 3,
          reference: 'calibration',
          confirmRuns: 2,
          confirmCandidates: 1,
          sandbox: 'docker',
          agentModel: 'codex-test',
          agentStopGraceSeconds: 3,
        },
        id,
      );
      const ended = handle.result().then((r) => Promise.reject(new Error(`the session ended early: ${r.endReason}`)));
      await Promise.race([ended, eventually('codex waiting after the verdict', async () => codexServer.requests.some((r) => r.status === 0), 400_000)]);
      ended.catch(() => undefined);
      const subs = await sessionQueries.submissions(handle);
      assert.equal(subs.length, 1);
      assert.equal(subs[0].state, 'accepted', `verdict: ${JSON.stringify(subs[0].verdict?.reasons ?? subs[0].reason)}`);
      await stopSession(handle, 'test over');
      assert.equal((await handle.result()).endReason, 'stopped: test over');

      const toolResult = codexServer.calls.flatMap((c) => c.turns).find((turn) => turn.role === 'tool' && /HTTP Error|urlopen/.test(turn.text));
      assert.match(toolResult?.text ?? '', /HTTP Error 403/, 'the agent saw its attempt refused');
      const log = readFileSync(join(layout.agentState(id), 'egress.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EgressRecord);
      const modelApi = new URL(codexServer.url).host;
      assert.ok(
        log.filter((r) => r.endpoint === modelApi && r.allowed && r.method === 'POST').length >= 3,
        'the model API calls of the real CLI went through the proxy',
      );
      const refused = [...new Set(log.filter((r) => !r.allowed).map((r) => `${r.method} ${r.endpoint}`))];
      t.diagnostic(`refused endpoints: ${JSON.stringify(refused)}`);
      t.diagnostic(`model API requests: ${JSON.stringify([...new Set(codexServer.requests.map((r) => `${r.method} ${r.path}`))])}`);
      assert.ok(refused.includes(`GET 127.0.0.1:${other.port}`), `the agent's own try is logged: ${JSON.stringify(refused)}`);
      assertOnlyKnown(refused, other.port, OTHER_ENDPOINTS.codex);
      assert.ok(
        log.every((r) => r.allowed === (r.endpoint === modelApi)),
        'the allow list admits the model API only',
      );
      assert.match(readFileSync(traceFiles.transcript(layout.agentState(id)), 'utf8'), /\[thread\] [\w-]+[\s\S]*"state": "accepted"/);
    },
  );
});
