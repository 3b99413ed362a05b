import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressProxy, type EgressRecord } from '../../src/sandbox/egressProxy';
import { egressAllowList, MODEL_APIS } from '../../src/agents/modelApis';
import { eventually } from '../helpers/harness';

/** A loopback HTTP server that echoes what it got and counts its visitors. */
async function echoServer(name: string): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            name,
            method: req.method,
            url: req.url,
            body,
            auth: req.headers['x-api-key'] ?? null,
            proxyHeader: req.headers['proxy-connection'] ?? null,
          }),
        );
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

/** One request through the proxy's unix socket, absolute-form as an HTTP client configured with a proxy sends it. */
function viaProxy(socketPath: string, url: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method: body ? 'POST' : 'GET', path: url, headers: { host: new URL(url).host, 'x-api-key': 'k', 'proxy-connection': 'keep-alive' } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CONNECT host:port, then one plain HTTP request through the tunnel; returns the proxy's status line and what came back. */
function tunnel(socketPath: string, port: number): Promise<{ statusLine: string; reply: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    let statusLine = '';
    s.on('data', (c) => {
      buf += c.toString();
      if (!statusLine && buf.includes('\r\n\r\n')) {
        statusLine = buf.split('\r\n')[0];
        const rest = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        buf = rest;
        if (statusLine.includes(' 200 ')) s.write(`GET /through HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      }
    });
    s.on('end', () => resolve({ statusLine, reply: buf }));
    s.on('error', reject);
    s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

describe('EgressProxy: the allowed endpoints and nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egress-'));
  const socketPath = join(dir, 'egress', 'egress.sock');
  const logPath = join(dir, 'egress.log');
  let api: Awaited<ReturnType<typeof echoServer>>;
  let other: Awaited<ReturnType<typeof echoServer>>;
  let proxy: EgressProxy;

  before(async () => {
    api = await echoServer('api');
    other = await echoServer('other');
    proxy = new EgressProxy(socketPath, [`127.0.0.1:${api.port}`], logPath);
    await proxy.listen();
  });
  after(async () => {
    await proxy.close();
    api.server.close();
    other.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes a plain HTTP request, body and end-to-end headers, to an allowed endpoint', async () => {
    const r = await viaProxy(socketPath, `http://127.0.0.1:${api.port}/v1/messages?x=1`, '{"hi":1}');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.text);
    assert.deepEqual(seen, { name: 'api', method: 'POST', url: '/v1/messages?x=1', body: '{"hi":1}', auth: 'k', proxyHeader: null });
  });

  it('answers 403 for any other endpoint, which never hears of it', async () => {
    const before = other.hits();
    const r = await viaProxy(socketPath, `http://127.0.0.1:${other.port}/v1/messages`);
    assert.equal(r.status, 403);
    assert.match(r.text, new RegExp(`egress to 127.0.0.1:${other.port} is not allowed`));
    const t = await tunnel(socketPath, other.port);
    assert.match(t.statusLine, /^HTTP\/1.1 403 /);
    assert.equal(other.hits(), before);
  });

  it('tunnels CONNECT to an allowed endpoint', async () => {
    const t = await tunnel(socketPath, api.port);
    assert.equal(t.statusLine, 'HTTP/1.1 200 Connection Established');
    assert.match(t.reply, /^HTTP\/1.1 200 OK/);
    assert.match(t.reply, /"url":"\/through"/);
  });

  it('logs each decision by endpoint only, and its socket is open to the sandbox user', async () => {
    // The proxy appends without waiting: wait for the lines of the requests made above, not a while.
    const logged = () =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as EgressRecord);
    await eventually(
      'the allowed POST logged',
      async () => logged().some((r) => r.method === 'POST' && r.endpoint === `127.0.0.1:${api.port}` && r.allowed),
      10_000,
      20,
    );
    await eventually(
      'the refused CONNECT logged',
      async () => logged().some((r) => r.method === 'CONNECT' && r.endpoint === `127.0.0.1:${other.port}` && !r.allowed),
      10_000,
      20,
    );
    assert.ok(!readFileSync(logPath, 'utf8').includes('/v1/messages'), 'paths (which may carry keys) stay out of the log');
    assert.equal(statSync(socketPath).mode & 0o666, 0o666, 'any user may read and write it');
  });

  it('takes a new allow list without a restart', async () => {
    proxy.setAllowed([`127.0.0.1:${other.port}`]);
    assert.equal((await viaProxy(socketPath, `http://127.0.0.1:${other.port}/`)).status, 200);
    assert.equal((await viaProxy(socketPath, `http://127.0.0.1:${api.port}/`)).status, 403);
    proxy.setAllowed([`127.0.0.1:${api.port}`]);
  });
});

describe('egressAllowList: where each CLI finds its model API', () => {
  it("defaults to the public API, follows a base URL in the worker environment, adds the session's own", () => {
    assert.deepEqual(egressAllowList(MODEL_APIS.anthropic, {}), ['api.anthropic.com:443']);
    assert.deepEqual(egressAllowList(MODEL_APIS.anthropic, { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8123/anthropic' }), ['127.0.0.1:8123']);
    assert.deepEqual(egressAllowList(MODEL_APIS.openai, {}, ['gateway.example:8443']), ['api.openai.com:443', 'gateway.example:8443']);
    assert.deepEqual(egressAllowList(MODEL_APIS.bedrock, { AWS_REGION: 'us-east-2' }), ['bedrock-runtime.us-east-2.amazonaws.com:443']);
    assert.deepEqual(egressAllowList(MODEL_APIS.bedrock, {}), [], 'no region, no endpoint to guess');
    assert.deepEqual(egressAllowList(MODEL_APIS.vertex, { CLOUD_ML_REGION: 'us-east5' }), [
      'oauth2.googleapis.com:443',
      'us-east5-aiplatform.googleapis.com:443',
    ]);
  });

  it('names the variable when its URL is not one', () => {
    assert.throws(
      () => egressAllowList(MODEL_APIS.openai, { OPENAI_BASE_URL: 'api.openai.com' }),
      /OPENAI_BASE_URL: expected an http\(s\) URL, got "api.openai.com"/,
    );
  });
});
