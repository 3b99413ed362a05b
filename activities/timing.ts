import { cp, writeFile, open, chmod, readdir, stat, readFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Context, heartbeat, log } from '@temporalio/activity';
import { parseLog, checkReportedTime } from '../src/domain/logParser';
import type { RunResult } from '../src/domain/verdict';
import type { ProcessStatus } from '../src/sandbox/sandbox';
import type { ActivityDeps } from './deps';
import { sandboxOf } from './deps';
import { runSandboxSpec } from './sandboxSpecs';
import type { FrozenSubmission, TimeRunInput } from './types';
import { scanTree, treeHash } from '../src/files/tree';

/** Output kept per run; past it the run is killed and does not count (a 10 GB log must not fill the disk). */
export const RUN_OUTPUT_CAP_BYTES = 32 * 1024 * 1024;

export function timingActivities(deps: ActivityDeps) {
  /**
   * One timed run of a frozen candidate in a fresh sandbox. The process is detached and writes
   * its output to a file; a retry after a worker crash finds it by name and waits for it again
   * instead of starting a second one.
   */
  async function timeRun(
    { session, subject, frozenDir, runIndex, limitSeconds }: TimeRunInput,
    beat: (details: object) => void = heartbeat,
    /** The caller holds the node's GPUs for this run already (activities/exclusiveRuns.ts). */
    gpusHeld = false,
  ): Promise<RunResult> {
    const sandbox = sandboxOf(deps, session.spec);
    const spec = runSandboxSpec(session, subject, runIndex);
    let handle = await sandbox.ensure(spec);
    const timeoutFile = join(spec.stateDir, 'timed-out');
    const ctx = Context.current();
    const limitS = limitSeconds ?? session.spec.runTimeoutSeconds;
    let st: ProcessStatus;
    let release: (() => void) | undefined;
    try {
      for (;;) {
        // Lost with its sandbox, before this attempt or while it watched (its node or engine gone, its
        // container killed from outside), or its output lost on a full disk: set aside and started
        // again in a sandbox that mounts the new folder.
        st = await sandbox.status(handle, 'run');
        if (lostRun(st)) {
          if (!(await setAsideLostRun(handle.spec.stateDir, st))) break;
          await sandbox.remove(handle);
          handle = await sandbox.ensure(spec);
        }
        const copied = join(spec.stateDir, '.copied');
        if (!existsSync(copied)) {
          await cp(frozenDir, spec.workspaceDir, { recursive: true, force: true });
          await makeWritable(spec.workspaceDir);
          await writeFile(copied, '');
        }
        // The node's GPUs, in turn: waited for before a new process, held at once by one found running.
        if (deps.gpuSlots && !gpusHeld && !release && !(st.state === 'exited' && !lostRun(st))) {
          release =
            st.state === 'running'
              ? deps.gpuSlots.takeNow(session.spec.gpus)
              : await deps.gpuSlots.take(session.spec.gpus, () => beat({ subject, runIndex, waitingForGpus: true }), ctx.cancellationSignal);
        }
        await sandbox.start(handle, { name: 'run', argv: ['bash', 'run.sh'], outputCapBytes: RUN_OUTPUT_CAP_BYTES });
        for (;;) {
          st = await sandbox.status(handle, 'run');
          if (st.state === 'exited' || st.state === 'absent') break;
          if (Date.now() - st.startedAtMs > limitS * 1000) {
            // The kill first, on every look until the run is gone, and the mark after: a mark written
            // first on a full disk (ENOSPC) failed the attempt, and its retries, seeing the mark, never
            // killed the run, which then held its validation forever (the fault suite found it).
            await sandbox.signal(handle, 'run', 'SIGKILL');
            if (!existsSync(timeoutFile))
              await writeFile(timeoutFile, String(Date.now())).catch((err: unknown) => void log.warn('timeout mark not written yet', { error: String(err) }));
          }
          beat({ subject, runIndex });
          await ctx.sleep(500);
        }
        if (!lostRun(st)) break;
      }
    } finally {
      release?.();
    }
    const output = await readCapped(sandbox.outputPath(handle, 'run'), RUN_OUTPUT_CAP_BYTES);
    await sandbox.remove(handle);
    // Killed past its limit, even where the disk was too full to keep the mark.
    const overLimit = st.state === 'exited' && st.signal === 'SIGKILL' && st.endedAtMs - st.startedAtMs > limitS * 1000;
    const result = assessRun(runIndex, st, output, existsSync(timeoutFile) || overLimit ? limitS : null, session.spec.gpus);
    // A run may only write in its own copy; one that reached the frozen original does not count.
    const tampered = await frozenChanged(frozenDir);
    if (tampered) result.invalidReason = [result.invalidReason, `the run changed the frozen candidate (${tampered})`].filter(Boolean).join('; ');
    log.info('run timed', { subject, runIndex, trainTimeMs: result.trainTimeMs, valLoss: result.valLoss, invalid: result.invalidReason });
    return result;
  }
  return { timeRun };
}

/**
 * A run that cannot be judged on what it left: it died with its sandbox, or it ended but its output
 * was not kept (the disk full under it: the fault suite saw such a run of the horizon record, exit
 * status 0 and no output, fail its session's calibration as "no step lines found").
 */
function lostRun(st: ProcessStatus): boolean {
  return st.state === 'exited' && (st.lost === true || st.outputLost === true);
}

/** How often a run lost with its node (or its host) is started again before it is judged as killed. */
const LOST_RUN_RESTARTS = 3;

/**
 * A run that died with its sandbox before it could record how it ended (its node was lost, its
 * host went down) is started again from the frozen candidate: its folder is set aside as
 * runs/<i>.lost-<n>, uncounted and uncharged. Returns whether it was.
 */
async function setAsideLostRun(runDir: string, st: ProcessStatus): Promise<boolean> {
  if (!lostRun(st)) return false;
  for (let n = 1; n <= LOST_RUN_RESTARTS; n++) {
    const aside = `${runDir}.lost-${n}`;
    if (existsSync(aside)) continue;
    await rename(runDir, aside);
    log.warn('timed run lost with its sandbox: starting it again', { runDir, setAside: aside });
    return true;
  }
  return false;
}

/** Whether a timed run counts: a finished process and its output as a run result, naming every reason it does not (not the rules judge: that is src/judge). */
export function assessRun(index: number, st: ProcessStatus, output: Buffer, timedOutAfterS: number | null, gpus: number): RunResult {
  if (st.state !== 'exited') {
    return { index, exitCode: null, wallMs: 0, valLoss: null, trainTimeMs: null, complete: false, invalidReason: 'the run never started', gpuSeconds: 0 };
  }
  const wallMs = Math.max(0, st.endedAtMs - st.startedAtMs);
  const parsed = parseLog(output);
  const reasons: string[] = [];
  if (timedOutAfterS !== null) reasons.push(`timed out after ${timedOutAfterS} s`);
  else if (st.oomKilled) reasons.push('killed for exceeding its memory limit');
  else if (st.outputTruncated) reasons.push(`wrote more than ${RUN_OUTPUT_CAP_BYTES} bytes of output`);
  else if (st.exitCode !== 0) reasons.push(st.exitCode === null ? `killed by ${st.signal ?? 'a signal'}` : `exited with code ${st.exitCode}`);
  if (reasons.length === 0 && !parsed.complete) reasons.push(parsed.invalidReason ?? 'no final validation line');
  if (reasons.length === 0) {
    const timing = checkReportedTime(parsed, wallMs);
    if (!timing.valid) reasons.push(timing.invalidReason!);
  }
  return {
    index,
    exitCode: st.exitCode,
    wallMs,
    valLoss: parsed.valLoss,
    trainTimeMs: parsed.trainTimeMs,
    complete: parsed.complete,
    invalidReason: reasons.length ? reasons.join('; ') : null,
    gpuSeconds: (wallMs / 1000) * gpus,
  };
}

/** What differs between the frozen folder and the manifest written when it was frozen, or null. */
async function frozenChanged(frozenDir: string): Promise<string | null> {
  const manifestPath = join(frozenDir, '..', 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as FrozenSubmission;
  try {
    const now = treeHash(await scanTree(frozenDir));
    return now === manifest.contentHash ? null : 'its files no longer match their sha256 manifest';
  } catch (err) {
    return (err as Error).message;
  }
}

async function readCapped(path: string, cap: number): Promise<Buffer> {
  if (!existsSync(path)) return Buffer.alloc(0);
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(size, cap));
    await fh.read(buf, 0, buf.length, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const s = await stat(p);
    if (s.isDirectory()) await makeWritable(p);
    else await chmod(p, s.mode & 0o111 ? 0o755 : 0o644);
  }
}
