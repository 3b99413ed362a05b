import { appendFile, mkdir, rm } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname } from 'node:path';
import { listenUnix } from '../files/unixSocket';

/** What the proxy did with one request, one JSON line each in its log (no paths: they may carry keys). */
export interface EgressRecord {
  atMs: number;
  method: string;
  endpoint: string;
  allowed: boolean;
}

/** Headers that belong to one hop (RFC 9110 §7.6.1) and to the proxy itself: never forwarded. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * An HTTP proxy on a unix socket that lets a sandbox reach a fixed list of endpoints (host:port)
 * and nothing else: CONNECT tunnels for HTTPS, absolute-form requests for plain HTTP. The socket's
 * folder is what the sandbox mounts, and the sandbox has no network of its own, so this is its only
 * way out. It runs in the worker; a worker that comes back serves the same socket path again.
 */
export class EgressProxy {
  private server: Server | null = null;
  private allowed: Set<string>;
  private readonly open = new Set<Socket | Duplex>();

  constructor(
    readonly socketPath: string,
    allow: string[],
    private readonly logPath: string | null = null,
  ) {
    this.allowed = new Set(allow.map(normalize));
  }

  get endpoints(): string[] {
    return [...this.allowed].sort();
  }

  setAllowed(allow: string[]): void {
    this.allowed = new Set(allow.map(normalize));
  }

  async listen(): Promise<void> {
    await mkdir(dirname(this.socketPath), { recursive: true });
    // A socket file left by a worker that died answers nobody; this one takes its place.
    await rm(this.socketPath, { force: true });
    const server = createServer((req, res) => void this.forward(req, res));
    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => this.tunnel(req, client, head));
    server.on('connection', (s: Socket) => this.track(s));
    server.on('clientError', (_err, s: Duplex) => s.destroy());
    // The sandbox's user is not the worker's: it must be able to connect.
    await listenUnix(server, this.socketPath, { readableAll: true, writableAll: true });
    // The worker's own lifetime is its Temporal worker's; a proxy alone does not keep it up.
    server.unref();
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.open) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await rm(this.socketPath, { force: true });
  }

  /** CONNECT host:port: a raw tunnel to an allowed endpoint, a 403 for anything else. */
  private tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    this.track(client);
    const endpoint = normalize(req.url ?? '');
    if (!this.permit('CONNECT', endpoint)) return void client.end(statusLine(403, `egress to ${endpoint} is not allowed from this sandbox`));
    const [host, port] = splitEndpoint(endpoint);
    const upstream = this.track(connect({ host, port }));
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (err) => (upstream.connecting ? client.end(statusLine(502, `${endpoint}: ${err.message}`)) : client.destroy()));
    client.once('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  }

  /** GET http://host:port/path and the like: passed on to an allowed endpoint as one request. */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('a proxy request names its absolute http:// URL\n');
    }
    if (url.protocol !== 'http:') return void res.writeHead(400, { 'content-type': 'text/plain' }).end(`${url.protocol} goes through CONNECT\n`);
    const endpoint = normalize(`${url.hostname}:${url.port || '80'}`);
    if (!this.permit(req.method ?? 'GET', endpoint)) {
      return void res.writeHead(403, { 'content-type': 'text/plain' }).end(`egress to ${endpoint} is not allowed from this sandbox\n`);
    }
    const [host, port] = splitEndpoint(endpoint);
    const upstream = request({ host, port, method: req.method, path: `${url.pathname}${url.search}`, headers: endToEnd(req.headers) }, (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`${endpoint}: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  private permit(method: string, endpoint: string): boolean {
    const allowed = this.allowed.has(endpoint);
    if (this.logPath) {
      const rec: EgressRecord = { atMs: Date.now(), method, endpoint, allowed };
      appendFile(this.logPath, JSON.stringify(rec) + '\n').catch(() => undefined);
    }
    return allowed;
  }

  private track<T extends Socket | Duplex>(s: T): T {
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    return s;
  }
}

function normalize(endpoint: string): string {
  return endpoint
    .trim()
    .toLowerCase()
    .replace(/^\[([^\]]+)\]/, '$1');
}

function splitEndpoint(endpoint: string): [string, number] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i), Number(endpoint.slice(i + 1))];
}

function statusLine(code: 403 | 502, message: string): string {
  const reason = code === 403 ? 'Forbidden' : 'Bad Gateway';
  const body = `${message}\n`;
  return `HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_HEADERS.has(k)) out[k] = v;
  return out;
}
