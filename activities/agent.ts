import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { Context, heartbeat, log } from '@temporalio/activity';
import type { Agent, AgentContext } from '../src/agents/agent';
import { PROMPT_VERSION, promptRecord, renderKind, type PromptKind } from '../src/agents/prompts';
import { secretsFromEnv, type Secret } from '../src/agents/redact';
import { agentFor } from '../src/agents/registry';
import { SPEEDRUN_TARGET_VAL_LOSS } from '../src/humanRecords/anchors';
import { LaunchTrace, readMeta, resumeIdFromTraces, traceFiles, tracedLaunches } from '../src/agents/traceFiles';
import type { ProcessStatus, Sandbox, SandboxHandle } from '../src/sandbox/sandbox';
import { layout } from '../src/files/layout';
import { writeJsonAtomic } from '../src/files/atomicWrite';
import type { ActivityDeps } from './deps';
import { sandboxOf } from './deps';
import { agentSandboxSpec } from './sandboxSpecs';
import type { SessionRef } from '../src/domain/session';
import { spendLimitReason, type AgentSpend } from '../src/domain/agentSpend';
import { spendFromUsage } from '../src/agents/spend';
import { summarizeUsage, type AgentUsageSummary } from '../src/agents/usage';
import { agentStartedSignal, agentUsageSignal } from '../workflows/messages';

const POLL_MS = 1000;
/** At most one usage report to the session this often (each is a history event). */
const USAGE_REPORT_MS = 30_000;
/** The agent's processes in its sandbox are named by launch: agent-1, agent-2, … */
const AGENT_PROCESS = /^agent-\d+$/;

export function agentActivities(deps: ActivityDeps) {
  /**
   * Launches the agent (launch N) in its sandbox, or re-attaches to launch N when it already
   * runs, and waits for it to exit, heartbeating and turning its output into the trace. A launch
   * after the first resumes the CLI's own session (its id read from the earlier traces) with the
   * resume prompt. Cancellation only detaches: stopping the agent is stopAgent's job, so continuing
   * as new or a worker restart never kills it.
   */
  async function runAgent({ session, launch }: { session: SessionRef; launch: number }): Promise<AgentRunResult> {
    const agent = agentFor(session.spec);
    const sandbox = sandboxOf(deps, session.spec);
    const traceDir = layout.agentState(session.sessionId);
    const name = `agent-${launch}`;
    const paths = sandbox.paths(agentSandboxSpec(session));
    const token = (await readFile(layout.relayToken(session.sessionId), 'utf8')).trim();

    const facts = { workspace: paths.workspace, spec: session.spec, targetValLoss: targetOf(session) };
    const taskPrompt = renderKind('task', facts);
    await recordPrompt(traceDir, session, taskPrompt);

    // The names passed in do not depend on the launch, so the sandbox is ensured once with them.
    const handle = await sandbox.ensure(agentSandboxSpec(session, agent.passEnv(session.spec)));
    const secrets = secretsFor(agent, session, token);
    // Earlier launches have exited (this one would not start otherwise): their traces are made final
    // before their ids are read, even when the worker that watched them died first.
    await finishExitedTraces(sandbox, handle, traceDir, agent, secrets, launch);
    const resumeId = launch > 1 && agent.output === 'jsonl' ? await resumeIdFromTraces(traceDir, agent, launch) : null;
    const promptKind: 'task' | 'resume' | 'task+resume' = launch === 1 ? 'task' : resumeId ? 'resume' : 'task+resume';
    const resumeText = launch > 1 ? renderKind('resume', facts) : '';
    const prompt = promptKind === 'task' ? taskPrompt : promptKind === 'resume' ? resumeText : `${taskPrompt}\n\n${resumeText}`;

    const ctx: AgentContext = {
      sessionId: session.sessionId,
      spec: session.spec,
      launch,
      paths,
      historyDir: session.workspace.historyDir,
      replayRecords: session.workspace.replayRecords,
      prompt,
      taskPrompt,
      targetValLoss: facts.targetValLoss,
      resumeId,
    };
    const plan = agent.launch(ctx);
    if (plan.argv.length === 0) throw new Error(`agent ${agent.name} has no command to run`);
    await writeMissingFiles(session.workspace.dir, plan.files ?? {});
    // A relaunch after the model spend reached its limit does not start the CLI again.
    const spentBefore = await readSpend(traceDir, session);
    const overBefore = spendLimitReason(session.spec, spentBefore);
    if (overBefore && (await sandbox.status(handle, name)).state === 'absent')
      return { exitCode: null, finished: false, spend: spentBefore, spendLimit: overBefore };
    const trace = new LaunchTrace(traceDir, agent, launch, sandbox.outputPath(handle, name), secrets);
    await trace.open({ launch, agent: agent.name, startedAtMs: Date.now(), promptKind, promptVersion: PROMPT_VERSION, resumeId, argv: plan.argv });

    const before = await sandbox.status(handle, name);
    if (before.state === 'absent') {
      await sandbox.start(handle, { name, argv: plan.argv, env: { ...plan.env, NANOGPT_BENCH_TOKEN: token } });
      log.info('agent launched', { sessionId: session.sessionId, launch, resumeId, promptKind });
    } else {
      log.info('agent re-attached', { sessionId: session.sessionId, launch, state: before.state });
    }
    const actx = Context.current();
    const workflowId = actx.info.workflowExecution?.workflowId ?? session.sessionId;
    await tellStarted(deps, workflowId, launch, await sandbox.status(handle, name));
    // When this launch was last seen running, carried across a retry in the heartbeat: if it turns
    // out lost with its sandbox, its GPUs were not held from then on.
    const prior = actx.info.heartbeatDetails as { launch?: number; aliveAtMs?: number } | undefined;
    let aliveAtMs = prior?.launch === launch && prior.aliveAtMs ? prior.aliveAtMs : Date.now();
    const report = usageReporter(deps, workflowId, traceDir);
    for (;;) {
      const st = await sandbox.status(handle, name);
      if (st.state === 'exited') {
        await trace.finish({ exitCode: st.exitCode, signal: st.signal, endedAtMs: st.endedAtMs });
        if (st.lost) {
          const lostSinceMs = lostLaunchEnd(st, aliveAtMs);
          log.warn('agent lost with its sandbox: relaunching it, not charging the time it was down', {
            sessionId: session.sessionId,
            launch,
            downSince: new Date(lostSinceMs).toISOString(),
          });
          return { exitCode: null, finished: false, lostSinceMs, startedAtMs: st.startedAtMs };
        }
        const spend = await readSpend(traceDir, session);
        const usage = await readUsage(traceDir);
        return {
          exitCode: st.exitCode,
          finished: agent.finishesOnExit,
          spend,
          usage,
          spendLimit: spendLimitReason(session.spec, spend) ?? undefined,
          startedAtMs: st.startedAtMs,
          endedAtMs: st.endedAtMs,
        };
      }
      aliveAtMs = Date.now();
      // stopAgent made the trace final already: this watcher is late and must not write to it.
      if (await trace.isFinished()) return { exitCode: null, finished: agent.finishesOnExit };
      await trace.pump();
      // The model spend as the CLI has reported it: at its limit the session ends (and stops the agent).
      const spend = await readSpend(traceDir, session);
      const over = spendLimitReason(session.spec, spend);
      if (over) return { exitCode: null, finished: false, spend, usage: await readUsage(traceDir), spendLimit: over };
      await report();
      heartbeat({ launch, aliveAtMs });
      await actx.sleep(POLL_MS);
    }
  }

  /**
   * A graceful signal to every launch of the agent, then a kill once the grace period is over;
   * then every trace is made final (the watcher of the last launch was cancelled before this ran).
   */
  async function stopAgent({ session, graceSeconds }: { session: SessionRef; graceSeconds: number }): Promise<AgentStopped> {
    const sandbox = sandboxOf(deps, session.spec);
    const agent = agentFor(session.spec);
    const handle = await sandbox.ensure(agentSandboxSpec(session, agent.passEnv(session.spec)));
    const resumedAtMs = Date.now();
    await sandbox.resume(handle);
    const names = await runningAgentNames(sandbox, handle);
    for (const n of names) await sandbox.signal(handle, n, 'SIGTERM');
    const until = Date.now() + graceSeconds * 1000;
    while (Date.now() < until && (await runningAgentNames(sandbox, handle)).length > 0) {
      heartbeat();
      await new Promise((r) => setTimeout(r, 250));
    }
    const stubborn = await runningAgentNames(sandbox, handle);
    if (stubborn.length > 0) log.warn('agent ignored SIGTERM for the grace period: killing it', { sessionId: session.sessionId, stubborn, graceSeconds });
    await sandbox.remove(handle);
    const token = (await readFile(layout.relayToken(session.sessionId), 'utf8')).trim();
    await finishExitedTraces(sandbox, handle, layout.agentState(session.sessionId), agent, secretsFor(agent, session, token), Infinity);
    return { resumedAtMs, runningAtStop: names.length > 0, lastLaunch: await lastLaunchSpan(sandbox, handle) };
  }

  /** Returns when the agent's processes were stopped: its GPU time stops counting there. */
  async function pauseAgent({ session }: { session: SessionRef }): Promise<{ atMs: number }> {
    const sandbox = sandboxOf(deps, session.spec);
    // A step of the validation loop: its few retries must not be spent on an engine that restarts.
    await whileEngineRestarts(async () => sandbox.pause(await sandbox.ensure(agentSandboxSpec(session))));
    return { atMs: Date.now() };
  }

  /** Returns when the agent's processes were let go on: its GPU time counts again from there. */
  async function resumeAgent({ session }: { session: SessionRef }): Promise<{ atMs: number }> {
    const sandbox = sandboxOf(deps, session.spec);
    return whileEngineRestarts(async () => {
      const handle = await sandbox.ensure(agentSandboxSpec(session));
      const atMs = Date.now();
      await sandbox.resume(handle);
      return { atMs };
    });
  }

  return { runAgent, stopAgent, pauseAgent, resumeAgent };
}

export interface AgentRunResult {
  exitCode: number | null;
  finished: boolean;
  /** Lost with its sandbox: when it ended, as its sandbox recorded it, else when it was last seen running. */
  lostSinceMs?: number;
  /** The agent's model spend so far, when its CLI has reported any. */
  spend?: AgentSpend | null;
  /** Set when the spend reached a limit of the spec: why the session ends. */
  spendLimit?: string;
  /** The agent's token usage so far, when its CLI has reported any. */
  usage?: AgentUsageSummary | null;
  /** When the launch's process started and ended, from the sandbox's records (absent when it never ran, or still runs). */
  startedAtMs?: number;
  endedAtMs?: number;
}

/** What stopping the agent found: when its sandbox was let go on (were it paused), whether a launch ran, and the last launch's span (null: none ever started). */
export interface AgentStopped {
  resumedAtMs: number;
  runningAtStop: boolean;
  lastLaunch: { startedAtMs: number; endedAtMs: number } | null;
}

/**
 * When a launch lost with its sandbox stopped holding its GPUs: its sandbox's record of its end
 * where there is one (Docker: the container's stop; an engine takes seconds to stop a container,
 * and the process holds its GPUs until then), else when it was last seen running.
 */
export function lostLaunchEnd(st: { startedAtMs: number; endedAtMs: number; endRecorded?: boolean }, lastSeenMs: number): number {
  return st.endRecorded ? Math.max(st.startedAtMs, st.endedAtMs) : lastSeenMs;
}

/**
 * Tells the session when the launch's process started, so its GPU time counts from there and not
 * from when the launch was asked for. Sent on every attach (a retry may follow a worker that died
 * before it could); the exit carries the same time, so one that cannot be sent costs nothing.
 */
async function tellStarted(deps: ActivityDeps, workflowId: string, launch: number, st: ProcessStatus): Promise<void> {
  if (st.state === 'absent') return;
  try {
    await deps.client.workflow.getHandle(workflowId).signal(agentStartedSignal, { launch, startedAtMs: st.startedAtMs });
  } catch (err) {
    log.warn('agent start not reported to the session', { error: String(err) });
  }
}

/**
 * The sandbox's engine is not answering on its socket, or going down under the call (stopped, or
 * starting again): as the fault suite saw dockerd restarted mid-call.
 */
export function engineUnreachable(err: unknown): boolean {
  const e = err as { code?: string; syscall?: string; statusCode?: number; message?: string };
  if (e.syscall === 'connect' && ['ECONNREFUSED', 'ENOENT'].includes(e.code ?? '')) return true;
  if (['ECONNRESET', 'EPIPE'].includes(e.code ?? '')) return true;
  return e.statusCode === 500 && /transport is closing|connection refused|shutting down/i.test(e.message ?? '');
}

/**
 * Runs `fn` again every second while the sandbox's engine does not answer (dockerd restarting),
 * until the activity's own timeout; any other failure is the activity's. The worker heartbeats
 * the activity meanwhile (src/temporal/keepAlive.ts), so a worker lost here is still noticed.
 */
async function whileEngineRestarts<T>(fn: () => Promise<T>): Promise<T> {
  for (let logged = false; ;) {
    try {
      return await fn();
    } catch (err) {
      if (!engineUnreachable(err)) throw err;
      if (!logged) log.warn('the sandbox engine does not answer: waiting for it', { error: String(err) });
      logged = true;
      await Context.current().sleep(1000);
    }
  }
}

/** The agent's usage.json summarized, or null before its CLI reported any. */
async function readUsage(traceDir: string): Promise<AgentUsageSummary | null> {
  const raw = await readFile(traceFiles.usage(traceDir), 'utf8').catch(() => null);
  return raw === null ? null : summarizeUsage(JSON.parse(raw));
}

/**
 * Sends the session the agent's usage when it changed, at most every USAGE_REPORT_MS: the workflow
 * keeps it, so `status` shows it from any machine the server answers, not only the worker's. A
 * report that cannot be sent waits for the next change; the exit carries the last one anyway.
 */
function usageReporter(deps: ActivityDeps, workflowId: string, traceDir: string): () => Promise<void> {
  let sent = '';
  let sentAtMs = 0;
  return async () => {
    if (Date.now() - sentAtMs < USAGE_REPORT_MS) return;
    const usage = await readUsage(traceDir).catch(() => null);
    const text = usage ? JSON.stringify(usage) : '';
    if (!usage || text === sent) return;
    sentAtMs = Date.now();
    try {
      await deps.client.workflow.getHandle(workflowId).signal(agentUsageSignal, { usage });
      sent = text;
    } catch (err) {
      log.warn('agent usage not reported to the session', { error: String(err) });
    }
  };
}

/** The spend in the agent's usage.json, or null before its CLI reported any. */
async function readSpend(traceDir: string, session: SessionRef): Promise<AgentSpend | null> {
  const raw = await readFile(traceFiles.usage(traceDir), 'utf8').catch(() => null);
  return raw === null ? null : spendFromUsage(JSON.parse(raw), session.spec, Date.now());
}

/** The target the judge uses; a workspace prepared before targets were recorded falls back to the spec's. */
export function targetOf(session: SessionRef): number {
  return session.workspace.targetValLoss ?? session.spec.targetValLoss ?? SPEEDRUN_TARGET_VAL_LOSS;
}

/** Every value that must not reach a trace: the keys passed in, and the session's relay token. */
function secretsFor(agent: Agent, session: SessionRef, token: string): Secret[] {
  const names = new Set([...agent.passEnv(session.spec), ...session.spec.agentPassEnv]);
  return [...secretsFromEnv([...names]), { name: 'NANOGPT_BENCH_TOKEN', value: token }];
}

/** Finishes the trace of every launch before `beforeLaunch` whose process has exited. */
async function finishExitedTraces(sandbox: Sandbox, handle: SandboxHandle, dir: string, agent: Agent, secrets: Secret[], beforeLaunch: number): Promise<void> {
  for (const n of await tracedLaunches(dir)) {
    if (n >= beforeLaunch) continue;
    const meta = await readMeta(dir, n);
    if (!meta || meta.finished) continue;
    const st = await sandbox.status(handle, `agent-${n}`);
    if (st.state === 'running') continue;
    const trace = new LaunchTrace(dir, agent, n, sandbox.outputPath(handle, `agent-${n}`), secrets);
    await trace.open(meta);
    await trace.finish(
      st.state === 'exited' ? { exitCode: st.exitCode, signal: st.signal, endedAtMs: st.endedAtMs } : { exitCode: null, signal: null, endedAtMs: Date.now() },
    );
  }
}

/** prompt.json: which prompt texts (version and hashes) this session's agent is given. */
async function recordPrompt(dir: string, session: SessionRef, taskPrompt: string): Promise<void> {
  const path = traceFiles.prompt(dir);
  if (existsSync(path)) return;
  const kinds: PromptKind[] = session.spec.agent === 'autoresearch' ? ['task', 'resume', 'autoresearch-program'] : ['task', 'resume'];
  await mkdir(dir, { recursive: true });
  const record = { ...promptRecord(kinds, taskPrompt), agent: session.spec.agent, task: taskPrompt };
  await writeJsonAtomic(path, record);
}

/** Files the adapter provides (program.md, TASK.md): written once, so the agent's own edits stay. */
async function writeMissingFiles(workspace: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const path = resolve(workspace, rel);
    if (relative(workspace, path).startsWith('..')) throw new Error(`agent file ${rel} is outside the workspace`);
    if (existsSync(path)) continue;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

/** The latest launch's start and end, from its record (one killed with its sandbox, and so never recorded, ended now). */
async function lastLaunchSpan(sandbox: Sandbox, handle: SandboxHandle): Promise<AgentStopped['lastLaunch']> {
  const names = (await sandbox.list(handle)).filter((n) => AGENT_PROCESS.test(n));
  const last = names.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6))).at(-1);
  if (!last) return null;
  const st = await sandbox.status(handle, last);
  if (st.state === 'absent') return null;
  return { startedAtMs: st.startedAtMs, endedAtMs: st.state === 'exited' ? st.endedAtMs : Date.now() };
}

async function runningAgentNames(sandbox: Sandbox, handle: SandboxHandle): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await sandbox.list(handle)).filter((n) => AGENT_PROCESS.test(n))) {
    if ((await sandbox.status(handle, name)).state === 'running') out.push(name);
  }
  return out;
}
