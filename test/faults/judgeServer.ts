import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicMessage, clean } from '../helpers/llmWire';

/** How the judge's model API misbehaves on one request. */
export type JudgeFault = '500' | '429' | 'timeout' | 'malformed';

/** The mark every candidate of the suite carries in train_gpt.py, so the judge's prompt names it. */
export const markerOf = (text: string): string | null => /fault-marker:([A-Za-z0-9._-]+)/.exec(text)?.[1] ?? null;

/**
 * The LLM judge's model API (Anthropic Messages) on loopback. It answers `clean` unless a fault is
 * queued for a candidate's marker; it notes when it gave each usable answer per marker (more than
 * one may be a candidate judged twice: checks.ts), and calls `onRequest` as each request arrives
 * so a fault can land exactly while the judge waits. Its answers quote the key it was sent, to catch a key that is
 * not redacted on the way to the verdict.
 */
export class JudgeServer {
  /** When each usable answer was sent, per marker (epoch ms). */
  readonly answeredAt = new Map<string, number[]>();
  readonly faultsServed = new Map<string, JudgeFault[]>();
  private readonly queued = new Map<string, JudgeFault[]>();
  private server: Server | null = null;
  onRequest: (marker: string | null) => Promise<void> | void = () => undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next request for `marker` gets `fault`; the one after it a good answer. */
  queue(marker: string, fault: JudgeFault): void {
    this.queued.set(marker, [...(this.queued.get(marker) ?? []), fault]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const marker = markerOf(raw);
    await this.onRequest(marker);
    const fault = marker ? this.queued.get(marker)?.shift() : undefined;
    if (fault && marker) this.faultsServed.set(marker, [...(this.faultsServed.get(marker) ?? []), fault]);
    const send = (code: number, body: string) => {
      if (res.destroyed) return;
      res.writeHead(code, { 'content-type': 'application/json', ...(code === 429 ? { 'retry-after': '1' } : {}) });
      res.end(body);
    };
    if (fault === '500') return send(500, JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'injected 500' } }));
    if (fault === '429') return send(429, JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'injected 429' } }));
    if (fault === 'timeout') return void (await new Promise<void>((r) => req.socket.once('close', () => r())));
    if (fault === 'malformed') return send(200, '{"id": "msg_');
    const key = String(req.headers['x-api-key'] ?? '');
    const answer = { ...clean, reasons: [...clean.reasons, `(asked with key ${key})`] };
    if (req.socket.destroyed) return;
    if (marker) this.answeredAt.set(marker, [...(this.answeredAt.get(marker) ?? []), Date.now()]);
    send(200, JSON.stringify(anthropicMessage(JSON.stringify(answer))));
  }
}
