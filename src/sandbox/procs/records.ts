import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomicWrite';

/**
 * A sandbox's processes on disk, in <stateDir>/procs: per process a record (written when it is
 * started), its output, the wrapper's exit line and the pid of its process-group leader. A worker
 * that comes back needs nothing else to find and judge every process it started.
 */
export interface ProcessRecord {
  name: string;
  startedAtMs: number;
  outputCapBytes: number;
}

/** Bytes of output kept when a process spec names no cap (64 MiB). */
export const DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024;

export function procsDir(stateDir: string): string {
  return join(stateDir, 'procs');
}

/** The host paths of one process's files. */
export function procFiles(stateDir: string, name: string) {
  const at = (suffix: string) => join(procsDir(stateDir), `${name}.${suffix}`);
  return { record: at('json'), out: at('out'), exit: at('exit'), pid: at('pid'), wrapperErr: at('wrapper.err'), lost: at('lost') };
}

export async function ensureProcsDir(stateDir: string): Promise<string> {
  const dir = procsDir(stateDir);
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function readRecord<R extends ProcessRecord>(stateDir: string, name: string): Promise<R | null> {
  try {
    return JSON.parse(await readFile(procFiles(stateDir, name).record, 'utf8')) as R;
  } catch {
    return null;
  }
}

export async function writeRecord(stateDir: string, rec: ProcessRecord): Promise<void> {
  await writeFileAtomic(procFiles(stateDir, rec.name).record, JSON.stringify(rec));
}

/** Every process ever started in the sandbox, in name order. */
export async function listRecords<R extends ProcessRecord>(stateDir: string): Promise<R[]> {
  const dir = procsDir(stateDir);
  const names = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)) : [];
  const recs = await Promise.all(names.sort().map((n) => readRecord<R>(stateDir, n)));
  return recs.filter((r): r is Awaited<R> => r !== null);
}

/** The command's own process-group leader, from the pid file the wrapper wrote; null until it has. */
export async function readLeaderPid(stateDir: string, name: string): Promise<number | null> {
  const text = (await readFile(procFiles(stateDir, name).pid, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;
}

/** Where a sandbox notes each pause and resume of its processes, one `pause|resume <ms>` line each. */
export const pausesFile = (stateDir: string) => join(procsDir(stateDir), 'pauses.log');

/**
 * Notes that the sandbox's processes were just stopped (`pause`) or are about to go on (`resume`):
 * its own record of the time it held no GPU, so its lifetime can be told from what it held.
 */
export async function notePause(stateDir: string, what: 'pause' | 'resume'): Promise<void> {
  await ensureProcsDir(stateDir);
  await appendFile(pausesFile(stateDir), `${what} ${Date.now()}\n`);
}

/**
 * When a process that died with its sandbox (its container killed, its engine stopped) ended, as
 * the sandbox learnt it: its wrapper died with it and wrote no exit line. The first answer stays.
 */
export async function noteLost(stateDir: string, name: string, endedAtMs: number): Promise<number> {
  const known = await lostEnd(stateDir, name);
  if (known !== null) return known;
  const file = procFiles(stateDir, name).lost;
  await writeFileAtomic(file, `${Math.round(endedAtMs)}\n`);
  return Math.round(endedAtMs);
}

/** Whether the sandbox's processes are meant to be paused: its pauses.log ends with a pause. */
export async function pausedByLog(stateDir: string): Promise<boolean> {
  const text = await readFile(pausesFile(stateDir), 'utf8').catch(() => '');
  return text.trim().split('\n').pop()?.startsWith('pause ') ?? false;
}

/**
 * The stretches in which the sandbox ran between `fromMs` (paused then) and `toMs` (resumed then), by
 * its pause log: a resume and the pause after it. One pause and one resume seen by a caller may
 * hide others, made by an attempt whose result was lost (the fault suite saw a retried validation
 * pause the agent again 17 s after the lost attempt had resumed it).
 */
export function ranBetweenPauses(logText: string, fromMs: number, toMs: number): [number, number][] {
  const out: [number, number][] = [];
  let resumedAt: number | null = null;
  for (const line of logText.split('\n')) {
    const m = /^(pause|resume) (\d+)$/.exec(line.trim());
    if (!m) continue;
    const at = Number(m[2]);
    if (at < fromMs || at > toMs) continue;
    if (m[1] === 'resume') resumedAt ??= at;
    else if (resumedAt !== null) {
      if (at > resumedAt) out.push([resumedAt, at]);
      resumedAt = null;
    }
  }
  return out;
}

/** The sandbox's pause log, as text ('' when it has none). */
export async function readPauseLog(stateDir: string): Promise<string> {
  return readFile(pausesFile(stateDir), 'utf8').catch(() => '');
}

/** When the sandbox noted a process lost with its container ended, or null when it did not. */
export async function lostEnd(stateDir: string, name: string): Promise<number | null> {
  const known = Number((await readFile(procFiles(stateDir, name).lost, 'utf8').catch(() => '')).trim());
  return known > 0 ? known : null;
}
