import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/files/repoRoot';

const logging = join(repoRoot(), 'dist', 'src', 'temporal', 'logging.js');

// Something in the worker pipes a stream into stdout: the pipe's error handler then rethrows the
// console's ENOSPC as an unhandled 'error' event (seen as "SyncWriteStream.onerror" in the crash).
const PIPED = `new (require('node:stream').PassThrough)().pipe(process.stdout);`;

// /dev/full answers every write with ENOSPC, as a full disk under a worker's log file does.
function runWithOutputOnFullDisk(script: string): { status: number | null; stderr: string } {
  const full = openSync('/dev/full', 'a');
  try {
    const r = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', full, full], encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stderr: r.stderr ?? '' };
  } finally {
    closeSync(full);
  }
}

test('a worker process whose stdout and stderr go to a full disk goes on after console and pino lines', () => {
  const r = runWithOutputOnFullDisk(
    PIPED +
      `const l = require(${JSON.stringify(logging)}); l.keepRunningWhenLogsCannotBeWritten();` +
      `console.log('worker on ...'); console.error('a warning'); l.logger.warn('a pino line');` +
      `setTimeout(() => { console.log('still here'); setTimeout(() => process.exit(7), 100); }, 100);`,
  );
  assert.equal(r.status, 7, 'the process must reach its own exit, not die on the write error');
});

test('without it, the same console line ends the process (the defect this guards against)', () => {
  const r = runWithOutputOnFullDisk(PIPED + `console.log('worker on ...'); setTimeout(() => process.exit(7), 200);`);
  assert.notEqual(r.status, 7, 'if Node stops crashing here, the guard may no longer be needed');
});
