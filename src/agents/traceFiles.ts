import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from './agent';
import { redact, type Secret } from './redact';
import { writeFileAtomic } from '../files/atomicWrite';
import { addUsage, emptyLaunchUsage, UsageFileSchema, type LaunchUsage, type UsageFile } from './usage';

/** What runs/<id>/agent/launch-N.json records about one launch (argv redacted, prompt left out). */
export interface LaunchMeta {
  launch: number;
  agent: string;
  startedAtMs: number;
  promptKind: 'task' | 'resume' | 'task+resume';
  promptVersion: string;
  resumeId: string | null;
  argv: string[];
  finished: { exitCode: number | null; signal: string | null; endedAtMs: number } | null;
}

export const traceFiles = {
  meta: (dir: string, n: number) => join(dir, `launch-${n}.json`),
  jsonl: (dir: string, n: number) => join(dir, `launch-${n}.jsonl`),
  text: (dir: string, n: number) => join(dir, `launch-${n}.txt`),
  transcript: (dir: string) => join(dir, 'transcript.txt'),
  usage: (dir: string) => join(dir, 'usage.json'),
  prompt: (dir: string) => join(dir, 'prompt.json'),
};

/** Reads at most this much raw output per poll, so a flood cannot stall the heartbeat. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The trace of one launch, made from the sandbox's raw output file: launch-N.jsonl (the CLI's
 * events, redacted), launch-N.txt (readable), transcript.txt (every launch in order) and the
 * launch's entry in usage.json. Everything is derived from the raw output, so a re-attaching
 * worker rebuilds it and carries on; nothing is lost or doubled by a worker restart.
 */
export class LaunchTrace {
  private offset = 0;
  private usage: LaunchUsage = emptyLaunchUsage();
  private sessionId: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly agent: Agent,
    private readonly launch: number,
    private readonly rawPath: string,
    private readonly secrets: readonly Secret[],
  ) {}

  get resumeId(): string | null {
    return this.sessionId;
  }

  /** Records the launch (once) and rebuilds its files from whatever output exists already. */
  async open(meta: Omit<LaunchMeta, 'finished' | 'argv'> & { argv: string[] }): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (!existsSync(traceFiles.meta(this.dir, this.launch))) {
      const argv = meta.argv.map((a) => (a.length > 200 ? `<${a.length} characters: the prompt, see prompt.json>` : redact(a, this.secrets)));
      await writeFileAtomic(traceFiles.meta(this.dir, this.launch), JSON.stringify({ ...meta, argv, finished: null } satisfies LaunchMeta, null, 2));
    }
    await this.rebuild(false);
  }

  async isFinished(): Promise<boolean> {
    return (await readMeta(this.dir, this.launch))?.finished != null;
  }

  /** Adds the output written since the last call. */
  async pump(): Promise<void> {
    const raw = await readFrom(this.rawPath, this.offset, CHUNK_BYTES);
    const nl = raw.lastIndexOf(0x0a);
    // A single line longer than a whole chunk is taken as it is, so it cannot stall the trace.
    const [take, skip] = nl >= 0 ? [nl, nl + 1] : raw.length === CHUNK_BYTES ? [raw.length, raw.length] : [-1, 0];
    if (take < 0) return;
    const lines = raw.subarray(0, take).toString('utf8').split('\n');
    this.offset += skip;
    const { jsonl, text } = this.render(lines);
    await appendFile(traceFiles.jsonl(this.dir, this.launch), jsonl);
    await appendFile(traceFiles.text(this.dir, this.launch), text);
    await appendFile(traceFiles.transcript(this.dir), text);
    await this.writeUsage();
  }

  /** After the process exited: the whole output (a last line without newline too), final and redacted. */
  async finish(exit: { exitCode: number | null; signal: string | null; endedAtMs: number }): Promise<void> {
    await this.rebuild(true);
    const meta = await readMeta(this.dir, this.launch);
    if (meta) await writeFileAtomic(traceFiles.meta(this.dir, this.launch), JSON.stringify({ ...meta, finished: exit }, null, 2));
    // The sandbox's own copy of the output is the last place a key could linger.
    if (existsSync(this.rawPath)) {
      const raw = await readFile(this.rawPath, 'utf8');
      const clean = redact(raw, this.secrets);
      if (clean !== raw) await writeFileAtomic(this.rawPath, clean);
    }
  }

  private async rebuild(final: boolean): Promise<void> {
    this.usage = emptyLaunchUsage();
    this.sessionId = null;
    const raw = existsSync(this.rawPath) ? await readFile(this.rawPath) : Buffer.alloc(0);
    const end = final ? raw.length : raw.lastIndexOf(0x0a) + 1;
    const body = raw.subarray(0, end).toString('utf8');
    const lines = body.length === 0 ? [] : body.replace(/\n$/, '').split('\n');
    this.offset = end;
    const meta = await readMeta(this.dir, this.launch);
    const header = `=== launch ${this.launch}: ${this.agent.name}, ${meta?.resumeId ? `resuming ${meta.resumeId}` : 'fresh start'}, ${meta?.promptKind ?? '?'} prompt ${meta?.promptVersion ?? ''} (${new Date(meta?.startedAtMs ?? Date.now()).toISOString()}) ===\n`;
    const { jsonl, text } = this.render(lines);
    await writeFileAtomic(traceFiles.jsonl(this.dir, this.launch), jsonl);
    await writeFileAtomic(traceFiles.text(this.dir, this.launch), header + text);
    await rebuildTranscript(this.dir);
    await this.writeUsage();
  }

  private render(lines: string[]): { jsonl: string; text: string } {
    let jsonl = '';
    let text = '';
    for (const line of lines) {
      const clean = redact(line, this.secrets);
      let ev;
      try {
        ev = this.agent.readEvent(clean);
      } catch {
        ev = { text: clean };
      }
      if (ev.sessionId) this.sessionId = ev.sessionId;
      if (ev.usage) this.usage = addUsage(this.usage, ev.usage);
      jsonl += (this.agent.output === 'jsonl' && looksLikeJson(clean) ? clean : JSON.stringify({ type: 'harness.output', text: clean })) + '\n';
      if (ev.text !== null) text += ev.text + '\n';
    }
    return { jsonl, text };
  }

  private async writeUsage(): Promise<void> {
    const path = traceFiles.usage(this.dir);
    let file: UsageFile = { agent: this.agent.name, launches: {} };
    try {
      file = UsageFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
    } catch {
      // absent or unreadable: start afresh, every launch's entry is rebuilt from its own output
    }
    const before = JSON.stringify(file.launches[String(this.launch)]);
    if (before === JSON.stringify(this.usage)) return;
    file.launches[String(this.launch)] = this.usage;
    await writeFileAtomic(path, JSON.stringify(file, null, 2));
  }
}

/** The resume id from the latest earlier launch whose trace names one (a launch may die before its init event). */
export async function resumeIdFromTraces(dir: string, agent: Agent, beforeLaunch: number): Promise<string | null> {
  for (let n = beforeLaunch - 1; n >= 1; n--) {
    const path = traceFiles.jsonl(dir, n);
    if (!existsSync(path)) continue;
    const id = resumeIdFromLines(agent, (await readFile(path, 'utf8')).split('\n'));
    if (id) return id;
  }
  return null;
}

/** Pure: the last session id the lines of one trace name. */
export function resumeIdFromLines(agent: Agent, lines: string[]): string | null {
  let id: string | null = null;
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const ev = agent.readEvent(line);
      if (ev.sessionId) id = ev.sessionId;
    } catch {
      // a line the adapter cannot read names no session
    }
  }
  return id;
}

export async function readMeta(dir: string, n: number): Promise<LaunchMeta | null> {
  try {
    return JSON.parse(await readFile(traceFiles.meta(dir, n), 'utf8')) as LaunchMeta;
  } catch {
    return null;
  }
}

/** Launch numbers with a trace, in order. */
export async function tracedLaunches(dir: string): Promise<number[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .map((f) => /^launch-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

async function rebuildTranscript(dir: string): Promise<void> {
  const parts: string[] = [];
  for (const n of await tracedLaunches(dir)) {
    const p = traceFiles.text(dir, n);
    if (existsSync(p)) parts.push(await readFile(p, 'utf8'));
  }
  await writeFileAtomic(traceFiles.transcript(dir), parts.join(''));
}

function looksLikeJson(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

async function readFrom(path: string, offset: number, max: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = (await fh.stat()).size;
    const n = Math.max(0, Math.min(max, size - offset));
    const buf = Buffer.alloc(n);
    if (n > 0) await fh.read(buf, 0, n, offset);
    return buf;
  } finally {
    await fh.close();
  }
}
