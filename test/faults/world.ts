import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Harness } from '../helpers/harness';
import type { SupervisedDevServer } from '../../src/temporal/devServer';
import { JudgeServer } from './judgeServer';
import { keptJudgeReports, type WorkerEnd } from './checks';
import { LocalSandbox } from '../../src/sandbox/local';
import { DockerSandbox } from '../../src/sandbox/docker';
import { grantableUlimits } from '../helpers/dockerd';
import { SuiteDockerd } from './dockerEngine';

/**
 * Keys planted in the worker's environment: none may show up in history, logs, artifacts or reports.
 * Put together at run time, so the tree itself holds nothing a secret scanner takes for a real key.
 */
export const PLANTED = {
  ANTHROPIC_API_KEY: ['sk', 'ant', 'api03', 'faultsPlantedJudgeKey', '0123456789abcdefABCDEF'].join('-'),
  OPENAI_API_KEY: 'sk-proj-faultsPlantedOpenaiKey0123456789abcdefXYZ',
  AWS_SECRET_ACCESS_KEY: 'faultsPlantedAwsSecret0123456789abcdefABCDEFghij',
} as const;

/**
 * What every injection acts on: one Temporal server on its database file, one worker process (so
 * it can be SIGKILLed), the LLM judge's API on loopback, and NANOGPT_BENCH_HOME on a small tmpfs
 * of its own when this machine lets us mount one (so its disk can be filled).
 */
export class World {
  // Kept up as `up` keeps it: a server that exits on its own is started again, and counted.
  readonly h = new Harness({ superviseServer: (child, how) => this.serverExited(child, how) });
  readonly judge = new JudgeServer();
  readonly workerLog = join(this.h.home, 'worker.log');
  /** Why the home is not a filesystem of its own, when it is not (the disk-full fault then cannot run). */
  homeNotMounted: string | null = null;
  worker!: ChildProcess;
  workerStarts = 0;
  /** Workers that exited on their own, restarted as a deployment's supervisor would: each is a finding. */
  readonly workerDeaths: { during: string | null; how: string }[] = [];
  readonly serverDeaths: { during: string | null; how: string }[] = [];
  /** Every worker process's end (killed on purpose or not), with the judge reports kept on disk then. */
  readonly workerEnds: WorkerEnd[] = [];
  private readonly killedOnPurpose = new WeakSet<ChildProcess>();
  private stopping = false;
  /** The global fault in progress, if any: a worker death is put down to it. */
  private during: string | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly t0 = Date.now();
  readonly sessionIds = new Set<string>();
  /** The suite's own Docker Engine, with the test image in it; null with the reason when there is none. */
  dockerd: SuiteDockerd | null = null;
  dockerUnavailable: string | null = 'no engine asked for (--no-docker)';

  /** A line of the suite's own story, with the seconds since it began: what struck where, for a rerun with the seed. */
  note(line: string): void {
    console.log(`[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  }
  private judgeHooks = new Map<string, () => Promise<void>>();

  /** `fn` runs once, when the judge's API next hears about the candidate with `marker` (and the request waits for it). */
  hookJudge(marker: string, fn: () => Promise<void>): void {
    this.judgeHooks.set(marker, fn);
  }

  async start(opts: { docker?: boolean } = {}): Promise<this> {
    // The engine comes up beside the server: only the worker needs it.
    const docker = opts.docker ? this.startDockerd() : Promise.resolve();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=400m', 'tmpfs', this.h.home], { encoding: 'utf8' });
    if (r.status !== 0) this.homeNotMounted = `cannot mount a tmpfs as NANOGPT_BENCH_HOME here: ${(r.stderr || r.error?.message || '').trim()}`;
    await this.judge.start();
    this.judge.onRequest = async (marker) => {
      const fn = marker ? this.judgeHooks.get(marker) : undefined;
      if (!fn || !marker) return;
      this.judgeHooks.delete(marker);
      await fn();
    };
    Object.assign(process.env, PLANTED, {
      NANOGPT_BENCH_JUDGE_PROVIDER: 'anthropic',
      ANTHROPIC_BASE_URL: this.judge.url,
      NANOGPT_BENCH_JUDGE_TIMEOUT_S: '3',
      NANOGPT_BENCH_JUDGE_MAX_RETRIES: '3',
      NANOGPT_BENCH_LOG_LEVEL: 'info',
    });
    await Promise.all([this.h.start(), docker]);
    // The worker's Docker sandbox is on the suite's own engine, with the limits this machine can grant.
    if (this.dockerd)
      Object.assign(process.env, {
        DOCKER_HOST: `unix://${this.dockerd.socketPath}`,
        NANOGPT_BENCH_DOCKER_GPUS: 'none',
        NANOGPT_BENCH_DOCKER_ULIMITS: grantableUlimits()
          .map((u) => `${u.Name}=${u.Soft}:${u.Hard}`)
          .join(','),
      });
    this.spawnWorker();
    return this;
  }

  private async startDockerd(): Promise<void> {
    this.dockerUnavailable = SuiteDockerd.unavailable();
    if (this.dockerUnavailable) return;
    const d = new SuiteDockerd();
    try {
      this.dockerd = await d.start();
    } catch (err) {
      this.dockerUnavailable = `the suite's dockerd: ${(err as Error).message}`;
      await d.stop();
    }
  }

  /** Stops the suite's dockerd (its containers stop with it), leaves it down `downMs`, and starts it again on the same data root and socket. */
  async restartDockerd(downMs: number): Promise<void> {
    this.note(`dockerd stopped (down ${(downMs / 1000).toFixed(1)} s)`);
    await this.dockerd!.restart(downMs);
    this.note('dockerd back');
  }

  /** `docker kill` of a container, from outside the harness. */
  async killContainer(name: string): Promise<boolean> {
    this.note(`docker kill ${name}`);
    return this.dockerd!.docker.getContainer(name)
      .kill()
      .then(
        () => true,
        (err: Error) => (this.note(`docker kill ${name}: ${err.message}`), false),
      );
  }

  private spawnWorker(): void {
    const w = this.h.spawnWorker([], this.workerLog);
    this.worker = w;
    this.workerStarts += 1;
    w.once('exit', (code, signal) => {
      this.workerEnds.push({ atMs: Date.now(), kept: keptJudgeReports() });
      if (this.stopping || this.killedOnPurpose.has(w) || this.worker !== w) return;
      const how = signal ? `signal ${signal}` : `status ${code}`;
      this.workerDeaths.push({ during: this.during, how });
      this.spawnWorker();
      this.note(`worker died on its own (${how}${this.during ? ` during "${this.during}"` : ''}); worker ${this.worker.pid} started`);
    });
  }

  /** Runs `fn` (the fault `name`) with no other global fault in progress (two kills at once would blur what each did). */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const marked = async () => {
      this.during = name;
      try {
        return await fn();
      } finally {
        this.during = null;
      }
    };
    const run = this.lock.then(marked, marked);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** SIGKILL the worker, as a crashed host would lose it, and start another. */
  async killWorker(): Promise<void> {
    this.note('SIGKILL worker');
    const w = this.worker;
    if (w.exitCode === null && w.signalCode === null) {
      const gone = new Promise((r) => w.once('exit', r));
      this.killedOnPurpose.add(w);
      w.kill('SIGKILL');
      await gone;
    }
    this.spawnWorker();
    this.note(`worker ${this.worker.pid} started`);
  }

  /** SIGKILL the Temporal server; its supervisor starts it again on the same database file and port. */
  async killServer(): Promise<void> {
    this.note('SIGKILL Temporal server');
    const p = this.h.server.process;
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      this.killedOnPurpose.add(p);
      p.kill('SIGKILL');
      await gone;
    }
    await (this.h.server as SupervisedDevServer).up();
    this.note('Temporal server back');
  }

  private serverExited(child: ChildProcess, how: string): void {
    if (this.stopping || this.killedOnPurpose.has(child)) return;
    this.serverDeaths.push({ during: this.during, how });
    this.note(`Temporal server died on its own (${how}${this.during ? ` during "${this.during}"` : ''}); starting it again`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.judge.stop();
    // Whatever a session left running (an interrupted suite) goes with it.
    for (const id of this.sessionIds) await new LocalSandbox().removeSession(id);
    if (this.dockerd) {
      const sb = new DockerSandbox({ docker: this.dockerd.docker });
      for (const id of this.sessionIds) await sb.removeSession(id).catch(() => 0);
      await sb.close();
      await this.dockerd.stop();
    }
    // NANOGPT_BENCH_FAULTS_KEEP=<dir>: the sessions' files are copied there first, to read after a red run.
    // (with the worker's log and the server's database, to read the histories)
    const keep = process.env.NANOGPT_BENCH_FAULTS_KEEP;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      spawnSync('cp', ['-a', ...['runs', 'worker.log', 'temporal.db'].map((f) => join(this.h.home, f)), keep]);
    }
    try {
      await this.h.stop();
    } catch {
      // the tmpfs mount point itself cannot be removed until it is unmounted
    }
    if (!this.homeNotMounted) spawnSync('umount', ['-l', this.h.home]);
    spawnSync('rm', ['-rf', this.h.home]);
  }
}
