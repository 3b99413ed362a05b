import { z } from 'zod';
// The committed manifest is bundled as a module rather than read from disk so that
// deterministic workflow code (no fs) can compute the headline metric too.
import committedManifestJson from '../../human_baselines/manifest.json';

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const HEX_COMMIT = /^[0-9a-f]{40}$/;
// Record names become directory names on disk, so only a safe alphabet is allowed.
const RECORD_NAME = /^\d{4}-\d{2}-\d{2}_[A-Za-z0-9]+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// Each segment non-empty and neither "." nor "..": the path ends up in a URL and its
// last segment becomes a file name under the download directory.
const SAFE_REL_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export const UpstreamFileSchema = z.object({
  repository: z.string().regex(REPOSITORY, 'expected "owner/name"'),
  commit: z.string().regex(HEX_COMMIT, 'expected a 40-hex git commit'),
  path: z.string().regex(SAFE_REL_PATH, 'expected a relative path without "." or ".." segments'),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(HEX_SHA256, 'expected 64 lowercase hex characters'),
});
export type UpstreamFile = z.infer<typeof UpstreamFileSchema>;

export const HumanRecordSchema = z
  .object({
    name: z.string().regex(RECORD_NAME, 'expected "YYYY-MM-DD_Name"'),
    date: z.string().regex(ISO_DATE, 'expected YYYY-MM-DD'),
    readmeMinutes: z.number().positive(),
    readmeSeconds: z.number().positive(),
    // Null where the record was never re-timed on the common machine.
    speedupSeconds: z.number().nullable(),
    description: z.string().min(1),
    files: z.array(UpstreamFileSchema).min(1),
    /**
     * Records after the horizon have no folder of their own upstream: their one file is the public
     * log whose head carries the code, and these are the files cut from it (src/humanRecords/logHead.ts).
     */
    codeFromLog: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9_.-]+$/), bytes: z.number().int().nonnegative(), sha256: z.string().regex(HEX_SHA256) }))
      .min(1)
      .optional(),
  })
  .superRefine((record, ctx) => {
    const seen = new Set<string>();
    record.files.forEach((file, i) => {
      const name = upstreamFileName(file);
      if (seen.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `two files would both be saved as "${name}"` });
      }
      seen.add(name);
    });
  });
export type HumanRecord = z.infer<typeof HumanRecordSchema>;

export const BaselinesManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    generatedBy: z.string().min(1),
    anchor: z.string().regex(RECORD_NAME),
    horizon: z.string().regex(RECORD_NAME),
    horizonSpeedupSeconds: z.number().positive(),
    records: z.array(HumanRecordSchema).min(2),
    /** Records after the horizon (human-records-later.tsv), any of which a session may take as its horizon or anchor. */
    laterRecords: z.array(HumanRecordSchema).default([]),
  })
  .superRefine((m, ctx) => {
    const names = new Set<string>();
    m.laterRecords.forEach((r, i) => {
      if (m.records.some((x) => x.name === r.name))
        ctx.addIssue({ code: 'custom', path: ['laterRecords', i, 'name'], message: `duplicate record "${r.name}"` });
      const prev = i === 0 ? m.records[m.records.length - 1] : m.laterRecords[i - 1];
      if (prev.date > r.date)
        ctx.addIssue({ code: 'custom', path: ['laterRecords', i, 'date'], message: `expected dates in order, but ${r.date} follows ${prev.date}` });
      if (!r.codeFromLog) ctx.addIssue({ code: 'custom', path: ['laterRecords', i, 'codeFromLog'], message: 'expected the files cut from the log' });
    });
    m.records.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['records', i, 'name'], message: `duplicate record "${r.name}"` });
      names.add(r.name);
      const prev = m.records[i - 1];
      if (prev && prev.date > r.date) {
        ctx.addIssue({ code: 'custom', path: ['records', i, 'date'], message: `expected dates in order, but ${r.date} follows ${prev.date}` });
      }
    });
    const first = m.records[0];
    const last = m.records[m.records.length - 1];
    if (first.name !== m.anchor) {
      ctx.addIssue({ code: 'custom', path: ['records', 0, 'name'], message: `expected the anchor "${m.anchor}" first, got "${first.name}"` });
    } else if (first.speedupSeconds !== 0) {
      ctx.addIssue({ code: 'custom', path: ['records', 0, 'speedupSeconds'], message: 'expected the anchor to have speedup 0' });
    }
    if (last.name !== m.horizon) {
      ctx.addIssue({
        code: 'custom',
        path: ['records', m.records.length - 1, 'name'],
        message: `expected the horizon "${m.horizon}" last, got "${last.name}"`,
      });
    } else if (last.speedupSeconds !== m.horizonSpeedupSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['horizonSpeedupSeconds'],
        message: `expected the horizon record's speedup ${last.speedupSeconds}, got ${m.horizonSpeedupSeconds}`,
      });
    }
  });
export type BaselinesManifest = z.infer<typeof BaselinesManifestSchema>;

/** Validates untrusted manifest data; the error names each bad field and what was expected. */
export function parseBaselinesManifest(data: unknown, source = 'baselines manifest'): BaselinesManifest {
  const result = BaselinesManifestSchema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new Error(`${source} is invalid:\n${lines.join('\n')}`);
}

let committed: BaselinesManifest | undefined;
/** The manifest committed in the repository, validated on first use (so a bad file cannot break module loading). */
export function committedManifest(): BaselinesManifest {
  committed ??= parseBaselinesManifest(committedManifestJson, 'human_baselines/manifest.json');
  return committed;
}

/** The file name a record's upstream file is saved under: the last segment of its path. */
export function upstreamFileName(file: Pick<UpstreamFile, 'path'>): string {
  const parts = file.path.split('/');
  return parts[parts.length - 1];
}

export function listRecords(manifest: BaselinesManifest = committedManifest()): readonly HumanRecord[] {
  return manifest.records;
}

/** Every record the manifest knows, anchor to horizon and after, in date order. */
export function allRecords(manifest: BaselinesManifest = committedManifest()): readonly HumanRecord[] {
  return [...manifest.records, ...manifest.laterRecords];
}

export function findRecord(name: string, manifest: BaselinesManifest = committedManifest()): HumanRecord | undefined {
  return allRecords(manifest).find((r) => r.name === name);
}

/** Like findRecord, but an unknown name is an error that lists the names closest to it. */
export function requireRecord(name: string, manifest: BaselinesManifest = committedManifest()): HumanRecord {
  const record = findRecord(name, manifest);
  if (record) return record;
  const close = closeNames(
    name,
    allRecords(manifest).map((r) => r.name),
  );
  const hint = close.length
    ? `close names: ${close.join(', ')}`
    : `known records run from ${manifest.anchor} to ${manifest.horizon} (nanogpt-bench baselines list)`;
  throw new Error(`no human record named "${name}"; ${hint}`);
}

/**
 * Names a person probably meant: those containing the query (case-insensitive), then
 * those within a small edit distance, nearest first. People often type only the part
 * after the date ("Smear") or a date alone, so substring hits rank first.
 */
export function closeNames(query: string, names: readonly string[], limit = 5): string[] {
  const q = query.toLowerCase();
  const scored = names.map((name) => {
    const n = name.toLowerCase();
    const suffix = n.slice(n.indexOf('_') + 1);
    const contains = q.length > 0 && (n.includes(q) || q.includes(suffix));
    const distance = Math.min(editDistance(q, n), editDistance(q, suffix));
    return { name, contains, distance };
  });
  const threshold = Math.max(2, Math.floor(q.length / 3));
  return scored
    .filter((s) => s.contains || s.distance <= threshold)
    .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance)
    .slice(0, limit)
    .map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The headline metric: % of human progress recovered,
 * (T_anchor − T_agent) / (T_anchor − T_horizon) × 100, where the numerator is the
 * speedup over the anchor and the denominator is the horizon record's re-timed speedup.
 */
export function humanProgressPercent(speedupSeconds: number, manifest: BaselinesManifest = committedManifest()): number {
  if (!Number.isFinite(speedupSeconds)) throw new Error(`speedupSeconds must be a finite number, got ${speedupSeconds}`);
  return (speedupSeconds / manifest.horizonSpeedupSeconds) * 100;
}
