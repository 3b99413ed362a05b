import { workflowInfo } from '@temporalio/workflow';
import type { SessionSpec } from '../src/domain/spec';
import type { SessionState } from '../src/domain/session';
import type { SessionActivities } from './activityStubs';

/** The end reason that is not an end: the history grew long, the session goes on as a new run. */
export const CONTINUE_AS_NEW = 'continue-as-new';
/** Nor this one: a fleet session's node was lost; it moves to another and goes on. */
export const NODE_LOST = 'node-lost';

/**
 * One run of a session workflow (until it ends or continues as new): the durable state, carried
 * across continue-as-new, and what lives only in this run.
 */
export interface SessionRun {
  /** The spec as the session's node-bound work sees it: a fleet session's names the node it is on. */
  spec: SessionSpec;
  state: SessionState;
  activities: SessionActivities;
  /** The submission under validation now, if any. */
  validating: string | null;
  /** Bumped by anything that changes when the budget runs out, so the durable timer is recomputed. */
  budgetEpoch: number;
  /** Fleet sessions: the placement epoch the node-bound work of this run was started on. */
  placedEpoch?: number;
  /**
   * Continue as new between two validations even with submissions queued (they travel in the
   * state). Histories from before waited for an empty queue, which a steady submitter never gives:
   * bench/load.ts saw a run of 27,253 events.
   */
  continueWithQueue: boolean;
  /**
   * The agent is charged for the time its processes ran (from their own records), not held from
   * the session's start to its finish: relaunch gaps and late-noticed exits cost nothing. Histories
   * from before keep the old ledger, so they replay to the same decisions.
   */
  agentChargedByProcess: boolean;
  /**
   * What was charged for a launch before its process started is taken back once the start is
   * known, also where a validation's pause closed the interval first (on Docker a launch often
   * starts a second or more after it is asked for, and waits out a validation that begins meanwhile).
   */
  agentChargedFromStart: boolean;
  /**
   * What a validation reports of the agent (until its pause took effect, its run between pauses) is
   * cut to the current launch's process life once its records told it: a Docker launch that
   * started half a minute after it was asked for, during a validation, was charged from the ask
   * (the fault suite, seed 2414: 35 GPU-s over on 32 held).
   */
  agentCutToLaunchLife: boolean;
  /** Runs continue as new at RUN_EVENTS_LIMIT events unless the spec says otherwise (before: 5000). */
  shortRuns: boolean;
  /** A launch of the agent is being watched (its runAgent is in flight). */
  agentRunning: boolean;
  /** A validation holds the GPUs of the agent's node: the agent is paused, and no launch starts. */
  agentPaused: boolean;
}

export function budgetChanged(run: SessionRun): void {
  run.budgetEpoch += 1;
}

/**
 * A run's length before it continues as new, where the spec sets none. A worker that takes a
 * session over after another died replays its run in full before it can go on: at 200 sessions a
 * run of 3,000 events took 7–8 s of that, so runs are kept short (bench/RESULTS.md, stop 26).
 */
export const RUN_EVENTS_LIMIT = 1000;
/** What sessions begun before `shortRuns` continued as new at. */
const RUN_EVENTS_LIMIT_BEFORE = 5000;

/** The history is long enough to continue as new (at the spec's length, or when the server suggests it). */
export function historyFull(run: SessionRun): boolean {
  const limit = run.spec.continueAsNewAfterEvents ?? (run.shortRuns ? RUN_EVENTS_LIMIT : RUN_EVENTS_LIMIT_BEFORE);
  return workflowInfo().historyLength > limit || workflowInfo().continueAsNewSuggested;
}

/** Where the session may continue as new: between two validations, or (older histories) with nothing queued. */
export function mayContinueAsNew(run: SessionRun): boolean {
  return run.continueWithQueue ? run.validating === null : isIdle(run);
}

/** Nothing under validation and nothing queued for it. */
export function isIdle(run: SessionRun): boolean {
  return !run.validating && !run.state.submissions.some((s) => s.state === 'queued');
}
