import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { layout } from '../src/files/layout';

/** The q-quantile by nearest rank (p99 of 200 samples is the 198th smallest). */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export interface AgentLine {
  op: 'submit' | 'status' | 'done' | 'launch';
  /** When the request started (epoch ms); absent in lines of older runs. */
  t?: number;
  ms: number;
  paused: boolean;
  ok: boolean;
  error?: string | null;
}

/** What the scripted agent of one session wrote (bench/loadAgent.py). */
export function agentLines(sessionId: string): AgentLine[] {
  const file = join(layout.workspace(sessionId), 'load-agent.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AgentLine);
}

type Phase = 'starting' | 'kill' | 'running';

/**
 * When a session's relay listened again after the worker's kill at `killedAtMs` (epoch ms): a new
 * relay renames its socket into place, which sets the socket's ctime. A session's relay starts
 * again only after a kill or a continue-as-new, so this holds for sessions that did not continue
 * as new (the bench's small ones). Infinity when it never came back.
 */
export function relayBackMs(sessionId: string, killedAtMs: number): number {
  const sock = join(layout.relay(sessionId), 'submit.sock');
  const ctime = existsSync(sock) ? statSync(sock).ctimeMs : -Infinity;
  return ctime >= killedAtMs ? ctime : Infinity;
}

/** The worker's sticky queue schedule-to-start timeout (the Temporal SDK's default, src/temporal/worker.ts keeps it). */
const STICKY_TIMEOUT_MS = 10_000;

type Request = AgentLine & { op: 'submit' | 'status'; t: number };

/**
 * Request latencies (ms, requests the agent was not paused in) by op and by when they were made:
 * before `rampEndMs` (sessions still starting), held up by the worker's kill at `killedAtMs`, or
 * neither. A kill holds up a request two ways: its relay is gone until a new one listens
 * (`backMs`), and the session's next workflow task goes to the dead worker's own (sticky) queue
 * until the server gives up on it (`STICKY_TIMEOUT_MS`); so the kill's share is what was in flight
 * at it or made before `backMs` + that timeout.
 */
export function requestPhases(sessions: { lines: AgentLine[]; backMs: number }[], rampEndMs: number, killedAtMs: number) {
  const out: Record<Request['op'], Record<Phase, number[]>> = {
    submit: { starting: [], kill: [], running: [] },
    status: { starting: [], kill: [], running: [] },
  };
  for (const { lines, backMs } of sessions)
    for (const l of lines.filter((x): x is Request => (x.op === 'submit' || x.op === 'status') && x.t !== undefined)) {
      if (l.paused) continue;
      const phase: Phase = l.t < backMs + STICKY_TIMEOUT_MS && l.t + l.ms > killedAtMs ? 'kill' : l.t < rampEndMs ? 'starting' : 'running';
      out[l.op][phase].push(l.ms);
    }
  return out;
}

/** Verdicts written for a session's submissions so far (the files, readable while no worker runs). */
export function verdictCount(sessionId: string): number {
  const dir = join(layout.session(sessionId), 'submissions');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((s) => s.startsWith('sub-') && existsSync(layout.verdict(sessionId, s))).length;
}

/** Submissions of a session whose verdict has timed runs, from the verdict files (no worker needed). */
export function timedVerdicts(sessionId: string): string[] {
  const dir = join(layout.session(sessionId), 'submissions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((s) => {
    if (!s.startsWith('sub-') || !existsSync(layout.verdict(sessionId, s))) return false;
    const verdict = JSON.parse(readFileSync(layout.verdict(sessionId, s), 'utf8')) as { runs?: unknown[] };
    return (verdict.runs?.length ?? 0) > 0;
  });
}

/** The worker's resident memory in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Every run of a workflow id (continue-as-new makes one run each) with its event count. */
export async function runsOf(client: Client, workflowId: string): Promise<{ runId: string; historyLength: number }[]> {
  const out: { runId: string; historyLength: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    // Visibility gives the length of closed runs only; a running one is described.
    const historyLength = w.historyLength || (await client.workflow.getHandle(workflowId, w.runId).describe()).historyLength;
    out.push({ runId: w.runId, historyLength });
  }
  return out;
}

/** Events of one session and of its validations (children named <session>.<submission>). */
export async function sessionEvents(
  client: Client,
  sessionId: string,
  submissionIds: string[],
): Promise<{ session: number; children: number; runs: number; maxRun: number }> {
  const runs = await runsOf(client, sessionId);
  let children = 0;
  // Sessions validate inside their own history since 'validation-inline': then there is no child.
  for (const id of submissionIds)
    children += await client.workflow
      .getHandle(`${sessionId}.${id}`)
      .describe()
      .then((d) => d.historyLength)
      .catch(() => 0);
  return {
    session: runs.reduce((a, r) => a + r.historyLength, 0),
    children,
    runs: runs.length,
    maxRun: Math.max(0, ...runs.map((r) => r.historyLength)),
  };
}

/**
 * Where a workflow's events go, over all its runs: event types, with an activity's three events
 * (scheduled, started, closed) named by the activity and a workflow task's three by "workflow task".
 */
export async function eventKinds(
  client: Client,
  workflowId: string,
  into = new Map<string, number>(),
  updates: UpdateTask[] = [],
): Promise<Map<string, number>> {
  for (const { runId } of await runsOf(client, workflowId)) {
    const activityOf = new Map<string, string>();
    const task: { scheduled?: number; started?: number; completed?: number } = {};
    for (const e of (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []) {
      const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (e.workflowTaskScheduledEventAttributes) task.scheduled = t;
      if (e.workflowTaskStartedEventAttributes) task.started = t;
      if (e.workflowTaskCompletedEventAttributes) task.completed = t;
      // The task that accepted a submit: how long it waited for the worker, and how long the worker took.
      if (e.workflowExecutionUpdateAcceptedEventAttributes && task.scheduled !== undefined && task.started !== undefined && task.completed !== undefined)
        updates.push({ waitMs: task.started - task.scheduled, runMs: task.completed - task.started });
      const type = String(temporal.api.enums.v1.EventType[Number(e.eventType)] ?? e.eventType).replace(/^EVENT_TYPE_/, '');
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) activityOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
      const attrs = (e.activityTaskStartedEventAttributes ??
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCancelRequestedEventAttributes ??
        e.activityTaskCanceledEventAttributes) as { scheduledEventId?: { toString(): string } | null } | null | undefined;
      const kind = scheduled
        ? `activity ${activityOf.get(String(e.eventId))}`
        : attrs?.scheduledEventId != null
          ? `activity ${activityOf.get(String(attrs.scheduledEventId)) ?? '?'}`
          : type.startsWith('WORKFLOW_TASK_')
            ? 'workflow task'
            : type;
      into.set(kind, (into.get(kind) ?? 0) + 1);
    }
  }
  return into;
}

/**
 * What one more validated submission adds to a session's history, start-up apart: the events
 * between its first and its last verdict (the writeVerdict that ends each validation, in the
 * session's history or its child's) over the validations between them; per run of the workflow.
 */
export async function marginalEvents(client: Client, workflowId: string): Promise<{ events: number; validations: number }> {
  let events = 0;
  let validations = 0;
  for (const { runId } of await runsOf(client, workflowId)) {
    const scheduled = new Set<string>();
    const ends: number[] = [];
    for (const e of (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'writeVerdict') scheduled.add(String(e.eventId));
      const done = e.activityTaskCompletedEventAttributes?.scheduledEventId;
      if ((done != null && scheduled.has(String(done))) || e.childWorkflowExecutionCompletedEventAttributes) ends.push(Number(e.eventId));
    }
    if (ends.length >= 2) {
      events += ends[ends.length - 1] - ends[0];
      validations += ends.length - 1;
    }
  }
  return { events, validations };
}

/** One submit's workflow task: scheduled → started (waiting for a worker) and started → completed. */
export interface UpdateTask {
  waitMs: number;
  runMs: number;
}

/** The relay's "slow submit" warnings in the worker's log (activities/relay.ts). */
export function slowSubmits(logFile: string): { hashMs: number; updateMs: number }[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('slow submit'))
    .flatMap((l) => {
      try {
        const j = JSON.parse(l) as { hashMs?: number; updateMs?: number };
        return j.hashMs === undefined || j.updateMs === undefined ? [] : [{ hashMs: j.hashMs, updateMs: j.updateMs }];
      } catch {
        return [];
      }
    });
}

/** "kind n.n, …" per validated submission, largest first. */
export function perSubmission(kinds: Map<string, number>, validated: number): string {
  return [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${(n / validated).toFixed(1)}`)
    .join(', ');
}

/** "p50 x ms / p99 y ms". */
export const p50p99 = (xs: number[]) => `p50 ${ms(quantile(xs, 0.5))} / p99 ${ms(quantile(xs, 0.99))}`;

export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');
