import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  closeNames,
  committedManifest,
  findRecord,
  humanProgressPercent,
  listRecords,
  parseBaselinesManifest,
  requireRecord,
  upstreamFileName,
} from '../../src/domain/baselines';
import { ANCHOR_RECORD, HORIZON_RECORD, buildManifest, readLaterLogs } from '../../src/humanRecords/buildManifest';
import { defaultManifestPath, loadBaselinesManifest } from '../../src/humanRecords/manifest';
import { repoRoot } from '../../src/files/repoRoot';

const fixtures = join(repoRoot(), '..', 'shared', 'fixtures');
const recordsTsvPath = join(fixtures, 'human-records.tsv');
const upstreamTsvPath = join(fixtures, 'human-baselines-upstream.tsv');

describe('committed baselines manifest', () => {
  const manifest = loadBaselinesManifest();

  test('the file on disk and the bundled module hold the same manifest', () => {
    assert.deepEqual(committedManifest(), manifest);
  });

  test('holds 34 records in date order, anchor first, horizon last', () => {
    const records = listRecords(manifest);
    assert.equal(records.length, 34);
    assert.equal(records[0].name, '2025-09-03_FA3');
    assert.equal(records[0].name, manifest.anchor);
    assert.equal(records[33].name, '2026-01-19_BigramHashEmbedding');
    assert.equal(records[33].name, manifest.horizon);
    for (let i = 1; i < records.length; i++) {
      assert.ok(records[i - 1].date <= records[i].date, `${records[i - 1].name} (${records[i - 1].date}) before ${records[i].name} (${records[i].date})`);
      // Each record beat the one before it on the leaderboard.
      assert.ok(records[i].readmeSeconds < records[i - 1].readmeSeconds, `${records[i].name} is not faster than ${records[i - 1].name}`);
    }
  });

  test('every file has a 64-hex sha256, a byte count and a pinned commit', () => {
    let count = 0;
    for (const record of manifest.records) {
      for (const file of record.files) {
        count++;
        assert.match(file.sha256, /^[0-9a-f]{64}$/, `${record.name} ${file.path}`);
        assert.match(file.commit, /^[0-9a-f]{40}$/);
        assert.ok(file.bytes > 0);
        assert.ok(file.path.includes(record.name), `${file.path} should sit under ${record.name}`);
      }
      assert.ok(
        record.files.some((f) => upstreamFileName(f) === 'train_gpt.py'),
        `${record.name} lacks train_gpt.py`,
      );
      assert.ok(
        record.files.some((f) => upstreamFileName(f) === 'run.sh'),
        `${record.name} lacks run.sh`,
      );
    }
    assert.equal(count, 70);
  });

  test('README seconds are the README minutes times 60', () => {
    const anchor = findRecord('2025-09-03_FA3', manifest);
    assert.ok(anchor);
    assert.equal(anchor.readmeMinutes, 2.731);
    assert.equal(anchor.readmeSeconds, 163.86);
    for (const r of manifest.records) assert.ok(Math.abs(r.readmeSeconds - r.readmeMinutes * 60) < 0.005, r.name);
  });

  test('the horizon speedup is the horizon record re-timed speedup', () => {
    assert.equal(manifest.horizonSpeedupSeconds, 63.2192);
    assert.equal(findRecord(manifest.horizon, manifest)?.speedupSeconds, 63.2192);
    assert.equal(findRecord('2025-12-11_NorMuonOptimsAndFixes', manifest)?.speedupSeconds, null);
  });

  test('is what buildManifest makes of the fixture tables', { skip: !existsSync(recordsTsvPath) && `no fixtures at ${fixtures}` }, () => {
    const laterTsv = readFileSync(join(fixtures, 'human-records-later.tsv'), 'utf8');
    const later = { tsv: laterTsv, logs: readLaterLogs(laterTsv, join(fixtures, '..', 'later-records')) };
    const built = buildManifest(readFileSync(recordsTsvPath, 'utf8'), readFileSync(upstreamTsvPath, 'utf8'), ANCHOR_RECORD, HORIZON_RECORD, later);
    assert.deepEqual(built, manifest);
    assert.equal(readFileSync(defaultManifestPath(), 'utf8'), `${JSON.stringify(built, null, 2)}\n`);
  });
});

describe('humanProgressPercent', () => {
  test('the horizon is 100% and the anchor 0%', () => {
    assert.equal(humanProgressPercent(63.2192), 100);
    assert.equal(humanProgressPercent(0), 0);
  });

  test('is linear in the speedup, negative when slower than the anchor', () => {
    assert.ok(Math.abs(humanProgressPercent(31.6096) - 50) < 1e-12);
    assert.ok(humanProgressPercent(-5) < 0);
    assert.ok(Math.abs(humanProgressPercent(26.4624) - (26.4624 / 63.2192) * 100) < 1e-12);
  });

  test('uses the horizon of the manifest it is given', () => {
    const m = { ...committedManifest(), horizonSpeedupSeconds: 10 };
    assert.equal(humanProgressPercent(5, m), 50);
  });

  test('refuses a non-finite speedup', () => {
    assert.throws(() => humanProgressPercent(Number.NaN), /finite/);
  });
});

describe('record lookup', () => {
  test('finds a record by its exact name', () => {
    assert.equal(requireRecord('2025-09-18_Smear').description, 'Smear');
    assert.equal(findRecord('Smear'), undefined);
  });

  test('an unknown name lists close names', () => {
    assert.throws(() => requireRecord('2025-09-18_Smeer'), /no human record named "2025-09-18_Smeer"; close names: 2025-09-18_Smear/);
    assert.throws(() => requireRecord('yarn'), /close names: 2025-09-10_Yarn/);
  });

  test('closeNames ranks substring hits first and drops far names', () => {
    const names = ['2025-09-10_Yarn', '2025-09-18_Smear', '2025-10-04_Backout'];
    assert.deepEqual(closeNames('Backot', names), ['2025-10-04_Backout']);
    assert.deepEqual(closeNames('2025-09', names), ['2025-09-10_Yarn', '2025-09-18_Smear']);
    assert.deepEqual(closeNames('qqqqqqqqqqqq', names), []);
  });
});

describe('parseBaselinesManifest', () => {
  const good = () =>
    structuredClone(committedManifest()) as unknown as { records: Array<Record<string, unknown> & { files: Array<Record<string, unknown>> }> } & Record<
      string,
      unknown
    >;

  test('names the field and what was expected', () => {
    const bad = good();
    bad.records[2].files[1].sha256 = 'abc';
    assert.throws(() => parseBaselinesManifest(bad), /records\.2\.files\.1\.sha256: expected 64 lowercase hex characters/);
  });

  test('refuses records out of date order', () => {
    const bad = good();
    [bad.records[3], bad.records[4]] = [bad.records[4], bad.records[3]];
    assert.throws(() => parseBaselinesManifest(bad), /records\.4\.date: expected dates in order/);
  });

  test('refuses a horizon speedup that disagrees with the horizon record', () => {
    const bad = good();
    bad.horizonSpeedupSeconds = 60;
    assert.throws(() => parseBaselinesManifest(bad), /horizonSpeedupSeconds: expected the horizon record's speedup 63.2192, got 60/);
  });

  test('refuses paths that climb out of the download directory', () => {
    const bad = good();
    bad.records[0].files[0].path = 'human_baselines/../../etc/run.sh';
    assert.throws(() => parseBaselinesManifest(bad), /records\.0\.files\.0\.path/);
  });
});
