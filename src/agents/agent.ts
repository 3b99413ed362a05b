import type { AgentName, SessionSpec } from '../domain/spec';
import type { SandboxPaths } from '../sandbox/sandbox';

export interface AgentContext {
  sessionId: string;
  spec: SessionSpec;
  /** 1 for the first launch; later launches resume. */
  launch: number;
  paths: SandboxPaths;
  /** Where the replay history lies, as the sandbox sees it. */
  historyDir: string;
  replayRecords: string[];
}

export interface AgentLaunch {
  argv: string[];
  env: Record<string, string>;
  /** Host environment variable names (API keys) passed into the sandbox by name only. */
  passEnv: string[];
}

/**
 * One coding agent, as the harness launches it inside the agent sandbox. Adapters are plain
 * descriptions: the activity does the launching, waiting and re-attaching for all of them.
 */
export interface Agent {
  readonly name: AgentName;
  /** True when the agent's exit means it has nothing more to do (replay); others are relaunched. */
  readonly finishesOnExit: boolean;
  launch(ctx: AgentContext): AgentLaunch;
}
