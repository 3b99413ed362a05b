import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { allRecords, committedManifest, findRecord } from '../../src/domain/baselines';
import { cutCodeFromLogHead } from '../../src/humanRecords/logHead';
import { laterRecordName } from '../../src/humanRecords/buildManifest';
import { fetchBaselines, upstreamUrl } from '../../src/humanRecords/fetch';
import { resolveAnchor } from '../../src/humanRecords/anchors';
import { repoRoot } from '../../src/files/repoRoot';
import { parseSessionSpec } from '../../src/domain/spec';

const laterDir = join(repoRoot(), '..', 'shared', 'later-records');
const log63 = join(laterDir, '63_2026-01-26.txt');
const requireFixtures = () => {
  if (!existsSync(log63)) throw new Error(`the later records' logs are missing from ${laterDir}`);
};

describe('records after the horizon (issue 14, item 4)', () => {
  test("a log's head gives back train_gpt.py and triton_kernels.py exactly, and they compile", () => {
    requireFixtures();
    const log = readFileSync(log63, 'utf8');
    const files = cutCodeFromLogHead(log)!;
    assert.deepEqual(
      files.map((f) => f.name),
      ['run.sh', 'train_gpt.py', 'triton_kernels.py'],
    );
    const [, train, kernels] = files;
    assert.match(train.content, /^import os\n/);
    assert.match(kernels.content, /^\nimport torch\n|^import torch\n/);
    // Put back together the way the script printed itself, the log begins with exactly that.
    const code = `${train.content}\n\n${'-'.repeat(40)}\n# triton_kernels.py\n${'-'.repeat(40)}\n\n${kernels.content}`;
    assert.ok(log.startsWith(`${code}\n${'='.repeat(100)}\n`));
    const dir = mkdtempSync(join(tmpdir(), 'cut-'));
    for (const f of files) writeFileSync(join(dir, f.name), f.content);
    const py = spawnSync(
      'python3',
      ['-c', 'import ast,sys; [ast.parse(open(p).read(), p) for p in sys.argv[1:]]', join(dir, 'train_gpt.py'), join(dir, 'triton_kernels.py')],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
  });

  test('a folder listing or a bare output is not code', () => {
    requireFixtures();
    assert.equal(cutCodeFromLogHead(readFileSync(join(laterDir, '85_2026-05-27.txt'), 'utf8')), null);
    assert.equal(cutCodeFromLogHead(`step:1/1 val_loss:3.2\n${'='.repeat(100)}\nRunning Python\n`), null);
  });

  test('the manifest holds every later record with a log that carries code, named from its folder, in date order', () => {
    const later = committedManifest().laterRecords;
    assert.equal(later.length, 23);
    assert.equal(laterRecordName('records/track_1_short/2026-01-26-UntieValueEmbeddings/43955d93.txt'), '2026-01-26_UntieValueEmbeddings');
    const last = findRecord('2026-07-17_FP8DownProjection')!;
    assert.equal(last.readmeSeconds, 73.8);
    assert.equal(last.files[0].repository, 'KellerJordan/modded-nanogpt');
    assert.deepEqual(
      last.codeFromLog!.map((f) => f.name),
      ['run.sh', 'train_gpt.py', 'triton_kernels.py'],
    );
    // #81 and #85 point at folder listings, #66 and #86 at no log: none can be run.
    for (const d of ['2026-04-22', '2026-05-27']) assert.ok(!later.some((r) => r.date === d), d);
    const dates = allRecords().map((r) => r.date);
    assert.deepEqual(dates, [...dates].sort());
  });

  test('fetch verifies the log, cuts the code from its head and checks each file; a tampered log is refused', async () => {
    requireFixtures();
    const record = findRecord('2026-01-26_UntieValueEmbeddings')!;
    let body = readFileSync(log63);
    const server = createServer((req, res) => {
      if (req.url === new URL(upstreamUrl('http://x', record.files[0])).pathname) res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'later-fetch-'));
      const out = await fetchBaselines({ manifest: committedManifest(), records: [record.name], dir, baseUrl, retry: { attempts: 1 } });
      assert.deepEqual(
        out.map((o) => [o.file, o.status]),
        [
          [upstreamFileNameOf(record), 'downloaded'],
          ['run.sh', 'downloaded'],
          ['train_gpt.py', 'downloaded'],
          ['triton_kernels.py', 'downloaded'],
        ],
      );
      assert.match(readFileSync(join(dir, record.name, 'train_gpt.py'), 'utf8'), /^import os\n/);
      const again = await fetchBaselines({ manifest: committedManifest(), records: [record.name], dir, baseUrl, retry: { attempts: 1 } });
      assert.ok(
        again.every((o) => o.status === 'skipped'),
        JSON.stringify(again),
      );

      body = Buffer.from(body.toString('utf8').replace('import os', 'import  os'));
      const bad = await fetchBaselines({
        manifest: committedManifest(),
        records: [record.name],
        dir: mkdtempSync(join(tmpdir(), 'later-bad-')),
        baseUrl,
        retry: { attempts: 1 },
      });
      assert.equal(bad.length, 1);
      assert.equal(bad[0].status, 'failed');
      assert.match(bad[0].error!, /sha256 mismatch|size mismatch/);
    } finally {
      server.close();
    }
  });

  test('the spec names the horizon; a family times the one named, the speedrun reaches past the old horizon', () => {
    assert.equal(parseSessionSpec({ agent: 'replay', budgetGpuHours: 1, horizonRecord: '03_rope_relu2' }).horizonRecord, '03_rope_relu2');
    const tiny = resolveAnchor('tiny', '03_rope_relu2');
    assert.match(tiny.horizonRecordDir!, /03_rope_relu2$/);
    assert.ok(Math.abs(tiny.horizonSpeedupSeconds - (13.839 - 5.191)) < 1e-9);
    assert.throws(() => resolveAnchor('tiny', '01_anchor'), /horizonRecord "01_anchor" is not a record after the anchor/);

    const records = mkdtempSync(join(tmpdir(), 'records-'));
    for (const name of ['2025-09-03_FA3', '2026-07-17_FP8DownProjection']) {
      mkdirSync(join(records, name));
      writeFileSync(join(records, name, 'train_gpt.py'), '');
    }
    process.env.NANOGPT_BENCH_RECORDS_DIR = records;
    try {
      const late = resolveAnchor('2025-09-03_FA3', '2026-07-17_FP8DownProjection');
      assert.equal(late.horizonRecordDir, join(records, '2026-07-17_FP8DownProjection'));
      assert.equal(late.history.at(-1), '2026-07-17_FP8DownProjection');
      assert.ok(late.history.includes('2026-01-19_BigramHashEmbedding'));
      const usual = resolveAnchor('2025-09-03_FA3');
      assert.equal(usual.horizonRecordDir, null);
      assert.equal(usual.history.at(-1), '2026-01-19_BigramHashEmbedding');
      assert.equal(usual.horizonSpeedupSeconds, 63.2192);
      assert.throws(() => resolveAnchor('2025-09-03_FA3', '2026-06-11_RecursiveFromBest'), /baselines fetch --record 2026-06-11_RecursiveFromBest/);
    } finally {
      delete process.env.NANOGPT_BENCH_RECORDS_DIR;
    }
  });
});

function upstreamFileNameOf(record: { files: { path: string }[] }): string {
  return record.files[0].path.split('/').at(-1)!;
}
