import { missing } from '../helpers/missing';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countingServer } from '../helpers/countingServer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerSandbox, EGRESS_PROXY_URL } from '../../src/sandbox/docker';
import type { SandboxHandle, SandboxSpec } from '../../src/sandbox/sandbox';
import type { EgressRecord } from '../../src/sandbox/egressProxy';
import { grantableUlimits, removeSessionContainers, type TestEngine } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { exitedStatus } from '../helpers/sandboxWait';

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

describe('an agent sandbox on Docker reaches its model API and nothing else', { timeout: 20 * 60_000 }, () => {
  let engine: TestEngine;
  let image: string;
  let skip: string | false = false;
  const root = mkdtempSync(join(tmpdir(), 'docker-egress-'));
  const sessionId = `docker-egress-${process.pid}`;
  let api: Awaited<ReturnType<typeof countingServer>>;
  let other: Awaited<ReturnType<typeof countingServer>>;

  before(
    async () => {
      const r = await engineAndImage();
      if ('unavailable' in r) return void (skip = r.unavailable);
      ({ engine, image } = r);
      api = await countingServer('api');
      other = await countingServer('other');
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    if (engine) await removeSessionContainers(engine.docker, sessionId);
    api?.server.close();
    other?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const sandbox = (socketPath = engine.socketPath) =>
    new DockerSandbox({ docker: new Docker({ socketPath }), image, gpus: 'none', ulimits: grantableUlimits() });
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

  it("through the worker's proxy to the allowed endpoint only; shut while the worker is away, open again when it is back", { timeout: 300_000 }, async (t) => {
    if (skip) return missing(t, skip);
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

    const log = readFileSync(join(root, 'agent', 'egress.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EgressRecord);
    assert.deepEqual(
      log.map((r) => `${r.method} ${r.endpoint} ${r.allowed}`).sort(),
      [
        `CONNECT 127.0.0.1:${api.port} true`,
        `CONNECT 127.0.0.1:${other.port} false`,
        `GET 127.0.0.1:${api.port} true`,
        `GET 127.0.0.1:${other.port} false`,
      ].sort(),
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
