import type { AgentName, SessionSpec } from '../domain/spec';
import type { SandboxPaths } from '../sandbox/sandbox';
import type { UsageReport } from './usage';
import type { ModelApi } from './modelApis';

export interface AgentContext {
  sessionId: string;
  spec: SessionSpec;
  /** 1 for the first launch; later launches resume. */
  launch: number;
  paths: SandboxPaths;
  /** Where the replay history lies, as the sandbox sees it. */
  historyDir: string;
  replayRecords: string[];
  /** What to tell a CLI agent on this launch: the task prompt, or the resume prompt when resuming. */
  prompt: string;
  /** The task prompt itself, for agents that keep it in a file of the workspace. */
  taskPrompt: string;
  /** The val loss the session judges by. */
  targetValLoss: number;
  /** The CLI's own session or thread id from an earlier launch, when there is one to resume. */
  resumeId: string | null;
}

export interface AgentLaunch {
  argv: string[];
  env: Record<string, string>;
  /** Files (workspace-relative) written before the launch unless present: the agent may edit them. */
  files?: Record<string, string>;
}

/** What the harness reads out of one line of an agent's output. */
export interface AgentEvent {
  /** A readable rendering for transcript.txt; null when the line has nothing to show. */
  text: string | null;
  /** The CLI's session or thread id, when this line names it. */
  sessionId?: string;
  /** Token usage and cost the CLI reported on this line. */
  usage?: UsageReport;
}

/**
 * One coding agent, as the harness launches it inside the agent sandbox. Adapters are plain
 * descriptions: the activity does the launching, waiting, tracing and re-attaching for all of them.
 */
export interface Agent {
  readonly name: AgentName;
  /** True when the agent's exit means it has nothing more to do (replay); others are relaunched. */
  readonly finishesOnExit: boolean;
  /** `jsonl` when the output is an event stream (traced as is), `text` for plain output. */
  readonly output: 'jsonl' | 'text';
  launch(ctx: AgentContext): AgentLaunch;
  /**
   * Host environment variable names (API keys, provider settings) passed into its sandbox by name
   * only, values never leaving the worker; they depend on the spec alone, not on the launch.
   */
  passEnv(spec: SessionSpec): string[];
  /** The model APIs its CLI calls: the only endpoints its sandbox may reach. */
  modelApis(spec: SessionSpec): ModelApi[];
  /** Reads one output line (already redacted). */
  readEvent(line: string): AgentEvent;
}

/** For agents that print plain text: every non-empty line is shown as it is. */
export function plainTextEvent(line: string): AgentEvent {
  return { text: line.length > 0 ? line : null };
}
