import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type BaselinesManifest, parseBaselinesManifest } from '../../src/domain/baselines';
import { BASELINES_URL_ENV, fetchBaselines } from '../../src/humanRecords/fetch';
import { repoRoot } from '../../src/files/repoRoot';

const COMMIT = 'a'.repeat(40);
const REPO = 'example/speedrun';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fast = { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 };

/** What the server does with each request for a path: answer with bytes, a status, or a dropped socket. */
type Step = Buffer | number | 'reset';

class FileServer {
  private server: Server = createServer((req, res) => this.handle(req, res));
  private scripts = new Map<string, Step[]>();
  readonly hits = new Map<string, number>();
  baseUrl = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Later requests repeat the last step. */
  serve(path: string, ...steps: Step[]): void {
    this.scripts.set(`/${REPO}/${COMMIT}/${path}`, steps);
  }

  reset(): void {
    this.scripts.clear();
    this.hits.clear();
  }

  hitsFor(path: string): number {
    return this.hits.get(`/${REPO}/${COMMIT}/${path}`) ?? 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const n = this.hits.get(url) ?? 0;
    this.hits.set(url, n + 1);
    const steps = this.scripts.get(url);
    const step = steps ? steps[Math.min(n, steps.length - 1)] : 404;
    if (step === 'reset') {
      req.socket.destroy();
    } else if (typeof step === 'number') {
      res.writeHead(step, { 'content-type': 'text/plain' }).end(`status ${step}`);
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': step.length }).end(step);
    }
  }
}

const runSh = Buffer.from('torchrun --standalone --nproc_per_node=8 train_gpt.py\n');
const anchorTrain = randomBytes(40_000);
const horizonTrain = randomBytes(70_000);
const horizonKernels = Buffer.from('# kernels\n'.repeat(500));

const files = {
  anchorRun: 'human_baselines/2025-09-03_FA3/run.sh',
  anchorTrain: 'human_baselines/2025-09-03_FA3/train_gpt.py',
  horizonTrain: 'human_baselines/2026-01-19_BigramHashEmbedding/train_gpt.py',
  horizonKernels: 'human_baselines/2026-01-19_BigramHashEmbedding/triton_kernels.py',
};

function entry(path: string, content: Buffer) {
  return { repository: REPO, commit: COMMIT, path, bytes: content.length, sha256: sha256(content) };
}

function makeManifest(overrides: { anchorTrainSha?: string } = {}): BaselinesManifest {
  return parseBaselinesManifest({
    schemaVersion: 1,
    generatedBy: 'test',
    anchor: '2025-09-03_FA3',
    horizon: '2026-01-19_BigramHashEmbedding',
    horizonSpeedupSeconds: 63.2192,
    records: [
      {
        name: '2025-09-03_FA3',
        date: '2025-09-03',
        readmeMinutes: 2.731,
        readmeSeconds: 163.86,
        speedupSeconds: 0,
        description: 'anchor',
        files: [entry(files.anchorRun, runSh), { ...entry(files.anchorTrain, anchorTrain), sha256: overrides.anchorTrainSha ?? sha256(anchorTrain) }],
      },
      {
        name: '2026-01-19_BigramHashEmbedding',
        date: '2026-01-19',
        readmeMinutes: 1.655,
        readmeSeconds: 99.3,
        speedupSeconds: 63.2192,
        description: 'horizon',
        files: [
          entry(files.anchorRun.replace('2025-09-03_FA3', '2026-01-19_BigramHashEmbedding'), runSh),
          entry(files.horizonTrain, horizonTrain),
          entry(files.horizonKernels, horizonKernels),
        ],
      },
    ],
  });
}

function serveAll(server: FileServer): void {
  server.serve(files.anchorRun, runSh);
  server.serve(files.anchorTrain, anchorTrain);
  server.serve(files.anchorRun.replace('2025-09-03_FA3', '2026-01-19_BigramHashEmbedding'), runSh);
  server.serve(files.horizonTrain, horizonTrain);
  server.serve(files.horizonKernels, horizonKernels);
}

describe('baselines fetch against a local HTTP server', () => {
  const server = new FileServer();
  let root: string;
  let dir: string;

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.reset();
    root = mkdtempSync(join(tmpdir(), 'baselines-fetch-'));
    dir = join(root, 'records');
  });

  test('downloads every file of every record into <dir>/<record>/<name>, verified', async () => {
    serveAll(server);
    const out = await fetchBaselines({ manifest: makeManifest(), dir, baseUrl: server.baseUrl, retry: fast });
    assert.deepEqual(
      out.map((o) => o.status),
      ['downloaded', 'downloaded', 'downloaded', 'downloaded', 'downloaded'],
    );
    assert.deepEqual(readFileSync(join(dir, '2025-09-03_FA3', 'train_gpt.py')), anchorTrain);
    assert.deepEqual(readFileSync(join(dir, '2026-01-19_BigramHashEmbedding', 'triton_kernels.py')), horizonKernels);
    assert.deepEqual(readdirSync(join(dir, '2026-01-19_BigramHashEmbedding')).sort(), ['run.sh', 'train_gpt.py', 'triton_kernels.py']);
    rmSync(root, { recursive: true });
  });

  test('a wrong sha256 is refused, naming the file, expected and actual, and leaves nothing behind', async () => {
    serveAll(server);
    const wrong = sha256(Buffer.from('something else'));
    const out = await fetchBaselines({
      manifest: makeManifest({ anchorTrainSha: wrong }),
      records: ['2025-09-03_FA3'],
      dir,
      baseUrl: server.baseUrl,
      retry: fast,
    });
    const bad = out.find((o) => o.file === 'train_gpt.py');
    assert.equal(bad?.status, 'failed');
    assert.match(bad?.error ?? '', /^2025-09-03_FA3\/train_gpt\.py: sha256 mismatch/);
    assert.ok(bad?.error?.includes(`expected ${wrong}`));
    assert.ok(bad?.error?.includes(`got ${sha256(anchorTrain)}`));
    assert.equal(server.hitsFor(files.anchorTrain), 1, 'a bad file is not retried');
    assert.deepEqual(readdirSync(join(dir, '2025-09-03_FA3')), ['run.sh'], 'neither the file nor a temp file remains');
    rmSync(root, { recursive: true });
  });

  test('a wrong size is refused without storing the oversized answer', async () => {
    server.serve(files.anchorRun, Buffer.concat([runSh, Buffer.from('extra')]));
    server.serve(files.anchorTrain, anchorTrain.subarray(0, 1000));
    const out = await fetchBaselines({ manifest: makeManifest(), records: ['2025-09-03_FA3'], dir, baseUrl: server.baseUrl, retry: fast });
    assert.match(out[0].error ?? '', /run\.sh: size mismatch: expected 54 bytes, got more than that/);
    assert.match(out[1].error ?? '', /train_gpt\.py: size mismatch: expected 40000 bytes, got 1000/);
    assert.equal(existsSync(join(dir, '2025-09-03_FA3')), false, 'no file, temp file or empty record directory remains');
    rmSync(root, { recursive: true });
  });

  test('a 503 and a dropped connection are retried, then succeed', async () => {
    serveAll(server);
    server.serve(files.anchorTrain, 503, anchorTrain);
    server.serve(files.anchorRun, 'reset', runSh);
    const out = await fetchBaselines({ manifest: makeManifest(), records: ['2025-09-03_FA3'], dir, baseUrl: server.baseUrl, retry: fast });
    assert.deepEqual(
      out.map((o) => [o.file, o.status, o.attempts]),
      [
        ['run.sh', 'downloaded', 2],
        ['train_gpt.py', 'downloaded', 2],
      ],
    );
    assert.equal(server.hitsFor(files.anchorTrain), 2);
    assert.deepEqual(readFileSync(join(dir, '2025-09-03_FA3', 'train_gpt.py')), anchorTrain);
    rmSync(root, { recursive: true });
  });

  test('retries are bounded', async () => {
    server.serve(files.anchorRun, 502);
    server.serve(files.anchorTrain, anchorTrain);
    const out = await fetchBaselines({ manifest: makeManifest(), records: ['2025-09-03_FA3'], dir, baseUrl: server.baseUrl, retry: fast });
    assert.equal(out[0].status, 'failed');
    assert.match(out[0].error ?? '', /HTTP 502 .* \(after 3 attempts\)$/);
    assert.equal(server.hitsFor(files.anchorRun), 3);
    assert.equal(out[1].status, 'downloaded', 'one failed file does not stop the others');
    rmSync(root, { recursive: true });
  });

  test('a 404 fails at once with the URL', async () => {
    serveAll(server);
    server.serve(files.horizonKernels, 404);
    const out = await fetchBaselines({ manifest: makeManifest(), records: ['2026-01-19_BigramHashEmbedding'], dir, baseUrl: server.baseUrl, retry: fast });
    const missing = out.find((o) => o.file === 'triton_kernels.py');
    assert.equal(missing?.status, 'failed');
    assert.equal(missing?.attempts, 1);
    assert.equal(missing?.error, `2026-01-19_BigramHashEmbedding/triton_kernels.py: HTTP 404 from ${server.baseUrl}/${REPO}/${COMMIT}/${files.horizonKernels}`);
    assert.equal(server.hitsFor(files.horizonKernels), 1);
    assert.deepEqual(readdirSync(join(dir, '2026-01-19_BigramHashEmbedding')).sort(), ['run.sh', 'train_gpt.py']);
    rmSync(root, { recursive: true });
  });

  test('files already present with the right hash are skipped; a corrupt one is replaced', async () => {
    serveAll(server);
    const recordDir = join(dir, '2025-09-03_FA3');
    mkdirSync(recordDir, { recursive: true });
    writeFileSync(join(recordDir, 'train_gpt.py'), anchorTrain);
    writeFileSync(join(recordDir, 'run.sh'), Buffer.from('torchrun --standalone --nproc_per_node=1 train_gpt.py\n'));
    const out = await fetchBaselines({ manifest: makeManifest(), records: ['2025-09-03_FA3'], dir, baseUrl: server.baseUrl, retry: fast });
    assert.deepEqual(
      out.map((o) => [o.file, o.status]),
      [
        ['run.sh', 'downloaded'],
        ['train_gpt.py', 'skipped'],
      ],
    );
    assert.equal(server.hitsFor(files.anchorTrain), 0);
    assert.deepEqual(readFileSync(join(recordDir, 'run.sh')), runSh);
    rmSync(root, { recursive: true });
  });

  test('reads a manifest from a path and rejects an unknown record with close names', async () => {
    const manifestPath = join(root, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(makeManifest()));
    await assert.rejects(
      fetchBaselines({ manifest: manifestPath, records: ['BigramHash'], dir, baseUrl: server.baseUrl }),
      /no human record named "BigramHash"; close names: 2026-01-19_BigramHashEmbedding/,
    );
    assert.equal(server.hits.size, 0);
    rmSync(root, { recursive: true });
  });

  test('the CLI fetches with the base URL from the environment and reports JSON', async () => {
    serveAll(server);
    server.serve(files.horizonKernels, 404);
    const manifestPath = join(root, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(makeManifest()));
    const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
    // Asynchronous: the server answering the child lives in this process.
    const run = (extra: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [cli, 'baselines', 'fetch', '--manifest', manifestPath, '--dir', dir, '--json', ...extra], {
          env: { ...process.env, [BASELINES_URL_ENV]: server.baseUrl },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const first = await run(['--record', '2025-09-03_FA3']);
    assert.equal(first.status, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { ok: boolean; files: Array<{ status: string }> };
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.files.map((f) => f.status),
      ['downloaded', 'downloaded'],
    );

    const second = await run([]);
    assert.equal(second.status, 1, 'a failed file makes the command fail');
    const all = JSON.parse(second.stdout) as { ok: boolean; files: Array<{ file: string; status: string }> };
    assert.equal(all.ok, false);
    assert.deepEqual(
      all.files.map((f) => f.status),
      ['skipped', 'skipped', 'downloaded', 'downloaded', 'failed'],
    );

    const unknown = await run(['--record', 'Smeer']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no human record named "Smeer"/);
    rmSync(root, { recursive: true });
  });
});
