import { readFile } from 'node:fs/promises';
import { Context, heartbeat, log } from '@temporalio/activity';
import { agentFor } from '../src/agents/registry';
import { layout } from '../src/storage/layout';
import type { ActivityDeps } from './deps';
import { sandboxOf } from './deps';
import { agentSandboxSpec } from './sandboxSpecs';
import type { SessionRef } from './types';

const POLL_MS = 1000;

export function agentActivities(deps: ActivityDeps) {
  /**
   * Launches the agent (launch N) in its sandbox, or re-attaches to launch N when it already
   * runs, and waits for it to exit, heartbeating. Cancellation only detaches: stopping the agent
   * is stopAgent's job, so continuing as new or a worker restart never kills it.
   */
  async function runAgent({ session, launch }: { session: SessionRef; launch: number }): Promise<{ exitCode: number | null; finished: boolean }> {
    const agent = agentFor(session.spec.agent);
    const sandbox = sandboxOf(deps, session.spec);
    const spec0 = agentSandboxSpec(session);
    const name = `agent-${launch}`;
    const paths = sandbox.paths(spec0);
    const plan = agent.launch({
      sessionId: session.sessionId,
      spec: session.spec,
      launch,
      paths,
      historyDir: session.workspace.historyDir,
      replayRecords: session.workspace.replayRecords,
    });
    const handle = await sandbox.ensure(agentSandboxSpec(session, plan.passEnv));
    const before = await sandbox.status(handle, name);
    if (before.state === 'absent') {
      const token = (await readFile(layout.relayToken(session.sessionId), 'utf8')).trim();
      await sandbox.start(handle, { name, argv: plan.argv, env: { ...plan.env, NANOGPT_BENCH_TOKEN: token } });
      log.info('agent launched', { sessionId: session.sessionId, launch });
    } else {
      log.info('agent re-attached', { sessionId: session.sessionId, launch, state: before.state });
    }
    const ctx = Context.current();
    for (;;) {
      const st = await sandbox.status(handle, name);
      if (st.state === 'exited') return { exitCode: st.exitCode, finished: agent.finishesOnExit };
      heartbeat({ launch });
      await ctx.sleep(POLL_MS);
    }
  }

  /** A graceful signal to every launch of the agent, then a kill once the grace period is over. */
  async function stopAgent({ session, graceSeconds }: { session: SessionRef; graceSeconds: number }): Promise<void> {
    const sandbox = sandboxOf(deps, session.spec);
    const handle = await sandbox.ensure(agentSandboxSpec(session));
    await sandbox.resume(handle);
    const names = await runningAgentNames(sandbox, handle);
    for (const n of names) await sandbox.signal(handle, n, 'SIGTERM');
    const until = Date.now() + graceSeconds * 1000;
    while (Date.now() < until && (await runningAgentNames(sandbox, handle)).length > 0) {
      heartbeat();
      await new Promise((r) => setTimeout(r, 250));
    }
    await sandbox.remove(handle);
  }

  async function pauseAgent({ session }: { session: SessionRef }): Promise<void> {
    const sandbox = sandboxOf(deps, session.spec);
    await sandbox.pause(await sandbox.ensure(agentSandboxSpec(session)));
  }

  async function resumeAgent({ session }: { session: SessionRef }): Promise<void> {
    const sandbox = sandboxOf(deps, session.spec);
    await sandbox.resume(await sandbox.ensure(agentSandboxSpec(session)));
  }

  return { runAgent, stopAgent, pauseAgent, resumeAgent };
}

async function runningAgentNames(sandbox: ReturnType<typeof sandboxOf>, handle: Awaited<ReturnType<ReturnType<typeof sandboxOf>['ensure']>>): Promise<string[]> {
  const out: string[] = [];
  for (let launch = 1; launch < 10_000; launch++) {
    const st = await sandbox.status(handle, `agent-${launch}`);
    if (st.state === 'absent') break;
    if (st.state === 'running') out.push(`agent-${launch}`);
  }
  return out;
}
