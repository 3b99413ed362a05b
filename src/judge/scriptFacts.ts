import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What src/judge/scriptFacts.py reports about a folder's Python files. The rules compare these
 * facts between the candidate and the anchor; Python's own `ast` reads the code, so layout,
 * comments and docstrings never count.
 */
const located = { line: z.number().int() };
const statement = z.object({ code: z.string(), ...located, assigns: z.array(z.string()) });

const keyed = z.object({ key: z.string(), code: z.string(), ...located });
/** A place a flow rule objects to, and why. */
const problem = z.object({ code: z.string(), why: z.string(), ...located });

const parsedFile = z.object({
  parsed: z.literal(true),
  hyper: z.array(z.object({ name: z.string(), source: z.string(), value: z.union([z.string(), z.number()]).nullable(), ...located })),
  valRegions: z.array(z.object({ ...located, statements: z.array(statement) })),
  assignments: z.array(statement),
  valRefs: z.array(statement),
  shardReaders: z.array(z.object({ name: z.string(), fingerprint: z.string(), code: z.string(), ...located })),
  listings: z.array(z.object({ code: z.string(), ...located })),
  rawReads: z.array(z.object({ kind: z.string(), code: z.string(), ...located })),
  compileModes: z.array(z.object({ setting: z.string(), code: z.string(), ...located })),
  inductorSettings: z.array(z.object({ key: z.string(), code: z.string(), ...located })),
  compilerSettings: z.array(keyed),
  envWrites: z.array(keyed),
  seeds: z.array(keyed),
  evalLoss: z.array(problem),
  timed: z.object({ clockLine: z.number().int(), problems: z.array(problem), clockWrites: z.array(z.object({ code: z.string(), ...located })) }),
  stepCount: z.array(problem),
  dataOrder: z.array(statement),
  spawns: z.array(keyed),
});
const unparsedFile = z.object({ parsed: z.literal(false), error: z.string() });
const factsSchema = z.object({ files: z.record(z.string(), z.discriminatedUnion('parsed', [parsedFile, unparsedFile])) });

export type FileFacts = z.infer<typeof parsedFile>;
export type ScriptFacts = z.infer<typeof factsSchema>;

/** The helper ships as source next to this module's .ts file; the compiled .js lives under dist/. */
function helperPath(): string {
  for (let dir = __dirname; ; dir = join(dir, '..')) {
    const p = join(dir, 'src', 'judge', 'scriptFacts.py');
    if (existsSync(p)) return p;
    const here = join(dir, 'scriptFacts.py');
    if (existsSync(here)) return here;
    if (join(dir, '..') === dir) throw new Error('src/judge/scriptFacts.py not found next to the judge');
  }
}

/** Python for the helper: only the standard library is needed, so any python3 does. */
function python(): string {
  return process.env.NANOGPT_BENCH_JUDGE_PYTHON || 'python3';
}

/** What identifies a folder's Python files' content cheaply: paths, sizes and mtimes. */
function pythonFilesStamp(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 32) return;
    // every folder, as the helper reads every folder
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.py')) {
        const st = statSync(p);
        parts.push(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(dir, 0);
  return parts.sort().join('|');
}

/** The anchor is read for every candidate: its facts are kept while its files stay the same. */
const cache = new Map<string, { stamp: string; facts: ScriptFacts }>();
const CACHE_SIZE = 16;

export function readScriptFacts(dir: string): ScriptFacts {
  const stamp = pythonFilesStamp(dir);
  const hit = cache.get(dir);
  if (hit && hit.stamp === stamp) return hit.facts;
  const facts = runHelper(dir);
  remember(dir, stamp, facts);
  return facts;
}

function runHelper(dir: string): ScriptFacts {
  return helperFacts(dir, spawnSync(python(), [helperPath(), dir], HELPER_OPTIONS));
}

const HELPER_OPTIONS = { encoding: 'utf8' as const, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 };

/**
 * The same facts read without blocking: one worker serves many sessions, and a synchronous helper
 * run stops every relay, heartbeat and query of all of them while Python starts and parses. Fills
 * the cache readScriptFacts reads; a failure is left for readScriptFacts to report.
 */
export async function preloadScriptFacts(dir: string): Promise<void> {
  const stamp = pythonFilesStamp(dir);
  if (cache.get(dir)?.stamp === stamp) return;
  const r = await new Promise<{ error?: Error; status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(python(), [helperPath(), dir], HELPER_OPTIONS, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ error: err && typeof err.code !== 'number' ? err : undefined, status, stdout, stderr });
    });
  });
  remember(dir, stamp, helperFacts(dir, r));
}

function remember(dir: string, stamp: string, facts: ScriptFacts): void {
  cache.delete(dir);
  cache.set(dir, { stamp, facts });
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
}

function helperFacts(dir: string, r: { error?: Error; status: number | null; stdout: string; stderr: string }): ScriptFacts {
  if (r.error) throw new Error(`cannot run the judge's Python helper (${python()}): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the judge's Python helper failed on ${dir}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`the judge's Python helper printed no JSON for ${dir}`);
  }
  const parsed = factsSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`the judge's Python helper gave unexpected facts: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The parsed files only, with their names. */
export function parsedFiles(facts: ScriptFacts): [string, FileFacts][] {
  return Object.entries(facts.files).flatMap(([name, f]) => (f.parsed ? [[name, f] as [string, FileFacts]] : []));
}
