import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerSandbox, EGRESS_PROXY_URL } from '../../src/sandbox/docker';
import type { SandboxHandle, SandboxSpec } from '../../src/sandbox/sandbox';
import type { EgressRecord } from '../../src/sandbox/egressProxy';
import { grantableUlimits, removeSessionContainers, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { exitedStatus } from '../helpers/sandboxWait';
import { Harness, FASTRUN, eventually } from '../helpers/harness';
import { ModelServer, type ModelCall } from '../fixtures/agents/modelServer';
import { startSession, sessionQueries, stopSession } from '../../src/temporal/client';
import { layout } from '../../src/storage/layout';
import { traceFiles } from '../../src/agents/traceFiles';
import { harnessToolsDir } from '../../src/sandbox/tools';
import { AGENT_CLIS_DIR, CLAUDE_EXE, realClisOrSkip } from '../fixtures/agents/realClis';

/** What the probe, run inside the agent sandbox, found: see PROBE. */
interface Probe {
  nets: string[];
  api: [number | string, string];
  other: [number | string, string];
  tunnelApi: [number | string, string];
  tunnelOther: [number | string, string];
  direct: string;
}

/**
 * Everything a process in the agent sandbox could try: the configured proxy (as every HTTP client
 * there uses it) to the allowed endpoint and to another one, CONNECT tunnels (as HTTPS clients use
 * them) to both, and the allowed endpoint straight, around the proxy.
 */
const PROBE = `
import http.client, json, socket, sys, urllib.error, urllib.request
api, other = int(sys.argv[1]), int(sys.argv[2])
def get(port, opener=urllib.request.build_opener()):
    try:
        r = opener.open(f"http://127.0.0.1:{port}/v1/ping", timeout=10)
        return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]
    except Exception as e:
        return ["error", type(e).__name__ + ": " + str(e)]
def tunnel(port):
    c = http.client.HTTPConnection("127.0.0.1", 3128, timeout=10)
    c.set_tunnel("127.0.0.1", port)
    try:
        c.request("GET", "/tunnel")
        r = c.getresponse()
        return [r.status, r.read().decode()]
    except OSError as e:
        return ["error", str(e)]
out = {"nets": sorted(n for _, n in socket.if_nameindex()), "api": get(api), "other": get(other),
       "tunnelApi": tunnel(api), "tunnelOther": tunnel(other)}
out["direct"] = get(api, urllib.request.build_opener(urllib.request.ProxyHandler({})))[1]
print(json.dumps(out))
`;

async function countingServer(name: string): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

describe('an agent sandbox on Docker reaches its model API and nothing else', { timeout: 20 * 60_000 }, () => {
  let engine: TestEngine;
  let image: string;
  let skip: string | false = false;
  const root = mkdtempSync(join(tmpdir(), 'docker-egress-'));
  const sessionId = `docker-egress-${process.pid}`;
  let api: Awaited<ReturnType<typeof countingServer>>;
  let other: Awaited<ReturnType<typeof countingServer>>;

  before(async () => {
    const r = await engineAndImage();
    if ('unavailable' in r) return void (skip = r.unavailable);
    ({ engine, image } = r);
    api = await countingServer('api');
    other = await countingServer('other');
  }, { timeout: 20 * 60_000 });
  after(async () => {
    if (engine) await removeSessionContainers(engine.docker, sessionId);
    api?.server.close();
    other?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const sandbox = (socketPath = engine.socketPath) => new DockerSandbox({ docker: new Docker({ socketPath }), image, gpus: 'none', ulimits: grantableUlimits() });
  const spec = (): SandboxSpec => ({
    labels: { sessionId, role: 'agent' },
    workspaceDir: join(root, 'workspace'),
    dataDir: null,
    relayDir: join(root, 'relay'),
    stateDir: join(root, 'agent'),
    gpus: 1,
    egress: [`127.0.0.1:${api.port}`],
  });
  const probe = async (sb: DockerSandbox, h: SandboxHandle, name: string): Promise<Probe> => {
    await sb.start(h, { name, argv: ['python3', 'probe.py', String(api.port), String(other.port)] });
    const st = await exitedStatus(sb, h, name);
    const out = readFileSync(sb.outputPath(h, name), 'utf8');
    assert.equal(st.exitCode, 0, out);
    return JSON.parse(out.trim().split('\n').pop()!) as Probe;
  };

  it('through the worker\'s proxy to the allowed endpoint only; shut while the worker is away, open again when it is back', { timeout: 300_000 }, async (t) => {
    if (skip) return t.skip(skip);
    mkdirSync(join(root, 'workspace'), { recursive: true });
    writeFileSync(join(root, 'workspace', 'probe.py'), PROBE);
    const first = sandbox();
    const h = await first.ensure(spec());
    const info = await engine.docker.getContainer(h.id).inspect();
    assert.equal(info.HostConfig.NetworkMode, 'none', 'the sandbox has no network of its own');
    assert.ok(info.Config.Env.includes(`HTTPS_PROXY=${EGRESS_PROXY_URL}`) && info.Config.Env.includes(`http_proxy=${EGRESS_PROXY_URL}`));

    const p = await probe(first, h, 'probe-1');
    assert.deepEqual(p.nets, ['lo'], 'a loopback device only');
    assert.deepEqual(p.api, [200, 'api /v1/ping']);
    assert.equal(p.other[0], 403);
    assert.match(p.other[1], new RegExp(`egress to 127.0.0.1:${other.port} is not allowed`));
    assert.deepEqual(p.tunnelApi, [200, 'api /tunnel']);
    assert.equal(p.tunnelOther[0], 'error');
    assert.match(p.tunnelOther[1], /403/);
    assert.match(p.direct, /Connection refused/, 'around the proxy there is nothing to reach');
    assert.equal(other.hits(), 0, 'the other endpoint never heard from the sandbox');
    assert.equal(api.hits(), 2);

    const log = readFileSync(join(root, 'agent', 'egress.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EgressRecord);
    assert.deepEqual(
      log.map((r) => `${r.method} ${r.endpoint} ${r.allowed}`).sort(),
      [`CONNECT 127.0.0.1:${api.port} true`, `CONNECT 127.0.0.1:${other.port} false`, `GET 127.0.0.1:${api.port} true`, `GET 127.0.0.1:${other.port} false`].sort(),
    );

    // The worker goes away: its proxy with it. The sandbox's way out fails closed.
    const containerId = info.Id;
    await first.close();
    const away = await probe(first, h, 'probe-2');
    assert.equal(away.api[0], 'error', `with no worker, no way out: ${JSON.stringify(away.api)}`);
    assert.equal(api.hits(), 2);

    // A new worker ensures the same sandbox: the same container, and the way out is back.
    const second = sandbox();
    const h2 = await second.ensure(spec());
    assert.equal((await engine.docker.getContainer(h2.id).inspect()).Id, containerId, 'the same container, not a new one');
    const back = await probe(second, h2, 'probe-3');
    assert.deepEqual(back.api, [200, 'api /v1/ping']);
    assert.equal(back.other[0], 403);

    await second.removeSession(sessionId);
    assert.equal((await engine.docker.listContainers({ all: true, filters: { label: [`nanogpt-bench.session=${sessionId}`] } })).length, 0);
  });
});

const KEY = 'sk-ant-docker-' + 'z3'.repeat(16);

/**
 * A whole claude-code session on Docker: the real `claude` in the agent container asks the model
 * API on the host's loopback through the worker's proxy, tries another endpoint (refused), and
 * submits a record that validation sandboxes time.
 */
describe('a claude-code session on Docker (the real CLI, model API on loopback, egress filtered)', { timeout: 20 * 60_000 }, () => {
  const saved = { ...process.env };
  const h = new Harness();
  const tools = mkdtempSync(join(tmpdir(), 'docker-egress-tools-'));
  let skip: string | false = false;
  let engine: TestEngine;
  let other: Awaited<ReturnType<typeof countingServer>>;
  const lastTurn = (c: ModelCall) => c.turns[c.turns.length - 1];
  const server = new ModelServer((c) => {
    const last = lastTurn(c);
    if (last.role === 'user' && last.text.includes('# Task')) {
      const leak = `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${other.port}/exfiltrate')" 2>&1 | tail -1`;
      return { say: 'Checking the network, then submitting.', bash: `${leak}; cp -r ${join(FASTRUN, 'records', '01_faster')} submissions/faster && submit submissions/faster` };
    }
    if (last.role === 'user' && last.text.includes('# You are resumed')) return { bash: 'sleep 300' };
    return { say: 'Submitted.' };
  }, KEY);

  before(async () => {
    skip = realClisOrSkip();
    if (skip) return;
    const r = await engineAndImage();
    if ('unavailable' in r) return void (skip = r.unavailable);
    let image: string;
    ({ engine, image } = r);
    other = await countingServer('other');
    await server.start();
    // The sandbox's tools folder: the harness's own, and the fake CLI where the real one would be.
    cpSync(harnessToolsDir(), tools, { recursive: true });
    chmodSync(tools, 0o755);
    // The real claude (a native executable) from .tools/agent-clis, mounted read-only, on PATH.
    writeFileSync(join(tools, 'claude'), `#!/bin/sh\nexec ${CLAUDE_EXE} "$@"\n`);
    chmodSync(join(tools, 'claude'), 0o755);
    process.env.ANTHROPIC_API_KEY = KEY;
    process.env.ANTHROPIC_BASE_URL = server.url;
    // The judge would put its questions to this fake model too: pointed at a provider without a key, it runs its static checks only.
    process.env.NANOGPT_BENCH_JUDGE_PROVIDER = 'openai';
    delete process.env.OPENAI_API_KEY;
    await h.start();
    const docker = new DockerSandbox({ docker: engine.docker, image, gpus: 'none', ulimits: grantableUlimits(), toolsDir: tools, readOnlyMounts: [FASTRUN, AGENT_CLIS_DIR] });
    await h.inProcessWorker({ sandboxes: { docker } });
  }, { timeout: 20 * 60_000 });
  after(async () => {
    if (!skip) await h.stop();
    await server.stop();
    other?.server.close();
    rmSync(tools, { recursive: true, force: true });
    process.env = saved;
  });

  it('the agent works through its model API, is refused anything else, and its submission is timed', { timeout: 600_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const id = 'docker-claude-1';
    const handle = await startSession(h.client, { agent: 'claude-code', anchor: FASTRUN, budgetGpuHours: 0.05, gpus: 1, retimeRuns: 3, sandbox: 'docker', agentStopGraceSeconds: 3 }, id);
    // A session that fails (its anchor did not run, say) ends the wait with its own error.
    const ended = handle.result().then((r) => Promise.reject(new Error(`the session ended early: ${r.endReason}`)));
    await Promise.race([ended, eventually('the resumed launch asking the model', async () => server.calls.find((c) => lastTurn(c).text.includes('# You are resumed')), 400_000)]);
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
    const log = readFileSync(join(layout.agentState(id), 'egress.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EgressRecord);
    const modelApi = new URL(server.url).host;
    assert.ok(log.filter((r) => r.endpoint === modelApi && r.allowed && r.method === 'POST').length >= 3, 'the model API calls went through the proxy');
    assert.deepEqual(log.filter((r) => !r.allowed).map((r) => `${r.method} ${r.endpoint}`), [`GET 127.0.0.1:${other.port}`]);
    assert.match(readFileSync(traceFiles.transcript(layout.agentState(id)), 'utf8'), /"state": "accepted"/);
    const left = await engine.docker.listContainers({ all: true, filters: { label: [`nanogpt-bench.session=${id}`] } });
    assert.equal(left.length, 0, 'every container of the session is removed');
  });
});
