import type { SessionSpec } from './spec';
import { type BudgetLedger, type BudgetView, projectBudget, remainingAt, viewBudget } from './budget';
import { normaliseSubmissionPath, type SubmissionRecord, type SubmitRequest } from './submission';
import { viewSpend, type AgentSpend } from './agentSpend';
import type { AgentUsageSummary } from '../agents/usage';
import { mean } from './stats';
import type { ConfirmationSummary } from './confirmation';
import { countTickets, resubmitAllowed, type TicketCount } from './tickets';
import { workspaceCheckpointView, type WorkspaceCheckpointView, type WorkspaceCheckpoints } from './workspaceCheckpoint';
import { referenceDrift, sessionWindows, type ReferenceDrift } from './referenceDrift';

export type Phase = 'preparing' | 'calibrating' | 'running' | 'finishing' | 'confirming' | 'ended';

/** What prepareWorkspace found out about the anchor, kept in state so later runs need not ask again. */
export interface Workspace {
  /** Host path of runs/<id>/workspace. */
  dir: string;
  /** Where the agent sees that folder (the same path for the local sandbox, /workspace in Docker). */
  sandboxRoot: string;
  anchorDir: string;
  /** Host folder of the token shards, mounted read-only into every sandbox. */
  dataDir: string;
  /** Host folder holding the records the replay agent submits, and their names in order. */
  historyDir: string;
  replayRecords: string[];
  /** The val loss to beat: the spec's, else the anchor's (3.28, or the family's target.json). */
  targetValLoss: number;
  /** Seconds the anchor-to-horizon human history gained: the denominator of the headline metric. */
  horizonSpeedupSeconds: number;
  /** A family's horizon record, timed beside the anchor at calibration (null: use the figure above). */
  horizonDir: string | null;
  /** The host whose disk holds the session's folder, and that folder (runs/<id>): where its files are. Absent in older state. */
  host?: string;
  sessionDir?: string;
  /** On the local disk of the node that holds it (worker --workspace-dir): checkpointed to the shared home. */
  nodeLocal?: boolean;
}

/** What every sandbox-bound activity needs to find a session's files and sandboxes. */
export interface SessionRef {
  sessionId: string;
  spec: SessionSpec;
  workspace: Workspace;
}

export interface Reference {
  trainTimesMs: number[];
  valLosses: number[];
  /** GPU-seconds one timed run of the anchor costs, whole process included: prices a submit. */
  meanRunGpuSeconds: number;
  /** The horizon's times on this hardware, when the anchor's family has one to time. */
  horizonTrainTimesMs: number[] | null;
  /** anchor mean − horizon mean on this hardware; null: the workspace's published figure holds. */
  horizonSpeedupSeconds: number | null;
  fingerprint: string;
  fromCache: boolean;
  /** When it was timed (ms since the epoch): a cached one older than calibrationMaxAgeHours is not reused. */
  storedAtMs?: number;
}

export interface SessionState {
  sessionId: string;
  spec: SessionSpec;
  phase: Phase;
  startedAtMs: number;
  deadlineMs: number;
  ledger: BudgetLedger;
  workspace: Workspace | null;
  reference: Reference | null;
  submissions: SubmissionRecord[];
  bestId: string | null;
  agentLaunches: number;
  agentExits: { launch: number; exitCode: number | null; atMs: number }[];
  agentFinished: boolean;
  /** Why a `stop` signal asked the session to end; acted on at the next step. */
  stopRequested: string | null;
  /** Set once the session takes no more submissions; the reason is told to whoever submits. */
  closedReason: string | null;
  endReason: string | null;
  continuedAsNew: number;
  /** The agent's model spend as last reported (absent in state carried from before spend limits). */
  agentSpend?: AgentSpend | null;
  /** The agent's token usage as last reported by the worker watching it (agentUsage signal, or its exit). */
  agentUsage?: AgentUsageSummary | null;
  /** Why the session ends because the model spend reached a limit of the spec. */
  spendLimitReached?: string | null;
  /** The end-of-session confirmation, once it ran: the headline comes from it. */
  confirmation?: ConfirmationSummary;
  /** Fleet sessions: the node it is placed on; the epoch is the fencing token (src/fleet/fleet.ts). */
  placement?: NodePlacement | null;
  /** Fleet sessions: since when it waits for a node with room (null while placed). */
  waitingForNodeSinceMs?: number | null;
  /** Fleet sessions: each node lost under it, and where it went. */
  nodeMoves?: NodeMove[];
  /** Fleet sessions with a node-local workspace: its checkpoints and restores. */
  workspaceCheckpoints?: WorkspaceCheckpoints;
  /** Reference `periodic`: the anchor's re-timings, each before the submission it first served. */
  referenceWindows?: { label: string; timesMs: number[]; beforeSubmission: string; atMs: number }[];
}

export interface NodePlacement {
  node: string;
  epoch: number;
  placedAtMs: number;
}

/** A node lost under a session: last heard from at lastSeenMs, declared lost (told) at lostAtMs. */
export interface NodeMove {
  from: string;
  epoch: number;
  lastSeenMs: number;
  lostAtMs: number;
  /** Where it went, and when it was placed there. */
  to: string | null;
  placedAtMs: number | null;
}

/**
 * Keeps the spend a finished agent watch reported; true when it reached a limit of the spec and
 * the session must end with that reason (the agent is not relaunched).
 */
export function recordSpend(state: SessionState, exit: { spend?: AgentSpend | null; spendLimit?: string; usage?: AgentUsageSummary | null }): boolean {
  if (exit.spend) state.agentSpend = exit.spend;
  if (exit.usage) state.agentUsage = exit.usage;
  if (exit.spendLimit) state.spendLimitReached ??= exit.spendLimit;
  return Boolean(state.spendLimitReached);
}

/** The GPU budget and, beside it, the model spend against its limits. */
export function budgetWithSpend(state: SessionState, nowMs: number): BudgetView {
  return { ...viewBudget(state.ledger, nowMs), agentSpend: viewSpend(state.spec, state.agentSpend) };
}

export interface BestView {
  submissionId: string;
  path: string;
  speedupSeconds: number;
  speedupCi95: [number, number];
  humanProgressPercent: number;
  meanTrainTimeMs: number;
  meanValLoss: number;
  valLossPValue: number;
}

export interface SessionStatus {
  sessionId: string;
  phase: Phase;
  agent: string;
  anchor: string;
  startedAt: string;
  deadline: string;
  budget: BudgetView;
  submissions: Record<string, number>;
  best: BestView | null;
  /** The anchor's reference timing on this hardware; fromCache when an earlier session paid for it. */
  /** The anchor's calibration; meanRunGpuSeconds is what one timed run costs, the unit of the confirmation's reserve. */
  reference: { runs: number; meanTrainTimeMs: number; meanRunGpuSeconds?: number; fromCache: boolean; horizonSpeedupSeconds: number } | null;
  agentLaunches: number;
  closedReason: string | null;
  endReason: string | null;
  continuedAsNew: number;
  /**
   * The headline: the best, and the candidates whose CI overlaps it, re-timed interleaved with the
   * anchor at the end (src/domain/confirmation.ts). `best` keeps the per-submission figures.
   */
  confirmation?: ConfirmationSummary;
  /** How many candidates were timed, on how many runs, and how many of them only screened. */
  tickets?: TicketCount;
  /** Reference windows (calibration, each verdict's paired anchor runs, re-timings, confirmation) and the shifts between them beyond their noise. */
  referenceDrift?: ReferenceDrift;
  /** The agent's token usage (null before its CLI reported any), from the workflow: right from any machine. */
  agentUsage?: AgentUsageSummary | null;
  /** Where the session's files are (summary.json, report.html, agent/ transcripts): a host and a folder on it. */
  files?: { host: string | null; sessionDir: string } | null;
  /** Fleet sessions: the node it runs on (null while it waits for one), since when it waits, and its moves. */
  fleet?: { node: string | null; epoch: number | null; waitingSince: string | null; moves: NodeMove[]; workspace?: WorkspaceCheckpointView };
}

export type SessionSummary = SessionStatus;

export function newSessionState(sessionId: string, spec: SessionSpec, ledger: BudgetLedger, nowMs: number): SessionState {
  return {
    sessionId,
    spec,
    phase: 'preparing',
    startedAtMs: nowMs,
    deadlineMs: nowMs + spec.sessionHours * 3600_000,
    ledger,
    workspace: null,
    reference: null,
    submissions: [],
    bestId: null,
    agentLaunches: 0,
    agentExits: [],
    agentFinished: false,
    stopRequested: null,
    closedReason: null,
    endReason: null,
    continuedAsNew: 0,
  };
}

/**
 * Why a submit must be refused, or null to accept it. Runs in the update validator, so a refused
 * submit leaves no trace in history and the agent gets the reason straight away.
 */
export function refuseSubmit(state: SessionState, req: SubmitRequest, nowMs: number): string | null {
  if (state.closedReason) return `session is closed: ${state.closedReason}`;
  if (!state.workspace) return 'session is still preparing its workspace; try again shortly';
  const remaining = remainingAt(state.ledger, nowMs);
  if (remaining <= 0) return 'no GPU budget left';
  const p = normaliseSubmissionPath(req.path, state.workspace.sandboxRoot);
  if (!p.ok) return p.reason;
  // A candidate whose judging failed (the model's service was down) was never judged: it may come again.
  const judgeFailed = (s: SubmissionRecord) => {
    const llm = s.verdict?.judge?.llm;
    return llm !== undefined && 'error' in llm;
  };
  const runsAsked = req.runs ?? state.spec.retimeRuns;
  const dup = state.submissions.find(
    (s) => s.contentHash === req.contentHash && s.state !== 'cancelled' && !judgeFailed(s) && !resubmitAllowed(s, runsAsked, state.spec.retimeRuns),
  );
  if (dup) return `identical content to ${dup.id} (${dup.path}), state ${dup.state}: read its verdict with \`submit --status ${dup.id}\``;
  const runs = req.runs ?? state.spec.retimeRuns;
  if (state.reference) {
    const queued = state.submissions.filter((s) => s.state === 'queued' || s.state === 'validating').reduce((a, s) => a + s.requestedRuns, 0);
    // Paired references time one anchor run beside each of the candidate's.
    const cost = (runs + queued) * state.reference.meanRunGpuSeconds * (state.spec.reference === 'paired' ? 2 : 1);
    if (cost > remaining) {
      return `not enough GPU budget for ${runs} timed runs${queued ? ` after the ${queued} already queued` : ''}: about ${(cost / 3600).toFixed(4)} GPU-h needed, ${(remaining / 3600).toFixed(4)} left`;
    }
  }
  return null;
}

/** The metric's 100% mark: measured on this hardware where the family allowed, else published. */
export function horizonSpeedup(state: Pick<SessionState, 'reference' | 'workspace'>): number {
  return state.reference?.horizonSpeedupSeconds ?? state.workspace?.horizonSpeedupSeconds ?? 0;
}

export function bestView(state: SessionState): BestView | null {
  const s = state.submissions.find((x) => x.id === state.bestId);
  const v = s?.verdict;
  if (!s || !v || !v.speedup || !v.time || !v.valLoss) return null;
  return {
    submissionId: s.id,
    path: s.path,
    speedupSeconds: v.speedup.seconds,
    speedupCi95: v.speedup.ci95,
    humanProgressPercent: v.speedup.humanProgressPercent,
    meanTrainTimeMs: v.time.meanMs,
    meanValLoss: v.valLoss.mean,
    valLossPValue: v.valLoss.pValue,
  };
}

function fleetView(state: SessionState): NonNullable<SessionStatus['fleet']> {
  return {
    node: state.placement?.node ?? null,
    epoch: state.placement?.epoch ?? null,
    waitingSince: state.waitingForNodeSinceMs ? new Date(state.waitingForNodeSinceMs).toISOString() : null,
    moves: state.nodeMoves ?? [],
    workspace: workspaceCheckpointView(Boolean(state.workspace?.nodeLocal), state.workspaceCheckpoints),
  };
}

/** A status read outside the workflow, its budget brought up to the reader's clock (see BudgetView.asOf). */
export function liveStatus(s: SessionStatus, nowMs: number): SessionStatus {
  return s.phase === 'ended' ? s : { ...s, budget: projectBudget(s.budget, nowMs) };
}

export function statusView(state: SessionState, nowMs: number): SessionStatus {
  const counts: Record<string, number> = {};
  for (const s of state.submissions) counts[s.state] = (counts[s.state] ?? 0) + 1;
  return {
    sessionId: state.sessionId,
    phase: state.phase,
    agent: state.spec.agent,
    anchor: state.spec.anchor,
    startedAt: new Date(state.startedAtMs).toISOString(),
    deadline: new Date(state.deadlineMs).toISOString(),
    budget: budgetWithSpend(state, nowMs),
    submissions: counts,
    best: bestView(state),
    reference: state.reference
      ? {
          runs: state.reference.trainTimesMs.length,
          meanTrainTimeMs: mean(state.reference.trainTimesMs),
          meanRunGpuSeconds: state.reference.meanRunGpuSeconds,
          fromCache: state.reference.fromCache,
          horizonSpeedupSeconds: horizonSpeedup(state),
        }
      : null,
    agentLaunches: state.agentLaunches,
    closedReason: state.closedReason,
    endReason: state.endReason,
    continuedAsNew: state.continuedAsNew,
    ...(state.confirmation ? { confirmation: state.confirmation } : {}),
    agentUsage: state.agentUsage ?? null,
    files: filesView(state),
    ...(state.spec.fleet ? { fleet: fleetView(state) } : {}),
    tickets: countTickets(state.submissions, state.spec.retimeRuns),
    referenceDrift: referenceDrift(
      sessionWindows({
        calibrationMs: state.reference?.trainTimesMs ?? null,
        verdicts: state.submissions.flatMap((s) => (s.verdict ? [{ id: s.id, referenceRuns: s.verdict.referenceRuns }] : [])),
        periodic: state.referenceWindows ?? [],
        confirmationAnchorS: state.confirmation?.candidates[0]?.anchorRunsS,
      }),
      state.spec.alpha,
    ),
  };
}

/** In a fleet the session's folder is on storage every node shares: named by the node it runs on. */
function filesView(state: SessionState): SessionStatus['files'] {
  const w = state.workspace;
  if (!w?.sessionDir) return null;
  return { host: state.placement?.node ?? w.host ?? null, sessionDir: w.sessionDir };
}
