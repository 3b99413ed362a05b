import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import type { ProcessSpec, ProcessStatus, Sandbox, SandboxHandle, SandboxPaths, SandboxSpec } from '../sandbox';
import { wrapperArgv } from '../procs/wrapper';
import {
  DEFAULT_OUTPUT_CAP,
  listRecords,
  lostEnd,
  noteLost,
  notePause,
  pausedByLog,
  procFiles,
  procsDir,
  readLeaderPid,
  readRecord,
  writeRecord,
  type ProcessRecord,
} from '../procs/records';
import { exitedStatus, lostStatus } from '../procs/status';
import { passedThrough } from '../procs/environment';
import type { SandboxSignal } from '../procs/signals';
import { Containers, finishedAtMs, inSandboxPaths } from './container';
import { Egress } from './egress';
import { execRun, ignoreStatus, inspectExec, startDetached, statusOf } from './engine';
import { resolveDockerOptions, type DockerSandboxOptions } from './options';
import { IN_SANDBOX, LABEL, containerName } from './paths';

interface DockerRecord extends ProcessRecord {
  execId: string;
  containerId: string;
  /** The fleet node whose worker started it. */
  owner?: string;
}

/**
 * Sandboxes as containers: one long-lived container per sandbox (found again by its labels), and
 * every process a detached exec under the shared wrapper (procs/), which writes output and exit
 * status into the host's state folder. A worker that died and came back needs nothing but the
 * engine and those files; a container that vanished is made again around the workspace on disk.
 */
export class DockerSandbox implements Sandbox {
  readonly kind = 'docker' as const;
  readonly docker: Docker;
  private readonly containers: Containers;
  private readonly egress: Egress;
  private readonly node: string | undefined;

  constructor(opts: DockerSandboxOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    const resolved = resolveDockerOptions(opts);
    this.node = resolved.node;
    this.containers = new Containers(this.docker, resolved);
    this.egress = new Egress(resolved);
  }

  paths(spec: SandboxSpec): SandboxPaths {
    return inSandboxPaths(spec);
  }

  outputPath(h: SandboxHandle, name: string): string {
    return procFiles(h.spec.stateDir, name).out;
  }

  async ensure(spec: SandboxSpec): Promise<SandboxHandle> {
    const name = containerName(spec.labels, this.node);
    const handle = { id: name, spec };
    // Served before the container is found or made: after a worker restart, the way out comes back with it.
    if (this.egress.proxied(spec)) await this.egress.serve(spec);
    for (let attempt = 0; attempt < 3; attempt++) {
      let found = await this.containers.find(spec.labels);
      // Its host folders are gone (a lost run's folder set aside): it would mount them, not the new ones.
      if (found && !existsSync(procsDir(spec.stateDir))) {
        await this.containers.remove(found.Id);
        found = null;
      }
      if (found) {
        if (found.State === 'running' || found.State === 'paused') return handle;
        if (found.State === 'created' || found.State === 'exited') {
          // Stopped with the engine or the host, or killed: its processes are gone (their status says
          // so, and when they ended is noted before a new start forgets it), the workspace is not.
          await this.noteLostProcesses(spec.stateDir, found.Id);
          const started = await this.docker
            .getContainer(found.Id)
            .start()
            .then(
              () => true,
              (err: unknown) => {
                if (statusOf(err) === 304) return true;
                // An engine restarted under it may refuse it for good ("task ... already exists"):
                // nothing of it lives on but the folders, so a new one is made around them.
                if (statusOf(err) === 500) return false;
                throw err;
              },
            );
          if (started) return this.ready(handle);
        }
        await this.containers.remove(found.Id);
      }
      await this.containers.prepareHostDirs(spec, this.egress.proxied(spec) ? [this.egress.socketDir(spec)] : []);
      try {
        const c = await this.docker.createContainer(await this.containers.config(name, spec, this.egress.settings(spec)));
        await c.start();
        return this.ready(handle);
      } catch (err) {
        // Another worker made it first: take that one.
        if (statusOf(err) !== 409) throw err;
      }
    }
    throw new Error(`could not create or find the sandbox container ${name}`);
  }

  async start(h: SandboxHandle, proc: ProcessSpec): Promise<void> {
    const rec = await readRecord<DockerRecord>(h.spec.stateDir, proc.name);
    if (rec) {
      // The record is written before the exec starts: finish a start a dead worker left half done.
      const ex = await inspectExec(this.docker, rec.execId);
      if (ex && !ex.Running && !ex.Pid && ex.ExitCode === null) await startDetached(this.docker.getExec(rec.execId));
      return;
    }
    const container = this.docker.getContainer(h.id);
    let info = await container.inspect().catch(ignoreStatus(404));
    // Gone, or stopped (killed, its engine restarted) since it was ensured: an exec needs it running.
    if (!info?.State.Running) {
      await this.ensure(h.spec);
      info = await container.inspect();
    }
    // A paused sandbox (a validation holds its GPUs) starts nothing until it is resumed.
    while (info.State.Paused) {
      await new Promise((r) => setTimeout(r, 250));
      info = await container.inspect();
    }
    await this.containers.handOver(h.spec.workspaceDir, procsDir(h.spec.stateDir));
    const cap = proc.outputCapBytes ?? DEFAULT_OUTPUT_CAP;
    const inProcs = (suffix: string) => `${IN_SANDBOX.procs}/${proc.name}.${suffix}`;
    const exec = await container.exec({
      Cmd: wrapperArgv({ cap, out: inProcs('out'), exitFile: inProcs('exit'), pidFile: inProcs('pid'), countOomKills: true }, proc.argv),
      // Secrets travel here only: per exec, never in the container's config or any record.
      Env: Object.entries({ ...passedThrough(h.spec.passEnv), ...proc.env }).map(([k, v]) => `${k}=${v}`),
      WorkingDir: proc.cwd ?? IN_SANDBOX.workspace,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
    });
    const record: DockerRecord = {
      name: proc.name,
      execId: exec.id,
      containerId: info.Id,
      startedAtMs: Date.now(),
      outputCapBytes: cap,
      ...(this.node !== undefined ? { owner: this.node } : {}),
    };
    await writeRecord(h.spec.stateDir, record);
    await startDetached(exec);
  }

  async status(h: SandboxHandle, name: string): Promise<ProcessStatus> {
    const rec = await readRecord<DockerRecord>(h.spec.stateDir, name);
    if (!rec) return { state: 'absent' };
    const oomKilled = async () => (await this.containers.state(h.id))?.oomKilled ?? false;
    const exited = await exitedStatus(h.spec.stateDir, rec, oomKilled);
    if (exited) return exited;
    if (!this.owns(rec)) return lostStatus(rec);
    // Noted dead when its container stopped: asked no more (an exec into the container, paused
    // again after its engine restarted, would be refused and fail the caller).
    const lostAt = await lostEnd(h.spec.stateDir, name);
    if (lostAt !== null) return lostStatus(rec, false, lostAt);
    const ex = await inspectExec(this.docker, rec.execId);
    if (ex?.Running) return { state: 'running', startedAtMs: rec.startedAtMs };
    const container = await this.containers.state(h.id);
    if (!ex && container?.running && (await this.groupAlive(h, name))) return { state: 'running', startedAtMs: rec.startedAtMs };
    // The wrapper may have written its status between the two reads; else the container went away
    // or was stopped, or the wrapper was killed too: it ended when its container did, as far as is known.
    const exitedNow = await exitedStatus(h.spec.stateDir, rec, oomKilled);
    if (exitedNow) return exitedNow;
    const endedAtMs = await noteLost(h.spec.stateDir, name, (!container?.running && container?.finishedAtMs) || Date.now());
    return lostStatus(rec, container?.oomKilled ?? false, endedAtMs);
  }

  async list(h: SandboxHandle): Promise<string[]> {
    return (await listRecords(h.spec.stateDir)).map((r) => r.name);
  }

  async signal(h: SandboxHandle, name: string, sig: SandboxSignal): Promise<void> {
    const st = await this.status(h, name);
    if (st.state !== 'running') return;
    // As the local sandbox sends SIGCONT first: a frozen process cannot act on the signal.
    if ((await this.containers.state(h.id))?.paused) {
      await notePause(h.spec.stateDir, 'resume');
      await this.docker.getContainer(h.id).unpause().catch(ignoreStatus(409));
    }
    const pgid = await this.leaderPid(h, name);
    if (pgid === null) return;
    await execRun(this.docker, h.id, ['bash', '-c', 'kill -s "$1" -- "-$2" 2>/dev/null || true', 'kill', sig.slice(3), String(pgid)]);
  }

  async pause(h: SandboxHandle): Promise<void> {
    const st = await this.containers.state(h.id);
    if (st?.running && !st.paused) await this.docker.getContainer(h.id).pause().catch(ignoreStatus(409));
    await notePause(h.spec.stateDir, 'pause');
  }

  async resume(h: SandboxHandle): Promise<void> {
    // Noted even when the container is not paused (stopped with its engine meanwhile): a container
    // started again must not be paused again on the strength of the old pause (ensure).
    if (await pausedByLog(h.spec.stateDir)) await notePause(h.spec.stateDir, 'resume');
    const st = await this.containers.state(h.id);
    if (st?.paused) await this.docker.getContainer(h.id).unpause().catch(ignoreStatus(409));
  }

  async remove(h: SandboxHandle): Promise<void> {
    await this.containers.remove(h.id);
    if (h.spec.labels.role === 'agent') await this.egress.close(h.spec.labels.sessionId);
  }

  /** Every container of a session (this node's, in a fleet), whatever state it is in: what a finished or moved session leaves to clean. */
  async removeSession(sessionId: string): Promise<number> {
    const label = [`${LABEL.session}=${sessionId}`, ...(this.node !== undefined ? [`${LABEL.node}=${this.node}`] : [])];
    const list = await this.docker.listContainers({ all: true, filters: { label } });
    await Promise.all(list.map((c) => this.containers.remove(c.Id)));
    await this.egress.close(sessionId);
    return list.length;
  }

  /** Stops serving the egress proxies (the worker is shutting down); containers and their processes stay. */
  async close(): Promise<void> {
    await this.egress.closeAll();
  }

  /**
   * A container just started: its forwarder listens before anything is launched that would use it,
   * and a sandbox paused when its container stopped (the engine restarted during a validation) is
   * paused again, until resumed: its GPUs are the validation's.
   */
  private async ready(h: SandboxHandle): Promise<SandboxHandle> {
    if (this.egress.proxied(h.spec)) await this.egress.waitForForwarder(h.id, (id, argv) => execRun(this.docker, id, argv));
    if (await pausedByLog(h.spec.stateDir)) await this.docker.getContainer(h.id).pause().catch(ignoreStatus(409));
    return h;
  }

  /** Every process of a stopped container without an exit line ended when the container did. */
  private async noteLostProcesses(stateDir: string, containerId: string): Promise<void> {
    const info = await this.docker.getContainer(containerId).inspect().catch(ignoreStatus(404));
    const endedAtMs = (info && finishedAtMs(info.State)) || Date.now();
    for (const rec of await listRecords(stateDir)) {
      const files = procFiles(stateDir, rec.name);
      if (!existsSync(files.exit)) await noteLost(stateDir, rec.name, endedAtMs);
    }
  }

  /** The process group leader's pid, written by the wrapper as the process starts (waited for up to 2 s). */
  private async leaderPid(h: SandboxHandle, name: string): Promise<number | null> {
    for (let i = 0; i < 40; i++) {
      const pid = await readLeaderPid(h.spec.stateDir, name);
      if (pid !== null) return pid;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /** After an engine restart the exec record is gone while the process may live on: ask the container. */
  private async groupAlive(h: SandboxHandle, name: string): Promise<boolean> {
    const pid = await readLeaderPid(h.spec.stateDir, name);
    if (pid === null) return false;
    return (await execRun(this.docker, h.id, ['bash', '-c', 'kill -0 -- "-$1" 2>/dev/null', 'alive', String(pid)])) === 0;
  }

  /** Records from before fleets, or of a worker outside one, belong to whoever finds them. */
  private owns(rec: DockerRecord): boolean {
    return this.node === undefined || rec.owner === undefined || rec.owner === this.node;
  }
}
