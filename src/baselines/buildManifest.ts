// Regenerates human_baselines/manifest.json from the two fixture tables:
//   node dist/src/baselines/buildManifest.js [human-records.tsv] [human-baselines-upstream.tsv] [out.json]
// Defaults: ../shared/fixtures/<name> next to the package root, and the committed manifest path.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BaselinesManifest, type HumanRecord, type UpstreamFile, parseBaselinesManifest } from '../domain/baselines';
import { defaultManifestPath } from './manifest';
import { repoRoot } from '../storage/repoRoot';

export const ANCHOR_RECORD = '2025-09-03_FA3';
export const HORIZON_RECORD = '2026-01-19_BigramHashEmbedding';

type Row = Record<string, string>;

function parseTsv(text: string, source: string, required: readonly string[]): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${source}: empty`);
  const header = lines[0].split('\t');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${source}: missing column(s) ${missing.join(', ')}; header is ${header.join(', ')}`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split('\t');
    if (cells.length > header.length) throw new Error(`${source} line ${i + 2}: ${cells.length} cells, header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim()]));
  });
}

function num(value: string, where: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) throw new Error(`${where}: expected a number, got "${value}"`);
  return n;
}

/** Pure: the manifest for the records from anchor to horizon (inclusive, by date). */
export function buildManifest(recordsTsv: string, upstreamTsv: string, anchor = ANCHOR_RECORD, horizon = HORIZON_RECORD): BaselinesManifest {
  const recordRows = parseTsv(recordsTsv, 'human-records.tsv', ['record', 'date', 'readme_minutes', 'mean_seconds_faster_vs_anchor_retimed', 'description']);
  const fileRows = parseTsv(upstreamTsv, 'human-baselines-upstream.tsv', ['repository', 'commit', 'path', 'bytes', 'sha256']);

  const filesByRecord = new Map<string, UpstreamFile[]>();
  fileRows.forEach((row, i) => {
    // Upstream paths look like human_baselines/<record>/<file>.
    const record = row.path.split('/').slice(-2, -1)[0];
    if (!record) throw new Error(`human-baselines-upstream.tsv line ${i + 2}: path "${row.path}" names no record directory`);
    const file: UpstreamFile = {
      repository: row.repository,
      commit: row.commit,
      path: row.path,
      bytes: num(row.bytes, `human-baselines-upstream.tsv line ${i + 2} bytes`),
      sha256: row.sha256.toLowerCase(),
    };
    filesByRecord.set(record, [...(filesByRecord.get(record) ?? []), file]);
  });

  const all: HumanRecord[] = recordRows.map((row, i) => {
    const where = `human-records.tsv line ${i + 2}`;
    const minutes = num(row.readme_minutes, `${where} readme_minutes`);
    const speedup = row.mean_seconds_faster_vs_anchor_retimed;
    return {
      name: row.record,
      date: row.date,
      readmeMinutes: minutes,
      // Minutes carry 3 decimals, so seconds are exact at 2.
      readmeSeconds: Math.round(minutes * 60 * 100) / 100,
      speedupSeconds: speedup === '' ? null : num(speedup, `${where} mean_seconds_faster_vs_anchor_retimed`),
      description: row.description,
      files: filesByRecord.get(row.record) ?? [],
    };
  });
  // The leaderboard's order is by date; a record's name may carry an earlier date
  // than the day it was accepted (2025-10-31_AdamSyncGradientHook landed 2025-11-16).
  all.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const first = all.find((r) => r.name === anchor);
  const last = all.find((r) => r.name === horizon);
  if (!first) throw new Error(`human-records.tsv has no anchor record "${anchor}"`);
  if (!last) throw new Error(`human-records.tsv has no horizon record "${horizon}"`);
  const records = all.filter((r) => r.date >= first.date && r.date <= last.date);

  const kept = new Set(records.map((r) => r.name));
  const orphans = [...filesByRecord.keys()].filter((name) => !kept.has(name));
  if (orphans.length) throw new Error(`human-baselines-upstream.tsv lists files for records outside ${anchor}..${horizon}: ${orphans.join(', ')}`);
  const bare = records.filter((r) => r.files.length === 0).map((r) => r.name);
  if (bare.length) throw new Error(`no upstream files for: ${bare.join(', ')}`);
  if (last.speedupSeconds === null) throw new Error(`the horizon record "${horizon}" has no re-timed speedup`);

  return parseBaselinesManifest(
    {
      schemaVersion: 1,
      generatedBy: 'src/baselines/buildManifest.ts from human-records.tsv and human-baselines-upstream.tsv',
      anchor,
      horizon,
      horizonSpeedupSeconds: last.speedupSeconds,
      records,
    },
    'generated manifest',
  );
}

function main(argv: string[]): void {
  const fixtures = join(repoRoot(), '..', 'shared', 'fixtures');
  const recordsPath = resolve(argv[0] ?? join(fixtures, 'human-records.tsv'));
  const upstreamPath = resolve(argv[1] ?? join(fixtures, 'human-baselines-upstream.tsv'));
  const outPath = resolve(argv[2] ?? defaultManifestPath());
  const manifest = buildManifest(readFileSync(recordsPath, 'utf8'), readFileSync(upstreamPath, 'utf8'));
  writeFileSync(outPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const files = manifest.records.reduce((n, r) => n + r.files.length, 0);
  console.log(`wrote ${outPath}: ${manifest.records.length} records, ${files} files`);
}

if (require.main === module) main(process.argv.slice(2));
