import type { SpendView } from './agentSpend';
/**
 * GPU-time accounting. Everything is in GPU-seconds so that sums stay exact-ish; hours exist only
 * at the edges (spec and queries).
 */
export type BudgetCategory = 'agent' | 'validation' | 'calibration' | 'confirmation';

export interface BudgetLedger {
  grantedGpuSeconds: number;
  used: Record<BudgetCategory, number>;
  /** Workflow time (ms) since which the agent sandbox holds its GPUs, or null while it holds none. */
  agentHoldingSinceMs: number | null;
  gpus: number;
  /**
   * GPU-seconds kept aside from the start for the end-of-session confirmation: the agent phase ends
   * when the budget left equals it, so the confirmation always runs. Absent in sessions begun before.
   */
  reservedGpuSeconds?: number;
  /**
   * The spans charged so far for the agent's current launch that a pause closed (the open one is
   * agentHoldingSinceMs), kept until the launch is settled so that they can be cut to its process's
   * life once its sandbox's records tell it: a launch asked for before its process started, or
   * paused after its process died, held nothing there. Absent: a session begun before.
   */
  agentLaunchSpans?: [number, number][];
  /**
   * The current launch's process life as its sandbox's records have told it so far: a pause or a
   * stretch between pauses that a validation reports after the record came is cut to it (on Docker
   * a launch can start half a minute after it is asked for, while a validation is under way).
   * Absent: a session begun before, whose ledger replays as it was.
   */
  agentLaunchLife?: { startedAtMs?: number; endedAtMs?: number };
}

export interface BudgetView {
  grantedGpuHours: number;
  usedGpuHours: number;
  remainingGpuHours: number;
  byCategory: Record<BudgetCategory, number>;
  /** Kept for the confirmation and not counted in remainingGpuHours until the confirmation runs. */
  reservedGpuHours: number;
  agentHoldingGpus: boolean;
  /** GPUs the agent sandbox burns while it holds them: the rate the figures grow at after `asOf`. */
  agentGpus: number;
  /** The agent's model spend against the spec's limits (src/domain/agentSpend.ts). */
  agentSpend?: SpendView;
  /**
   * When the figures were true. A workflow answers queries with the time of its last task, so a
   * reader with a clock brings them up to date with `projectBudget`.
   */
  asOf: string;
}

export const hours = (seconds: number): number => seconds / 3600;

export function newLedger(budgetGpuHours: number, gpus: number): BudgetLedger {
  return { grantedGpuSeconds: budgetGpuHours * 3600, used: { agent: 0, validation: 0, calibration: 0, confirmation: 0 }, agentHoldingSinceMs: null, gpus };
}

/** Agent GPU-seconds including the interval still open at `nowMs`. */
export function agentUsedAt(ledger: BudgetLedger, nowMs: number): number {
  const open = ledger.agentHoldingSinceMs === null ? 0 : Math.max(0, nowMs - ledger.agentHoldingSinceMs) / 1000;
  return ledger.used.agent + open * ledger.gpus;
}

export function usedAt(ledger: BudgetLedger, nowMs: number): number {
  return agentUsedAt(ledger, nowMs) + ledger.used.validation + ledger.used.calibration + (ledger.used.confirmation ?? 0);
}

/** What the agent phase may still spend: the grant less what is used and what is reserved. */
export function remainingAt(ledger: BudgetLedger, nowMs: number): number {
  return ledger.grantedGpuSeconds - usedAt(ledger, nowMs) - (ledger.reservedGpuSeconds ?? 0);
}

export function charge(ledger: BudgetLedger, category: BudgetCategory, gpuSeconds: number): void {
  if (!(gpuSeconds >= 0) || !Number.isFinite(gpuSeconds)) throw new Error(`charge: gpuSeconds must be a finite number ≥ 0, got ${gpuSeconds}`);
  ledger.used[category] = (ledger.used[category] ?? 0) + gpuSeconds;
}

/** Sets the confirmation's reserve (after calibration, when a run's cost is known); 0 releases it. */
export function reserve(ledger: BudgetLedger, gpuSeconds: number): void {
  if (!(gpuSeconds >= 0) || !Number.isFinite(gpuSeconds)) throw new Error(`reserve: gpuSeconds must be a finite number ≥ 0, got ${gpuSeconds}`);
  ledger.reservedGpuSeconds = gpuSeconds;
}

export function startAgentHolding(ledger: BudgetLedger, nowMs: number): void {
  if (ledger.agentHoldingSinceMs === null) ledger.agentHoldingSinceMs = nowMs;
}

/** Closes the open agent interval and charges it. */
export function stopAgentHolding(ledger: BudgetLedger, nowMs: number): void {
  if (ledger.agentHoldingSinceMs === null) return;
  ledger.agentLaunchSpans?.push([ledger.agentHoldingSinceMs, nowMs]);
  ledger.used.agent = agentUsedAt(ledger, nowMs);
  ledger.agentHoldingSinceMs = null;
}

/**
 * A launch of the agent is asked for: its GPUs count from now, provisionally, and every span
 * charged for it is cut to its process's life once that is known (agentStartedAt,
 * settleAgentLaunch), also where a pause closed the span first. On Docker a launch's process
 * often starts a second or more after it is asked for (and waits out a validation that pauses its
 * sandbox meanwhile), and a container killed under a launch is paused by the next validation
 * before its watcher reports the death: the fault suite measured both as the agent's overcharge.
 */
export function agentLaunchAsked(ledger: BudgetLedger, nowMs: number, opts: { tracksLife?: boolean } = {}): void {
  ledger.agentLaunchSpans = [];
  if (opts.tracksLife) ledger.agentLaunchLife = {};
  else delete ledger.agentLaunchLife;
  startAgentHolding(ledger, nowMs);
}

/** [fromMs, toMs] cut to the current launch's known process life (as it is where none is kept). */
function withinLaunchLife(ledger: BudgetLedger, fromMs: number, toMs: number): [number, number] {
  const life = ledger.agentLaunchLife;
  return [Math.max(fromMs, life?.startedAtMs ?? fromMs), Math.min(toMs, life?.endedAtMs ?? toMs)];
}

/** Takes back what the current launch's closed spans charged outside [fromMs, toMs], and keeps the rest of them. */
function cutLaunchSpans(ledger: BudgetLedger, fromMs: number, toMs: number): void {
  const spans = ledger.agentLaunchSpans;
  if (!spans) return;
  let outsideMs = 0;
  const kept: [number, number][] = [];
  for (const [a, b] of spans) {
    const [a2, b2] = [Math.max(a, fromMs), Math.min(b, toMs)];
    outsideMs += b - a - Math.max(0, b2 - a2);
    if (b2 > a2) kept.push([a2, b2]);
  }
  ledger.used.agent = Math.max(0, ledger.used.agent - (outsideMs / 1000) * ledger.gpus);
  ledger.agentLaunchSpans = kept;
}

/**
 * The agent's process started at `startedAtMs` (its own record): the open interval, begun when the
 * workflow decided to launch it, starts there instead. Never moves the start earlier: a pause
 * since stays as it is. Of the spans a pause closed, what lay before the start is taken back
 * (launches asked for with agentLaunchAsked; older sessions keep it).
 */
export function agentStartedAt(ledger: BudgetLedger, startedAtMs: number): void {
  const life = ledger.agentLaunchLife;
  if (life) life.startedAtMs = Math.max(life.startedAtMs ?? startedAtMs, startedAtMs);
  if (ledger.agentHoldingSinceMs !== null && startedAtMs > ledger.agentHoldingSinceMs) ledger.agentHoldingSinceMs = startedAtMs;
  cutLaunchSpans(ledger, startedAtMs, Number.POSITIVE_INFINITY);
}

/**
 * A launch of the agent is over: the open interval is charged from its process's start to its end,
 * as the sandbox recorded them, not to when a worker came to notice the exit (after a worker died
 * that can be a heartbeat timeout and more later). `endedAtMs` absent: it ends at `nowMs`.
 */
export function settleAgentLaunch(ledger: BudgetLedger, proc: { startedAtMs?: number; endedAtMs?: number }, nowMs: number): void {
  if (proc.startedAtMs !== undefined) agentStartedAt(ledger, proc.startedAtMs);
  if (proc.endedAtMs !== undefined) cutLaunchSpans(ledger, Number.NEGATIVE_INFINITY, proc.endedAtMs);
  if (ledger.agentLaunchLife && proc.endedAtMs !== undefined) ledger.agentLaunchLife.endedAtMs = proc.endedAtMs;
  const since = ledger.agentHoldingSinceMs;
  if (since !== null) stopAgentHolding(ledger, Math.max(since, Math.min(nowMs, proc.endedAtMs ?? nowMs)));
  // The launch is over: what it was charged stands (a launch asked for after is cut by its own process).
  if (ledger.agentLaunchSpans) ledger.agentLaunchSpans = [];
}

/**
 * The session stopped its agent: its last launch held its GPUs until it ended (its sandbox's
 * record), a paused one from when the stop let it go on. `stopped` absent (an older worker): now.
 */
export function settleStoppedAgent(
  ledger: BudgetLedger,
  stopped: { resumedAtMs: number; runningAtStop: boolean; lastLaunch: { startedAtMs: number; endedAtMs: number } | null } | undefined,
  nowMs: number,
): void {
  if (!stopped) return stopAgentHolding(ledger, nowMs);
  if (stopped.runningAtStop) startAgentHolding(ledger, stopped.resumedAtMs);
  // No launch ever started: what was charged for one held nothing. The last launch that did ended
  // before the current one was asked for, so a current one that never started is cut to nothing too.
  settleAgentLaunch(ledger, stopped.lastLaunch ?? { endedAtMs: Number.NEGATIVE_INFINITY }, nowMs);
}

/**
 * The agent's sandbox vanished at `lostSinceMs` (host rebooted, container removed) and is back at
 * `nowMs`: its GPUs were not held in between, so that stretch is not charged.
 */
export function agentWasDown(ledger: BudgetLedger, lostSinceMs: number, nowMs: number): void {
  if (ledger.agentHoldingSinceMs === null) return;
  stopAgentHolding(ledger, Math.min(nowMs, Math.max(lostSinceMs, ledger.agentHoldingSinceMs)));
  startAgentHolding(ledger, nowMs);
}

/**
 * Seconds an agent takes to be stopped once the session decides to (the activity, the signal, its
 * exit), during which it still holds its GPUs and is charged for them: a session whose agent is
 * burning ends its agent phase this much before the budget does, so the stop lands at the end.
 */
export const AGENT_STOP_MARGIN_S = 1;

/** GPU-seconds to keep for stopping the agent: its margin while it holds its GPUs, else none. */
export function agentStopMargin(ledger: BudgetLedger): number {
  return ledger.agentHoldingSinceMs === null ? 0 : AGENT_STOP_MARGIN_S * ledger.gpus;
}

/**
 * Milliseconds of wall time until the budget runs out at the current burn rate: only the agent
 * sandbox burns continuously; validation is charged when a run ends. Infinity while nothing burns.
 */
export function msUntilExhausted(ledger: BudgetLedger, nowMs: number, marginGpuSeconds = 0): number {
  const remaining = remainingAt(ledger, nowMs) - marginGpuSeconds;
  if (remaining <= 0) return 0;
  if (ledger.agentHoldingSinceMs === null) return Infinity;
  return (remaining / ledger.gpus) * 1000;
}

export function viewBudget(ledger: BudgetLedger, nowMs: number): BudgetView {
  const agent = agentUsedAt(ledger, nowMs);
  const used = usedAt(ledger, nowMs);
  const reserved = ledger.reservedGpuSeconds ?? 0;
  return {
    grantedGpuHours: hours(ledger.grantedGpuSeconds),
    usedGpuHours: hours(used),
    remainingGpuHours: hours(Math.max(0, ledger.grantedGpuSeconds - used - reserved)),
    byCategory: {
      agent: hours(agent),
      validation: hours(ledger.used.validation),
      calibration: hours(ledger.used.calibration),
      confirmation: hours(ledger.used.confirmation ?? 0),
    },
    reservedGpuHours: hours(reserved),
    agentHoldingGpus: ledger.agentHoldingSinceMs !== null,
    agentGpus: ledger.gpus,
    asOf: new Date(nowMs).toISOString(),
  };
}

/** The budget as it stands at `nowMs`, from a view taken earlier (the agent kept burning since). */
export function projectBudget(view: BudgetView, nowMs: number): BudgetView {
  if (!view.agentHoldingGpus) return view;
  const extraH = (Math.max(0, nowMs - Date.parse(view.asOf)) / 3600_000) * view.agentGpus;
  const reserved = view.reservedGpuHours ?? 0;
  const used = Math.max(view.usedGpuHours, Math.min(view.grantedGpuHours - reserved, view.usedGpuHours + extraH));
  const agent = view.byCategory.agent + (used - view.usedGpuHours);
  return {
    ...view,
    usedGpuHours: used,
    remainingGpuHours: Math.max(0, view.grantedGpuHours - used - reserved),
    byCategory: { ...view.byCategory, agent },
    asOf: new Date(nowMs).toISOString(),
  };
}

/** Stretches in which the agent ran during a validation, by its sandbox's pause log: charged, and part of the launch's spans. */
export function agentRanDuring(ledger: BudgetLedger, spans: readonly [number, number][]): void {
  for (const [a0, b0] of spans) {
    const [a, b] = withinLaunchLife(ledger, a0, b0);
    if (b <= a) continue;
    ledger.used.agent += ((b - a) / 1000) * ledger.gpus;
    ledger.agentLaunchSpans?.push([a, b]);
  }
}

/**
 * The session closed the agent's interval at `closedAtMs`, when it sent for the agent's pause, and
 * the pause took effect at `pausedAtMs` (activities/exclusiveRuns.ts): that stretch is the agent's,
 * as far as its process lived in it.
 */
export function agentHeldUntilPause(ledger: BudgetLedger, closedAtMs: number, pausedAtMs: number): void {
  const [from, to] = withinLaunchLife(ledger, closedAtMs, pausedAtMs);
  if (to <= from) return;
  ledger.used.agent += ((to - from) / 1000) * ledger.gpus;
  // Part of the launch's span, so that it is cut to the process's life like the rest of it.
  const last = ledger.agentLaunchSpans?.at(-1);
  if (last && last[1] === from) last[1] = to;
  else if (ledger.agentLaunchLife) ledger.agentLaunchSpans?.push([from, to]);
}
