import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureTestImage } from '../helpers/testImage';

/** Kept between runs, so the test image is imported into it once per machine (a minute of work). */
const CACHED_DATA_ROOT = '/var/cache/nanogpt-bench/faults-dockerd';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A Docker Engine of the fault suite's own: its socket, exec root and pid file in a short folder
 * under /run, its data root kept between runs (locked by this suite while it runs; a second suite
 * at once gets a fresh one and imports the image itself), and no host networking touched. Restarting
 * it (the fault) strikes only this suite's containers, never those of the engine other tests share.
 */
export class SuiteDockerd {
  readonly runDir = `/run/nbf-${process.pid}`;
  readonly socketPath = join(this.runDir, 'docker.sock');
  readonly log = join(this.runDir, 'dockerd.log');
  dataRoot = CACHED_DATA_ROOT;
  readonly docker = new Docker({ socketPath: this.socketPath });
  image = '';
  private proc: ChildProcess | null = null;
  private lock: string | null = null;
  private tempData: string | null = null;

  /** Why this machine cannot run one, or null. */
  static unavailable(): string | null {
    if (process.getuid?.() !== 0) return 'dockerd needs root here (no rootless Docker set up)';
    if (spawnSync('dockerd', ['--version']).status !== 0) return 'dockerd is not installed (apt-get install docker.io)';
    return null;
  }

  /** Starts the engine and brings the test image into it. */
  async start(): Promise<this> {
    // What a suite killed before it could stop its engine left (its engine died with it).
    const engineOf = (d: string) => Number(existsSync(join(d, 'dockerd.pid')) ? readFileSync(join(d, 'dockerd.pid'), 'utf8') : 0);
    for (const d of readdirSync('/run').filter((n) => /^nbf-\d+$/.test(n) && !alive(Number(n.slice(4))))) {
      const dir = join('/run', d);
      if (!(engineOf(dir) > 0 && alive(engineOf(dir)))) rmSync(dir, { recursive: true, force: true });
    }
    this.takeDataRoot();
    mkdirSync(this.runDir, { recursive: true });
    await this.launch();
    this.image = await ensureTestImage(this.docker);
    return this;
  }

  /** The fault: the engine stopped (its containers with it, as a host's service manager stops it) and started again on the same data root and socket. */
  async restart(downMs = 0): Promise<void> {
    await this.halt();
    await sleep(downMs);
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.halt();
    // A container's shim can outlive its engine (seen after restarts: the "task already exists" of a
    // container started again): whatever still runs from this engine's exec root goes with it.
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      const cmd = (() => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      if (cmd.includes(`${this.runDir}/exec/`)) process.kill(Number(pid), 'SIGKILL');
    }
    rmSync(this.runDir, { recursive: true, force: true });
    if (this.lock) rmSync(this.lock, { force: true });
    if (this.tempData) spawnSync('rm', ['-rf', this.tempData]);
  }

  private takeDataRoot(): void {
    mkdirSync(CACHED_DATA_ROOT, { recursive: true });
    const lock = `${CACHED_DATA_ROOT}.lock`;
    const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8')) : 0;
    if (holder > 0 && holder !== process.pid && alive(holder)) {
      this.tempData = mkdtempSync('/var/tmp/nbf-dockerd-');
      this.dataRoot = this.tempData;
      return;
    }
    writeFileSync(lock, String(process.pid));
    this.lock = lock;
  }

  private async launch(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const out = openSync(this.log, 'a');
    const p = spawn(
      'dockerd',
      [
        '--host',
        `unix://${this.socketPath}`,
        '--data-root',
        this.dataRoot,
        '--exec-root',
        join(this.runDir, 'exec'),
        '--pidfile',
        join(this.runDir, 'dockerd.pid'),
        '--iptables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--bridge=none',
        '--userland-proxy=false',
        '--log-level=warn',
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.proc = p;
    for (let i = 0; i < 600; i++) {
      if (p.exitCode !== null) throw new Error(`the suite's dockerd exited at start: ${readFileSync(this.log, 'utf8').slice(-600)}`);
      if (
        await this.docker.ping().then(
          () => true,
          () => false,
        )
      )
        return;
      await sleep(100);
    }
    throw new Error(`the suite's dockerd did not answer on ${this.socketPath} within 60 s`);
  }

  /** SIGTERM, as `systemctl stop docker` sends it: the engine stops its containers and exits. */
  private async halt(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const force = setTimeout(() => p.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(force);
    this.proc = null;
  }
}
