// Regenerates human_baselines/manifest.json from the two fixture tables:
//   node dist/src/humanRecords/buildManifest.js [human-records.tsv] [human-baselines-upstream.tsv] [out.json] [human-records-later.tsv] [later-records/]
// Defaults: ../shared/fixtures/<name> next to the package root, and the committed manifest path.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BaselinesManifest, type HumanRecord, type UpstreamFile, parseBaselinesManifest } from '../domain/baselines';
import { defaultManifestPath } from './manifest';
import { repoRoot } from '../files/repoRoot';
import { cutCodeFromLogHead } from './logHead';

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

/** What the later records' table says, and the logs it names (by log_path; absent: not at hand). */
export interface LaterRecordsInput {
  tsv: string;
  logs: ReadonlyMap<string, string>;
}

/**
 * Pure: the manifest for the records from anchor to horizon (inclusive, by date), and after the
 * horizon those of human-records-later.tsv whose log carries their code (the others are named in
 * `skipped`: a record without a public log, or a "log" that is a folder listing, cannot be run).
 */
export function buildManifest(
  recordsTsv: string,
  upstreamTsv: string,
  anchor = ANCHOR_RECORD,
  horizon = HORIZON_RECORD,
  later?: LaterRecordsInput,
): BaselinesManifest {
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

  const laterRecords = later ? buildLaterRecords(later, last.date, new Set(all.map((r) => r.name))) : [];
  return parseBaselinesManifest(
    {
      schemaVersion: 1,
      generatedBy: `src/humanRecords/buildManifest.ts from human-records.tsv and human-baselines-upstream.tsv${later ? ' and human-records-later.tsv' : ''}`,
      anchor,
      horizon,
      horizonSpeedupSeconds: last.speedupSeconds,
      records,
      laterRecords,
    },
    'generated manifest',
  );
}

/** The repository and commit the later table's first line names: `# owner/name at <commit>: …`. */
function laterSource(tsv: string): { repository: string; commit: string } {
  const m = /^#\s*([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+) at ([0-9a-f]{40})/.exec(tsv);
  if (!m) throw new Error('human-records-later.tsv: the first line must name "# owner/name at <40-hex commit>"');
  return { repository: m[1], commit: m[2] };
}

/** records/track_1_short/2026-01-26-UntieValueEmbeddings/… → 2026-01-26_UntieValueEmbeddings */
export function laterRecordName(logPath: string): string {
  const dir = logPath.split('/')[2] ?? '';
  return dir.replace(/^(\d{4}-\d{2}-\d{2})[-_]/, '$1_').replace(/[^A-Za-z0-9_-]/g, '');
}

function buildLaterRecords(later: LaterRecordsInput, horizonDate: string, known: Set<string>): HumanRecord[] {
  const { repository, commit } = laterSource(later.tsv);
  const rows = parseTsv(
    later.tsv
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n'),
    'human-records-later.tsv',
    ['number', 'date', 'readme_minutes', 'description', 'log_path', 'log_bytes', 'log_sha256'],
  );
  const out: HumanRecord[] = [];
  for (const [i, row] of rows.entries()) {
    const where = `human-records-later.tsv line ${i + 3}`;
    if (!row.log_path) continue; // no public log: nothing to run
    const name = laterRecordName(row.log_path);
    if (known.has(name) || row.date < horizonDate) continue; // the horizon itself is already a record
    const log = later.logs.get(row.log_path);
    if (log === undefined) throw new Error(`${where}: the log ${row.log_path} is not at hand`);
    const cut = cutCodeFromLogHead(log);
    if (!cut) continue; // a folder listing, not a log with code
    const minutes = num(row.readme_minutes, `${where} readme_minutes`);
    out.push({
      name,
      date: row.date,
      readmeMinutes: minutes,
      readmeSeconds: Math.round(minutes * 60 * 100) / 100,
      speedupSeconds: null,
      description: row.description,
      files: [{ repository, commit, path: row.log_path, bytes: num(row.log_bytes, `${where} log_bytes`), sha256: row.log_sha256.toLowerCase() }],
      codeFromLog: cut.map(({ name: file, bytes, sha256 }) => ({ name: file, bytes, sha256 })),
    });
    known.add(name);
  }
  return out;
}

/** The later table's logs as they lie in a folder named <number>_<date>.txt (../shared/later-records). */
export function readLaterLogs(tsv: string, dir: string): Map<string, string> {
  const logs = new Map<string, string>();
  for (const line of tsv.split('\n').slice(2)) {
    const [number, date, , , , logPath] = line.split('\t');
    if (!logPath) continue;
    try {
      logs.set(logPath, readFileSync(join(dir, `${number}_${date}.txt`), 'utf8'));
    } catch {
      // absent: buildLaterRecords names it
    }
  }
  return logs;
}

function main(argv: string[]): void {
  const fixtures = join(repoRoot(), '..', 'shared', 'fixtures');
  const recordsPath = resolve(argv[0] ?? join(fixtures, 'human-records.tsv'));
  const upstreamPath = resolve(argv[1] ?? join(fixtures, 'human-baselines-upstream.tsv'));
  const outPath = resolve(argv[2] ?? defaultManifestPath());
  const laterTsv = readFileSync(resolve(argv[3] ?? join(fixtures, 'human-records-later.tsv')), 'utf8');
  const logs = readLaterLogs(laterTsv, resolve(argv[4] ?? join(fixtures, '..', 'later-records')));
  const manifest = buildManifest(readFileSync(recordsPath, 'utf8'), readFileSync(upstreamPath, 'utf8'), ANCHOR_RECORD, HORIZON_RECORD, { tsv: laterTsv, logs });
  writeFileSync(outPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const files = manifest.records.reduce((n, r) => n + r.files.length, 0);
  console.log(
    `wrote ${outPath}: ${manifest.records.length} records, ${files} files; ${manifest.laterRecords.length} records after the horizon, code cut from their logs`,
  );
}

if (require.main === module) main(process.argv.slice(2));
