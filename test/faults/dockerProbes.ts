import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerSandbox } from '../../src/sandbox/docker';
import type { SandboxSpec } from '../../src/sandbox/sandbox';
import { layout } from '../../src/files/layout';
import { FASTRUN } from '../helpers/harness';
import { grantableUlimits } from '../helpers/dockerd';
import { engineAndImage } from '../helpers/testImage';
import { exitedStatus } from '../helpers/sandboxWait';
import type { Probe } from './probes';

/** Each attempt a process in a sandbox makes; prints one JSON list of [probe, refused, what it was told]. */
const PROBE = `
import json, os, socket, sys
other_ws, other_token, future, judge_port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def attempt(name, fn):
    try:
        fn()
        return [name, False, "it worked"]
    except Exception as e:
        return [name, True, type(e).__name__ + ": " + str(e)]
def connect(host, port):
    socket.create_connection((host, port), 3).close()
def write_data():
    with open(os.path.join(os.environ.get("DATA_DIR", "/data"), "planted.bin"), "w") as f:
        f.write("x")
print(json.dumps([
    attempt("read another session's workspace", lambda: open(other_ws).read()),
    attempt("read another session's relay token", lambda: open(other_token).read()),
    attempt("read a human record from the future", lambda: open(future).read()),
    attempt("reach the network (192.0.2.1:53, TEST-NET-1)", lambda: connect("192.0.2.1", 53)),
    attempt("reach the host's loopback (the judge's API)", lambda: connect("127.0.0.1", judge_port)),
    attempt("write the data mount", write_data),
]))
`;

/**
 * The walls of the Docker sandboxes, probed from inside an agent sandbox and a validation
 * sandbox of a session of their own, with the paths of a live session (`otherSessionId`) and a
 * later record of the family as targets. Null with the reason when no engine or image is here.
 */
export async function dockerProbes(otherSessionId: string, judgePort: number): Promise<{ probes: Probe[] } | { unavailable: string }> {
  const r = await engineAndImage();
  if ('unavailable' in r) return { unavailable: r.unavailable };
  const sb = new DockerSandbox({ docker: r.engine.docker, image: r.image, gpus: 'none', ulimits: grantableUlimits() });
  const sessionId = 'faults-probe';
  const root = layout.session(sessionId);
  mkdirSync(layout.data(), { recursive: true });
  const targets = [
    join(layout.workspace(otherSessionId), 'submissions', 'c00-good', 'train_gpt.py'),
    layout.relayToken(otherSessionId),
    join(FASTRUN, 'records', '02_fastest', 'train_gpt.py'),
    String(judgePort),
  ];
  const specs: [string, SandboxSpec][] = [
    [
      'agent',
      {
        labels: { sessionId, role: 'agent' },
        workspaceDir: join(root, 'workspace'),
        dataDir: layout.data(),
        relayDir: join(root, 'relay'),
        stateDir: join(root, 'agent'),
        gpus: 1,
        egress: [],
      },
    ],
    [
      'validation',
      {
        labels: { sessionId, role: 'validation', subject: 'probe', runIndex: 0 },
        workspaceDir: join(root, 'run', 'work'),
        dataDir: layout.data(),
        relayDir: null,
        stateDir: join(root, 'run'),
        gpus: 1,
        egress: [],
      },
    ],
  ];
  const probes: Probe[] = [];
  try {
    for (const [role, spec] of specs) {
      mkdirSync(spec.workspaceDir, { recursive: true });
      writeFileSync(join(spec.workspaceDir, 'probe.py'), PROBE);
      const h = await sb.ensure(spec);
      await sb.start(h, { name: 'probe', argv: ['python3', 'probe.py', ...targets] });
      const st = await exitedStatus(sb, h, 'probe');
      const out = readFileSync(sb.outputPath(h, 'probe'), 'utf8').trim();
      if (st.exitCode !== 0) throw new Error(`the ${role} probe exited with ${st.exitCode}: ${out}`);
      const said = JSON.parse(out.split('\n').pop()!) as [string, boolean, string][];
      for (const [probe, refused, what] of said) probes.push({ probe: `${role} sandbox: ${probe}`, refused, said: what });
    }
  } finally {
    await sb.removeSession(sessionId);
    await sb.close();
  }
  return { probes };
}
