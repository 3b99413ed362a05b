import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { runCommand } from './harness';
import { testEngine, type TestEngine } from './dockerd';

/**
 * The sandbox image for tests, made without any registry: a Debian rootfs from the mirror apt
 * already uses (debootstrap), with the Python and PyTorch the tiny speedrun and the fastrun
 * fixture need, imported into the engine. The rootfs tarball is cached, keyed by everything
 * that goes into it, so only the first run on a machine pays the minutes debootstrap takes.
 */
export const TEST_IMAGE_PACKAGES = ['python3', 'python3-torch', 'python3-numpy'];
const SUITE = 'bookworm';
const VARIANT = 'minbase';
/** The user the sandbox runs as, as the production image names it. */
const SANDBOX_USER = { name: 'bench', uid: 1000, gid: 1000 };

export function testImageKey(): string {
  const recipe = { suite: SUITE, variant: VARIANT, packages: [...TEST_IMAGE_PACKAGES].sort(), user: SANDBOX_USER, recipe: 1 };
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
}

export function testImageTag(): string {
  return `nanogpt-bench-test:${testImageKey()}`;
}

function cacheDir(): string {
  if (process.env.NANOGPT_BENCH_TEST_IMAGE_CACHE) return process.env.NANOGPT_BENCH_TEST_IMAGE_CACHE;
  return process.getuid?.() === 0 ? '/var/cache/nanogpt-bench/test-image' : join(homedir(), '.cache', 'nanogpt-bench', 'test-image');
}

export function rootfsTarball(): string {
  return join(cacheDir(), `rootfs-${testImageKey()}.tar`);
}

/** The Debian mirror apt is configured with (deb822 .sources or one-line sources.list). */
export function debianMirror(): string {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of readdirSync('/etc/apt/sources.list.d')) if (/\.(list|sources)$/.test(f)) files.push(join('/etc/apt/sources.list.d', f));
  }
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const block of text.split(/\n\s*\n/)) {
        const uris = /^URIs:\s*(\S+)/m.exec(block)?.[1];
        const suites = /^Suites:\s*(.+)$/m.exec(block)?.[1].split(/\s+/) ?? [];
        if (uris && suites.includes(SUITE) && !/^Enabled:\s*no/im.test(block)) return uris;
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
        if (m && m[2] === SUITE) return m[1];
      }
    }
  }
  return 'http://deb.debian.org/debian';
}

/** Builds (once) the cached rootfs tarball. */
export async function ensureRootfsTarball(): Promise<string> {
  const tar = rootfsTarball();
  if (existsSync(tar)) return tar;
  mkdirSync(cacheDir(), { recursive: true });
  const build = `${tar.slice(0, -4)}.build`;
  rmSync(build, { recursive: true, force: true });
  const mirror = debianMirror();
  const boot = await runCommand('debootstrap', [`--variant=${VARIANT}`, `--include=${TEST_IMAGE_PACKAGES.join(',')}`, SUITE, build, mirror], {
    timeoutMs: 20 * 60_000,
  });
  if (boot.status !== 0) throw new Error(`debootstrap ${SUITE} from ${mirror} failed (status ${boot.status}): ${(boot.stderr || boot.stdout).slice(-2000)}`);
  finishRootfs(build);
  const packed = await runCommand('tar', ['-C', build, '--numeric-owner', '-cf', `${tar}.tmp`, '.'], { timeoutMs: 10 * 60_000 });
  if (packed.status !== 0) throw new Error(`packing ${build} failed: ${packed.stderr.slice(-2000)}`);
  renameSync(`${tar}.tmp`, tar);
  rmSync(build, { recursive: true, force: true });
  return tar;
}

/** The sandbox user, and no package archives (they are a quarter of the rootfs and never used). */
export function finishRootfs(dir: string): void {
  const { name, uid, gid } = SANDBOX_USER;
  const passwd = join(dir, 'etc', 'passwd');
  if (
    !readFileSync(passwd, 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${name}:`))
  ) {
    appendFileSync(passwd, `${name}:x:${uid}:${gid}:sandbox user:/workspace:/bin/bash\n`);
    appendFileSync(join(dir, 'etc', 'group'), `${name}:x:${gid}:\n`);
  }
  const archives = join(dir, 'var', 'cache', 'apt', 'archives');
  if (existsSync(archives)) for (const f of readdirSync(archives)) if (f.endsWith('.deb')) rmSync(join(archives, f));
}

/** The test image in this engine, imported from the cached tarball when missing. */
export async function ensureTestImage(docker: Docker): Promise<string> {
  const tag = testImageTag();
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const tar = await ensureRootfsTarball();
  const [repo, version] = tag.split(':');
  const stream = await docker.importImage(createReadStream(tar), {
    repo,
    tag: version,
    changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV LANG=C.UTF-8', 'CMD ["bash"]'],
  } as object);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = events?.find((e) => e.error);
      if (err || failed) reject(err ?? new Error(`docker import failed: ${failed!.error}`));
      else resolve();
    }),
  );
  return tag;
}

/**
 * The test engine and the test image, made once per test process (the first debootstrap on a
 * machine takes minutes); or why there is no engine, for the test to skip with.
 */
let ready: Promise<{ engine: TestEngine; image: string } | { unavailable: string }> | null = null;
export function engineAndImage(): Promise<{ engine: TestEngine; image: string } | { unavailable: string }> {
  ready ??= (async () => {
    const engine = await testEngine();
    if ('unavailable' in engine) return engine;
    return { engine, image: await ensureTestImage(engine.docker) };
  })();
  return ready;
}
