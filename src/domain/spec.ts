import { z } from 'zod';
import { formatZodError } from './validation';

export const AGENT_NAMES = ['replay', 'claude-code', 'codex', 'autoresearch', 'command'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];
export const AGENT_EFFORTS = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export const CLAUDE_EFFORTS: readonly string[] = ['low', 'medium', 'high', 'max'];
export const CODEX_EFFORTS: readonly string[] = ['minimal', 'low', 'medium', 'high', 'xhigh'];
/** Sandbox backends by name; src/sandbox/backends.ts makes one of each. */
export const SANDBOX_KINDS = ['local', 'docker'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

/**
 * The one input of a `benchmarkSession` workflow. Users type it on the Temporal CLI, so every
 * field has a default where one makes sense and unknown fields are refused (a typo must not
 * silently fall back to a default budget).
 */
/** A host name or IPv4 address and a port: what the agent sandbox's egress filter allows. */
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export const SessionSpecSchema = z
  .object({
    agent: z.enum(AGENT_NAMES),
    anchor: z.string().min(1).default('2025-09-03_FA3'),
    /**
     * The record that marks 100% of human progress: any record after the anchor (of the manifest,
     * the later ones included, or of the family). Absent: the manifest's horizon (the family's
     * last record). A named one is timed beside the anchor at calibration on this hardware.
     */
    horizonRecord: z.string().min(1).optional(),
    budgetGpuHours: z.number().positive(),
    gpus: z.number().int().positive().max(64).default(8),
    sessionHours: z.number().positive().default(24),
    retimeRuns: z.number().int().min(2).max(100).default(10),
    retimePolicy: z.enum(['fixed', 'sequential']).default('fixed'),
    /**
     * Runs per side of the end-of-session confirmation (candidate and anchor interleaved, A B A B …);
     * absent: retimeRuns. Its GPU time is reserved from the start (budget category `confirmation`).
     */
    confirmRuns: z.number().int().min(2).max(100).optional(),
    /** Most candidates confirmed: the best, then those whose 95% CI overlaps it, fastest first. */
    confirmCandidates: z.number().int().min(1).max(10).default(3),
    /**
     * What each verdict's speed test compares against: `paired`, one anchor run interleaved per
     * candidate run (same GPUs, same window); `periodic`, the anchor re-timed every
     * referenceEverySubmissions submissions or referenceEveryHours hours; `calibration`, the
     * anchor's runs at calibration for the whole session (cheapest, blind to drift).
     */
    reference: z.enum(['paired', 'periodic', 'calibration']).default('paired'),
    referenceEverySubmissions: z.number().int().min(1).optional(),
    referenceEveryHours: z.number().positive().optional(),
    /** A cached calibration older than this is not reused. */
    calibrationMaxAgeHours: z.number().positive().default(168),
    /** Time the anchor afresh even when a calibration for this hardware and software is cached. */
    recalibrate: z.boolean().default(false),
    /** Absent: 3.28 for speedrun records, the family's own target.json for `tiny` and other families. */
    targetValLoss: z.number().positive().optional(),
    alpha: z.number().gt(0).lt(0.5).default(0.01),
    sandbox: z.enum(SANDBOX_KINDS).default('local'),
    image: z.string().min(1).optional(),
    /** argv for the `command` agent, run inside the sandbox. */
    agentCommand: z.array(z.string()).min(1).optional(),
    /** Model for claude-code / codex / autoresearch (the CLI's own default when absent). */
    agentModel: z.string().min(1).optional(),
    /** Reasoning effort: claude-code takes low|medium|high|max, codex minimal|low|medium|high|xhigh. */
    agentEffort: z.enum(AGENT_EFFORTS).optional(),
    /** claude-code: anthropic | bedrock | vertex; codex: a model_provider id of its config. */
    agentProvider: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    /** The CLI that runs the autoresearch program. */
    autoresearchDriver: z.enum(['claude-code', 'codex']).default('claude-code'),
    /** More host environment variable NAMES to pass into the agent sandbox (never values). */
    agentPassEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
    /**
     * More endpoints (host:port) the agent sandbox may reach, on top of its CLI's model API (a
     * `command` agent's own API, a codex model_provider of its config). Everything else stays shut.
     */
    agentEgress: z.array(z.string().regex(HOST_PORT, 'host:port, such as api.example.com:443')).default([]),
    /**
     * Model spend beside the GPU budget: the session ends (reason "agent cost limit reached") once
     * the agent's model calls cost this many dollars, as its CLI reports them (or as the versioned
     * price table prices its tokens). Checked as the CLI reports usage: claude per model call, codex per turn.
     */
    agentCostLimitUsd: z.number().positive().optional(),
    /** The same, in tokens read and written by the model (cached input included). */
    agentTokenLimit: z.number().int().positive().optional(),
    /** Seconds between the graceful signal and the kill when the agent is stopped. */
    agentStopGraceSeconds: z.number().min(0).max(600).default(10),
    /** Replay: record names to submit in order; defaults to the anchor's own record history. */
    replayRecords: z.array(z.string().min(1)).optional(),
    /** Accept only candidates significantly faster than the best accepted so far. */
    requireBeatBest: z.boolean().default(false),
    /** Seconds a single timed run may take before it is killed and judged a timeout. */
    runTimeoutSeconds: z.number().positive().default(1800),
    /**
     * A candidate's timed runs only: seconds before one is killed and judged a timeout (absent:
     * runTimeoutSeconds). The anchor's runs (calibration, references, confirmation) keep
     * runTimeoutSeconds, so a tight limit for candidates never fails the session's calibration.
     */
    candidateRunTimeoutSeconds: z.number().positive().optional(),
    /**
     * Task queue of a validation pool: timed runs (and the anchor's reference runs) go to its
     * workers, on GPUs of their own, so the agent is not paused while a submission is timed. Its
     * workers must see the same NANOGPT_BENCH_HOME (a shared filesystem). Absent: the runs take
     * the agent's own GPUs, and the agent is paused for their duration.
     */
    validationTaskQueue: z.string().min(1).optional(),
    /** Worker task queue of the GPU node that holds this session's sandboxes. */
    nodeTaskQueue: z.string().min(1).optional(),
    /**
     * Place the session on a node of the fleet with `gpus` free (workflows/fleet.ts) instead of a
     * named one; when that node is lost, the session moves to another. Needs nodeTaskQueue absent.
     */
    fleet: z.boolean().optional(),
    /**
     * Fleet sessions on a node with node-local workspaces (worker --workspace-dir): minutes between
     * checkpoints of the agent's workspace to the shared home (one is also taken at each accepted
     * submit). A lost node loses at most the work of this many minutes.
     */
    workspaceCheckpointMinutes: z.number().positive().max(1440).default(10),
    /**
     * History length at which the workflow continues as new (low values force it, for tests).
     * Absent: workflows/sessionRun.ts `RUN_EVENTS_LIMIT` (1000; 5000 in sessions begun before).
     */
    continueAsNewAfterEvents: z.number().int().min(20).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.reference === 'periodic' && spec.referenceEverySubmissions === undefined && spec.referenceEveryHours === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['referenceEverySubmissions'],
        message: 'reference "periodic" needs referenceEverySubmissions or referenceEveryHours',
      });
    }
    if (spec.fleet && spec.nodeTaskQueue) {
      ctx.addIssue({ code: 'custom', path: ['nodeTaskQueue'], message: 'must be absent when fleet is true (the fleet picks the node)' });
    }
    if (spec.candidateRunTimeoutSeconds !== undefined && spec.candidateRunTimeoutSeconds > spec.runTimeoutSeconds) {
      ctx.addIssue({ code: 'custom', path: ['candidateRunTimeoutSeconds'], message: `at most runTimeoutSeconds (${spec.runTimeoutSeconds})` });
    }
    if (spec.agent === 'command' && !spec.agentCommand) {
      ctx.addIssue({ code: 'custom', path: ['agentCommand'], message: 'required when agent is "command" (argv array)' });
    }
    const cli = spec.agent === 'autoresearch' ? spec.autoresearchDriver : spec.agent;
    const efforts = cli === 'claude-code' ? CLAUDE_EFFORTS : cli === 'codex' ? CODEX_EFFORTS : null;
    if (spec.agentEffort && efforts && !efforts.includes(spec.agentEffort)) {
      ctx.addIssue({ code: 'custom', path: ['agentEffort'], message: `${cli} takes one of ${efforts.join(', ')}` });
    }
    if (cli === 'claude-code' && spec.agentProvider && !['anthropic', 'bedrock', 'vertex'].includes(spec.agentProvider)) {
      ctx.addIssue({ code: 'custom', path: ['agentProvider'], message: 'claude-code takes anthropic, bedrock or vertex' });
    }
  });

export type SessionSpec = z.output<typeof SessionSpecSchema>;
export type SessionSpecInput = z.input<typeof SessionSpecSchema>;

export function parseSessionSpec(input: unknown): SessionSpec {
  const r = SessionSpecSchema.safeParse(input);
  if (!r.success) throw new Error(`invalid SessionSpec: ${formatZodError(r.error)}`);
  return r.data;
}
