import { readFile, stat } from 'node:fs/promises';
import type { ProcessStatus } from '../sandbox';
import { procFiles, type ProcessRecord } from './records';
import { parseWrapperExit } from './wrapper';

/**
 * The status of a process whose wrapper wrote its exit line, or null while it has not. `oomKilled`
 * is asked only of a process killed by SIGKILL that the wrapper saw no OOM kill for (a container
 * can tell from its engine; a local process cannot).
 */
export async function exitedStatus(
  stateDir: string,
  rec: ProcessRecord,
  oomKilled: () => Promise<boolean> = () => Promise.resolve(false),
): Promise<ProcessStatus | null> {
  const file = procFiles(stateDir, rec.name).exit;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const e = parseWrapperExit(text);
  const killed = e.signal === 'SIGKILL';
  return {
    state: 'exited',
    startedAtMs: rec.startedAtMs,
    endedAtMs:
      e.endedAtMs ??
      (await stat(file).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      )),
    exitCode: e.exitCode,
    signal: e.signal,
    outputTruncated: e.outputBytes >= rec.outputCapBytes,
    oomKilled: killed && (e.oomKills > 0 || (await oomKilled())),
    ...(e.outputLost ? { outputLost: true } : {}),
  };
}

/**
 * A process gone without an exit line: killed together with its wrapper, or with its sandbox.
 * `endedAtMs`: when its sandbox recorded that it ended; absent, it is not known and now is said.
 */
export function lostStatus(rec: ProcessRecord, oomKilled = false, endedAtMs?: number): ProcessStatus {
  return {
    state: 'exited',
    startedAtMs: rec.startedAtMs,
    endedAtMs: endedAtMs ?? Date.now(),
    exitCode: null,
    signal: 'SIGKILL',
    outputTruncated: false,
    oomKilled,
    lost: true,
    ...(endedAtMs !== undefined ? { endRecorded: true } : {}),
  };
}
