import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { FASTRUN } from './harness';

/**
 * The fast fixture family with one change: every record's run.sh first appends its working folder
 * to a log this test owns, outside any sandbox. A timed run has a folder of its own, so the log
 * counts how often each run was started, whatever the sandbox's own records say about it.
 */
export function startCountingFamily(parent = tmpdir()): { family: string; log: string; starts: () => Map<string, number> } {
  const family = mkdtempSync(join(parent, 'fastrun-counting-'));
  cpSync(FASTRUN, family, { recursive: true });
  const log = join(family, 'starts.log');
  for (const rec of readdirSync(join(family, 'records'))) {
    const runSh = join(family, 'records', rec, 'run.sh');
    writeFileSync(runSh, `echo "$PWD" >> ${log}\n${readFileSync(runSh, 'utf8')}`);
  }
  const starts = () => {
    const counts = new Map<string, number>();
    const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    return counts;
  };
  return { family, log, starts };
}

/**
 * How many times the engine started an exec of `bash run.sh` in a container, read from the
 * engine's own event log (outside the sandbox, untouched by the harness's records).
 */
export async function runExecStarts(docker: Docker, container: string, sinceS: number): Promise<number> {
  const stream = await docker.getEvents({ since: sinceS, until: Math.ceil(Date.now() / 1000) + 1, filters: { type: ['container'], container: [container] } });
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const events = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action?: string });
  return events.filter((e) => e.Action?.startsWith('exec_start') && e.Action.includes('run.sh')).length;
}
