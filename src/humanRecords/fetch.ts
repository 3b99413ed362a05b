import { writeFileAtomic } from '../files/atomicWrite';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BaselinesManifest, type HumanRecord, type UpstreamFile, allRecords, requireRecord, upstreamFileName } from '../domain/baselines';
import { loadBaselinesManifest } from './manifest';
import { cutCodeFromLogHead } from './logHead';

/** Where upstream files are served from: <base>/<repository>/<commit>/<path>. */
export const DEFAULT_BASELINES_BASE_URL = 'https://raw.githubusercontent.com';
export const BASELINES_URL_ENV = 'NANOGPT_BENCH_BASELINES_URL';

export interface RetryPolicy {
  /** Total tries per file, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 500, maxDelayMs: 8000 };

export interface FetchBaselinesOptions {
  /** A validated manifest, or the path of a manifest file. */
  manifest: BaselinesManifest | string;
  /** Record names to fetch; all records when empty or absent. */
  records?: readonly string[];
  /** Files land in <dir>/<record>/<file name>. */
  dir: string;
  /** Overrides the env variable and the default host. */
  baseUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Per request, headers and body together. */
  timeoutMs?: number;
  onProgress?: (outcome: FileOutcome) => void;
}

export interface FileOutcome {
  record: string;
  file: string;
  dest: string;
  url: string;
  bytes: number;
  sha256: string;
  status: 'downloaded' | 'skipped' | 'failed';
  /** HTTP requests made for this file (0 when skipped). */
  attempts: number;
  error?: string;
}

/** The server answered, but not with the file. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
    this.name = 'HttpStatusError';
  }
}

/** The bytes arrived but are not the ones the manifest pins. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** Flag, then env, then the public host; no trailing slash. */
export function resolveBaseUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env[BASELINES_URL_ENV] ?? DEFAULT_BASELINES_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`base URL "${raw}" is not a URL (expected e.g. ${DEFAULT_BASELINES_BASE_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`base URL "${raw}" must use http or https`);
  }
  return raw.replace(/\/+$/, '');
}

export function upstreamUrl(baseUrl: string, file: UpstreamFile): string {
  const segments = [...file.repository.split('/'), file.commit, ...file.path.split('/')];
  return `${baseUrl}/${segments.map(encodeURIComponent).join('/')}`;
}

/** Fetches every file of the chosen records; a failed file does not stop the others. */
export async function fetchBaselines(options: FetchBaselinesOptions): Promise<FileOutcome[]> {
  const manifest = typeof options.manifest === 'string' ? loadBaselinesManifest(options.manifest) : options.manifest;
  const records = chooseRecords(manifest, options.records);
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const outcomes: FileOutcome[] = [];
  for (const record of records) {
    const mine: FileOutcome[] = [];
    for (const file of record.files) mine.push(await fetchOne(record, file, options.dir, baseUrl, retry, timeoutMs));
    // A record after the horizon is its log: its code is cut from the log's head once the log is verified.
    if (record.codeFromLog && mine.every((o) => o.status !== 'failed')) mine.push(...(await cutFromLog(record, mine[0], options.dir)));
    for (const outcome of mine) {
      outcomes.push(outcome);
      options.onProgress?.(outcome);
    }
  }
  return outcomes;
}

function chooseRecords(manifest: BaselinesManifest, names: readonly string[] | undefined): HumanRecord[] {
  if (!names || names.length === 0) return [...allRecords(manifest)];
  const wanted = new Set(names.map((name) => requireRecord(name, manifest).name));
  // Manifest order, so output reads anchor → horizon whatever order the flags came in.
  return allRecords(manifest).filter((r) => wanted.has(r.name));
}

/** Writes the files the verified log's head carries, each checked against the manifest's sha256. */
async function cutFromLog(record: HumanRecord, log: FileOutcome, dir: string): Promise<FileOutcome[]> {
  const cut = cutCodeFromLogHead(await readFile(log.dest, 'utf8'));
  return Promise.all(
    record.codeFromLog!.map(async (want) => {
      const dest = join(dir, record.name, want.name);
      const base = { record: record.name, file: want.name, dest, url: log.url, bytes: want.bytes, sha256: want.sha256, attempts: 0 };
      const got = cut?.find((f) => f.name === want.name);
      if (!got || got.sha256 !== want.sha256) {
        return {
          ...base,
          status: 'failed' as const,
          error: `${record.name}/${want.name}: ${got ? `sha256 mismatch: expected ${want.sha256}, got ${got.sha256}` : 'not found in the head of the log'} (cut from ${log.file})`,
        };
      }
      if (await hasExpectedContent(dest, want)) return { ...base, status: 'skipped' as const };
      await writeFileAtomic(dest, got.content);
      return { ...base, status: 'downloaded' as const };
    }),
  );
}

async function fetchOne(record: HumanRecord, file: UpstreamFile, dir: string, baseUrl: string, retry: RetryPolicy, timeoutMs: number): Promise<FileOutcome> {
  const name = upstreamFileName(file);
  const recordDir = join(dir, record.name);
  const dest = join(recordDir, name);
  const url = upstreamUrl(baseUrl, file);
  const base = { record: record.name, file: name, dest, url, bytes: file.bytes, sha256: file.sha256 };
  try {
    if (await hasExpectedContent(dest, file)) return { ...base, status: 'skipped', attempts: 0 };
    await mkdir(recordDir, { recursive: true });
    const attempts = await withRetries(retry, () => downloadVerified(url, recordDir, dest, file, timeoutMs));
    return { ...base, status: 'downloaded', attempts };
  } catch (err) {
    const attempts = err instanceof RetriesExhausted ? err.attempts : 1;
    const cause = err instanceof RetriesExhausted ? err.last : err;
    const message = cause instanceof HttpStatusError || cause instanceof IntegrityError ? cause.message : `${chainedMessage(cause)} (${url})`;
    // A record directory made for this file alone should not outlive its failure.
    await rmdir(recordDir).catch(() => undefined);
    const suffix = err instanceof RetriesExhausted && attempts > 1 ? ` (after ${attempts} attempts)` : '';
    return { ...base, status: 'failed', attempts, error: `${record.name}/${name}: ${message}${suffix}` };
  }
}

/** undici says only "fetch failed"; the reason (ECONNRESET, ENOTFOUND, …) sits in the cause chain. */
function chainedMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = e instanceof Error ? e.cause : undefined, depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.join(': ');
}

async function hasExpectedContent(path: string, file: Pick<UpstreamFile, 'bytes' | 'sha256'>): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size !== file.bytes) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return (await sha256OfFile(path)) === file.sha256;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * One request into a temp file beside the destination, checked, then renamed into
 * place, so the destination only ever holds a verified file; the temp goes on failure.
 */
async function downloadVerified(url: string, dir: string, dest: string, file: UpstreamFile, timeoutMs: number): Promise<void> {
  const tmp = join(dir, `.${upstreamFileName(file)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new HttpStatusError(response.status, url);
    }
    const hash = createHash('sha256');
    let received = 0;
    const handle = await open(tmp, 'wx');
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        // Stop early rather than store an oversized answer (an error page, a wrong file).
        if (received > file.bytes) {
          throw new IntegrityError(`size mismatch: expected ${file.bytes} bytes, got more than that from ${url}`);
        }
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (received !== file.bytes) {
      throw new IntegrityError(`size mismatch: expected ${file.bytes} bytes, got ${received} from ${url}`);
    }
    const actual = hash.digest('hex');
    if (actual !== file.sha256) {
      throw new IntegrityError(`sha256 mismatch: expected ${file.sha256}, got ${actual} from ${url}`);
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(last instanceof Error ? last.message : String(last));
  }
}

async function withRetries(policy: RetryPolicy, work: () => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return attempt;
    } catch (err) {
      if (attempt >= policy.attempts || !isTransient(err)) throw new RetriesExhausted(attempt, err);
      const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      // Jitter keeps parallel fetchers from retrying in lockstep.
      await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() * 0.5)));
    }
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Worth another try: server-side HTTP errors, timeouts, and dropped connections; never 4xx or a bad file. */
export function isTransient(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status >= 500 || err.status === 429 || err.status === 408;
  if (err instanceof IntegrityError) return false;
  if (err instanceof Error && err.name === 'TimeoutError') return true;
  // undici reports network failures as TypeError("fetch failed" | "terminated") with the cause chained.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}
