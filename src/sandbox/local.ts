import { spawn } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec, ProcessStatus, Sandbox, SandboxHandle, SandboxPaths, SandboxSpec } from './sandbox';
import { harnessToolsDir } from './tools';
import { trainingPython } from './python';
import { layout } from '../files/layout';
import { wrapperArgv } from './procs/wrapper';
import {
  DEFAULT_OUTPUT_CAP,
  ensureProcsDir,
  notePause,
  listRecords,
  procFiles,
  readLeaderPid,
  readRecord,
  writeRecord,
  type ProcessRecord,
} from './procs/records';
import { exitedStatus, lostStatus } from './procs/status';
import { passedThrough, sandboxEnvironment } from './procs/environment';
import type { SandboxSignal } from './procs/signals';

interface LocalRecord extends ProcessRecord {
  /** The wrapper's pid. */
  pid: number;
  /** /proc/<pid>/stat start time, so a recycled pid is never mistaken for our process. */
  procStart: string;
  /** The fleet node whose worker started it (absent outside a fleet). */
  owner?: string;
}

/**
 * Processes on this host in their own session and process group, with their output and exit
 * status written to files by the shared wrapper (procs/): the worker may die and come back, and
 * everything it needs to know about a process is on disk. The isolation unit is a folder.
 */
export class LocalSandbox implements Sandbox {
  readonly kind = 'local' as const;
  /**
   * In a fleet, the node this sandbox runs on. Session folders are on storage the nodes share, so
   * a node sees records of processes other nodes started: it never signals those, and reads one
   * that has not ended as lost (from here it cannot be seen; its own node fences it).
   */
  readonly owner: string | undefined;

  constructor(opts: { owner?: string } = {}) {
    this.owner = opts.owner;
  }

  paths(spec: SandboxSpec): SandboxPaths {
    return { workspace: spec.workspaceDir, data: spec.dataDir, relay: spec.relayDir, tools: harnessToolsDir() };
  }

  async ensure(spec: SandboxSpec): Promise<SandboxHandle> {
    await ensureProcsDir(spec.stateDir);
    await mkdir(spec.workspaceDir, { recursive: true });
    return { id: spec.stateDir, spec };
  }

  outputPath(h: SandboxHandle, name: string): string {
    return procFiles(h.spec.stateDir, name).out;
  }

  async start(h: SandboxHandle, proc: ProcessSpec): Promise<void> {
    const files = procFiles(h.spec.stateDir, proc.name);
    if (existsSync(files.record)) return;
    const python = await trainingPython();
    await this.clearStartWithoutRecord(h.spec.stateDir, proc.name);
    // Looked at again: from this check to the spawn nothing yields, so two starts of one process
    // cannot both find no record.
    if (existsSync(files.record)) return;
    const p = this.paths(h.spec);
    const cap = proc.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
    const env = {
      ...sandboxEnvironment(h.spec, p, { path: process.env.PATH ?? '/usr/bin:/bin', python }),
      ...passedThrough(h.spec.passEnv),
      ...proc.env,
      [SANDBOX_MARK]: this.mark(h.spec.stateDir),
    };
    const errFd = openSync(files.wrapperErr, 'a');
    // The command leads a process group of its own, so a graceful signal reaches it and its children
    // but spares the wrapper, which records how it ended and flushes the last of its output.
    const [bash, ...wrapped] = wrapperArgv({ cap, out: files.out, exitFile: files.exit, pidFile: files.pid }, proc.argv);
    const child = spawn(bash, wrapped, { cwd: proc.cwd ?? p.workspace, env, detached: true, stdio: ['ignore', 'ignore', errFd] });
    closeSync(errFd);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${proc.argv[0]} in ${h.id}`);
    child.unref();
    child.on('error', () => undefined);
    const rec: LocalRecord = {
      name: proc.name,
      pid,
      procStart: procStartTime(pid) ?? '',
      startedAtMs: Date.now(),
      outputCapBytes: cap,
      ...(this.owner ? { owner: this.owner } : {}),
    };
    await writeRecord(h.spec.stateDir, rec);
  }

  /**
   * The record is written after the spawn, so an attempt that died between the two (its write
   * refused on a full disk, its worker killed) left a process with no record. The next start ends
   * it and its files: the fault suite saw such a first run finish, a second start truncate its log,
   * and the run judged on the first one's exit line and the second one's empty log.
   */
  private async clearStartWithoutRecord(stateDir: string, name: string): Promise<void> {
    const files = procFiles(stateDir, name);
    if (existsSync(files.record) || !(existsSync(files.pid) || existsSync(files.out) || existsSync(files.exit))) return;
    const leader = await readLeaderPid(stateDir, name);
    // Only a process that still carries this sandbox's mark: the pid may have been reused since.
    if (leader !== null && markOf(leader) === this.mark(stateDir)) {
      killGroup(leader, 'SIGKILL');
      // Its wrapper records its end (the exit line) once the command is gone: wait for that before clearing.
      for (let i = 0; i < 50 && !existsSync(files.exit); i++) await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all([files.pid, files.out, files.exit, `${files.exit}.tmp`].map((f) => rm(f, { force: true })));
  }

  async status(h: SandboxHandle, name: string): Promise<ProcessStatus> {
    const rec = await readRecord<LocalRecord>(h.spec.stateDir, name);
    if (!rec) return { state: 'absent' };
    const exited = await exitedStatus(h.spec.stateDir, rec);
    if (exited) return exited;
    if (!this.owns(rec)) return lostStatus(rec);
    if (alive(rec)) return { state: 'running', startedAtMs: rec.startedAtMs };
    return (await exitedStatus(h.spec.stateDir, rec)) ?? lostStatus(rec);
  }

  async list(h: SandboxHandle): Promise<string[]> {
    return (await listRecords(h.spec.stateDir)).map((r) => r.name);
  }

  async signal(h: SandboxHandle, name: string, sig: SandboxSignal): Promise<void> {
    const rec = await readRecord<LocalRecord>(h.spec.stateDir, name);
    if (!rec || !this.owns(rec) || !alive(rec)) return;
    const target = (await readLeaderPid(h.spec.stateDir, name)) ?? rec.pid;
    await notePause(h.spec.stateDir, 'resume');
    killGroup(target, 'SIGCONT');
    killGroup(target, sig);
    // A kill reaches what the process left behind in sessions of its own too: a survivor holding
    // the output pipe open would keep the wrapper, and so the run, from ever ending.
    if (sig === 'SIGKILL') killMarked((mark) => mark === this.mark(h.spec.stateDir), rec.pid);
  }

  async pause(h: SandboxHandle): Promise<void> {
    await this.signalAll(h.spec.stateDir, ['SIGSTOP']);
    await notePause(h.spec.stateDir, 'pause');
  }

  async resume(h: SandboxHandle): Promise<void> {
    await notePause(h.spec.stateDir, 'resume');
    await this.signalAll(h.spec.stateDir, ['SIGCONT']);
  }

  async remove(h: SandboxHandle): Promise<void> {
    await this.signalAll(h.spec.stateDir, ['SIGCONT', 'SIGKILL']);
    killMarked((mark) => mark === this.mark(h.spec.stateDir));
  }

  /** Kills whatever still runs in any of the session's sandboxes, found from their records on disk. */
  async removeSession(sessionId: string): Promise<number> {
    let killed = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 6 || !existsSync(dir)) return;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        if (entry.name === 'procs') killed += await this.signalAll(dir, ['SIGKILL']);
        else if (entry.name !== 'workspace' && entry.name !== 'frozen' && entry.name !== 'work') await walk(join(dir, entry.name), depth + 1);
      }
    };
    await walk(layout.session(sessionId), 0);
    return killed + killMarked((mark) => mark.startsWith(layout.session(sessionId) + '/') && (this.owner === undefined || mark.endsWith(`#${this.owner}`)));
  }

  /** Sends `signals` in turn to both process groups (command and wrapper) of every live process; returns how many. */
  private async signalAll(stateDir: string, signals: NodeJS.Signals[]): Promise<number> {
    let n = 0;
    for (const rec of await listRecords<LocalRecord>(stateDir)) {
      if (!this.owns(rec) || !alive(rec)) continue;
      const leader = await readLeaderPid(stateDir, rec.name);
      for (const pid of leader === null ? [rec.pid] : [leader, rec.pid]) for (const sig of signals) killGroup(pid, sig);
      n += 1;
    }
    return n;
  }

  /**
   * The mark a process of this sandbox carries: its state folder and, in a fleet, its node, since a
   * session's state folder is the same on every node (shared storage) and a node fencing its
   * leftovers must not reach the session's processes on the node it moved to.
   */
  private mark(stateDir: string): string {
    return this.owner === undefined ? stateDir : `${stateDir}#${this.owner}`;
  }

  /** Records from before fleets, or of a worker outside one, belong to whoever finds them. */
  private owns(rec: LocalRecord): boolean {
    return this.owner === undefined || rec.owner === undefined || rec.owner === this.owner;
  }
}

/** The variable that marks every process of a local sandbox with its state folder; children inherit it. */
export const SANDBOX_MARK = 'NANOGPT_BENCH_SANDBOX';

/**
 * Kills every process whose environment carries a mark `which` picks (but those of `spareGroup`): those that left the sandbox's
 * process groups (setsid, a double fork) and would outlive it otherwise. A process that clears its
 * own environment escapes this; the local sandbox is a folder, not a wall (Docker is the wall).
 */
function killMarked(which: (mark: string) => boolean, spareGroup: number | null = null): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    // The wrapper's own group (the wrapper and its head) must live to record how the command ended.
    if (spareGroup !== null && processGroup(Number(p)) === spareGroup) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${p}/environ`, 'latin1');
    } catch {
      continue;
    }
    const mark = env.split('\0').find((kv) => kv.startsWith(`${SANDBOX_MARK}=`));
    if (!mark || !which(mark.slice(SANDBOX_MARK.length + 1))) continue;
    try {
      process.kill(Number(p), 'SIGKILL');
      n += 1;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** The sandbox mark in a live process's environment, if it has one. */
function markOf(pid: number): string | null {
  try {
    const kv = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((x) => x.startsWith(`${SANDBOX_MARK}=`));
    return kv ? kv.slice(SANDBOX_MARK.length + 1) : null;
  } catch {
    return null;
  }
}

function processGroup(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

function procStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; starttime is field 22 overall.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(rec: LocalRecord): boolean {
  const now = procStartTime(rec.pid);
  if (now === null || (rec.procStart !== '' && now !== rec.procStart)) return false;
  try {
    const state = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}
