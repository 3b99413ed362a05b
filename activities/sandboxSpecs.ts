import { join } from 'node:path';
import type { SessionRef } from '../src/domain/session';
import type { SandboxSpec } from '../src/sandbox/sandbox';
import { layout } from '../src/files/layout';
import { agentFor } from '../src/agents/registry';
import { egressAllowList } from '../src/agents/modelApis';

/** The agent's sandbox: the workspace read-write, the data read-only, the relay folder. */
export function agentSandboxSpec(session: SessionRef, passEnv: string[] = []): SandboxSpec {
  return {
    labels: { sessionId: session.sessionId, role: 'agent' },
    workspaceDir: session.workspace.dir,
    dataDir: session.workspace.dataDir,
    relayDir: layout.relay(session.sessionId),
    stateDir: layout.agentState(session.sessionId),
    gpus: session.spec.gpus,
    egress: agentEgress(session),
    image: session.spec.image,
    passEnv,
    // Only the replay agent may see the record history: any other agent would be reading the answers.
    readOnlyMounts: session.spec.agent === 'replay' ? [session.workspace.historyDir] : [],
  };
}

/** Where the agent's CLI finds its model API, as this worker's environment says, and what the session adds. */
export function agentEgress(session: SessionRef, env: NodeJS.ProcessEnv = process.env): string[] {
  return egressAllowList(agentFor(session.spec).modelApis(session.spec), env, session.spec.agentEgress ?? []);
}

/** A fresh sandbox for one timed run: its own copy of the frozen candidate, no relay, no network. */
export function runSandboxSpec(session: SessionRef, subject: string, runIndex: number): SandboxSpec {
  const runDir = layout.run(session.sessionId, subject, runIndex);
  return {
    labels: { sessionId: session.sessionId, role: 'validation', subject, runIndex },
    workspaceDir: join(runDir, 'work'),
    dataDir: session.workspace.dataDir,
    relayDir: null,
    stateDir: runDir,
    gpus: session.spec.gpus,
    egress: [],
    image: session.spec.image,
  };
}
