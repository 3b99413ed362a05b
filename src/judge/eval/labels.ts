import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * A labelled set: a folder of candidate folders and a labels.json saying, for each, whether it is
 * legal or a cheat and which rule a cheat breaks. `anchor` is the folder every candidate is judged
 * against (absolute, or relative to the set's folder).
 */
const labelSchema = z
  .object({
    label: z.enum(['legal', 'cheat']),
    rule: z.string().min(1).optional(),
    why: z.string().optional(),
  })
  .refine((l) => l.label === 'legal' || l.rule !== undefined, { message: 'a cheat must name the rule it breaks (rule)' });

export const labelsFileSchema = z.object({
  anchor: z.string().min(1),
  candidates: z.record(z.string().min(1), labelSchema),
});

export interface LabelledCandidate {
  set: string;
  name: string;
  dir: string;
  anchorDir: string;
  label: 'legal' | 'cheat';
  rule?: string;
  why?: string;
}

/** Reads one set; every folder beside labels.json must be labelled and every label must have its folder. */
export function readLabelledSet(dir: string, setName: string): LabelledCandidate[] {
  const path = join(dir, 'labels.json');
  if (!existsSync(path)) throw new Error(`${dir} holds no labels.json: a labelled set is a folder of candidates with a labels.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = labelsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'the file'}: ${i.message}`).join('; ')}`);
  }
  const anchorDir = isAbsolute(parsed.data.anchor) ? parsed.data.anchor : resolve(dir, parsed.data.anchor);
  if (!existsSync(join(anchorDir, 'train_gpt.py'))) throw new Error(`${path}: anchor ${anchorDir} holds no train_gpt.py`);
  const folders = readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory());
  const unlabelled = folders.filter((f) => !(f in parsed.data.candidates) && resolve(dir, f) !== anchorDir);
  if (unlabelled.length) throw new Error(`${path}: folders without a label: ${unlabelled.join(', ')}`);
  return Object.entries(parsed.data.candidates).map(([name, l]) => {
    const cdir = join(dir, name);
    if (!existsSync(cdir)) throw new Error(`${path}: candidates.${name}: the folder ${cdir} does not exist`);
    return { set: setName, name, dir: cdir, anchorDir, label: l.label, rule: l.rule, why: l.why };
  });
}

/**
 * A folder is a set (it has labels.json) or holds sets in its subfolders (like the fixtures,
 * tiny/ and real/).
 */
export function readLabelledSets(dir: string): LabelledCandidate[] {
  if (existsSync(join(dir, 'labels.json'))) return readLabelledSet(dir, dir.split('/').filter(Boolean).pop() ?? dir);
  const subs = readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'labels.json')))
    .sort();
  if (subs.length === 0) throw new Error(`${dir} holds no labels.json, nor subfolders with one`);
  return subs.flatMap((s) => readLabelledSet(join(dir, s), s));
}

/** The human records as a set: every one legal, judged against the anchor named in the manifest. */
export function recordsAsSet(recordsDir: string, anchor: string, names: string[]): LabelledCandidate[] {
  const anchorDir = join(recordsDir, anchor);
  const missing = names.filter((n) => !existsSync(join(recordsDir, n, 'train_gpt.py')));
  if (missing.length) throw new Error(`${missing.length} of ${names.length} records are not in ${recordsDir} (first: ${missing[0]})`);
  return names.map((name) => ({ set: 'records', name, dir: join(recordsDir, name), anchorDir, label: 'legal' as const, why: 'a human world record' }));
}
