import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox, SandboxHandle, SandboxSpec } from '../src/sandbox/sandbox';
import { LocalSandbox } from '../src/sandbox/local';
import { DockerSandbox } from '../src/sandbox/docker';
import { testEngine, grantableUlimits } from '../test/helpers/dockerd';
import { ensureTestImage } from '../test/helpers/testImage';
import { runCommand } from '../test/helpers/harness';
import { median } from './median';
import { exitedStatus } from '../test/helpers/sandboxWait';

const REPEATS = 10;
const REQUESTS = 200;

/** REQUESTS small POSTs in a row, each timed; prints the median in ms. Proxies come from the environment. */
const CLIENT = `
import sys, time, urllib.request
url = sys.argv[1]; n = int(sys.argv[2]); xs = []
opener = urllib.request.build_opener() if len(sys.argv) < 4 else urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(n):
    t = time.perf_counter()
    opener.open(urllib.request.Request(url, data=b'{"model":"m","messages":[]}', method="POST"), timeout=10).read()
    xs.append(time.perf_counter() - t)
xs.sort(); print("%.3f" % (1000 * xs[len(xs) // 2]))
`;

/**
 * What an agent sandbox costs apart from the runs: once per submission the agent is paused and
 * resumed around its timed runs (the fixed part, goal <= 1 s); once per session the sandbox is
 * made (on Docker with its egress forwarder ready); and each model API request goes through the
 * egress path (forwarder, socket, the worker's proxy), beside the same request made straight.
 */
export async function run(): Promise<void> {
  const api = createServer((req, res) => {
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const port = (api.address() as AddressInfo).port;
  const root = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const sandboxes: Sandbox[] = [new LocalSandbox()];
  const engine = await testEngine();
  if ('unavailable' in engine) console.log(`docker: skipped, ${engine.unavailable}`);
  else sandboxes.push(new DockerSandbox({ docker: engine.docker, image: await ensureTestImage(engine.docker), gpus: 'none', ulimits: grantableUlimits() }));
  try {
    console.log(`agent sandbox: made once per session, paused + resumed once per submission (medians of ${REPEATS}); goal <= 1 s fixed per submission`);
    console.log(`${'backend'.padEnd(8)}${'ensure ms'.padStart(11)}${'pause ms'.padStart(10)}${'resume ms'.padStart(11)}${'fixed/sub'.padStart(11)}  goal`);
    let docker: { sb: Sandbox; h: SandboxHandle } | null = null;
    for (const sb of sandboxes) {
      const dir = join(root, sb.kind);
      const spec: SandboxSpec = {
        labels: { sessionId: `bench-agent-${process.pid}`, role: 'agent' },
        workspaceDir: join(dir, 'work'),
        dataDir: null,
        relayDir: null,
        stateDir: dir,
        gpus: 1,
        egress: [`127.0.0.1:${port}`],
      };
      const t0 = performance.now();
      const h = await sb.ensure(spec);
      const ensureMs = performance.now() - t0;
      await sb.start(h, { name: 'agent', argv: ['sleep', '600'] });
      const pauses: number[] = [];
      const resumes: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const a = performance.now();
        await sb.pause(h);
        const b = performance.now();
        await sb.resume(h);
        pauses.push(b - a);
        resumes.push(performance.now() - b);
      }
      const fixed = median(pauses) + median(resumes);
      console.log(
        `${sb.kind.padEnd(8)}${ensureMs.toFixed(1).padStart(11)}${median(pauses).toFixed(1).padStart(10)}${median(resumes).toFixed(1).padStart(11)}${fixed.toFixed(1).padStart(11)}  ${fixed <= 1000 ? 'met' : 'MISSED'}`,
      );
      if (sb.kind === 'docker') docker = { sb, h };
      else await sb.remove(h);
    }
    if (docker) {
      const { sb, h } = docker;
      writeFileSync(join(h.spec.workspaceDir, 'client.py'), CLIENT);
      await sb.start(h, { name: 'egress', argv: ['python3', 'client.py', `http://127.0.0.1:${port}/v1/messages`, String(REQUESTS)] });
      const st = await exitedStatus(sb, h, 'egress');
      const out = readFileSync(sb.outputPath(h, 'egress'), 'utf8').trim();
      if (st.exitCode !== 0) throw new Error(`egress client failed: ${out}`);
      const straight = await runCommand('python3', ['-c', CLIENT, `http://127.0.0.1:${port}/v1/messages`, String(REQUESTS), 'direct']);
      const viaProxy = Number(out.split('\n').pop());
      const direct = Number(straight.stdout.trim());
      console.log(
        `\nmodel API request (POST, loopback API, median of ${REQUESTS}): from the Docker agent sandbox through the egress proxy ${viaProxy.toFixed(2)} ms; straight from the host ${direct.toFixed(2)} ms; ${(viaProxy / direct).toFixed(1)}x, +${(viaProxy - direct).toFixed(2)} ms a request`,
      );
      await sb.remove(h);
    }
  } finally {
    api.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
