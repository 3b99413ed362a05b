import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { summarizeUsage } from '../../agents/usage';
import { layout } from '../../files/layout';
import { connectClient } from '../../temporal/connection';
import { sessionHandle, sessionQueries } from '../../temporal/client';
import { watchFrame, watchLine, type ValidationProgress, type WatchState } from '../../report/watchView';

/**
 * `nanogpt-bench watch <id>`: the session's progress, refreshed from its queries (and the activity
 * or child workflow of the validation in flight, for run k of N) until it ends. Redrawn in place on a terminal;
 * elsewhere a plain line each time something other than the clock changes.
 */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch <sessionId>')
    .description('live progress of a session: budget, validation in flight, last verdict, best so far; exits when it ends')
    .option('--interval <seconds>', 'refresh period', Number, 2)
    .action(async (id: string, o: { interval: number }) => {
      const client = await connectClient();
      const tty = process.stdout.isTTY === true;
      let lastLine = '';
      let drawn = 0;
      for (;;) {
        const handle = sessionHandle(client, id);
        const running = (await handle.describe()).status.name === 'RUNNING';
        const w = await readState(client, id);
        if (tty) {
          const frame = watchFrame(w, Date.now());
          process.stdout.write(`${drawn ? `\x1b[${drawn}A` : ''}${frame.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
          drawn = frame.length;
        } else {
          const line = watchLine(w);
          if (line !== lastLine) console.log(`${new Date().toISOString().slice(11, 19)} ${(lastLine = line)}`);
        }
        if (!running || w.status.phase === 'ended') break;
        await new Promise((r) => setTimeout(r, Math.max(0.2, o.interval) * 1000));
      }
      console.log(`session ${id} ended`);
    });
}

async function readState(client: Client, id: string): Promise<WatchState> {
  const handle = sessionHandle(client, id);
  const [status, submissions] = await Promise.all([sessionQueries.status(handle), sessionQueries.submissions(handle)]);
  const current = submissions.find((s) => s.state === 'validating');
  const validation = current
    ? await validationProgress(client, `${id}.${current.id}`, current.id, current.requestedRuns).catch(() =>
        inSessionProgress(handle, current.id, current.requestedRuns).catch(() => null),
      )
    : null;
  const usagePath = join(layout.agentState(id), 'usage.json');
  const usage = existsSync(usagePath) ? summarizeUsage(JSON.parse(readFileSync(usagePath, 'utf8'))) : null;
  return { status, submissions, validation, usage };
}

/** Run k of N from the validation workflow's history: which of its activities is scheduled and not yet done. */
export async function validationProgress(client: Client, workflowId: string, submissionId: string, runs: number): Promise<ValidationProgress> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled: { id: number; name: string; atMs: number }[] = [];
  const done = new Set<number>();
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.push({ id: Number(e.eventId), name: s.activityType?.name ?? '', atMs: eventMs(e) });
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed?.scheduledEventId != null) done.add(Number(closed.scheduledEventId));
  }
  const pending = [...scheduled].reverse().find((a) => !done.has(a.id));
  const timed = scheduled.filter((a) => a.name === 'timeRun');
  const last = pending ?? scheduled[scheduled.length - 1];
  const step: ValidationProgress['step'] = !pending
    ? timed.length
      ? 'deciding'
      : 'freezing'
    : pending.name === 'timeRun'
      ? 'timing'
      : pending.name === 'judgeSubmission'
        ? 'judging'
        : pending.name === 'freezeSubmission'
          ? 'freezing'
          : 'deciding';
  return { submissionId, step, run: timed.length, runs, sinceMs: last?.atMs ?? Date.now() };
}

/**
 * A validation inside the session's own history (workflows/validationLoop.ts): its step is the
 * session's pending activity, and run k of N the heartbeat of the runs' activity.
 */
export async function inSessionProgress(handle: WorkflowHandle, submissionId: string, runs: number): Promise<ValidationProgress> {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const step = (name: string): ValidationProgress['step'] | null =>
    name === 'freezeAndJudge' ? 'judging' : name === 'timeOnExclusiveGpus' ? 'timing' : name === 'writeVerdict' ? 'deciding' : null;
  const now = pending.find((a) => step(a.activityType?.name ?? '') !== null);
  if (!now) return { submissionId, step: 'freezing', run: 0, runs, sinceMs: Date.now() };
  const details = now.heartbeatDetails?.payloads?.[0];
  const beat = details ? defaultPayloadConverter.fromPayload<{ subject?: string; runIndex?: number }>(details) : {};
  const t = now.lastStartedTime ?? now.scheduledTime;
  return {
    submissionId,
    step: step(now.activityType!.name!)!,
    run: (beat.runIndex ?? 0) + 1,
    runs,
    sinceMs: t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : Date.now(),
  };
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : Date.now();
}
