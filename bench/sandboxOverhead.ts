import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox, SandboxSpec } from '../src/sandbox/sandbox';
import { LocalSandbox } from '../src/sandbox/local';
import { DockerSandbox } from '../src/sandbox/docker';
import { testEngine, grantableUlimits } from '../test/helpers/dockerd';
import { ensureTestImage } from '../test/helpers/testImage';
import { median } from './median';

const REPEATS = 10;
const GOAL_S = 0.5;
const POLL_MS = 10;

interface Phases {
  ensure: number;
  start: number;
  wait: number;
  remove: number;
  total: number;
}

/** One timed run's sandbox life with a process that does nothing: what the harness adds to every run. */
async function oneRun(sb: Sandbox, root: string, i: number): Promise<Phases> {
  const dir = join(root, `run-${i}`);
  const spec: SandboxSpec = {
    labels: { sessionId: `bench-${process.pid}`, role: 'validation', subject: 'overhead', runIndex: i },
    workspaceDir: join(dir, 'work'),
    dataDir: null,
    relayDir: null,
    stateDir: dir,
    gpus: 1,
    egress: [],
  };
  const t0 = performance.now();
  const h = await sb.ensure(spec);
  const t1 = performance.now();
  await sb.start(h, { name: 'run', argv: ['true'] });
  const t2 = performance.now();
  while ((await sb.status(h, 'run')).state !== 'exited') await new Promise((r) => setTimeout(r, POLL_MS));
  const t3 = performance.now();
  await sb.remove(h);
  const t4 = performance.now();
  return { ensure: t1 - t0, start: t2 - t1, wait: t3 - t2, remove: t4 - t3, total: t4 - t0 };
}

async function measure(sb: Sandbox): Promise<Phases> {
  const root = mkdtempSync(join(tmpdir(), `overhead-${sb.kind}-`));
  try {
    await oneRun(sb, root, -1); // warm-up: first-use caches (image config, bash in the page cache)
    const runs: Phases[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await oneRun(sb, root, i));
    const med = (k: keyof Phases) => median(runs.map((r) => r[k]));
    return { ensure: med('ensure'), start: med('start'), wait: med('wait'), remove: med('remove'), total: med('total') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Per-run sandbox overhead, Docker beside local: create + start + wait + remove of `true`, medians of 10. */
export async function run(): Promise<void> {
  const rows: [string, Phases][] = [['local', await measure(new LocalSandbox())]];
  const engine = await testEngine();
  let note = '';
  if ('unavailable' in engine) note = `docker: skipped, ${engine.unavailable}`;
  else {
    const image = await ensureTestImage(engine.docker);
    rows.push(['docker', await measure(new DockerSandbox({ docker: engine.docker, image, gpus: 'none', ulimits: grantableUlimits() }))]);
  }
  const ms = (x: number) => x.toFixed(1).padStart(8);
  console.log(`sandbox overhead per run (median of ${REPEATS}, status polled every ${POLL_MS} ms; goal <= ${GOAL_S} s a run)`);
  console.log(
    `${'backend'.padEnd(8)}${'ensure'.padStart(8)}${'start'.padStart(8)}${'wait'.padStart(8)}${'remove'.padStart(8)}${'total ms'.padStart(10)}  goal`,
  );
  for (const [name, p] of rows) {
    console.log(
      `${name.padEnd(8)}${ms(p.ensure)}${ms(p.start)}${ms(p.wait)}${ms(p.remove)}${ms(p.total).padStart(10)}  ${p.total / 1000 <= GOAL_S ? 'met' : 'MISSED'}`,
    );
  }
  if (rows.length === 2) console.log(`docker / local: ${(rows[1][1].total / rows[0][1].total).toFixed(1)}x`);
  if (note) console.log(note);
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
