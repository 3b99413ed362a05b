#!/usr/bin/env node
// Runs every compiled test file under node's test runner, one file at a time: the
// integration tests each start real servers (Temporal, dockerd) and 2 cores do not
// fit several at once. `node scripts/run-tests.mjs unit` runs only paths containing "unit".
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk('dist/test')
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
