import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { allRecords, committedManifest, requireRecord } from '../domain/baselines';
import { defaultRecordsDir } from './manifest';
import { repoRoot } from '../files/repoRoot';
import { SynthArgsSchema, TINY_DATA, type SynthArgs } from '../tokenShards/tinyData';

/** Everything a session needs to know about the record it starts from. */
export interface AnchorSource {
  name: string;
  /** Host folder of the anchor's own files (run.sh, train_gpt.py, …). */
  recordDir: string;
  /** Host folder whose subfolders are the records after the anchor, for the replay agent. */
  historyDir: string;
  /** The records after the anchor, oldest first, up to the horizon. */
  history: string[];
  /** Seconds the human history gained from this anchor to the horizon (the metric's 100%). */
  horizonSpeedupSeconds: number;
  /**
   * Families only: the horizon record's folder. Their timings depend on the machine (the tiny
   * speedrun's table was taken on a CPU), so a session times the horizon beside the anchor and
   * measures the 100% mark on its own hardware; the speedrun's 63.2 s was re-timed on 8×H100.
   */
  horizonRecordDir: string | null;
  /** The val loss a run must reach: 3.28 for the speedrun, target.json for a family. */
  targetValLoss: number;
  /** A family's synthetic data (made on first use under the data folder, by name) or FineWeb's shards. */
  data: { kind: 'synth'; name: string; args: SynthArgs } | { kind: 'fineweb'; dir: string };
}

export const TINY_ANCHOR = 'tiny';
/** The families in human_baselines/ a session may name: `tiny` fits a CPU, `gpu` trains 13–20 s a run on one H200. */
export const NAMED_FAMILIES = [TINY_ANCHOR, 'gpu'] as const;
export const SPEEDRUN_TARGET_VAL_LOSS = 3.28;

/**
 * A family is a speedrun of our own making laid out like human_baselines/tiny: records/<NN_name>/
 * (the first is the anchor), records.tsv with each record's measured train_time_s, and
 * target.json. `tiny` names ours; an absolute path names another (tests bring small ones).
 */
export function familyDir(anchor: string): string | null {
  if ((NAMED_FAMILIES as readonly string[]).includes(anchor)) return join(repoRoot(), 'human_baselines', anchor);
  return isAbsolute(anchor) ? anchor : null;
}

/**
 * `horizon` names the record that marks 100% of human progress (the spec's `horizonRecord`):
 * absent, the family's last record or the manifest's horizon. Any later record may be named; it
 * is then timed beside the anchor at calibration, on the session's own hardware.
 */
export function resolveAnchor(anchor: string, horizon?: string): AnchorSource {
  const family = familyDir(anchor);
  return family ? familyAnchor(anchor, family, horizon) : speedrunAnchor(anchor, horizon);
}

function familyAnchor(anchor: string, family: string, horizon?: string): AnchorSource {
  const dir = join(family, 'records');
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (names.length < 2) throw new Error(`the tiny speedrun needs at least two records in ${dir}`);
  const h = horizon ?? names[names.length - 1];
  if (names.indexOf(h) < 1) throw new Error(`horizonRecord "${h}" is not a record after the anchor in ${dir} (records: ${names.slice(1).join(', ')})`);
  const times = familyRecordTimes(family);
  const first = times.get(names[0]);
  const last = times.get(h);
  if (first === undefined || last === undefined) throw new Error(`${family}/records.tsv lacks a time for ${names[0]} or ${h}`);
  return {
    name: anchor,
    recordDir: join(dir, names[0]),
    historyDir: dir,
    history: names.slice(1),
    horizonSpeedupSeconds: first - last,
    horizonRecordDir: join(dir, h),
    targetValLoss: familyTarget(anchor),
    data: familyData(family),
  };
}

/** The family's data.json (synth arguments), or the tiny speedrun's; its folder is named after them. */
function familyData(family: string): { kind: 'synth'; name: string; args: SynthArgs } {
  const path = join(family, 'data.json');
  if (!existsSync(path)) return { kind: 'synth', name: 'tiny', args: TINY_DATA };
  const parsed = SynthArgsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const a = parsed.data;
  return { kind: 'synth', name: `synth-${a.trainShards}x${a.tokensPerShard}-val${a.valTokens}-seed${a.seed}`, args: a };
}

/** Mean train_time_s per record, from the family's records table. */
export function familyRecordTimes(family: string): Map<string, number> {
  const lines = readFileSync(join(family, 'records.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const header = lines[0].split('\t');
  const rec = header.indexOf('record');
  const t = header.indexOf('train_time_s');
  if (rec < 0 || t < 0) throw new Error(`${family}/records.tsv needs the columns record and train_time_s`);
  return new Map(
    lines
      .slice(1)
      .map((l) => l.split('\t'))
      .map((c) => [c[rec], Number(c[t])]),
  );
}

function speedrunAnchor(anchor: string, horizon?: string): AnchorSource {
  const manifest = committedManifest();
  const record = requireRecord(anchor);
  const recordsDir = process.env.NANOGPT_BENCH_RECORDS_DIR ?? defaultRecordsDir();
  const fetched = (name: string) => {
    const dir = join(recordsDir, name);
    if (existsSync(join(dir, 'train_gpt.py'))) return dir;
    throw new Error(
      `the files of record ${name} are not in ${dir}: run \`nanogpt-bench baselines fetch --record ${name}\` first (or use anchor "tiny" on a machine without GPUs)`,
    );
  };
  const recordDir = fetched(anchor);
  const all = allRecords(manifest);
  const last = horizon ? requireRecord(horizon) : requireRecord(manifest.horizon);
  const idx = all.findIndex((r) => r.name === anchor);
  const end = all.findIndex((r) => r.name === last.name);
  if (end <= idx) throw new Error(`horizonRecord "${last.name}" is not a record after the anchor ${anchor}`);
  const history = all.slice(idx + 1, end + 1).map((r) => r.name);
  const dataDir = process.env.NANOGPT_BENCH_DATA ?? join(repoRoot(), 'data', 'fineweb10B');
  // Re-timed on one machine where the record was; else the leaderboard's times (other hardware):
  // a horizon other than the manifest's is timed at calibration anyway, and that figure wins.
  const speedup = (r: typeof record) => r.speedupSeconds ?? manifest.records[0].readmeSeconds - r.readmeSeconds;
  return {
    name: anchor,
    recordDir,
    historyDir: recordsDir,
    history,
    horizonSpeedupSeconds: speedup(last) - speedup(record),
    horizonRecordDir: horizon ? fetched(last.name) : null,
    targetValLoss: SPEEDRUN_TARGET_VAL_LOSS,
    data: { kind: 'fineweb', dir: dataDir },
  };
}

/** The val loss target calibrated for a family (its target.json); `tiny` by default. */
export function familyTarget(anchor: string = TINY_ANCHOR): number {
  const family = familyDir(anchor);
  if (!family) throw new Error(`${anchor} is a speedrun record, not a family of our own: its target is 3.28`);
  const path = join(family, 'target.json');
  const t = Number((JSON.parse(readFileSync(path, 'utf8')) as { targetValLoss?: unknown }).targetValLoss);
  if (!(t > 0)) throw new Error(`${path}: targetValLoss must be a positive number`);
  return t;
}
