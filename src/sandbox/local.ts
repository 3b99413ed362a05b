import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile, rename, stat, readdir } from 'node:fs/promises';
import { existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec, ProcessStatus, Sandbox, SandboxHandle, SandboxPaths, SandboxSpec } from './sandbox';
import { harnessToolsDir } from './tools';
import { trainingPython } from './python';
import { layout } from '../storage/layout';
import { wrapperArgv } from './processWrapper';

interface ProcRecord {
  name: string;
  pid: number;
  /** /proc/<pid>/stat start time, so a recycled pid is never mistaken for our process. */
  procStart: string;
  startedAtMs: number;
  outputCapBytes: number;
}

const DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024;

/**
 * Processes on this host in their own session and process group, with their output and exit
 * status written to files by a bash wrapper: the worker may die and come back, and everything
 * it needs to know about a process is on disk.
 */
export class LocalSandbox implements Sandbox {
  readonly kind = 'local' as const;

  paths(spec: SandboxSpec): SandboxPaths {
    return { workspace: spec.workspaceDir, data: spec.dataDir, relay: spec.relayDir, tools: harnessToolsDir() };
  }

  async ensure(spec: SandboxSpec): Promise<SandboxHandle> {
    await mkdir(join(spec.stateDir, 'procs'), { recursive: true });
    await mkdir(spec.workspaceDir, { recursive: true });
    return { id: spec.stateDir, spec };
  }

  outputPath(h: SandboxHandle, name: string): string {
    return join(h.spec.stateDir, 'procs', `${name}.out`);
  }

  async start(h: SandboxHandle, proc: ProcessSpec): Promise<void> {
    const dir = join(h.spec.stateDir, 'procs');
    if (existsSync(join(dir, `${proc.name}.json`))) return;
    const p = this.paths(h.spec);
    const cap = proc.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
    const out = this.outputPath(h, proc.name);
    const exitFile = join(dir, `${proc.name}.exit`);
    const env: Record<string, string> = {
      PATH: `${p.tools}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: h.spec.workspaceDir,
      LANG: 'C.UTF-8',
      WORKSPACE: p.workspace,
      NPROC_PER_NODE: String(h.spec.gpus),
      ...(p.data ? { DATA_DIR: p.data } : {}),
      ...(p.relay ? { NANOGPT_BENCH_RELAY_DIR: p.relay } : {}),
      ...pythonEnv(),
      ...passThrough(h.spec.passEnv),
      ...proc.env,
    };
    const errFd = openSync(join(dir, `${proc.name}.wrapper.err`), 'a');
    // The shared wrapper (processWrapper.ts) keeps output and exit status on disk for a worker that comes back.
    // The command leads a process group of its own, so a graceful signal reaches it and its children
    // but spares the wrapper, which records how it ended and flushes the last of its output.
    const [bash, ...wrapped] = wrapperArgv({ cap, out, exitFile, pidFile: join(dir, `${proc.name}.pid`) }, proc.argv);
    const child = spawn(bash, wrapped, {
      cwd: proc.cwd ?? p.workspace,
      env,
      detached: true,
      stdio: ['ignore', 'ignore', errFd],
    });
    closeSync(errFd);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${proc.argv[0]} in ${h.id}`);
    child.unref();
    child.on('error', () => undefined);
    const rec: ProcRecord = { name: proc.name, pid, procStart: procStartTime(pid) ?? '', startedAtMs: Date.now(), outputCapBytes: cap };
    await writeAtomic(join(dir, `${proc.name}.json`), JSON.stringify(rec));
  }

  async status(h: SandboxHandle, name: string): Promise<ProcessStatus> {
    const dir = join(h.spec.stateDir, 'procs');
    const rec = await readRecord(dir, name);
    if (!rec) return { state: 'absent' };
    const exitFile = join(dir, `${name}.exit`);
    if (existsSync(exitFile)) {
      const [code, size, endedAt] = (await readFile(exitFile, 'utf8')).trim().split(/\s+/);
      const n = Number(code);
      return {
        state: 'exited',
        startedAtMs: rec.startedAtMs,
        endedAtMs: Number(endedAt) || (await stat(exitFile)).mtimeMs,
        exitCode: n > 128 ? null : n,
        signal: n > 128 ? signalName(n - 128) : null,
        outputTruncated: Number(size) >= rec.outputCapBytes,
        oomKilled: false,
      };
    }
    if (alive(rec)) return { state: 'running', startedAtMs: rec.startedAtMs };
    // Gone without writing its status: killed together with its wrapper.
    return { state: 'exited', startedAtMs: rec.startedAtMs, endedAtMs: Date.now(), exitCode: null, signal: 'SIGKILL', outputTruncated: false, oomKilled: false, lost: true };
  }

  async signal(h: SandboxHandle, name: string, sig: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): Promise<void> {
    const rec = await readRecord(join(h.spec.stateDir, 'procs'), name);
    if (!rec || !alive(rec)) return;
    const target = commandPid(h.spec.stateDir, name) ?? rec.pid;
    killGroup(target, 'SIGCONT');
    killGroup(target, sig);
  }

  async pause(h: SandboxHandle): Promise<void> {
    for (const rec of await this.records(h)) if (alive(rec)) for (const pid of groups(h, rec)) killGroup(pid, 'SIGSTOP');
  }

  async resume(h: SandboxHandle): Promise<void> {
    for (const rec of await this.records(h)) if (alive(rec)) for (const pid of groups(h, rec)) killGroup(pid, 'SIGCONT');
  }

  async remove(h: SandboxHandle): Promise<void> {
    for (const rec of await this.records(h)) {
      if (alive(rec)) {
        for (const pid of groups(h, rec)) {
          killGroup(pid, 'SIGCONT');
          killGroup(pid, 'SIGKILL');
        }
      }
    }
  }

  /** Kills whatever still runs in any of the session's sandboxes, found from their records on disk. */
  async removeSession(sessionId: string): Promise<number> {
    let killed = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 6 || !existsSync(dir)) return;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const sub = join(dir, entry.name);
        if (entry.name === 'procs') {
          const h: SandboxHandle = { id: dir, spec: { stateDir: dir } as SandboxSpec };
          for (const rec of await this.records(h)) {
            if (!alive(rec)) continue;
            for (const pid of groups(h, rec)) killGroup(pid, 'SIGKILL');
            killed += 1;
          }
        } else if (entry.name !== 'workspace' && entry.name !== 'frozen' && entry.name !== 'work') {
          await walk(sub, depth + 1);
        }
      }
    };
    await walk(layout.session(sessionId), 0);
    return killed;
  }

  private async records(h: SandboxHandle): Promise<ProcRecord[]> {
    const dir = join(h.spec.stateDir, 'procs');
    const names = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.json')) : [];
    const recs = await Promise.all(names.map((f) => readRecord(dir, f.slice(0, -5))));
    return recs.filter((r): r is ProcRecord => r !== null);
  }
}

async function readRecord(dir: string, name: string): Promise<ProcRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as ProcRecord;
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

function alive(rec: ProcRecord): boolean {
  const now = procStartTime(rec.pid);
  if (now === null || (rec.procStart !== '' && now !== rec.procStart)) return false;
  try {
    const state = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The command's own process-group leader, from the pid file the wrapper wrote. */
function commandPid(stateDir: string, name: string): number | null {
  try {
    const pid = Number(readFileSync(join(stateDir, 'procs', `${name}.pid`), 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Both process groups of a process: the command's and its wrapper's. */
function groups(h: SandboxHandle, rec: ProcRecord): number[] {
  const cmd = commandPid(h.spec.stateDir, rec.name);
  return cmd === null ? [rec.pid] : [cmd, rec.pid];
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

function signalName(n: number): string {
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };
  return names[n] ?? `signal ${n}`;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

function pythonEnv(): Record<string, string> {
  return { PYTHON: trainingPython() };
}

function passThrough(names: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names ?? []) if (process.env[n] !== undefined) out[n] = process.env[n]!;
  return out;
}
