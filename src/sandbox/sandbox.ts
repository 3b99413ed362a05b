import type { SandboxKind } from '../domain/spec';
import type { SandboxSignal } from './procs/signals';

/**
 * Where agents and timed runs execute. Implementations: `local` (processes in a workspace
 * folder) and `docker` (containers). Every method is idempotent and keyed by labels, so a worker
 * that died and came back finds the same sandbox and the same processes again.
 */
export type SandboxRole = 'agent' | 'validation';

export interface SandboxLabels {
  sessionId: string;
  role: SandboxRole;
  /** For validation sandboxes: whose run this is. */
  subject?: string;
  runIndex?: number;
}

export interface SandboxSpec {
  labels: SandboxLabels;
  /** Host folder the sandbox sees read-write as its workspace. */
  workspaceDir: string;
  /** Host folder with the token shards, seen read-only. */
  dataDir: string | null;
  /** Host folder holding the relay's socket (the folder, not the socket: see DESIGN.md). */
  relayDir: string | null;
  /** Host folder for the sandbox's own bookkeeping (process records, output files). */
  stateDir: string;
  gpus: number;
  /**
   * The endpoints (host:port) the sandbox's processes may reach, through the worker's filtering
   * proxy; empty: no network at all. Validation sandboxes get none; an agent sandbox, its model API.
   */
  egress: string[];
  image?: string;
  memoryBytes?: number;
  pidsLimit?: number;
  /** Names of host environment variables passed in by name (API keys); values never leave the worker. */
  passEnv?: string[];
  /** Host folders this sandbox alone sees read-only at the same path (the replay agent's history). */
  readOnlyMounts?: string[];
}

export interface SandboxHandle {
  id: string;
  spec: SandboxSpec;
}

/** How the sandbox's processes see the places the harness provides. */
export interface SandboxPaths {
  workspace: string;
  data: string | null;
  relay: string | null;
  /** Folder with `submit` and the harness's in-sandbox helpers. */
  tools: string;
}

export interface ProcessSpec {
  /** Unique within the sandbox: starting a name twice re-attaches instead. */
  name: string;
  argv: string[];
  env?: Record<string, string>;
  /** Working directory inside the sandbox; the workspace when absent. */
  cwd?: string;
  /** Bytes of output kept; the process is killed once it writes more. */
  outputCapBytes?: number;
}

export type ProcessStatus =
  | { state: 'absent' }
  | { state: 'running'; startedAtMs: number }
  | {
      state: 'exited';
      startedAtMs: number;
      endedAtMs: number;
      exitCode: number | null;
      signal: string | null;
      outputTruncated: boolean;
      oomKilled: boolean;
      /** Died with its sandbox (host rebooted, container removed): no status was ever recorded. */
      lost?: boolean;
      /**
       * Lost, and its sandbox recorded when it ended (Docker: when its container stopped), so
       * `endedAtMs` is that record; absent: `endedAtMs` is only when the loss was noticed.
       */
      endRecorded?: boolean;
      /** Ended, but its output could not be kept (its disk was full): what it printed is not all there. */
      outputLost?: boolean;
    };

/**
 * A sandbox backend. What each method may throw:
 * - `ensure`: the isolation unit cannot be made (Docker: engine unreachable, image missing, more
 *   GPUs asked for than the node was given, root as the sandbox user); retried by the activity.
 * - `start`: the process cannot be spawned or exec'd (its sandbox is re-made first when gone).
 * - `status`, `list`, `signal`, `pause`, `resume`, `remove`, `removeSession`: only when the
 *   backend itself fails (engine errors other than "already so"); a process or sandbox that is
 *   already gone is not an error: `signal` then does nothing and `status` says `absent` or `lost`.
 * Limits: a process's combined output is capped at `ProcessSpec.outputCapBytes` (64 MiB by
 * default), past which it is killed by SIGPIPE and its status says `outputTruncated`; process
 * names are file names (letters, digits, `.`, `-`, `_`); records are a few hundred bytes each.
 */
export interface Sandbox {
  readonly kind: SandboxKind;
  paths(spec: SandboxSpec): SandboxPaths;
  /** Creates the sandbox, or re-attaches to the one with the same labels. */
  ensure(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Starts a detached process; a no-op when one of that name was already started. */
  start(h: SandboxHandle, proc: ProcessSpec): Promise<void>;
  status(h: SandboxHandle, name: string): Promise<ProcessStatus>;
  /** Names of every process ever started in this sandbox (running or not), in name order. */
  list(h: SandboxHandle): Promise<string[]>;
  /** Host path of the file holding a process's combined output. */
  outputPath(h: SandboxHandle, name: string): string;
  /** Signals the process's own process group (not its wrapper); a paused sandbox is resumed first. */
  signal(h: SandboxHandle, name: string, signal: SandboxSignal): Promise<void>;
  pause(h: SandboxHandle): Promise<void>;
  resume(h: SandboxHandle): Promise<void>;
  /** Stops every process and frees what the sandbox holds; the workspace on disk stays. */
  remove(h: SandboxHandle): Promise<void>;
  /** Frees everything left of a session's sandboxes (at its end, or after a crash); returns how many. */
  removeSession(sessionId: string): Promise<number>;
}
